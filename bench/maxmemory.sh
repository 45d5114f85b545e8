#!/usr/bin/env bash
# Case maxmemory: a cache under its memory limit, Redis beside Tandem.
#
# 1. Write load: each server runs with `maxmemory 100mb` and
#    `maxmemory-policy allkeys-lru`, and takes 10,000,000 SETs of 100-byte
#    values on random keys (1 GB of values; quick: 300,000 under 16mb)
#    from redis-benchmark -c 50 -P 16. Figures: SET throughput while
#    evicting, the RSS peak during the load (sampled every 100 ms), the RSS
#    at the end of the load (the steady state while evicting) and once
#    settled, used_memory against maxmemory, keys evicted and left, and
#    the server's CPU time a SET (/proc/<pid>/stat before and after the
#    load: on a loaded machine a steadier figure than the throughput).
# 1b. Writes that make garbage: the same limit and client, 3,000,000
#    LPUSHes of one 100-byte element to random keys (quick: 300,000), so
#    that each write creates a list and evicts one. Figures: throughput,
#    the server's CPU time a write, keys held at the end and the RSS at
#    the end of the load against maxmemory.
# 1c. New hashes: the same limit and client, 3,000,000 HSETs of one field
#    with a 100-byte value (over hash-max-listpack-value, so each new hash
#    is a table) to random keys (quick: 300,000). Same figures as 1b.
# 2. Eviction quality: bench/evictsim sends a Zipf-distributed GET load
#    (exponent 1.01, 1,000,000 keys, 2,000,000 requests to warm up then
#    2,000,000 measured; quick: 100,000 keys, 200,000 requests) where
#    every miss is followed by a SET of the key, with the same request
#    sequence for both servers, under maxmemory 20mb (quick: 2mb), which
#    holds about a fifth of the keys the load touches; it reports the GET
#    hit ratio of the measured half, for allkeys-lru and allkeys-lfu.
#
# Environment: BENCH_MM_MAXMEMORY, BENCH_MM_SETS, BENCH_MM_LPUSHES (0:
# skip 1b), BENCH_MM_HSETS (0: skip 1c), BENCH_MM_HITS (0: skip 2),
# BENCH_MM_SETS (0: skip 1), BENCH_MM_KEYS,
# BENCH_MM_REQUESTS (per phase of evictsim), BENCH_MM_HIT_MAXMEMORY; see
# lib.sh for the rest.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools

if [ "$BENCH_QUICK" = 1 ]; then
  MAXMEM=${BENCH_MM_MAXMEMORY:-16mb}
  SETS=${BENCH_MM_SETS:-300000}
  LPUSHES=${BENCH_MM_LPUSHES:-300000}
  HSETS=${BENCH_MM_HSETS:-300000}
  KEYS=${BENCH_MM_KEYS:-100000}
  REQS=${BENCH_MM_REQUESTS:-200000}
  HITMEM=${BENCH_MM_HIT_MAXMEMORY:-2mb}
else
  MAXMEM=${BENCH_MM_MAXMEMORY:-100mb}
  SETS=${BENCH_MM_SETS:-10000000}
  LPUSHES=${BENCH_MM_LPUSHES:-3000000}
  HSETS=${BENCH_MM_HSETS:-3000000}
  KEYS=${BENCH_MM_KEYS:-1000000}
  REQS=${BENCH_MM_REQUESTS:-2000000}
  HITMEM=${BENCH_MM_HIT_MAXMEMORY:-20mb}
fi

HITS=${BENCH_MM_HITS:-1}
SIM=$WORK/evictsim
(cd "$ROOT" && go build -o "$SIM" ./bench/evictsim) || die "go build bench/evictsim failed"

if [ "$SETS" -gt 0 ]; then
  declare -A rps peak endrss steady used maxm evicted left err ratio cpuus
  out=$WORK/set.csv
  for side in redis tandem; do
    start_server "$side" "$side" --maxmemory "$MAXMEM" --maxmemory-policy allkeys-lru
    port=${SRV_PORT[$side]} pid=${SRV_PID[$side]}
    cpu0=$(cpu_ticks "$pid")
    timeout "$BENCH_TIMEOUT" "${PIN_CLIENT[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" --csv \
      -t set -n "$SETS" -r 100000000 -d 100 -c 50 -P 16 >"$out" 2>"$out.err" &
    bpid=$!
    PIDS+=("$bpid")
    top=0 last=0
    while [ "$(awk '{print $3}' "/proc/$bpid/stat" 2>/dev/null || echo Z)" != Z ]; do
      sample_mem "$pid"
      last=$MEM_KB
      [ "$MEM_KB" -le "$top" ] || top=$MEM_KB
      nap 0.1
    done
    wait "$bpid" || true
    forget_pid "$bpid"
    cpuus[$side]=$(awk -v a="$cpu0" -v b="$(cpu_ticks "$pid")" -v n="$SETS" 'BEGIN {printf "%.2f", (b - a) * 1e6 / 100 / n}')
    v=$(csv_value "$out" SET rps)
    if is_num "$v"; then rps[$side]=$v; else err[$side]="$(err_text "$out.err")"; fi
    peak[$side]=$((top / 1024))
    endrss[$side]=$((last / 1024))
    steady[$side]=$(($(settle_rss "$pid") / 1024))
    used[$side]=$(info_field "$port" memory used_memory)
    maxm[$side]=$(info_field "$port" memory maxmemory)
    evicted[$side]=$(info_field "$port" stats evicted_keys)
    left[$side]=$(rcli "$port" DBSIZE)
    log "$side: SET ${rps[$side]:-n/a}/s, RSS peak ${peak[$side]} MB, end of load ${endrss[$side]} MB, settled ${steady[$side]} MB, used_memory ${used[$side]}, maxmemory ${maxm[$side]}, evicted ${evicted[$side]}, keys ${left[$side]}, CPU ${cpuus[$side]} us a SET"
    stop_server "$side"
  done
  note="maxmemory $MAXMEM allkeys-lru; $SETS SETs -d 100 -r 100000000 -c 50 -P 16"
  record "SET while evicting" "rps n=$SETS" req/s higher "$(fmt_num "${rps[redis]:-}" 0)" "$(fmt_num "${rps[tandem]:-}" 0)" "$note ${err[redis]:+redis: ${err[redis]}} ${err[tandem]:+tandem: ${err[tandem]}}"
  record "server CPU a SET while evicting" "cpu n=$SETS" us lower "${cpuus[redis]}" "${cpuus[tandem]}" "utime+stime over the load / SETs"
  record "RSS peak during the load" rss MB lower "${peak[redis]}" "${peak[tandem]}" "$note"
  record "RSS at the end of the load" rss MB lower "${endrss[redis]}" "${endrss[tandem]}" "steady state while evicting"
  record "RSS settled after the load" rss MB lower "${steady[redis]}" "${steady[tandem]}" ""
  for side in redis tandem; do
    ratio[$side]=$(awk -v r="${endrss[$side]}" -v m="${maxm[$side]}" 'BEGIN {if (m > 0) printf "%.3f", r * 1048576 / m}')
  done
  record "RSS at the end of the load / maxmemory" ratio x lower "${ratio[redis]}" "${ratio[tandem]}" "target: Tandem <= 1.15"
  record "used_memory / maxmemory" ratio x lower \
    "$(awk -v u="${used[redis]}" -v m="${maxm[redis]}" 'BEGIN {printf "%.3f", u / m}')" \
    "$(awk -v u="${used[tandem]}" -v m="${maxm[tandem]}" 'BEGIN {printf "%.3f", u / m}')" ""
  record "keys evicted" evicted_keys keys n/a "${evicted[redis]}" "${evicted[tandem]}" "keys left: redis ${left[redis]}, tandem ${left[tandem]}"
fi

# new_keys_load NAME N WHAT SHOWN COMMAND...: parts 1b and 1c. N writes
# of COMMAND (one new key each, __rand_int__ over 10^8) under the limit, on
# a fresh server per side; records the rate, server CPU a write, keys held
# and RSS/maxmemory at the end. WHAT names the keys in the records, SHOWN
# the command in their note.
new_keys_load() {
  local name=$1 n=$2 what=$3 shown=$4
  shift 4
  local -A rps=() cpu=() keys=() rss=() err=()
  local out=$WORK/$name.csv side port pid cpu0 v
  for side in redis tandem; do
    start_server "$side" "$side-$name" --maxmemory "$MAXMEM" --maxmemory-policy allkeys-lru
    port=${SRV_PORT[$side-$name]} pid=${SRV_PID[$side-$name]}
    cpu0=$(cpu_ticks "$pid")
    timeout "$BENCH_TIMEOUT" "${PIN_CLIENT[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" --csv \
      -n "$n" -r 100000000 -c 50 -P 16 "$@" >"$out" 2>"$out.err" || true
    cpu[$side]=$(awk -v a="$cpu0" -v b="$(cpu_ticks "$pid")" -v n="$n" 'BEGIN {printf "%.2f", (b - a) * 1e6 / 100 / n}')
    sample_mem "$pid"
    rss[$side]=$(awk -v r="$MEM_KB" -v m="$(info_field "$port" memory maxmemory)" 'BEGIN {if (m > 0) printf "%.3f", r * 1024 / m}')
    v=$(awk -F, 'NR > 1 {gsub(/"/, "", $2); print $2; exit}' "$out")
    if is_num "$v"; then rps[$side]=$v; else err[$side]="$(err_text "$out.err")"; fi
    keys[$side]=$(rcli "$port" DBSIZE)
    log "$side: ${name^^} ${rps[$side]:-n/a}/s, CPU ${cpu[$side]} us a write, keys ${keys[$side]}, RSS/maxmemory ${rss[$side]}"
    stop_server "$side-$name"
  done
  local note="maxmemory $MAXMEM allkeys-lru; $n $shown -r 100000000 -c 50 -P 16"
  record "${name^^} new $what while evicting" "rps n=$n" req/s higher "$(fmt_num "${rps[redis]:-}" 0)" "$(fmt_num "${rps[tandem]:-}" 0)" "$note ${err[redis]:+redis: ${err[redis]}} ${err[tandem]:+tandem: ${err[tandem]}}"
  record "server CPU an ${name^^} while evicting" "cpu n=$n" us lower "${cpu[redis]}" "${cpu[tandem]}" "utime+stime over the load / writes"
  record "keys held after the ${name^^} load" dbsize keys higher "${keys[redis]}" "${keys[tandem]}" ""
  record "RSS after the ${name^^} load / maxmemory" ratio x lower "${rss[redis]}" "${rss[tandem]}" "target: Tandem <= 1.15"
}

elem=$(head -c 100 /dev/zero | tr '\0' v)
if [ "$LPUSHES" -gt 0 ]; then
  new_keys_load lpush "$LPUSHES" lists 'LPUSH list:__rand_int__ <100 bytes>' lpush 'list:__rand_int__' "$elem"
fi
if [ "$HSETS" -gt 0 ]; then
  new_keys_load hset "$HSETS" hashes 'HSET h:__rand_int__ f <100 bytes>' hset 'h:__rand_int__' f "$elem"
fi

if [ "$HITS" != 0 ]; then
  for policy in allkeys-lru allkeys-lfu; do
    declare -A hit=() hev=()
    for side in redis tandem; do
      start_server "$side" "$side-$policy" --maxmemory "$HITMEM" --maxmemory-policy "$policy"
      port=${SRV_PORT[$side-$policy]}
      r=$(timeout "$BENCH_TIMEOUT" "${PIN_CLIENT[@]}" "$SIM" -addr "127.0.0.1:$port" -keys "$KEYS" -warm "$REQS" -measure "$REQS" 2>&1 || true)
      hit[$side]=$(printf '%s\n' "$r" | awk '$1 == "hit_ratio" {print $2 * 100}')
      hev[$side]=$(info_field "$port" stats evicted_keys)
      [ -n "${hit[$side]}" ] || log "$side $policy: evictsim: $r"
      log "$side $policy: hit ratio ${hit[$side]:-n/a}%"
      stop_server "$side-$policy"
    done
    record "GET hit ratio, Zipf 1.01 ($policy)" "keys=$KEYS requests=$REQS" % higher "${hit[redis]:-n/a}" "${hit[tandem]:-n/a}" "maxmemory $HITMEM; evicted: redis ${hev[redis]}, tandem ${hev[tandem]}; target: within 2 points of Redis"
  done
fi
