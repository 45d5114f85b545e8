#!/usr/bin/env bash
# Case hll: HyperLogLog throughput with redis-benchmark -c 50 -P 1 against a
# fresh redis-server and a fresh Tandem, rounds alternated; the figure is
# the median. Three keys are filled first with 20,000 elements each (dense
# values); then: PFADD of random elements to one dense key, PFADD of three
# elements to random new keys (small sparse values), PFCOUNT of the three
# dense keys (a union computed on every call), PFCOUNT of one key after
# PFADD dropped its cache (PFADD + PFCOUNT pairs), PFMERGE of two of them.
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
out=$WORK/out.csv
for t in "${TESTS[@]}"; do
  declare -A vals=([redis]="" [tandem]="") errs=([redis]="" [tandem]="")
  read -r -a argv <<<"$t"
  for ((round = 1; round <= BENCH_ROUNDS; round++)); do
    for side in redis tandem; do
      [ -z "${errs[$side]}" ] || continue
      if run_benchmark "${SRV_PORT[$side]}" "$out" -c 50 -P 1 -n "$N" -r 1000000 "${argv[@]}"; then
        v=$(csv_value "$out" "${argv[0]}" rps)
        if is_num "$v"; then
          vals[$side]+=" $v"
        else
          errs[$side]="no result: $(err_text "$out.err")"
        fi
      else
        errs[$side]=$(err_text "$out.err")
      fi
    done
  done
  note=""
  [ -z "${errs[redis]}" ] || note+="redis: ${errs[redis]} "
  [ -z "${errs[tandem]}" ] || note+="tandem: ${errs[tandem]}"
  # shellcheck disable=SC2086
  r=$(median ${vals[redis]}) tv=$(median ${vals[tandem]})
  record "$t -c 50 -P 1" "rps n=$N" req/s higher "$(fmt_num "$r" 0)" "$(fmt_num "$tv" 0)" "$note"
  log "$t: redis=${r:-n/a} tandem=${tv:-n/a} $note"
  unset vals errs
done
print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
