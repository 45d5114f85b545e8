#!/usr/bin/env bash
# Case 4, replication: a master with 1,000,000 keys (quick: 10,000) and a
# fresh replica, for Redis and for Tandem:
#   - full sync time: from REPLICAOF until the replica reports
#     master_link_status:up, no sync in progress and all keys;
#   - SET throughput / p99 on the master while the replica is attached
#     (redis-benchmark -c 50 -r KEYS);
#   - catch-up time: from the end of that load until the replica's
#     master_repl_offset equals the master's;
#   - the master during a full sync under writes: a light SET load
#     (redis-benchmark -c 4 -r KEYS) runs throughout; GET latency is probed
#     in back-to-back windows (redis-benchmark -c 4 -n PROBE GET, p99 each)
#     and RSS sampled every 50 ms (plus the private memory of forked
#     children, so Redis's fork is charged its copy-on-write pages), with
#     shell builtins only (see sample_mem). The
#     same windows without a sync give the baseline. Reported: the p99 of
#     all the GETs of each phase (the windows merged by their latency
#     distributions) and its ratio to the idle one, which is what the
#     target is about; the worst window's p99 with and without a sync, a
#     stricter and noisier figure; and the peak RSS during the sync against
#     the RSS just before it.
#     This runs twice: with the replica at nice 19, then at normal
#     priority. On a 2-core host the replica's own load of the RDB (a
#     core for a few hundred ms) competes with the master and the
#     clients; nice 19 stands in for a replica on its own host, so the
#     figure shows what the master's side of a full sync costs (Redis's
#     forked child is the master's and is not niced). The normal-priority
#     figure shows the co-located case.
# When REPLICAOF answers an error (a build without replication) the figures
# are n/a and the case says so instead of failing.
#
# Environment: BENCH_REPL_KEYS, BENCH_REPL_N, BENCH_REPL_PROBE; see lib.sh.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools

if [ "$BENCH_QUICK" = 1 ]; then
  KEYS=${BENCH_REPL_KEYS:-10000}
  N=${BENCH_REPL_N:-20000}
  PROBE=${BENCH_REPL_PROBE:-2000}
else
  KEYS=${BENCH_REPL_KEYS:-1000000}
  N=${BENCH_REPL_N:-200000}
  PROBE=${BENCH_REPL_PROBE:-10000}
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

# ------------------------------------- the master during a full sync
# probe PORT DIST: one GET latency window; prints its p99 (ms) or nothing.
# The window's latency distribution is appended to DIST as "LATENCY COUNT
# WINDOW" rows (redis-benchmark's "Latency by percentile distribution": COUNT
# requests took at most LATENCY ms), so that merged_p99 can give the p99 of
# every GET of a phase, not only of one window.
probe() {
  local f=$WORK/probe.txt
  timeout "$BENCH_TIMEOUT" "${PIN_CLIENT[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$1" -c 4 -n "$PROBE" -t get -r "$KEYS" --precision 3 >"$f" 2>/dev/null || return 0
  probe_id=$((probe_id + 1))
  tr '\r' '\n' <"$f" | awk -v w="$probe_id" -v dist="$2" '
    /^Latency by percentile distribution/ { on = 1; next }
    on && !/cumulative count/ { on = 0 }
    on { c = $NF; sub(/\)$/, "", c); lat[++n] = $3; cnt[n] = c + 0 }
    END {
      if (n == 0) exit
      total = cnt[n]
      for (i = 1; i <= n; i++) print lat[i], cnt[i], w >>dist
      for (i = 1; i <= n; i++) if (cnt[i] >= 0.99 * total) { print lat[i]; exit }
    }'
}
probe_id=0

# merged_p99 DIST: the p99 of all the windows in DIST together: the lowest
# latency at or under which 99% of all their requests completed (each
# window counted by its own distribution, so never optimistic).
merged_p99() {
  [ -s "$1" ] || return 0
  sort -g -k1,1 "$1" | awk '
    { lat[NR] = $1; c[NR] = $2; w[NR] = $3; if ($2 > n[$3]) n[$3] = $2 }
    END {
      for (k in n) total += n[k]
      for (i = 1; i <= NR; i++) {
        sum += c[i] - have[w[i]]; have[w[i]] = c[i]
        if (sum >= 0.99 * total) { print lat[i]; exit }
      }
    }'
}
declare -A idle_p99=() sync_p99=() idle_all=() sync_all=() sync_rel=() rss_before=() rss_peak=() windows=()
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
  for prio in nice plain; do
    for side in redis tandem; do
      [ "${avail[$side]}" = 1 ] || continue
      m=$side-master r=$side-replica-load-$prio-$round k=$side-$prio
      mp=${SRV_PORT[$m]} mpid=${SRV_PID[$m]}
      start_server "$side" "$r"
      rp=${SRV_PORT[$r]}
      if [ "$prio" = nice ]; then
        # Every thread: renice -p changes one thread only, and the threads
        # a process starts later inherit their creator's value.
        # shellcheck disable=SC2046 # one argument per thread id
        renice -n 19 -p $(ls /proc/"${SRV_PID[$r]}"/task) >/dev/null
      fi
      timeout "$BENCH_TIMEOUT" "${PIN_CLIENT[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$mp" -c 4 -n 100000000 -t set -r "$KEYS" -d 16 -q >/dev/null 2>&1 &
      wpid=$!
      PIDS+=("$wpid")
      sleep 0.3
      # baseline windows: the write load, no sync
      worst=0 base=""
      idist=$WORK/dist.idle sdist=$WORK/dist.sync
      rm -f "$idist" "$sdist"
      for ((i = 0; i < 5; i++)); do
        v=$(probe "$mp" "$idist")
        is_num "$v" && worst=$(maxof "$worst" "$v") && base+=" $v"
      done
      idle_p99[$k]+=" $worst"
      rss0=$(rss_kb "$mpid")
      rss_before[$k]+=" $(awk -v a="$rss0" 'BEGIN {printf "%.1f", a / 1024}')"
      # RSS sampler for the sync
      peakf=$WORK/peak.$side
      (
        top=0
        while :; do
          sample_mem "$mpid"
          [ "$MEM_KB" -le "$top" ] || { top=$MEM_KB; echo "$top" >"$peakf"; }
          nap 0.05
        done
      ) &
      spid=$!
      PIDS+=("$spid")
      echo "$rss0" >"$peakf"
      rcli "$rp" REPLICAOF 127.0.0.1 "$mp" >/dev/null || true
      worst=0 n=0 all=""
      deadline=$(($(date +%s%N) + 600 * 1000000000))
      while [ "$(date +%s%N)" -lt "$deadline" ]; do
        if [ "$(repl_field "$rp" master_link_status)" = up ] && [ "$(repl_field "$rp" master_sync_in_progress)" = 0 ]; then
          break
        fi
        v=$(probe "$mp" "$sdist")
        if is_num "$v"; then
          worst=$(maxof "$worst" "$v")
          n=$((n + 1))
          all+=" $v"
        fi
      done
      sync_m=$(merged_p99 "$sdist") idle_m=$(merged_p99 "$idist")
      log "$side round $round ($prio replica): GET p99 per window, no sync:$base; during the sync:$all; all GETs: no sync $idle_m, during the sync $sync_m"
      kill "$spid" "$wpid" 2>/dev/null || true
      wait "$spid" "$wpid" 2>/dev/null || true
      forget_pid "$spid"
      forget_pid "$wpid"
      [ "$n" = 0 ] || sync_p99[$k]+=" $worst"
      idle_all[$k]+=" $idle_m"
      if [ "$n" != 0 ]; then
        sync_all[$k]+=" $sync_m"
        is_num "$sync_m" && is_num "$idle_m" && sync_rel[$k]+=" $(awk -v a="$sync_m" -v b="$idle_m" 'BEGIN {if (b > 0) printf "%.2f", a / b}')"
      fi
      windows[$k]+=" $n"
      rss_peak[$k]+=" $(awk -v a="$(cat "$peakf")" 'BEGIN {printf "%.1f", a / 1024}')"
      stop_server "$r"
    done
  done
done
log "full sync under load done"

note=""
for side in redis tandem; do [ -z "${why[$side]}" ] || note+="$side: ${why[$side]} "; done
# shellcheck disable=SC2086
{
  record "full sync of $KEYS keys" "REPLICAOF to in sync" s lower "$(median ${sync[redis]:-})" "$(median ${sync[tandem]:-})" "$note"
  record "SET -c 50 n=$N with a replica" rps req/s higher "$(fmt_num "$(median ${rps[redis]:-})" 0)" "$(fmt_num "$(median ${rps[tandem]:-})" 0)" "$note"
  record "SET -c 50 n=$N with a replica" p99 ms lower "$(median ${p99[redis]:-})" "$(median ${p99[tandem]:-})" "$note"
  record "replica catch-up after the load" "time to equal offsets" s lower "$(median ${catchup[redis]:-})" "$(median ${catchup[tandem]:-})" "$note"
  for prio in nice plain; do
    pn="replica at nice 19"
    [ "$prio" = nice ] || pn="replica at normal priority"
    rk=redis-$prio tk=tandem-$prio
    wnote="$pn; GET -c 4 windows of $PROBE; SET -c 4 load throughout; windows during sync: redis${windows[$rk]:-} tandem${windows[$tk]:-}"
    record "master GET p99, no sync ($pn)" "p99 of all GETs" ms lower "$(median ${idle_all[$rk]:-})" "$(median ${idle_all[$tk]:-})" "$wnote"
    record "master GET p99 during a full sync ($pn)" "p99 of all GETs" ms lower "$(median ${sync_all[$rk]:-})" "$(median ${sync_all[$tk]:-})" "$wnote"
    record "master GET p99 during a full sync ($pn)" "p99 of all GETs over its own with no sync" x lower "$(median ${sync_rel[$rk]:-})" "$(median ${sync_rel[$tk]:-})" "per round; target: Tandem at most 2"
    record "master GET p99, no sync ($pn)" "worst window p99" ms lower "$(median ${idle_p99[$rk]:-})" "$(median ${idle_p99[$tk]:-})" "$wnote"
    record "master GET p99 during a full sync ($pn)" "worst window p99" ms lower "$(median ${sync_p99[$rk]:-})" "$(median ${sync_p99[$tk]:-})" "$wnote"
    record "master RSS before the full sync ($pn)" RSS MB lower "$(median ${rss_before[$rk]:-})" "$(median ${rss_before[$tk]:-})" "SET -c 4 load running"
    record "master peak RSS during the full sync ($pn)" "RSS + children's private" MB lower "$(median ${rss_peak[$rk]:-})" "$(median ${rss_peak[$tk]:-})" "SET -c 4 load running"
  done
}
if [ "${avail[tandem]}" = 0 ]; then
  echo "Tandem replication: not available yet"
fi

print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
