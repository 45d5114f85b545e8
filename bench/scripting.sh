#!/usr/bin/env bash
# Scripting benchmark, Tandem beside redis-server in the same run:
#
#   bench/scripting.sh [REQUESTS]
#
# Two cases, each with redis-benchmark (-c 50, keyspace of 100,000 keys):
#   evalsha-get-set  EVALSHA of a script doing one GET and one SET
#   evalsha-loop1000 EVALSHA of a script looping 1,000 redis.call (INCR)
# Prints requests per second for each server and Tandem/Redis. Builds
# bin/tandem from this checkout; takes redis-server, redis-cli and
# redis-benchmark from PATH. (Not yet one of bench/run.sh's cases.)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${1:-200000}
go build -o "$ROOT/bin/tandem" "$ROOT/cmd/tandem"
RP=${REDIS_PORT:-7481}
TP=${TANDEM_PORT:-7482}
redis-server --port "$RP" --save '' --appendonly no --daemonize yes --logfile /dev/null
"$ROOT/bin/tandem" --port "$TP" --save '' --logfile /dev/null &
TPID=$!
trap 'redis-cli -p "$RP" shutdown nosave >/dev/null 2>&1 || true; kill "$TPID" 2>/dev/null || true' EXIT
for p in "$RP" "$TP"; do
  for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
GETSET="local v = redis.call('get', KEYS[1]) redis.call('set', KEYS[1], 'x') return v"
LOOP="for i = 1, 1000 do redis.call('incr', 'n:' .. KEYS[1]) end return 1"
rps() { # port script requests
  local sha
  sha=$(redis-cli -p "$1" script load "$2")
  redis-benchmark -p "$1" -c 50 -n "$3" -r 100000 -q evalsha "$sha" 1 key:__rand_int__ |
    tr '\r' '\n' | awk '/requests per second/ {for (i=1;i<=NF;i++) if ($i ~ /^[0-9.]+$/) v=$i} END {print v}'
}
printf '%-18s %12s %12s %8s\n' case redis tandem ratio
for c in getset loop; do
  if [ $c = getset ]; then s=$GETSET; n=$N; name=evalsha-get-set; else s=$LOOP; n=$((N / 100)); name=evalsha-loop1000; fi
  r=$(rps "$RP" "$s" "$n")
  t=$(rps "$TP" "$s" "$n")
  printf '%-18s %12s %12s %8s\n' "$name" "$r" "$t" "$(awk -v a="$t" -v b="$r" 'BEGIN {printf "%.2f", a/b}')"
done
