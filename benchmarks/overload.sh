#!/usr/bin/env bash
# The soft memory limit against an allocation overload (examples' `overload`: a burst of requests,
# each holding a 1 MiB buffer over three hand-offs to eight workers that wait 1 ms each), at growing
# burst sizes, in a 256 MiB heap: Gort with -Dgort.memlimit, Gort without, and JDK virtual threads.
# Each cell: completed or died (OutOfMemoryError), the heap's peak, the wall time; REPS runs per cell.
#
#   benchmarks/overload.sh
#   REQUESTS="100 500 1000 2000 4000" REPS=3 LIMIT=192m XMX=256m benchmarks/overload.sh   # the defaults
#
# Needs: examples/target/examples.jar (./test.sh or mvn package builds it). Prints one table; the
# runs' output goes to benchmarks/results/overload-<timestamp>/.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
. "$ROOT/scripts/jdk.sh"
REQUESTS=${REQUESTS:-"100 500 1000 2000 4000"}
REPS=${REPS:-3}
LIMIT=${LIMIT:-192m}
XMX=${XMX:-256m}
JAR=$ROOT/examples/target/examples.jar
JAVA=$JAVA_HOME/bin/java
OUT=$HERE/results/overload-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
[ -f "$JAR" ] || { echo "overload.sh: build first: $JAR missing (./test.sh or mvn -B package -DskipTests)" >&2; exit 1; }
{
  echo "date: $(date -Is)"
  echo "host: $(uname -srm), $(nproc) cpus; $("$JAVA" -version 2>&1 | head -1)"
  echo "loadavg at start: $(cat /proc/loadavg)"
  echo "REQUESTS=$REQUESTS REPS=$REPS LIMIT=$LIMIT XMX=$XMX (G1, -XX:+ExitOnOutOfMemoryError: exit 3 is death by OutOfMemoryError)"
} | tee "$OUT/env.txt"

field() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" "$2" | head -1; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

printf '\n| requests | runtime | completed | peak heap MiB (median) | wall ms (median of completed) | paced ms (median) |\n|---:|---|---:|---:|---:|---:|\n' | tee "$OUT/table.md"
for n in $REQUESTS; do
  for mode in gort-limit gort virtual; do
    case $mode in
      gort-limit) flags=(-Dgort.memlimit="$LIMIT"); args=() ;;
      gort) flags=(); args=() ;;
      virtual) flags=(); args=(--threads virtual) ;;
    esac
    ok=0; walls=(); peaks=(); paced=()
    for r in $(seq 1 "$REPS"); do
      log=$OUT/$mode-$n-$r.log
      "$JAVA" -Xmx"$XMX" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Dgort.maxprocs=2 "${flags[@]}" \
        -jar "$JAR" overload --requests "$n" "${args[@]}" > "$log" 2>&1
      rc=$?
      if [ $rc -eq 0 ] && [ "$(field done "$log")" = "$n" ]; then
        ok=$((ok + 1)); walls+=("$(field wall_ms "$log")"); peaks+=("$(field peak_heap_mib "$log")")
        [ "$mode" = gort-limit ] && paced+=("$(field paced_ms "$log")")
      elif [ $rc -ne 3 ]; then
        echo "overload.sh: $mode $n run $r: exit $rc, neither done nor OutOfMemoryError (see $log)" >&2
      fi
    done
    wall=$(printf '%s\n' "${walls[@]:-}" | grep . | median)
    peak=$(printf '%s\n' "${peaks[@]:-}" | grep . | median)
    pm=$(printf '%s\n' "${paced[@]:-}" | grep . | median)
    printf '| %s | %s | %d of %d | %s | %s | %s |\n' "$n" "$mode" "$ok" "$REPS" "$peak" "$wall" "$pm" | tee -a "$OUT/table.md"
  done
done
echo "results: $OUT"
