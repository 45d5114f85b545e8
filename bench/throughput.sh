#!/usr/bin/env bash
# Case 1, throughput: redis-benchmark requests per second for each test at
# -c 50 -P 1, -c 50 -P 16, -c 1 (latency-bound) and -c 500 (many
# connections), against a fresh redis-server and a fresh Tandem, runs
# alternated Redis/Tandem/Redis/Tandem; the figure is the median of the
# rounds. A test a server does not support is recorded as n/a with its
# error, and the script goes on.
#
# Environment: BENCH_TESTS (space-separated redis-benchmark test names),
# BENCH_CONFIGS (space-separated subset of: c50-P1 c50-P16 c1-P1 c500-P1),
# BENCH_N (-c 50 -P 1), BENCH_N_P16, BENCH_N_C1, BENCH_N_C500; see lib.sh.
# The defaults (200,000 / 500,000 / 20,000 / 100,000 requests per test)
# keep the case under about 10 minutes on a 2-core machine.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools

read -r -a TESTS <<<"${BENCH_TESTS:-PING_INLINE SET GET INCR LPUSH RPUSH LPOP RPOP SADD HSET SPOP ZADD ZPOPMIN LRANGE_100 LRANGE_600 MSET}"
read -r -a CONFIGS <<<"${BENCH_CONFIGS:-c50-P1 c50-P16 c1-P1 c500-P1}"
if [ "$BENCH_QUICK" = 1 ]; then
  N=${BENCH_N:-2000}
  N_P16=${BENCH_N_P16:-5000}
  N_C1=${BENCH_N_C1:-1000}
  N_C500=${BENCH_N_C500:-2000}
else
  N=${BENCH_N:-200000}
  N_P16=${BENCH_N_P16:-500000}
  N_C1=${BENCH_N_C1:-20000}
  N_C500=${BENCH_N_C500:-100000}
fi

# requests TEST BASE: LRANGE replies are 100/600 elements, so those tests
# run fewer requests to keep the case short, but never fewer than the
# -c 50 minimum of 200,000 when the base has it (short runs of the
# client-bound LRANGE_600 swung ±8% from run to run), nor fewer than the
# base of 100,000 at -c 500 (50,000 requests are 100 per connection, and
# LRANGE_100 there swung from 0.98 to 1.11 of Redis between runs), and
# never below 1000, which also leaves LRANGE_600 a list of at least 600
# elements.
requests() {
  local n=$2 floor=1000
  case $1 in
    LRANGE_100) n=$((n / 2)) ;;
    LRANGE_600) n=$((n / 8)) ;;
  esac
  [ "$2" -lt 100000 ] || floor=$(($2 < 200000 ? $2 : 200000))
  [ "$n" -ge "$floor" ] || n=$floor
  echo "$n"
}

# spread V...: (max - min) / median of the rounds, as a percentage.
spread() {
  local m
  m=$(median "$@")
  printf '%s\n' "$@" | sort -g | awk -v m="$m" 'NR == 1 {lo = $1} {hi = $1} END {if (m > 0) printf "%.0f%%", (hi - lo) * 100 / m}'
}

start_server redis redis
start_server tandem tandem
log "redis on ${SRV_PORT[redis]}, tandem on ${SRV_PORT[tandem]}; rounds=$BENCH_ROUNDS"

out=$WORK/out.csv
for cfg in "${CONFIGS[@]}"; do
  case $cfg in
    c50-P1) c=50 p=1 base=$N ;;
    c50-P16) c=50 p=16 base=$N_P16 ;;
    c1-P1) c=1 p=1 base=$N_C1 ;;
    c500-P1) c=500 p=1 base=$N_C500 ;;
    *) die "unknown configuration $cfg" ;;
  esac
  tests=("${TESTS[@]}")
  if [ "$BENCH_QUICK" = 1 ] && [ "$c" = 500 ] && [ -z "${BENCH_TESTS:-}" ]; then
    tests=(SET GET) # 500 connections take a while to open: keep smoke runs short
  fi
  for t in "${tests[@]}"; do
    n=$(requests "$t" "$base")
    declare -A vals=([redis]="" [tandem]="") errs=([redis]="" [tandem]="")
    for ((round = 1; round <= BENCH_ROUNDS; round++)); do
      for side in redis tandem; do
        [ -z "${errs[$side]}" ] || continue # failed once: do not retry
        if run_benchmark "${SRV_PORT[$side]}" "$out" -c "$c" -P "$p" -n "$n" -t "$t"; then
          v=$(csv_value "$out" "$t" rps)
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
    # shellcheck disable=SC2086
    r=$(median ${vals[redis]})
    # shellcheck disable=SC2086
    tv=$(median ${vals[tandem]})
    note=""
    if [ "$BENCH_ROUNDS" -gt 1 ] && [ -n "$r" ] && [ -n "$tv" ]; then
      # shellcheck disable=SC2086
      note="spread redis $(spread ${vals[redis]}) tandem $(spread ${vals[tandem]}) "
    fi
    [ -z "${errs[redis]}" ] || note+="redis: ${errs[redis]} "
    [ -z "${errs[tandem]}" ] || note+="tandem: ${errs[tandem]}"
    record "$t -c $c -P $p" "rps n=$n" req/s higher "$(fmt_num "$r" 0)" "$(fmt_num "$tv" 0)" "$note"
    log "$t -c $c -P $p: redis=${r:-n/a} tandem=${tv:-n/a} ${note}"
    unset vals errs
  done
done

print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
