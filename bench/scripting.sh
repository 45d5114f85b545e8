#!/usr/bin/env bash
# Case scripting: EVALSHA throughput with redis-benchmark -c 50 -P 1 against
# a fresh redis-server and a fresh Tandem, rounds alternated; the figure is
# the median, with the server's CPU time per request beside each (steadier
# than the rate on a loaded machine). Two scripts, loaded with SCRIPT LOAD
# first:
#   get-set    one GET and one SET of the key (KEYS[1] = key:__rand_int__)
#   loop1000   1,000 redis.call('incr', …) per invocation
# and the get-set script as a function (FUNCTION LOAD, then FCALL).
# Every get-set key is set before the first run (see the prefill below).
# Plus, once per server: the memory one cached script takes (INFO memory's
# used_memory_vm_eval + used_memory_scripts_eval growth over 2,000 SCRIPT
# LOADs, divided), for the record beside Redis's.
#
# Environment: BENCH_SCRIPT_N (requests of get-set; loop1000 runs a
# hundredth of them); see lib.sh for the rest.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools

if [ "$BENCH_QUICK" = 1 ]; then
  N=${BENCH_SCRIPT_N:-2000}
else
  N=${BENCH_SCRIPT_N:-200000}
fi

start_server redis redis
start_server tandem tandem
log "redis on ${SRV_PORT[redis]}, tandem on ${SRV_PORT[tandem]}; rounds=$BENCH_ROUNDS n=$N"

GETSET="local v = redis.call('get', KEYS[1]) redis.call('set', KEYS[1], 'x') return v"
LOOP="for i = 1, 1000 do redis.call('incr', 'n:' .. KEYS[1]) end return 1"
declare -A SHA
for side in redis tandem; do
  SHA[$side:getset]=$("$REDIS_CLI" -p "${SRV_PORT[$side]}" SCRIPT LOAD "$GETSET")
  SHA[$side:loop]=$("$REDIS_CLI" -p "${SRV_PORT[$side]}" SCRIPT LOAD "$LOOP")
done

# Every get-set key exists before the first run (SET key:__rand_int__ over
# the same range), so that EVALSHA's rounds and FCALL's, which runs later,
# do the same work: GET finds a value and SET overwrites it. Without it
# EVALSHA's first round ran on an empty keyspace (GET missing, SET
# creating) and FCALL's CPU per request looked dearer than EVALSHA's on
# Tandem (10.6 against 10.0-10.2 us) while, alternated on the same warm
# keyspace, the two cost the same (session 15, h37).
for side in redis tandem; do
  run_benchmark "${SRV_PORT[$side]}" "$WORK/prefill.csv" -t set -r 100000 -n 1000000 -P 32 -c 50 ||
    die "prefill failed on $side: $(err_text "$WORK/prefill.csv.err")"
done

# Each rate with the median server CPU per request beside it (utime+stime,
# /proc): steadier than throughput on a loaded machine.
RPS_PAIR_CPU=1

out=$WORK/out.csv
for t in getset loop; do
  n=$N
  name="EVALSHA get-set 1 key:__rand_int__"
  if [ $t = loop ]; then
    n=$((N / 100))
    [ "$n" -ge 20 ] || n=20
    name="EVALSHA loop1000 1 key:__rand_int__"
  fi
  # A script's SHA1 is its text's: the same on both servers.
  [ "${SHA[redis:$t]}" = "${SHA[tandem:$t]}" ] || die "the servers disagree on the SHA1 of the $t script"
  rps_pair "$name -c 50 -P 1" "$n" EVALSHA -r 100000 EVALSHA "${SHA[tandem:$t]}" 1 key:__rand_int__
done

# The same GET+SET as a function.
LIB="#!lua name=benchlib
redis.register_function('getset', function(keys) local v = redis.call('get', keys[1]) redis.call('set', keys[1], 'x') return v end)"
for side in redis tandem; do
  "$REDIS_CLI" -p "${SRV_PORT[$side]}" FUNCTION LOAD REPLACE "$LIB" >/dev/null || die "FUNCTION LOAD failed on $side"
done
rps_pair "FCALL get-set 1 key:__rand_int__ -c 50 -P 1" "$N" FCALL -r 100000 FCALL getset 1 key:__rand_int__

# Memory per cached script, as each server reports it in INFO memory.
scripts_mem() { # port
  "$REDIS_CLI" -p "$1" INFO memory | tr -d '\r' |
    awk -F: '$1 == "used_memory_vm_eval" || $1 == "used_memory_scripts_eval" {s += $2} END {print s}'
}
M=2000
[ "$BENCH_QUICK" = 0 ] || M=200
declare -A per
for side in redis tandem; do
  port=${SRV_PORT[$side]}
  "$REDIS_CLI" -p "$port" SCRIPT FLUSH >/dev/null
  m0=$(scripts_mem "$port")
  for ((i = 0; i < M; i++)); do
    printf 'SCRIPT LOAD "local v = redis.call(\x27get\x27, KEYS[1]) redis.call(\x27set\x27, KEYS[1], \x27%d\x27) return v"\n' "$i"
  done | "$REDIS_CLI" -p "$port" >/dev/null
  m1=$(scripts_mem "$port")
  per[$side]=$(((m1 - m0) / M))
done
record "memory per cached script (INFO: vm_eval + scripts_eval growth over $M loads)" "bytes" B lower "${per[redis]}" "${per[tandem]}" \
  "Tandem's Lua state figures are estimates (gopher-lua has no allocator count)"
log "memory per cached script: redis=${per[redis]} tandem=${per[tandem]}"
print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
