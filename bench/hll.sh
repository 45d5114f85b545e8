#!/usr/bin/env bash
# Case hll: HyperLogLog throughput with redis-benchmark -c 50 -P 1 against a
# fresh redis-server and a fresh Tandem, rounds alternated; the figure is
# the median. Three keys are filled first with 20,000 elements each (dense
# values); then: PFADD of random elements to one dense key, PFADD of three
# elements to random new keys (small sparse values), PFCOUNT of the three
# dense keys (a union computed on every call), PFCOUNT of one key after
# PFADD dropped its cache (PFADD + PFCOUNT pairs), PFMERGE of two of them.
#
# Each figure comes with the servers' CPU time per request (the median of
# the rounds), which a loaded machine disturbs less than the rate.
#
# Environment: BENCH_HLL_N (requests per test); see lib.sh for the rest.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools

if [ "$BENCH_QUICK" = 1 ]; then
  N=${BENCH_HLL_N:-2000}
else
  N=${BENCH_HLL_N:-100000}
fi

start_server redis redis
start_server tandem tandem
log "redis on ${SRV_PORT[redis]}, tandem on ${SRV_PORT[tandem]}; rounds=$BENCH_ROUNDS n=$N"

for side in redis tandem; do
  for k in h1 h2 h3; do
    seq 1 20000 | sed "s/^/$k:/" | xargs -n 1000 "$REDIS_CLI" -p "${SRV_PORT[$side]}" PFADD "$k" >/dev/null
  done
done

TESTS=(
  "PFADD h1 __rand_int__"
  "PFADD small:__rand_int__ a b c"
  "PFCOUNT h1 h2 h3"
  "PFMERGE merged h1 h2"
)
RPS_PAIR_CPU=1
for t in "${TESTS[@]}"; do
  read -r -a argv <<<"$t"
  rps_pair "$t -c 50 -P 1" "$N" "${argv[0]}" -r 1000000 "${argv[@]}"
done
print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
