#!/usr/bin/env bash
# Case 2, latency: p50/p99/max of SET and GET with a few clients
# (redis-benchmark -c 4 --precision 3, whose CSV carries the percentiles),
# and the round trip of PING sent at a fixed 100 per second
# (redis-cli --latency, millisecond resolution). Runs alternate
# Redis/Tandem; p50/p99 are the median over rounds, max the largest seen.
#
# Environment: BENCH_LAT_CLIENTS (default 4), BENCH_LAT_N, BENCH_LAT_SECS;
# see lib.sh for the rest.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools

CLIENTS=${BENCH_LAT_CLIENTS:-4}
if [ "$BENCH_QUICK" = 1 ]; then
  N=${BENCH_LAT_N:-2000}
  SECS=${BENCH_LAT_SECS:-1}
else
  N=${BENCH_LAT_N:-100000}
  SECS=${BENCH_LAT_SECS:-5}
fi

start_server redis redis
start_server tandem tandem
log "redis on ${SRV_PORT[redis]}, tandem on ${SRV_PORT[tandem]}; rounds=$BENCH_ROUNDS"

out=$WORK/out.csv
for t in SET GET; do # SET first, so GET finds its key
  declare -A p50=() p99=() mx=() errs=([redis]="" [tandem]="")
  for ((round = 1; round <= BENCH_ROUNDS; round++)); do
    for side in redis tandem; do
      [ -z "${errs[$side]}" ] || continue
      if run_benchmark "${SRV_PORT[$side]}" "$out" -c "$CLIENTS" -n "$N" -t "$t" --precision 3 &&
        is_num "$(csv_value "$out" "$t" p50_latency_ms)"; then
        p50[$side]+=" $(csv_value "$out" "$t" p50_latency_ms)"
        p99[$side]+=" $(csv_value "$out" "$t" p99_latency_ms)"
        mx[$side]+=" $(csv_value "$out" "$t" max_latency_ms)"
      else
        errs[$side]=$(err_text "$out.err")
      fi
    done
  done
  note=""
  [ -z "${errs[redis]}" ] || note+="redis: ${errs[redis]} "
  [ -z "${errs[tandem]}" ] || note+="tandem: ${errs[tandem]}"
  # shellcheck disable=SC2086
  {
    record "$t -c $CLIENTS n=$N" p50 ms lower "$(median ${p50[redis]:-})" "$(median ${p50[tandem]:-})" "$note"
    record "$t -c $CLIENTS n=$N" p99 ms lower "$(median ${p99[redis]:-})" "$(median ${p99[tandem]:-})" "$note"
    record "$t -c $CLIENTS n=$N" max ms lower "$(maxof ${mx[redis]:-})" "$(maxof ${mx[tandem]:-})" "$note"
  }
  log "$t done"
  unset p50 p99 mx errs
done

# redis-cli --latency with --raw samples PING every 10 ms for -i seconds and
# prints "min max avg samples" (whole milliseconds).
declare -A avg=() mx=() errs=([redis]="" [tandem]="")
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
  for side in redis tandem; do
    line=$(timeout $((SECS + 30)) "$REDIS_CLI" -h 127.0.0.1 -p "${SRV_PORT[$side]}" --latency --raw -i "$SECS" 2>&1 | tr -d '\r' || true)
    read -r lmin lmax lavg lcount <<<"$line" || true
    if is_num "${lavg:-}" && is_num "${lmax:-}"; then
      avg[$side]+=" $lavg"
      mx[$side]+=" $lmax"
    else
      errs[$side]=$(clean "$line" | cut -c1-100)
    fi
    : "${lmin:-}" "${lcount:-}"
  done
done
note="100 PINGs/s for ${SECS}s; 1 ms resolution"
[ -z "${errs[redis]}" ] || note+="; redis: ${errs[redis]}"
[ -z "${errs[tandem]}" ] || note+="; tandem: ${errs[tandem]}"
# shellcheck disable=SC2086
{
  record "PING at 100/s (redis-cli --latency)" avg ms lower "$(median ${avg[redis]:-})" "$(median ${avg[tandem]:-})" "$note"
  record "PING at 100/s (redis-cli --latency)" max ms lower "$(maxof ${mx[redis]:-})" "$(maxof ${mx[tandem]:-})" "$note"
}

print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
