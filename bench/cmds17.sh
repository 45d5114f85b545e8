#!/usr/bin/env bash
# Case cmds17: the commands of issue 17 that have a throughput target,
# with redis-benchmark's arbitrary-command mode at -c 50 -P 1:
#   BITFIELD INCRBY  BITFIELD bf INCRBY u8 100 1 (one key)
#   SORT of 100      SORT list100 (a list of 100 random numbers)
#   GEOADD           GEOADD geo <lon> <lat> member:__rand_int__ (-r 100000)
#   GEOSEARCH of 100 GEOSEARCH g100 FROMLONLAT 0 0 BYRADIUS 200 km ASC,
#                    over 1,000 points of which 100 lie within the radius
# Reported: requests/s, median of the alternated rounds.
#
# Environment: BENCH_CMDS17_N (requests per test); see lib.sh for the rest.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools

if [ "$BENCH_QUICK" = 1 ]; then N=${BENCH_CMDS17_N:-2000}; else N=${BENCH_CMDS17_N:-100000}; fi

# preload PORT: the list and the geo set the read tests use.
preload() {
  local port=$1 i args
  args=(RPUSH list100)
  for i in $(seq 1 100); do args+=($((RANDOM * 7919 % 100000))); done
  rcli "$port" "${args[@]}" >/dev/null
  # 100 points within 200 km of (0, 0) (up to 1.2 degrees), 900 far away.
  args=(GEOADD g100)
  for i in $(seq 1 100); do
    args+=("$(awk -v s="$i" 'BEGIN {srand(s); printf "%.5f %.5f", rand() * 1.2 - 0.6, rand() * 1.2 - 0.6}')" "in$i")
  done
  for i in $(seq 1 900); do
    args+=("$(awk -v s="$((i + 1000))" 'BEGIN {srand(s); printf "%.5f %.5f", 10 + rand() * 20, 10 + rand() * 20}')" "out$i")
  done
  # shellcheck disable=SC2046
  rcli "$port" $(printf '%s ' "${args[@]}") >/dev/null
  [ "$(rcli "$port" GEOSEARCH g100 FROMLONLAT 0 0 BYRADIUS 200 km ASC | wc -l)" -ge 100 ] || die "preload: geo set not as planned"
}

TESTS=("BITFIELD INCRBY|BITFIELD bf INCRBY u8 100 1"
  "SORT of 100|SORT list100"
  "GEOADD|GEOADD geo 13.361389 38.115556 member:__rand_int__"
  "GEOSEARCH of 100|GEOSEARCH g100 FROMLONLAT 0 0 BYRADIUS 200 km ASC")

for kind in redis tandem; do
  start_server "$kind" "$kind"
  preload "${SRV_PORT[$kind]}"
done

for t in "${TESTS[@]}"; do
  read -r -a cmd <<<"${t#*|}"
  rps_pair "${t%%|*} -c 50 -P 1" "$N" "${cmd[0]}" -r 100000 "${cmd[@]}"
done
print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
