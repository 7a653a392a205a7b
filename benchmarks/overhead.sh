#!/usr/bin/env bash
# What the sampled scheduler statistics (-Dgort.schedstats, on by default) cost: W2 (pingpong) and
# W5 (ring) on Gort with the sampling on (`gort`) and off (`gort-nostats`: the same body with the
# sampling switched off for its repetitions, -Dschedstats.variant=true). The two alternate within
# one JVM, repetition by repetition (the runner's interleaved order: on off, off on, ...), so that
# drift on a shared machine falls on both; ROUNDS JVMs per workload. Prints, per JVM, the two
# medians and their ratio; then, per workload, the median over all JVMs of the on/off ratio of
# each repetition pair (the figure to quote) and the range of the JVMs' ratios.
#
#   flock /tmp/bench.lock benchmarks/overhead.sh          # the machine may be shared: one measurer at a time
#   ROUNDS=5 benchmarks/overhead.sh pingpong             # a subset, more rounds
#
# Environment: ROUNDS (3), WARMUP (2), REPS (7), MAXPROCS (2), NO_BUILD=1 (use the existing
# jar), JAR (default benchmarks/target/benchmarks.jar; a copy lets a build run meanwhile),
# JVM_OPTS (extra JVM options, e.g. -Dgort.schedstats.sample=8).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-2}
REPS=${REPS:-7}
MAXPROCS=${MAXPROCS:-2}
JVM_OPTS=${JVM_OPTS:-}
JAR=${JAR:-$HERE/target/benchmarks.jar}
WORKLOADS=("$@")
[ ${#WORKLOADS[@]} -gt 0 ] || WORKLOADS=(pingpong ring)

if [ -n "${NO_BUILD:-}" ]; then export GORT_RUNTIME_ONLY=1; fi
# shellcheck source=../scripts/jdk.sh
. "$ROOT/scripts/jdk.sh"
if [ -z "${NO_BUILD:-}" ]; then
  (cd "$ROOT" && mvn -o -q -B -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true package -pl benchmarks -am) \
    || { echo "overhead.sh: build failed" >&2; exit 1; }
fi
[ -f "$JAR" ] || { echo "overhead.sh: $JAR missing" >&2; exit 1; }

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "# $(date -u +%FT%TZ) $(uname -n), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), maxprocs=$MAXPROCS warmup=$WARMUP reps=$REPS rounds=$ROUNDS $JVM_OPTS"
echo "# git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
printf '%-9s %5s %12s %12s %8s\n' workload jvm on off on/off
for w in "${WORKLOADS[@]}"; do
  pairs=()
  jvms=()
  for ((r = 1; r <= ROUNDS; r++)); do
    # shellcheck disable=SC2086 # JVM_OPTS is a list of words on purpose
    out=$("$JAVA_HOME/bin/java" "${GORT_JVM_FLAGS[@]}" -XX:+UseG1GC -Dgort.maxprocs="$MAXPROCS" $JVM_OPTS \
          -Dschedstats.variant=true -Dimpls=gort,gort-nostats -Dwarmup="$WARMUP" -Dreps="$REPS" -jar "$JAR" "$w" 2>&1)
    on=$(awk '$1 == "RESULT" && $3 == "gort" { print $4 }' <<<"$out")
    off=$(awk '$1 == "RESULT" && $3 == "gort-nostats" { print $4 }' <<<"$out")
    if [ -z "$on" ] || [ -z "$off" ] || [ "$on" = FAILED ] || [ "$off" = FAILED ]; then
      echo "overhead.sh: $w gave no result:" >&2
      echo "$out" >&2
      exit 1
    fi
    # the on/off ratio of each repetition pair (repetition i of both)
    mapfile -t rp < <(awk '$1 == "REP" && $3 == "gort" { on[$4] = $5 } $1 == "REP" && $3 == "gort-nostats" { off[$4] = $5 }
                           END { for (i in on) if (i in off) printf "%.4f\n", on[i] / off[i] }' <<<"$out")
    pairs+=("${rp[@]}")
    ratio=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f", a / b }')
    jvms+=("$ratio")
    printf '%-9s %5d %12s %12s %8s\n' "$w" "$r" "$on" "$off" "$ratio"
  done
  m=$(printf '%s\n' "${pairs[@]}" | median)
  lo=$(printf '%s\n' "${jvms[@]}" | sort -n | head -1)
  hi=$(printf '%s\n' "${jvms[@]}" | sort -n | tail -1)
  printf '%-9s %5s %12s %12s %8.3f  (median of %d repetition pairs; JVMs %s-%s)\n' "$w" all - - "$m" "${#pairs[@]}" "$lo" "$hi"
done
