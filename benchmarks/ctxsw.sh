#!/usr/bin/env bash
# Context switches per request of the Gort HTTP server's threads (W8), one driver at a time:
#
#   benchmarks/ctxsw.sh [JAR] [DRIVER]      # defaults: examples/target/examples.jar, uring
#   EXTRA="-Dgort.foo=bar" benchmarks/ctxsw.sh examples/target/examples.jar epoll
#
# Starts `examples.jar http` (-Dgort.maxprocs=2, --idle-timeout 0 as in http.sh), warms it with a 3 s wrk run, then reads
# voluntary/nonvoluntary_ctxt_switches of its carriers (threads gort-m*) and of io_uring's owner
# thread (gort-uring) from /proc/PID/task/*/status, and their time on a CPU and runnable but
# waiting for one from .../schedstat, around a 6 s `wrk -t1 -c100 --latency` run; prints them
# per request with req/s, p99 and the process's CPU per request. The server is killed by PID.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
. "$ROOT/scripts/jdk.sh"
JAR=${1:-$ROOT/examples/target/examples.jar}
DRV=${2:-uring}
EXTRA=${EXTRA:-}
LOG=$(mktemp /tmp/gort-ctxsw.XXXXXX)
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" -XX:+UseG1GC -Dgort.maxprocs=2 -Dgort.netpoll="$DRV" $EXTRA -jar "$JAR" http --port 0 --maxlife 120 --idle-timeout 0 > "$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -f "$LOG"' EXIT
PORT=""
for _ in $(seq 1 100); do PORT=$(awk '/^LISTENING/ {print $2; exit}' "$LOG"); [ -n "$PORT" ] && break; sleep 0.1; done
[ -n "$PORT" ] || { echo "server did not start:"; cat "$LOG"; exit 1; }
wrk -t1 -c100 -d3s "http://127.0.0.1:$PORT/" > /dev/null
snap() {
  for t in /proc/$PID/task/*; do
    n=$(cat "$t/comm" 2>/dev/null)
    case $n in gort-m*|gort-uring*)
      read -r run wait _ < "$t/schedstat"
      awk -v n="$n" -v run="$run" -v wait="$wait" '/^voluntary/ {v=$2} /^nonvoluntary/ {nv=$2} END {print n, v, nv, run, wait}' "$t/status" ;;
    esac
  done | awk '{k = ($1 ~ /uring/) ? "owner" : "carriers"; v[k] += $2; nv[k] += $3; r[k] += $4; w[k] += $5} END {for (k in v) print k, v[k], nv[k], r[k], w[k]}' | sort
}
A=$(snap); CPU0=$(awk '{print $14 + $15}' "/proc/$PID/stat")
OUT=$(wrk -t1 -c100 -d6s --latency "http://127.0.0.1:$PORT/")
B=$(snap); CPU1=$(awk '{print $14 + $15}' "/proc/$PID/stat")
REQ=$(echo "$OUT" | awk '/requests in/ {print $1}')
echo "driver $DRV $EXTRA: $(echo "$OUT" | awk '/Requests\/sec/ {print $2}') req/s, p99 $(echo "$OUT" | awk '$1 == "99%" {print $2}')"
join <(echo "$A") <(echo "$B") | awk -v r="$REQ" '{printf "  %s: voluntary %.4f/req, involuntary %.4f/req; on CPU %.2f us/req, runnable but waiting %.2f us/req\n", $1, ($6 - $2) / r, ($7 - $3) / r, ($8 - $4) / 1000 / r, ($9 - $5) / 1000 / r}'
awk -v a="$CPU0" -v b="$CPU1" -v r="$REQ" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "  cpu %.1f us/req\n", (b - a) * 1e6 / hz / r}'
