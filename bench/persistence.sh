#!/usr/bin/env bash
# Case 5, persistence (RDB). With 1,000,000 keys key:NNNNNNNNNNNN -> 16-byte
# value loaded into a fresh redis-server and a fresh Tandem (quick: 10,000):
#   - SAVE time and BGSAVE time (idle server), RDB file size;
#   - start-up load time: from process start until PING answers PONG and
#     INFO persistence shows loading:0, with the dump present;
#   - BGSAVE under a write load: redis-benchmark SET over the same keys
#     (-c 50 -r KEYS) in the background while BGSAVE runs. RSS is sampled
#     every 50 ms; the peak extra RSS is the largest (RSS + private memory of
#     forked children) seen minus the RSS just before BGSAVE, so Redis's
#     fork is charged its copy-on-write pages. The same load without BGSAVE
#     gives the baseline for rps, p99 and max latency.
# Runs alternate Redis/Tandem; figures are medians over rounds (max latency
# and peak RSS: the largest).
#
# Environment: BENCH_PERSIST_KEYS, BENCH_PERSIST_LOAD_N; see lib.sh.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools

if [ "$BENCH_QUICK" = 1 ]; then
  KEYS=${BENCH_PERSIST_KEYS:-10000}
  LOADN=${BENCH_PERSIST_LOAD_N:-100000}
  RAMP=0.1
else
  KEYS=${BENCH_PERSIST_KEYS:-1000000}
  LOADN=${BENCH_PERSIST_LOAD_N:-600000}
  RAMP=0.3
fi
SIDES=(redis tandem)

# Keys use redis-benchmark's -r format (12 digits) so the write load
# overwrites existing keys instead of growing the data set.
file=$WORK/load.resp
awk -v n="$KEYS" 'BEGIN {
  for (i = 0; i < n; i++) printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$16\r\nv%015d\r\n", i, i
}' >"$file"

for side in "${SIDES[@]}"; do
  start_server "$side" "$side"
  out=$(timeout 600 "$REDIS_CLI" -h 127.0.0.1 -p "${SRV_PORT[$side]}" --pipe <"$file" 2>&1 | tr -d '\r' || true)
  n=$(rcli "${SRV_PORT[$side]}" DBSIZE || true)
  [ "$n" = "$KEYS" ] || die "$side: loading $KEYS keys failed (dbsize $n): $(printf '%s' "$out" | tail -n 2)"
done
rm -f "$file"
log "loaded $KEYS keys; redis on ${SRV_PORT[redis]}, tandem on ${SRV_PORT[tandem]}; rounds=$BENCH_ROUNDS"

# wait_bgsave PORT SECONDS: until no background save is in progress.
wait_bgsave() {
  local port=$1 secs=$2 deadline
  deadline=$(($(date +%s%N) + secs * 1000000000))
  while [ "$(date +%s%N)" -lt "$deadline" ]; do
    [ "$(info_field "$port" persistence rdb_bgsave_in_progress)" = 1 ] || return 0
    sleep 0.01
  done
  return 1
}

# ---------------------------------------------------------------- SAVE
declare -A save=() bgsave=() size=() startup=() err=([redis]="" [tandem]="")
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
  for side in "${SIDES[@]}"; do
    port=${SRV_PORT[$side]}
    wait_bgsave "$port" 600 || true
    t0=$(now_ns)
    r=$(rcli "$port" SAVE || true)
    dt=$(secs_since "$t0")
    if [ "$r" = OK ]; then save[$side]+=" $dt"; else err[$side]+="SAVE: $(clean "$r" | cut -c1-80) "; fi
    size[$side]=$(stat -c %s "${SRV_DIR[$side]}/dump.rdb" 2>/dev/null || echo "")
  done
done
log "SAVE done"

# --------------------------------------------------------- BGSAVE idle
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
  for side in "${SIDES[@]}"; do
    port=${SRV_PORT[$side]}
    wait_bgsave "$port" 600 || true
    t0=$(now_ns)
    r=$(rcli "$port" BGSAVE || true)
    if [[ $r != *started* ]]; then
      err[$side]+="BGSAVE: $(clean "$r" | cut -c1-80) "
      continue
    fi
    sleep 0.005
    if wait_bgsave "$port" 600 && [ "$(info_field "$port" persistence rdb_last_bgsave_status)" = ok ]; then
      bgsave[$side]+=" $(secs_since "$t0")"
    else
      err[$side]+="BGSAVE did not finish ok "
    fi
  done
done
log "BGSAVE done"

# ------------------------------------------------------ start-up load
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
  for side in "${SIDES[@]}"; do
    [ -s "${SRV_DIR[$side]}/dump.rdb" ] || { err[$side]+="no dump to load "; continue; }
    wait_bgsave "${SRV_PORT[$side]}" 600 || true
    stop_server "$side"
    t0=$(now_ns)
    launch_server "$side"
    if wait_ready "${SRV_PORT[$side]}" "${SRV_PID[$side]}" 600; then
      dt=$(secs_since "$t0")
      n=$(rcli "${SRV_PORT[$side]}" DBSIZE || true)
      if [ "$n" = "$KEYS" ]; then startup[$side]+=" $dt"; else err[$side]+="start-up load: dbsize $n "; fi
    else
      die "$side did not come back after restart: $(tail -n 3 "${SRV_DIR[$side]}/server.log")"
    fi
  done
done
log "start-up load done"

note() { # per-side errors, deduplicated
  local s="" side
  for side in "${SIDES[@]}"; do
    [ -z "${err[$side]}" ] || s+="$side: $(printf '%s' "${err[$side]}" | tr ' ' '\n' | awk '!seen[$0]++' | tr '\n' ' ')"
  done
  printf '%s' "$s"
}
# shellcheck disable=SC2086
{
  record "SAVE of $KEYS keys" time s lower "$(median ${save[redis]:-})" "$(median ${save[tandem]:-})" "$(note)"
  record "BGSAVE of $KEYS keys (idle)" time s lower "$(median ${bgsave[redis]:-})" "$(median ${bgsave[tandem]:-})" "$(note)"
  record "RDB file of $KEYS keys" size MB lower \
    "$(awk -v v="${size[redis]:-}" 'BEGIN {if (v != "") printf "%.1f", v / 1048576}')" \
    "$(awk -v v="${size[tandem]:-}" 'BEGIN {if (v != "") printf "%.1f", v / 1048576}')" "$(note)"
  record "start-up load of $KEYS keys" "time to PONG + loading:0" s lower "$(median ${startup[redis]:-})" "$(median ${startup[tandem]:-})" "$(note)"
}

# --------------------------------------------- BGSAVE under write load
load_args=(-c 50 -n "$LOADN" -t set -r "$KEYS" -d 16 --precision 3)
declare -A b_rps=() b_p99=() b_max=() l_rps=() l_p99=() l_max=() peak=() dur=() lerr=([redis]="" [tandem]="") berr=([redis]="" [tandem]="") cow=()
out=$WORK/load.csv
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
  # baseline: the same load, no BGSAVE
  for side in "${SIDES[@]}"; do
    if run_benchmark "${SRV_PORT[$side]}" "$out" "${load_args[@]}" && is_num "$(csv_value "$out" SET rps)"; then
      b_rps[$side]+=" $(csv_value "$out" SET rps)"
      b_p99[$side]+=" $(csv_value "$out" SET p99_latency_ms)"
      b_max[$side]+=" $(csv_value "$out" SET max_latency_ms)"
    else
      berr[$side]+="$(err_text "$out.err") "
    fi
  done
  for side in "${SIDES[@]}"; do
    port=${SRV_PORT[$side]} pid=${SRV_PID[$side]}
    wait_bgsave "$port" 600 || true
    timeout "$BENCH_TIMEOUT" "${PIN_CLIENT[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" --csv "${load_args[@]}" >"$out" 2>"$out.err" &
    bpid=$!
    PIDS+=("$bpid")
    sleep "$RAMP"
    rss0=$(rss_kb "$pid")
    top=$rss0
    load_ended=0
    t0=$(now_ns)
    r=$(rcli "$port" BGSAVE || true)
    if [[ $r == *started* ]]; then
      deadline=$(($(date +%s%N) + 600 * 1000000000))
      while [ "$(date +%s%N)" -lt "$deadline" ]; do
        sample_mem "$pid"
        [ "$MEM_KB" -le "$top" ] || top=$MEM_KB
        if [ "$(awk '{print $3}' "/proc/$bpid/stat" 2>/dev/null || echo Z)" = Z ]; then load_ended=1; fi
        [ "$(info_field "$port" persistence rdb_bgsave_in_progress)" = 1 ] || break
        sleep 0.05
      done
      dur[$side]+=" $(secs_since "$t0")"
      peak[$side]+=" $(awk -v a="$rss0" -v b="$top" 'BEGIN {printf "%.1f", (b - a) / 1024}')"
      # Redis: the fork's copy-on-write; Tandem: the snapshot's peak of
      # bytes waiting to be written.
      cow[$side]="rdb_last_cow_size=$(info_field "$port" persistence rdb_last_cow_size)"
      [ "$load_ended" = 0 ] || lerr[$side]+="load-ended-before-BGSAVE-finished "
    else
      lerr[$side]+="BGSAVE: $(clean "$r" | cut -c1-80) "
    fi
    wait "$bpid" || true
    forget_pid "$bpid"
    if is_num "$(csv_value "$out" SET rps)"; then
      l_rps[$side]+=" $(csv_value "$out" SET rps)"
      l_p99[$side]+=" $(csv_value "$out" SET p99_latency_ms)"
      l_max[$side]+=" $(csv_value "$out" SET max_latency_ms)"
    else
      lerr[$side]+="load: $(err_text "$out.err") "
    fi
  done
done
log "BGSAVE under load done"

lnote() { # lnote l|b: errors of the runs with BGSAVE, or of the baseline runs
  local s="" side e
  for side in "${SIDES[@]}"; do
    if [ "$1" = l ]; then e=${lerr[$side]}; else e=${berr[$side]}; fi
    [ -z "$e" ] || s+="$side: $(printf '%s' "$e" | tr ' ' '\n' | awk '!seen[$0]++' | tr '\n' ' ')"
  done
  printf '%s' "$s"
}
w="SET load -c 50 -r $KEYS n=$LOADN"
# shellcheck disable=SC2086
{
  record "BGSAVE during $w" "BGSAVE time" s lower "$(median ${dur[redis]:-})" "$(median ${dur[tandem]:-})" "$(lnote l)"
  record "BGSAVE during $w" "peak extra RSS" MB lower "$(maxof ${peak[redis]:-})" "$(maxof ${peak[tandem]:-})" \
    "$(lnote l)redis ${cow[redis]:-}; tandem ${cow[tandem]:-}"
  record "$w; no BGSAVE" rps req/s higher "$(fmt_num "$(median ${b_rps[redis]:-})" 0)" "$(fmt_num "$(median ${b_rps[tandem]:-})" 0)" "$(lnote b)"
  record "$w; with BGSAVE" rps req/s higher "$(fmt_num "$(median ${l_rps[redis]:-})" 0)" "$(fmt_num "$(median ${l_rps[tandem]:-})" 0)" "$(lnote l)"
  record "$w; no BGSAVE" p99 ms lower "$(median ${b_p99[redis]:-})" "$(median ${b_p99[tandem]:-})" "$(lnote b)"
  record "$w; with BGSAVE" p99 ms lower "$(median ${l_p99[redis]:-})" "$(median ${l_p99[tandem]:-})" "$(lnote l)"
  record "$w; no BGSAVE" "max latency" ms lower "$(maxof ${b_max[redis]:-})" "$(maxof ${b_max[tandem]:-})" "$(lnote b)"
  record "$w; with BGSAVE" "max latency" ms lower "$(maxof ${l_max[redis]:-})" "$(maxof ${l_max[tandem]:-})" "$(lnote l)"
}

print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
