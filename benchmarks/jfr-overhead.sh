#!/usr/bin/env bash
# What JFR costs Gort: W2 (pingpong) and W5 (ring, both benchmarks.jar) and W8 (the HTTP example under wrk) with JFR
# off and with a recording of JFR's "default" settings, in one run, the variants alternated
# (A B A B ...) so that load from outside falls on each alike. Prints each round's ratio to "off"
# and the median ratio per variant (above 1.00: slower with JFR; for W8, lower req/s and more
# server CPU per request).
#
#   benchmarks/jfr-overhead.sh                      # both workloads, ROUNDS=5
#   WORKLOADS=pingpong ROUNDS=9 benchmarks/jfr-overhead.sh
#   WORKLOADS=ring VARIANTS="off default nostats" benchmarks/jfr-overhead.sh
#   VARIANTS="off default default-nogort detailed" benchmarks/jfr-overhead.sh
#
# Variants (JVM flags added to the same command):
#   off             no recording
#   default         -XX:StartFlightRecording:settings=default (Gort's events on, as their annotations say)
#   default-nogort  the same with every dev.gort event off: JFR's own share of the cost
#   detailed        settings=default plus docs/gort-profile.jfc (every park timed, parks over 1 ms, every steal and netpoll wait)
#   sampling-N      settings=default with dev.gort.GoroutinePark timing one park in N (its default: 64)
#   nostats         no recording, and -Dgort.schedstats=false: "off" against it is what the sampled
#                   scheduler statistics (on by default) cost
#
# Environment: ROUNDS (5), REPS (3: measured repetitions per pingpong or ring process, after 1 warm-up),
# HTTP_SECS (5: wrk's measured run per round, after a 2 s warm-up of the same server), MAXPROCS (2).
# Needs benchmarks/target/benchmarks.jar and examples/target/examples.jar (mvn package), and wrk
# for W8. Run it under `flock /tmp/bench.lock` on a shared machine. Logs: benchmarks/results/jfr-<timestamp>/.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
export GORT_RUNTIME_ONLY=1
. "$ROOT/scripts/jdk.sh"
ROUNDS=${ROUNDS:-5}
REPS=${REPS:-3}
HTTP_SECS=${HTTP_SECS:-5}
MAXPROCS=${MAXPROCS:-2}
WORKLOADS=${WORKLOADS:-"pingpong http"}
VARIANTS=${VARIANTS:-"off default"}
JAVA=$JAVA_HOME/bin/java
BENCH_JAR=$HERE/target/benchmarks.jar
EXAMPLES_JAR=$ROOT/examples/target/examples.jar
OUT=$HERE/results/jfr-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
die() { echo "jfr-overhead.sh: $*" >&2; exit 1; }
[ -f "$BENCH_JAR" ] || die "build first: $BENCH_JAR missing (mvn -B package -DskipTests)"
[ -f "$EXAMPLES_JAR" ] || die "build first: $EXAMPLES_JAR missing"

# Every dev.gort event off, for default-nogort.
NOGORT=$OUT/nogort.jfc
{
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo '<configuration version="2.0" label="no Gort events">'
  for e in GoroutinePark GoroutinePreempt Steal NetpollWait BlockingCall StuckCarrier StuckCarrierReturned ProcessorRetired; do
    echo "  <event name=\"dev.gort.$e\"><setting name=\"enabled\">false</setting></event>"
  done
  echo '</configuration>'
} > "$NOGORT"

variant_flags() {
  case $1 in
    off) ;;
    nostats) echo "-Dgort.schedstats=false" ;; # no recording, and the sampled scheduler statistics off
    default) echo "-XX:StartFlightRecording:settings=default" ;;
    default-nogort) echo "-XX:StartFlightRecording:settings=default,settings=$NOGORT" ;;
    detailed) echo "-XX:StartFlightRecording:settings=default,settings=$ROOT/docs/gort-profile.jfc" ;;
    sampling-*) # default with dev.gort.GoroutinePark's sampling set to 1/N
      local n=${1#sampling-} f=$OUT/sampling-${1#sampling-}.jfc
      [ -f "$f" ] || printf '<?xml version="1.0" encoding="UTF-8"?>\n<configuration version="2.0">\n  <event name="dev.gort.GoroutinePark"><setting name="sampling">1/%s</setting></event>\n</configuration>\n' "$n" > "$f"
      echo "-XX:StartFlightRecording:settings=default,settings=$f" ;;
    *) die "unknown variant $1" ;;
  esac
}

{
  echo "date: $(date -Is)"
  echo "host: $(uname -srm), $(nproc) cpus"
  "$JAVA" -version 2>&1 | head -1
  echo "ROUNDS=$ROUNDS REPS=$REPS HTTP_SECS=$HTTP_SECS MAXPROCS=$MAXPROCS WORKLOADS=$WORKLOADS VARIANTS=$VARIANTS"
  echo "loadavg at start: $(cat /proc/loadavg)"
} | tee "$OUT/env.txt"

# ---- W2, W5: one process per variant per round; its RESULT (median of REPS) is the round's value.
jarbench() { # workload variant round -> ns per round trip (pingpong) or per hop (ring)
  local log=$OUT/$1-$2-$3.log
  # shellcheck disable=SC2046 # the variant's flags are words
  "$JAVA" "${GORT_JVM_FLAGS[@]}" -XX:+UseG1GC -Dgort.maxprocs="$MAXPROCS" $(variant_flags "$2") \
    -Dimpls=gort -Dwarmup=1 -Dreps="$REPS" -jar "$BENCH_JAR" "$1" > "$log" 2>&1
  awk -v w="$1" '$1 == "RESULT" && $2 == w && $3 == "gort" {print $4}' "$log"
}

# ---- W8: one server per variant per round, a 2 s wrk warm-up, then HTTP_SECS measured:
# "req/s cpu-us/req" (the server's user+system CPU per request, less sensitive to outside load).
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null' EXIT
http() { # variant round -> "rps cpu_us_per_req"
  local log=$OUT/http-$1-$2.log port="" c0 c1 rps
  : > "$log" # before the server starts: the wait below reads it at once
  # shellcheck disable=SC2046
  "$JAVA" "${GORT_JVM_FLAGS[@]}" -XX:+UseG1GC -Dgort.maxprocs="$MAXPROCS" -Dgort.netpoll=epoll $(variant_flags "$1") \
    -jar "$EXAMPLES_JAR" http --port 0 --maxlife 600 --idle-timeout 0 > "$log" 2>&1 &
  PID=$!
  for _ in $(seq 1 300); do
    port=$(awk '/^LISTENING/ {print $2; exit}' "$log")
    [ -n "$port" ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then echo "- -"; kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=""; return; fi
  wrk -t1 -c100 -d2s "http://127.0.0.1:$port/" > "$OUT/http-$1-$2.warmup.log" 2>&1
  c0=$(awk '{print $14 + $15}' "/proc/$PID/stat")
  wrk -t1 -c100 -d"${HTTP_SECS}s" "http://127.0.0.1:$port/" > "$OUT/http-$1-$2.wrk.log" 2>&1
  c1=$(awk '{print $14 + $15}' "/proc/$PID/stat")
  kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=""
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$OUT/http-$1-$2.wrk.log")
  awk -v a="$c0" -v b="$c1" -v r="$rps" -v d="$HTTP_SECS" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { if (r > 0) printf "%s %.2f\n", r, (b - a) / hz * 1e6 / (r * d); else print "- -" }'
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.3f", a / b; else print "-" }'; }

RES=$OUT/rounds.txt
: > "$RES"
for w in $WORKLOADS; do
  [ "$w" = http ] && ! command -v wrk >/dev/null && { echo "no wrk: W8 skipped"; continue; }
  for r in $(seq 1 "$ROUNDS"); do
    # the order alternates from round to round as well: off first, then last
    order=$VARIANTS
    [ $((r % 2)) -eq 0 ] && order=$(echo "$VARIANTS" | tr ' ' '\n' | tac | tr '\n' ' ')
    declare -A V=()
    for v in $order; do
      case $w in
        pingpong|ring) V[$v]=$(jarbench "$w" "$v" "$r") ;;
        http) V[$v]=$(http "$v" "$r") ;;
        *) die "unknown workload $w (pingpong, ring, http)" ;;
      esac
    done
    for v in $VARIANTS; do
      [ "$v" = off ] && continue
      case $w in
        # time per round trip or hop: with JFR / off
        pingpong|ring) line="$w $v round=$r off=${V[off]} jfr=${V[$v]} ratio=$(ratio "${V[$v]}" "${V[off]}")" ;;
        # throughput: off / with JFR (above 1: JFR slower); CPU per request: with JFR / off
        http) read -r ro co <<< "${V[off]}"; read -r rv cv <<< "${V[$v]}"
              line="$w $v round=$r off=$ro jfr=$rv ratio=$(ratio "$ro" "$rv") cpu_off=$co cpu_jfr=$cv cpu_ratio=$(ratio "$cv" "$co")" ;;
      esac
      echo "$line" | tee -a "$RES"
    done
    unset V
  done
done

echo
echo "median of the rounds' ratios (JFR variant / off; above 1.00 is a cost), $ROUNDS rounds, alternated;"
echo "in brackets, the ratio of the variants' medians over the rounds:"
for w in $WORKLOADS; do
  for v in $VARIANTS; do
    [ "$v" = off ] && continue
    m=$(awk -v w="$w" -v v="$v" '$1 == w && $2 == v {for (i = 3; i <= NF; i++) if ($i ~ /^ratio=/) {sub(/^ratio=/, "", $i); print $i}}' "$RES" | median)
    field() { awk -v w="$w" -v v="$v" -v f="$1" '$1 == w && $2 == v {for (i = 3; i <= NF; i++) if (index($i, f "=") == 1) print substr($i, length(f) + 2)}' "$RES" | median; }
    mo=$(field off) mv=$(field jfr)
    if [ "$w" = http ]; then m="$m [$(ratio "$mo" "$mv")]"; else m="$m [$(ratio "$mv" "$mo")]"; fi
    if [ "$w" = http ]; then
      c=$(awk -v w="$w" -v v="$v" '$1 == w && $2 == v {for (i = 3; i <= NF; i++) if ($i ~ /^cpu_ratio=/) {sub(/^cpu_ratio=/, "", $i); print $i}}' "$RES" | median)
      c="$c [$(ratio "$(field cpu_jfr)" "$(field cpu_off)")]"
      printf "  %-9s %-15s req/s %s  cpu/req %s\n" "$w" "$v" "$m" "$c"
    else
      printf "  %-9s %-15s time %s\n" "$w" "$v" "$m"
    fi
  done
done | tee "$OUT/summary.txt"
echo "logs: $OUT"
