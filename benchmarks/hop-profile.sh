#!/usr/bin/env bash
# Where a channel hand-off's time goes (docs/BENCHMARKS.md, "Where a hop goes"): profiles of the
# Gort implementations of W5 (ring) and W2 (pingpong) and the JMH benchmark of the hop's pieces.
#
#   benchmarks/hop-profile.sh [OUT]     # OUT: default benchmarks/results/hop-<timestamp>
#
# Uses benchmarks/target/benchmarks.jar as it is (build first). Writes, per workload:
#   perf-<w>.data, perf-<w>-categories.txt   perf's cpu-clock samples (no hardware counters on the
#                                             development VM), split by what the carriers ran
#                                             (benchmarks/tools/perf-categories.py)
#   <w>.jfr, jfr-<w>-hot.txt, jfr-<w>-alloc.txt   JFR execution samples every 1 ms (inlined frames
#                                             resolved) and allocation samples
#   gc-<w>.txt                                the GC log of a plain run (allocation per hop)
# and jmh.txt (HopPartsBench). Run it on a quiet machine (on a shared one: under the benchmark lock).
#
# No -XX:+PreserveFramePointer and no call graphs: with frame pointers preserved the JDK thaws
# every continuation by its slow path (ThawBase::can_thaw_fast), which would profile another hop.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
export GORT_RUNTIME_ONLY=1
. "$ROOT/scripts/jdk.sh"
JAR=$HERE/target/benchmarks.jar
[ -f "$JAR" ] || { echo "hop-profile.sh: $JAR missing (build first)" >&2; exit 1; }
command -v perf >/dev/null || { echo "hop-profile.sh: perf not found (Debian: linux-perf)" >&2; exit 1; }
OUT=${1:-$HERE/results/hop-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT" && cd "$OUT" || exit 1
J=("$JAVA_HOME/bin/java" "${GORT_JVM_FLAGS[@]}" -XX:+UseG1GC -Djdk.virtualThreadScheduler.parallelism=2 -Dgort.maxprocs=2)
RUN=(-Dimpls=gort -Dwarmup=2 -Dreps=5 -jar "$JAR")
"$JAVA_HOME/bin/jfr" configure --input profile method-profiling=max allocation-profiling=high --output hop.jfc >/dev/null

for w in ring pingpong; do
  # The perf map (/tmp/perf-<pid>.map) names the JIT's code as it was at exit.
  perf record -e cpu-clock -F 1999 -o "perf-$w.data" -- "${J[@]}" -XX:+UnlockDiagnosticVMOptions \
    -XX:+DumpPerfMapAtExit "${RUN[@]}" "$w" > "perf-$w.log" 2>&1
  python3 "$HERE/tools/perf-categories.py" "perf-$w.data" 30 > "perf-$w-categories.txt"
  "${J[@]}" -XX:StartFlightRecording=filename="$w.jfr",settings=hop.jfc "${RUN[@]}" "$w" > "jfr-$w.log" 2>&1
  "$JAVA_HOME/bin/jfr" view --width 160 hot-methods "$w.jfr" > "jfr-$w-hot.txt" 2>&1
  "$JAVA_HOME/bin/jfr" view --width 160 allocation-by-class "$w.jfr" > "jfr-$w-alloc.txt" 2>&1
  "${J[@]}" -Xlog:gc:file="gc-$w.txt" "${RUN[@]}" "$w" > "gc-$w.log" 2>&1
done
"${J[@]}" -cp "$JAR" org.openjdk.jmh.Main HopPartsBench > jmh.txt 2>&1
grep -h '^RESULT' perf-*.log jfr-*.log gc-*.log
tail -12 jmh.txt
echo "hop-profile.sh: results in $OUT"
