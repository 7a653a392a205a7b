#!/usr/bin/env bash
# W8 http: Gort (epoll and io_uring) against the anchors' Go and virtual-thread servers, in one
# run, with wrk on loopback; then the idle-connection memory of Gort and Go (10,000 connections).
# Each round also gives the bytes each server allocated per request and its GC cycles per 10 s
# (gort-epoll-nopool: the example without its buffer pool, --no-pool).
#
#   benchmarks/http.sh                 # everything
#   SERVERS="go gort-epoll" benchmarks/http.sh
#   SERVERS="go jvm-vt gort-epoll gort-epoll-nopool" benchmarks/http.sh   # the pool's W8 comparison
#   WARMUP=1 REPS=3 HTTP_SECS=10 IDLE_CONNS=10000 benchmarks/http.sh   # the defaults
#
# Needs: examples/target/examples.jar (./test.sh or mvn package builds it), wrk, Go, and the
# anchors at $ANCHORS (default: ../shared/anchors beside the repository, as run.sh). Servers are killed by PID, never by name.
# Prints one table; logs go to benchmarks/results/http-<timestamp>/.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
. "$ROOT/scripts/jdk.sh"
ANCHORS=${ANCHORS:-${ANCHORS_DIR:-$ROOT/../shared/anchors}} # as run.sh: the shared folder beside the checkout
WARMUP=${WARMUP:-1}
REPS=${REPS:-3}
HTTP_SECS=${HTTP_SECS:-10}
IDLE_CONNS=${IDLE_CONNS:-10000}
SERVERS=${SERVERS:-"go jvm-vt gort-epoll gort-uring gort-uring-poll"}
JAR=$ROOT/examples/target/examples.jar
JAVA=$JAVA_HOME/bin/java
OUT=$HERE/results/http-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT" "$HERE/bin"
die() { echo "http.sh: $*" >&2; exit 1; }
[ -f "$JAR" ] || die "build first: $JAR missing (./test.sh or mvn -B package -DskipTests)"
command -v wrk >/dev/null || die "wrk not found (apt-get install -y wrk)"
command -v go >/dev/null || die "go not found"
(cd "$ANCHORS/go" && go build -o "$HERE/bin/anchors-go" .) || die "go build failed"
"$JAVA_HOME/bin/javac" -d "$HERE/bin/allocstat" "$HERE/tools/AllocStat.java" || die "javac AllocStat failed"

{
  echo "date: $(date -Is)"
  echo "host: $(uname -srm), $(nproc) cpus, $(grep MemTotal /proc/meminfo | tr -s ' ')"
  grep -m1 'model name' /proc/cpuinfo
  go version; "$JAVA" -version 2>&1 | head -1; wrk --version 2>&1 | head -1
  echo "loadavg at start: $(cat /proc/loadavg)"
  echo "WARMUP=$WARMUP REPS=$REPS HTTP_SECS=$HTTP_SECS IDLE_CONNS=$IDLE_CONNS"
} | tee "$OUT/env.txt"

cpu_ticks() { awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9}' /proc/stat; }
steal_pct() { local a b; read -r a b <<< "$1"; cpu_ticks | awk -v a="$a" -v b="$b" '{ if ($1 > a) printf "%.1f", 100 * ($2 - b) / ($1 - a); else print "0.0" }'; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; printf "%.3f\n", v}'; }
proc_cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user+system ticks of a process (comm has no spaces here)
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

server_cmd() { # name -> command
  # Gort's example server runs with --idle-timeout 0: the anchors' servers set no timeouts, so each
  # does the same work per request (and the idle phase's connections stay open however long it takes).
  case $1 in
    # gctrace=1: a line per GC cycle on stderr (the server's log), which mem_probe counts
    go) echo env GODEBUG=gctrace=1 GOMAXPROCS=2 "$HERE/bin/anchors-go" -w httpserver -maxlife 600s ;;
    jvm-vt) echo "$JAVA" -XX:+UseG1GC -Djdk.virtualThreadScheduler.parallelism=2 -Dmaxlife=600 --source 25 "$ANCHORS/jvm/HttpServer.java" ;;
    gort-epoll) echo "$JAVA" -XX:+UseG1GC -Dgort.maxprocs=2 -Dgort.netpoll=epoll -jar "$JAR" http --port 0 --maxlife 600 --idle-timeout 0 ;;
    # the same server allocating as one written without reuse: new buffers per connection, a new view of the response per request
    gort-epoll-nopool) echo "$JAVA" -XX:+UseG1GC -Dgort.maxprocs=2 -Dgort.netpoll=epoll -jar "$JAR" http --port 0 --maxlife 600 --idle-timeout 0 --no-pool ;;
    gort-uring) echo "$JAVA" -XX:+UseG1GC -Dgort.maxprocs=2 -Dgort.netpoll=uring -jar "$JAR" http --port 0 --maxlife 600 --idle-timeout 0 ;;
    # io_uring with reads in readiness mode too (completion-mode receive is io_uring's default)
    gort-uring-poll) echo "$JAVA" -XX:+UseG1GC -Dgort.maxprocs=2 -Dgort.netpoll=uring -Dgort.uring.recv=poll -jar "$JAR" http --port 0 --maxlife 600 --idle-timeout 0 ;;
    *) die "unknown server $1" ;;
  esac
}

PID=""
start_server() { # name logfile -> sets PID, PORT
  local cmd; cmd=$(server_cmd "$1")
  echo "+ $cmd &" | tee -a "$OUT/commands.txt"
  $cmd > "$2" 2>&1 &
  PID=$!
  PORT=""
  for _ in $(seq 1 300); do
    PORT=$(awk '/^LISTENING/ {print $2; exit}' "$2")
    [ -n "$PORT" ] && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "  server $1 did not start, see $2"; stop_server; return 1
}
stop_server() { [ -n "$PID" ] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }; PID=""; }
# mem_probe name pid log -> "<bytes allocated so far or -> <GC cycles so far> <Go's heap goal, MB or ->"
# JVMs: AllocStat (attaches; Java threads' allocated bytes, stop-the-world collections). Go: the
# gctrace lines in its log; its allocated bytes cannot be read without changing the anchor, but a
# window without a cycle allocated less than the heap goal (a cycle starts when the heap reaches it).
mem_probe() {
  if [ "$1" = go ]; then
    awk '/^gc [0-9]+ @/ {n++; for (i = 1; i < NF; i++) if ($(i+1) == "MB" && $(i+2) ~ /^goal/) g = $i} END {print "-", n + 0, (g == "" ? 4 : g)}' "$3"
  else
    "$JAVA" -cp "$HERE/bin/allocstat" AllocStat "$2" 2>>"$OUT/allocstat.err" | awk '/^ALLOC/ {print $2, $4, "-"; ok = 1} END {if (!ok) print "- - -"}'
  fi
}
TABLE=$OUT/table.txt
declare -A SPID SPORT
stop_all() { stop_server; for s in "${!SPID[@]}"; do kill "${SPID[$s]}" 2>/dev/null; wait "${SPID[$s]}" 2>/dev/null; done; SPID=(); }
trap stop_all EXIT

# ---- throughput and latency. Every server runs at once (idle ones use no CPU) and wrk visits
# them in turn, round after round, so that load from outside (a shared machine) falls on all of
# them alike; the median of the measured rounds is reported.
STARTED=()
for s in $SERVERS; do
  if start_server "$s" "$OUT/$s.server.log"; then
    SPID[$s]=$PID SPORT[$s]=$PORT PID=""
    STARTED+=("$s")
  fi
done
declare -A RPS P99 T0 STEAL CPR BPR GCS
for k in $(seq 0 $((WARMUP + REPS - 1))); do
  for s in "${STARTED[@]}"; do
    sleep 1
    read -r a0 g0 _ <<< "$(mem_probe "$s" "${SPID[$s]}" "$OUT/$s.server.log")"
    t0=$(cpu_ticks)
    c0=$(proc_cpu "${SPID[$s]}")
    wcmd="wrk -t1 -c100 -d${HTTP_SECS}s --latency http://127.0.0.1:${SPORT[$s]}/"
    echo "$wcmd   # $s" >> "$OUT/commands.txt"
    $wcmd > "$OUT/$s.wrk$k.log" 2>&1
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$OUT/$s.wrk$k.log")
    p99=$(awk '$1 == "99%" {print $2}' "$OUT/$s.wrk$k.log" | to_ms)
    st=$(steal_pct "$t0")
    c1=$(proc_cpu "${SPID[$s]}")
    read -r a1 g1 goal <<< "$(mem_probe "$s" "${SPID[$s]}" "$OUT/$s.server.log")"
    reqs=$(awk '/ requests in / {print $1}' "$OUT/$s.wrk$k.log")
    # bytes allocated per request (Go: "<" the bound above, from the cycles in the window) and GC cycles per 10 s
    bpr=$(awk -v a="$a0" -v b="$a1" -v g0="$g0" -v g1="$g1" -v goal="$goal" -v r="${reqs:-0}" 'BEGIN {
      if (r <= 0 || g0 == "-" || g1 == "-") print "-"; else if (a != "-") printf "%.1f", (b - a) / r;
      else printf "<%.1f", (g1 - g0 + 1) * goal * 1048576 / r }')
    gcs=$(awk -v g0="$g0" -v g1="$g1" -v d="$HTTP_SECS" 'BEGIN { if (g0 == "-" || g1 == "-") print "-"; else printf "%.1f", (g1 - g0) * 10 / d }')
    # the server's CPU (user+system, all threads) per request: less sensitive to outside load
    cpr=$(awk -v a="$c0" -v b="$c1" -v r="$rps" -v d="$HTTP_SECS" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (r > 0) printf "%.1f", (b - a) / hz * 1e6 / (r * d); else print "-" }')
    grep -E 'Socket errors|Non-2xx' "$OUT/$s.wrk$k.log" | sed "s/^/  $s run $k: /"
    echo "  round $k $([ "$k" -lt "$WARMUP" ] && echo '(warm-up)' || echo '(measured)') $s: $rps req/s, p99 $p99 ms, cpu $cpr us/req, alloc $bpr B/req, $gcs GC/10s, steal $st%, load $(cut -d' ' -f1 /proc/loadavg)"
    if [ "$k" -ge "$WARMUP" ]; then
      RPS[$s]+="$rps"$'\n'; P99[$s]+="$p99"$'\n'; STEAL[$s]+="$st"$'\n'; CPR[$s]+="$cpr"$'\n'
      BPR[$s]+="$bpr"$'\n'; GCS[$s]+="$gcs"$'\n'
    fi
  done
done
stop_all
# medians of the allocation columns: a Go bound ("<x") is the median of the bounds
med_or_bound() { local v; v=$(cat); case $v in *"<"*) printf '<%s' "$(printf '%s\n' "$v" | tr -d '<' | median)" ;; *-*) echo - ;; *) printf '%s\n' "$v" | median ;; esac; }
printf '%-17s %12s %10s %12s %12s %10s %8s\n' server req/s p99-ms cpu-us/req alloc-B/req gc/10s steal% | tee "$TABLE"
for s in "${STARTED[@]}"; do
  printf '%-17s %12s %10s %12s %12s %10s %8s\n' "$s" "$(printf '%s' "${RPS[$s]}" | median)" "$(printf '%s' "${P99[$s]}" | median)" \
    "$(printf '%s' "${CPR[$s]}" | median)" "$(printf '%s' "${BPR[$s]}" | med_or_bound)" "$(printf '%s' "${GCS[$s]}" | median)" \
    "$(printf '%s' "${STEAL[$s]}" | median)" | tee -a "$TABLE"
done
echo "alloc-B/req: JVMs, ThreadMXBean's total allocated bytes over the window / requests; Go, a bound from its GC cycles (gctrace)" | tee -a "$TABLE"

# ---- idle connections: server RSS growth per connection held open (one request served on each)
if [ "$IDLE_CONNS" -gt 0 ]; then
  printf '\n%-17s %14s %14s\n' server conns B/conn-rss | tee -a "$TABLE"
  for s in go gort-epoll gort-uring gort-uring-poll; do
    case " $SERVERS " in *" $s "*) ;; *) continue ;; esac
    start_server "$s" "$OUT/$s.idle.server.log" || continue
    sleep 1
    # warm the server up a little (JIT, first connections), then take the baseline
    wrk -t1 -c100 -d3s "http://127.0.0.1:$PORT/" > /dev/null 2>&1
    sleep 2
    base=$(rss_kb "$PID")
    "$JAVA" -XX:+UseG1GC -jar "$JAR" idleconns --port "$PORT" --n "$IDLE_CONNS" --hold 15 > "$OUT/$s.idle.client.log" 2>&1 &
    CPID=$!
    for _ in $(seq 1 600); do grep -qs "^CONNECTED" "$OUT/$s.idle.client.log" && break; sleep 0.1; done
    sleep 3
    conns=$(awk '/^CONNECTED/ {print $2}' "$OUT/$s.idle.client.log")
    now=$(rss_kb "$PID")
    kill "$CPID" 2>/dev/null; wait "$CPID" 2>/dev/null
    stop_server
    per=$(awk -v a="$base" -v b="$now" -v n="${conns:-0}" 'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1024 / n; else print "-" }')
    printf '%-17s %14s %14s\n' "$s" "${conns:-0}" "$per" | tee -a "$TABLE"
  done
fi
echo "loadavg at end: $(cat /proc/loadavg)" | tee -a "$OUT/env.txt"
echo "logs in $OUT"
