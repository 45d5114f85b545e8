#!/usr/bin/env bash
# Case 4, replication: a master with 1,000,000 keys (quick: 10,000) and a
# fresh replica, for Redis and for Tandem:
#   - full sync time: from REPLICAOF until the replica reports
#     master_link_status:up, no sync in progress and all keys;
#   - SET throughput / p99 on the master while the replica is attached
#     (redis-benchmark -c 50 -r KEYS);
#   - catch-up time: from the end of that load until the replica's
#     master_repl_offset equals the master's.
# Tandem does not replicate yet: when REPLICAOF answers an error its
# figures are n/a and the case says "not available yet" instead of failing.
#
# Environment: BENCH_REPL_KEYS, BENCH_REPL_N; see lib.sh.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools

if [ "$BENCH_QUICK" = 1 ]; then
  KEYS=${BENCH_REPL_KEYS:-10000}
  N=${BENCH_REPL_N:-20000}
else
  KEYS=${BENCH_REPL_KEYS:-1000000}
  N=${BENCH_REPL_N:-200000}
fi
# Same directives for both kinds: start a diskless full sync at once.
MASTER_ARGS=(--repl-diskless-sync-delay 0)

file=$WORK/load.resp
awk -v n="$KEYS" 'BEGIN {
  for (i = 0; i < n; i++) printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$16\r\nv%015d\r\n", i, i
}' >"$file"

# repl_field PORT FIELD: a field of INFO replication.
repl_field() { info_field "$1" replication "$2"; }

# await_sync REPLICA-PORT SECONDS: until the link is up, no sync is in
# progress and the replica holds all keys.
await_sync() {
  local port=$1 secs=$2 deadline
  deadline=$(($(date +%s%N) + secs * 1000000000))
  while [ "$(date +%s%N)" -lt "$deadline" ]; do
    if [ "$(repl_field "$port" master_link_status)" = up ] &&
      [ "$(repl_field "$port" master_sync_in_progress)" = 0 ] &&
      [ "$(rcli "$port" DBSIZE || true)" = "$KEYS" ]; then
      return 0
    fi
    sleep 0.01
  done
  return 1
}

# await_offset MASTER-PORT REPLICA-PORT SECONDS: until the replica's
# processed offset reaches the master's.
await_offset() {
  local m=$1 r=$2 secs=$3 deadline mo ro
  deadline=$(($(date +%s%N) + secs * 1000000000))
  while [ "$(date +%s%N)" -lt "$deadline" ]; do
    mo=$(repl_field "$m" master_repl_offset)
    ro=$(repl_field "$r" master_repl_offset)
    if is_num "$mo" && [ "$mo" = "$ro" ]; then return 0; fi
    sleep 0.01
  done
  return 1
}

declare -A avail=([redis]=1 [tandem]=1) why=([redis]="" [tandem]="")
declare -A sync=() rps=() p99=() catchup=()
for side in redis tandem; do
  start_server "$side" "$side-master" "${MASTER_ARGS[@]}"
  out=$(timeout 600 "$REDIS_CLI" -h 127.0.0.1 -p "${SRV_PORT[$side-master]}" --pipe <"$file" 2>&1 | tr -d '\r' || true)
  n=$(rcli "${SRV_PORT[$side-master]}" DBSIZE || true)
  [ "$n" = "$KEYS" ] || die "$side: loading $KEYS keys failed (dbsize $n): $(printf '%s' "$out" | tail -n 2)"
done
rm -f "$file"

out=$WORK/load.csv
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
  for side in redis tandem; do
    [ "${avail[$side]}" = 1 ] || continue
    m=$side-master r=$side-replica-$round
    start_server "$side" "$r"
    mp=${SRV_PORT[$m]} rp=${SRV_PORT[$r]}
    t0=$(now_ns)
    reply=$(rcli "$rp" REPLICAOF 127.0.0.1 "$mp" || true)
    if [ "$reply" != OK ]; then
      avail[$side]=0
      why[$side]="not available yet (REPLICAOF: $(clean "$reply" | cut -c1-80))"
      log "$side: replication ${why[$side]}"
      stop_server "$r"
      continue
    fi
    if ! await_sync "$rp" 600; then
      why[$side]+="full sync did not finish "
      stop_server "$r"
      continue
    fi
    sync[$side]+=" $(secs_since "$t0")"
    if run_benchmark "$mp" "$out" -c 50 -n "$N" -t set -r "$KEYS" -d 16 --precision 3 &&
      is_num "$(csv_value "$out" SET rps)"; then
      t1=$(now_ns)
      rps[$side]+=" $(csv_value "$out" SET rps)"
      p99[$side]+=" $(csv_value "$out" SET p99_latency_ms)"
      if await_offset "$mp" "$rp" 120; then
        catchup[$side]+=" $(secs_since "$t1")"
      else
        why[$side]+="replica did not catch up "
      fi
    else
      why[$side]+="load: $(err_text "$out.err") "
    fi
    stop_server "$r"
  done
done

note=""
for side in redis tandem; do [ -z "${why[$side]}" ] || note+="$side: ${why[$side]} "; done
# shellcheck disable=SC2086
{
  record "full sync of $KEYS keys" "REPLICAOF to in sync" s lower "$(median ${sync[redis]:-})" "$(median ${sync[tandem]:-})" "$note"
  record "SET -c 50 n=$N with a replica" rps req/s higher "$(fmt_num "$(median ${rps[redis]:-})" 0)" "$(fmt_num "$(median ${rps[tandem]:-})" 0)" "$note"
  record "SET -c 50 n=$N with a replica" p99 ms lower "$(median ${p99[redis]:-})" "$(median ${p99[tandem]:-})" "$note"
  record "replica catch-up after the load" "time to equal offsets" s lower "$(median ${catchup[redis]:-})" "$(median ${catchup[tandem]:-})" "$note"
}
if [ "${avail[tandem]}" = 0 ]; then
  echo "Tandem replication: not available yet"
fi

print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
