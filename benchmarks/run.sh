#!/usr/bin/env bash
# Gort benchmarks: the anchor workloads (W1 spawn, ...) run by Go (the anchors' Go program) and
# by the JVM runner (Gort and the JDK implementations in one JVM; for W6, parked, a JVM each),
# back to back, with a table of Gort's ratios to each of them. The method is the anchors' (see
# docs/BENCHMARKS.md).
#
#   benchmarks/run.sh                 # every workload the runner knows
#   benchmarks/run.sh spawn           # a subset
#   N=10000 REPS=1 benchmarks/run.sh spawn    # smoke test (small problem size)
#
# Environment:
#   WARMUP (1), REPS (5)   warm-up and measured repetitions per implementation, one process each side
#   ROUNDS (1)             run each workload's pair of processes (Go, then the JVM) this many times,
#                          alternating; the table shows the median over the rounds' medians and
#                          rounds.txt each round's gort/<impl> ratios (their spread is the noise)
#   N                      problem-size override (smoke tests only; the numbers mean nothing then)
#   MAXPROCS (2)           GOMAXPROCS, -Dgort.maxprocs and -Djdk.virtualThreadScheduler.parallelism
#   ANCHORS_DIR            the anchors (default: ../shared/anchors next to the repository)
#   NO_BUILD=1             use the existing benchmarks/target/benchmarks.jar instead of building it
#   GO_PREBUILT=1          use the existing benchmarks/bin/anchors-go instead of building it (machines
#                          without Go or the anchors, e.g. the 16-core device: see benchmarks/scaling.sh)
#   JVM_OPTS               extra JVM options for the runner (e.g. -Dorder=sequential)
#   TIMEOUT (1800)         seconds one process may run before it is stopped (SIGQUIT, then KILL)
#   QUIET_MAX (300)        before each process, wait at most this many seconds for the machine to be
#                          quiet (3 one-second windows in a row with < 5% of all CPUs busy); 0: don't wait
#
# Output: results/<timestamp>/ under benchmarks/ (gitignored): env.txt (machine, versions, CPU
# steal), commands.txt (the exact commands), one log per process, results.txt (the RESULT lines),
# table.txt and table.md (the table), warnings.txt (processes disturbed by other load, if any).
# This machine may be shared: each log records the CPU steal and the CPU used by other processes
# while it ran, and the table is followed by a WARNING for each disturbed process.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
ANCHORS_DIR=${ANCHORS_DIR:-$ROOT/../shared/anchors}
WARMUP=${WARMUP:-1}
REPS=${REPS:-5}
ROUNDS=${ROUNDS:-1}
N=${N:-}
MAXPROCS=${MAXPROCS:-2}
NO_BUILD=${NO_BUILD:-}
JVM_OPTS=${JVM_OPTS:-}
TIMEOUT=${TIMEOUT:-1800}
QUIET_MAX=${QUIET_MAX:-300}
JAR=$HERE/target/benchmarks.jar
GO_BIN=$HERE/bin/anchors-go

die() { echo "run.sh: $*" >&2; exit 1; }

# shellcheck source=../scripts/jdk.sh
if [ -n "$NO_BUILD" ]; then export GORT_RUNTIME_ONLY=1; fi # running a prebuilt jar needs no javac, no mvn
. "$ROOT/scripts/jdk.sh" # JAVA_HOME (JDK >= 25) and GORT_JVM_FLAGS; exits when there is none
export MAVEN_OPTS=${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}
JAVA=$JAVA_HOME/bin/java
JVM_FLAGS=("${GORT_JVM_FLAGS[@]}" -XX:+UseG1GC -Djdk.virtualThreadScheduler.parallelism="$MAXPROCS"
  -Dgort.maxprocs="$MAXPROCS")
# shellcheck disable=SC2206 # JVM_OPTS is a list of words on purpose
JVM_FLAGS+=($JVM_OPTS)

GO_PREBUILT=${GO_PREBUILT:-}
if [ -n "$GO_PREBUILT" ]; then
  [ -x "$GO_BIN" ] || die "GO_PREBUILT set but $GO_BIN is missing"
else
  command -v go >/dev/null || die "go not found (apt-get install -y golang-go)"
  [ -d "$ANCHORS_DIR/go" ] || die "anchors not found at $ANCHORS_DIR (set ANCHORS_DIR)"
  ANCHORS_DIR=$(cd "$ANCHORS_DIR" && pwd)
fi

OUT=$HERE/results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT" "$HERE/bin" || die "cannot create $OUT"
RESULTS=$OUT/results.txt
CMDS=$OUT/commands.txt
: > "$RESULTS"
: > "$CMDS"

# ---- Noise: CPU steal (hypervisor) and CPU used by processes other than the benchmark, from the
# aggregate "cpu" line of /proc/stat: fields 2-9 are user nice system idle iowait irq softirq steal
# (guest time is already in user). "busy" is user+nice+system+irq+softirq.
cpu_jiffies() { # -> "<total> <steal> <busy>"
  awk '$1 == "cpu" {t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $9, $2 + $3 + $4 + $7 + $8; exit}' /proc/stat
}
steal_since() { # cpu_jiffies output -> percent of all CPU time stolen since then
  cpu_jiffies | awk -v from="$1" 'BEGIN {split(from, f, " ")}
    {dt = $1 - f[1]; if (dt > 0) printf "%.1f\n", 100 * ($2 - f[2]) / dt; else print "0.0"}'
}
TICK=$(getconf CLK_TCK)
TIMES_FILE=$OUT/.times
child_cpu() { # CHILD_CPU = seconds of CPU used by this shell's finished children (bash "times",
  # second line); "times" must run in this shell, not in a $(...) subshell, hence the file
  times > "$TIMES_FILE"
  CHILD_CPU=$(awk 'NR == 2 {s = 0; for (i = 1; i <= 2; i++) {split($i, a, /[ms]/); s += a[1] * 60 + a[2]}; print s}' "$TIMES_FILE")
}
others_since() { # cpu_jiffies output, CHILD_CPU then, CHILD_CPU now -> percent of all CPU time used by other processes
  cpu_jiffies | awk -v from="$1" -v c0="$2" -v c1="$3" -v tick="$TICK" 'BEGIN {split(from, f, " ")}
    {dt = $1 - f[1]; o = ($3 - f[3]) / tick - (c1 - c0); if (o < 0) o = 0
     if (dt > 0) printf "%.1f\n", 100 * o * tick / dt; else print "0.0"}'
}
wait_quiet() { # -> one INFO line: how long it waited for other processes to go quiet
  [ "$QUIET_MAX" -gt 0 ] || return 0
  local start=$SECONDS ok=0 a b
  while [ $ok -lt 3 ]; do
    if [ $((SECONDS - start)) -ge "$QUIET_MAX" ]; then
      echo "INFO machine not quiet after ${QUIET_MAX}s; running anyway"; return 0
    fi
    a=$(cpu_jiffies); sleep 1; b=$(cpu_jiffies)
    if awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " ");
         exit !(y[1] > x[1] && 100 * (y[3] - x[3]) / (y[1] - x[1]) < 5)}'; then
      ok=$((ok + 1))
    else
      ok=0
    fi
  done
  echo "INFO waited $((SECONDS - start))s for a quiet machine"
}
SUITE_START=$(cpu_jiffies)
child_cpu
SUITE_CHILD=$CHILD_CPU

# ---- build: the runner jar (always, unless NO_BUILD=1) and the Go anchors binary
if [ -z "$NO_BUILD" ]; then
  echo "(cd $ROOT && mvn -B -q -DskipTests -pl benchmarks -am package)" >> "$CMDS"
  echo "+ mvn -B -q -DskipTests -pl benchmarks -am package"
  (cd "$ROOT" && mvn -B -q -DskipTests -pl benchmarks -am package) > "$OUT/build.log" 2>&1 \
    || { tail -30 "$OUT/build.log"; die "the Maven build failed, see $OUT/build.log"; }
fi
[ -f "$JAR" ] || die "$JAR missing (build it, or drop NO_BUILD)"
if [ -z "$GO_PREBUILT" ]; then
  echo "(cd $ANCHORS_DIR/go && CGO_ENABLED=0 go build -o $GO_BIN .)" >> "$CMDS"
  echo "+ (cd $ANCHORS_DIR/go && CGO_ENABLED=0 go build -o $GO_BIN .)"
  (cd "$ANCHORS_DIR/go" && CGO_ENABLED=0 go build -o "$GO_BIN" .) >> "$OUT/build.log" 2>&1 \
    || { tail -30 "$OUT/build.log"; die "go build failed, see $OUT/build.log"; }
fi

# ---- workloads: what the runner knows, or the arguments
mapfile -t ALL < <("$JAVA" "${GORT_JVM_FLAGS[@]}" -jar "$JAR" --list)
[ ${#ALL[@]} -gt 0 ] || die "the runner lists no workloads"
if [ $# -gt 0 ]; then WL=("$@"); else WL=("${ALL[@]}"); fi
for w in "${WL[@]}"; do
  case " ${ALL[*]} " in *" $w "*) ;; *) rm -rf "$OUT"; die "unknown workload: $w (one of: ${ALL[*]})";; esac
done

{
  echo "date: $(date -Is)"
  echo "host: $(uname -srm), $(nproc) cpus, $(awk '/^MemTotal/ {print $2, $3}' /proc/meminfo)"
  echo "cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "go: $( [ -n "$GO_PREBUILT" ] && echo "prebuilt $GO_BIN ($(go version "$GO_BIN" 2>/dev/null || strings "$GO_BIN" 2>/dev/null | grep -m1 -o "go1\.[0-9.]*" || echo unknown))" || go version)"
  echo "java: $("$JAVA" -version 2>&1 | tr '\n' ' ')"
  echo "gort: commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)$(git -C "$ROOT" status \
    --porcelain 2>/dev/null | grep -q . && echo ', with uncommitted changes')"
  echo "anchors: $ANCHORS_DIR"
  echo "jvm flags: ${JVM_FLAGS[*]}"
  echo "MAXPROCS=$MAXPROCS WARMUP=$WARMUP REPS=$REPS ROUNDS=$ROUNDS N=${N:-(default)} TIMEOUT=$TIMEOUT QUIET_MAX=$QUIET_MAX"
  echo "loadavg at start: $(cat /proc/loadavg)"
} > "$OUT/env.txt"
cat "$OUT/env.txt"
echo

# ---- one process: log-file label command...; its RESULT lines go to results.txt
run_one() {
  local log=$1 label=$2; shift 2
  echo "$*" >> "$CMDS"
  echo "+ $*"
  local t0 c0 rc=0 quiet
  quiet=$(wait_quiet)
  t0=$(cpu_jiffies)
  child_cpu
  c0=$CHILD_CPU
  # at TIMEOUT: SIGQUIT (the JVM prints a thread dump, Go a goroutine dump and exits), KILL 30 s later
  timeout -s QUIT -k 30 "$TIMEOUT" "$@" > "$log" 2>&1 || rc=$?
  [ -n "$quiet" ] && echo "$quiet" >> "$log"
  child_cpu
  echo "INFO cpu steal during this run: $(steal_since "$t0")%" >> "$log"
  echo "INFO cpu used by other processes during this run: $(others_since "$t0" "$c0" "$CHILD_CPU")% of all cpus" >> "$log"
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then echo "INFO killed after TIMEOUT=${TIMEOUT}s" >> "$log"; fi
  grep -e '^RESULT' -e '^INFO cpu ' -e '^INFO killed' -e '^INFO waited' -e '^INFO machine' "$log" | sed 's/^/  /'
  grep '^RESULT' "$log" | sed "s/\$/ round=$ROUND/" >> "$RESULTS"
  if [ $rc -ne 0 ]; then
    echo "  FAILED (exit $rc), see $log"
    grep -q '^RESULT' "$log" || echo "RESULT $label FAILED - round=$ROUND" >> "$RESULTS"
  fi
}

# W6's JVM implementations, each run in a process of its own (see the loop below); with -Dimpls=...
# in JVM_OPTS, only those it names (a later -Dimpls on the command line would override it).
parked_impls() {
  local sel="" o i
  for o in $JVM_OPTS; do case $o in -Dimpls=*) sel=",${o#-Dimpls=},";; esac; done
  for i in gort jvm-sq jvm-jox; do
    if [ -z "$sel" ] || [[ "$sel" == *",$i,"* ]]; then echo "$i"; fi
  done
}

# Workloads the Go anchor program knows (its -w flag); the others (exec-submit, exec-sleep, exec-block: the
# ExecutorService comparisons of issue 4) run on the JVM only.
GO_WORKLOADS=" spawn pingpong buffered sieve ring parked fairness httpserver "
N_GO=() N_JVM=()
if [ -n "$N" ]; then N_GO=(-n "$N"); N_JVM=(-Dn="$N"); fi
for w in "${WL[@]}"; do
  for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
    sfx=""
    if [ "$ROUNDS" -gt 1 ]; then sfx=".r$ROUND"; echo "== $w (round $ROUND of $ROUNDS)"; else echo "== $w"; fi
    if [[ "$GO_WORKLOADS" == *" $w "* ]]; then
      run_one "$OUT/$w.go$sfx.log" "$w go" \
        env GOMAXPROCS="$MAXPROCS" "$GO_BIN" -w "$w" -warmup "$WARMUP" -reps "$REPS" "${N_GO[@]}"
    else
      echo "  (no Go anchor for $w: JVM implementations only)"
    fi
    # W7 (fairness) measures preemption of loops without runtime calls: Gort's safepoint agent
    # (dev.gort.agent.SafepointAgent, the jar's Premain-Class) puts the polls in. Only there, so
    # that the other workloads' figures stay comparable with earlier runs.
    AGENT=()
    if [ "$w" = fairness ]; then AGENT=(-javaagent:"$JAR"); fi
    if [ "$w" = parked ]; then
      # W6 measures the heap that one runtime's parked goroutines hold: one process per
      # implementation, as the anchors run it. In a shared JVM the heap an implementation keeps
      # after its repetition (the JDK's virtual-thread scheduler keeps ~46 B per thread it ran)
      # counted against the implementations after it.
      for impl in $(parked_impls); do
        run_one "$OUT/$w.$impl$sfx.log" "$w $impl" \
          "$JAVA" "${JVM_FLAGS[@]}" -Dimpls="$impl" -Dwarmup="$WARMUP" -Dreps="$REPS" "${N_JVM[@]}" -jar "$JAR" "$w"
      done
      continue
    fi
    run_one "$OUT/$w.jvm$sfx.log" "$w jvm" \
      "$JAVA" "${JVM_FLAGS[@]}" "${AGENT[@]}" -Dwarmup="$WARMUP" -Dreps="$REPS" "${N_JVM[@]}" -jar "$JAR" "$w"
  done
done
child_cpu
rm -f "$TIMES_FILE"
{
  echo "cpu steal over the whole run: $(steal_since "$SUITE_START")%"
  echo "cpu used by other processes over the whole run: $(others_since "$SUITE_START" "$SUITE_CHILD" "$CHILD_CPU")% of all cpus"
} >> "$OUT/env.txt"

# ---- the table: one row per metric, a column per implementation, then gort/<impl> ratios.
# md=1 writes Markdown. Lower is better for every unit except req/s.
table() {
  awk -v md="$1" '
    $1 != "RESULT" { next }
    {
      m = $2; i = $3
      if (!(m in seen)) { seen[m] = 1; rows[++nr] = m }
      if (!(i in iseen)) { iseen[i] = 1; found[++nf] = i }
      if ($4 == "FAILED") failed[m, i] = 1
      else { nv[m, i]++; vals[m, i, nv[m, i]] = $4 + 0 }
      if ($4 != "FAILED" && !((m) in unit)) unit[m] = $5
    }
    END {
      # one value per metric and implementation: the median over the rounds (a failure wins)
      for (r = 1; r <= nr; r++) for (k = 1; k <= nf; k++) {
        m = rows[r]; i = found[k]
        if ((m, i) in failed) { val[m, i] = "FAILED"; continue }
        if (!((m, i) in nv)) continue
        n = nv[m, i]
        for (a = 1; a <= n; a++) s[a] = vals[m, i, a]
        for (a = 2; a <= n; a++) { x = s[a]; for (b = a - 1; b >= 1 && s[b] > x; b--) s[b + 1] = s[b]; s[b + 1] = x }
        med = n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
        val[m, i] = sprintf("%.3f", med)
      }
      # columns: the usual order first, then anything else in the order seen
      split("go gort jvm-vt jvm-sq jvm-abq jvm-jox jvm-fj", pref, " ")
      nc = 0
      for (k = 1; k <= 7; k++) if (pref[k] in iseen) { col[++nc] = pref[k]; used[pref[k]] = 1 }
      for (k = 1; k <= nf; k++) if (!(found[k] in used)) col[++nc] = found[k]
      nr2 = 0
      for (k = 1; k <= nc; k++) if (col[k] != "gort") rat[++nr2] = col[k]
      if (!("gort" in iseen)) nr2 = 0
      hdr[1] = "workload"; hdr[2] = "unit"; hdr[3] = "better"; nh = 3
      for (k = 1; k <= nc; k++) hdr[++nh] = col[k]
      for (k = 1; k <= nr2; k++) hdr[++nh] = "gort/" rat[k]
      line(hdr, nh, 1)
      for (r = 1; r <= nr; r++) {
        m = rows[r]; n = 0
        c[++n] = m; c[++n] = (m in unit) ? unit[m] : "-"
        c[++n] = (c[2] ~ /^req\/s/) ? "higher" : "lower"
        for (k = 1; k <= nc; k++) c[++n] = ((m, col[k]) in val) ? val[m, col[k]] : "-"
        for (k = 1; k <= nr2; k++) {
          g = val[m, "gort"]; o = val[m, rat[k]]
          c[++n] = (g ~ /^[0-9.]+$/ && o ~ /^[0-9.]+$/ && o + 0 > 0) ? sprintf("%.2f", g / o) : "-"
        }
        line(c, n, 0)
      }
    }
    function line(a, n, header,   k, s) {
      if (md) {
        s = "|"; for (k = 1; k <= n; k++) s = s " " a[k] " |"; print s
        if (header) { s = "|"; for (k = 1; k <= n; k++) s = s (k <= 3 ? " --- |" : " ---: |"); print s }
      } else {
        s = sprintf("%-14s %-13s %-6s", a[1], a[2], a[3])
        for (k = 4; k <= n; k++) s = s sprintf(" %12s", a[k])
        print s
      }
    }' "$RESULTS"
}
table 0 > "$OUT/table.txt"
table 1 > "$OUT/table.md"
# with ROUNDS > 1: each round's gort/<impl> ratio per metric, to show how much they move
rounds() {
  awk '$1 == "RESULT" && $4 != "FAILED" {
      r = $NF; sub(/^round=/, "", r); v[$2, $3, r] = $4 + 0
      if (!($2 in seen)) { seen[$2] = 1; rows[++nr] = $2 }
      if (!($3 in iseen)) { iseen[$3] = 1; impl[++ni] = $3 }
      if (r + 0 > maxr) maxr = r + 0
    }
    END {
      for (a = 1; a <= nr; a++) for (k = 1; k <= ni; k++) {
        m = rows[a]; i = impl[k]
        if (i == "gort") continue
        s = ""
        for (r = 1; r <= maxr; r++)
          if (((m, "gort", r) in v) && ((m, i, r) in v) && v[m, i, r] > 0) s = s sprintf(" %.2f", v[m, "gort", r] / v[m, i, r])
        if (s != "") printf "%-14s gort/%-8s by round:%s\n", m, i, s
      }
    }' "$RESULTS"
}
if [ "$ROUNDS" -gt 1 ]; then rounds > "$OUT/rounds.txt"; fi

echo
cat "$OUT/table.txt"
if [ "$ROUNDS" -gt 1 ]; then echo; cat "$OUT/rounds.txt"; echo "(values: the median over $ROUNDS rounds of each round's median)"; fi
echo "(median of $REPS repetitions after $WARMUP warm-up; gort/<impl> < 1 means Gort's value is lower, which is"
echo " better for every unit but req/s; compare only within one run)"
tail -2 "$OUT/env.txt"
# a process during which other programs used >= 5% of the CPUs (or steal was >= 10%) is flagged
for log in "$OUT"/*.log; do
  awk -v f="$(basename "$log")" '
    /^INFO cpu used by other processes/ {v = $(NF - 3) + 0; if (v >= 5) printf "WARNING: %s: other processes used %s of all cpus\n", f, $(NF - 3)}
    /^INFO cpu steal/ {v = $NF + 0; if (v >= 10) printf "WARNING: %s: cpu steal %s\n", f, $NF}' "$log"
done | tee "$OUT/warnings.txt"
[ -s "$OUT/warnings.txt" ] || rm -f "$OUT/warnings.txt"
echo "logs, commands.txt, env.txt, table.txt, table.md (and rounds.txt) in $OUT"
grep -q 'FAILED' "$RESULTS" && exit 1
exit 0
