#!/usr/bin/env bash
# The scheduler's scaling curve: benchmarks/run.sh at several processor counts, each run confined
# to that many CPUs with taskset (CPUs 0..P-1) and with GOMAXPROCS = -Dgort.maxprocs =
# -Djdk.virtualThreadScheduler.parallelism = P, then one table of every run's RESULT lines.
#
#   benchmarks/scaling.sh                       # P = 1 2 4 8 16 (those the machine has), W1-W5
#   PROCS="1 2" benchmarks/scaling.sh spawn     # a subset
#
# Environment: PROCS (1 2 4 8 16), and everything run.sh reads (REPS, WARMUP, N, NO_BUILD,
# GO_PREBUILT, JVM_OPTS, QUIET_MAX). Without Go on the machine (the 16-core device), build the
# jar and the Go binary elsewhere and set NO_BUILD=1 GO_PREBUILT=1 JAVA_HOME=<a JDK 25 image>.
# Output: results/scaling-<timestamp>/scaling.txt (gitignored), also printed.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v taskset >/dev/null || { echo "scaling.sh: taskset not found (util-linux)" >&2; exit 1; }
PROCS=${PROCS:-1 2 4 8 16}
CPUS=$(nproc --all)
OUT=$HERE/results/scaling-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
if [ $# -gt 0 ]; then WL=("$@"); else WL=(spawn pingpong buffered sieve ring); fi
for p in $PROCS; do
  if [ "$p" -gt "$CPUS" ]; then echo "scaling.sh: skipping P=$p (only $CPUS cpus)"; continue; fi
  echo "=== P=$p (taskset -c 0-$((p - 1)))"
  MAXPROCS=$p taskset -c "0-$((p - 1))" "$HERE/run.sh" "${WL[@]}" | tee "$OUT/p$p.log" | grep -e '^|' -e '^==' -e RESULT
  dir=$(grep -o 'in /.*results/[0-9-]*' "$OUT/p$p.log" | tail -1 | sed 's/^in //')
  [ -n "$dir" ] && [ -f "$dir/results.txt" ] && sed "s/^/P=$p /" "$dir/results.txt" >> "$OUT/results.txt"
  NO_BUILD=1 # build once
  export NO_BUILD
done
# One row per (workload metric, implementation), one column per P.
awk '
  { p = substr($1, 3); key = $3 " " $4; v[key, p] = $5; unit[key] = $6; if (!(key in seen)) { seen[key] = 1; keys[++nk] = key }
    if (!(p in pseen)) { pseen[p] = 1; ps[++np] = p } }
  END {
    printf "%-36s", "metric impl (unit)"; for (j = 1; j <= np; j++) printf " %12s", "P=" ps[j]; printf "\n"
    for (i = 1; i <= nk; i++) { k = keys[i]; printf "%-36s", k " (" unit[k] ")"
      for (j = 1; j <= np; j++) printf " %12s", ((k, ps[j]) in v) ? v[k, ps[j]] : "-"; printf "\n" }
  }' "$OUT/results.txt" | tee "$OUT/scaling.txt"
echo "scaling table in $OUT/scaling.txt"
