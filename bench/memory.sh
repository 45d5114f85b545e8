#!/usr/bin/env bash
# Case 3, memory: resident memory after loading a data set with
# `redis-cli --pipe` into a fresh server, against the same server empty:
#   strings  1,000,000 keys key:N -> 16-byte value        (quick: 10,000)
#   hash     100,000 hashes, 10 fields of 16-byte values  (quick: 10,000)
#   list     100,000 lists of 10 16-byte elements
#   set      100,000 sets of 10 16-byte members
#   zset     100,000 sorted sets of 10 16-byte members
#   stream   one stream of 1,000,000 entries (XADD * of 3 fields f0 f1 f2,
#            16-byte values; quick: 10,000), figures per entry
# Figures: VmRSS (from /proc/<pid>/status, once it has settled), bytes per
# key from RSS, from its anonymous part (RssAnon: the data, without the
# pages of the server's binary that the load's code paths fault in, about
# 0.8 MB for Tandem's and none for Redis's, which would otherwise count
# 0.8 bytes per entry of a million) and from INFO memory used_memory,
# and the load time. A data
# set a server rejects is recorded as n/a with the first error.
#
# Environment: BENCH_MEM_KEYS, BENCH_MEM_AGG_KEYS, BENCH_MEM_STREAM_ENTRIES,
# BENCH_MEM_SETS (subset of: strings hash list set zset stream); see lib.sh.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools

if [ "$BENCH_QUICK" = 1 ]; then
  KEYS=${BENCH_MEM_KEYS:-10000}
  AGG=${BENCH_MEM_AGG_KEYS:-10000}
  ENTRIES=${BENCH_MEM_STREAM_ENTRIES:-10000}
else
  KEYS=${BENCH_MEM_KEYS:-1000000}
  AGG=${BENCH_MEM_AGG_KEYS:-100000}
  ENTRIES=${BENCH_MEM_STREAM_ENTRIES:-1000000}
fi
read -r -a SETS <<<"${BENCH_MEM_SETS:-strings hash list set zset stream}"

# gen_resp KIND COUNT: RESP commands on stdout. Elements are 16 bytes and
# distinct ("v" and 15 digits), never integers, so no server can share or
# integer-encode them.
gen_resp() {
  awk -v kind="$1" -v n="$2" '
    function bulk(s) { return "$" length(s) "\r\n" s "\r\n" }
    function el(i) { return sprintf("v%015d", i) }
    BEGIN {
      for (i = 0; i < n; i++) {
        if (kind == "strings") {
          printf "*3\r\n$3\r\nSET\r\n%s%s", bulk("key:" i), bulk(el(i))
        } else if (kind == "hash") {
          printf "*22\r\n$4\r\nHSET\r\n%s", bulk("hash:" i)
          for (j = 0; j < 10; j++) printf "%s%s", bulk("f" j), bulk(el(i * 10 + j))
        } else if (kind == "list") {
          printf "*12\r\n$5\r\nRPUSH\r\n%s", bulk("list:" i)
          for (j = 0; j < 10; j++) printf "%s", bulk(el(i * 10 + j))
        } else if (kind == "set") {
          printf "*12\r\n$4\r\nSADD\r\n%s", bulk("set:" i)
          for (j = 0; j < 10; j++) printf "%s", bulk(el(i * 10 + j))
        } else if (kind == "stream") {
          printf "*9\r\n$4\r\nXADD\r\n$8\r\nstream:0\r\n$1\r\n*\r\n"
          for (j = 0; j < 3; j++) printf "%s%s", bulk("f" j), bulk(el(i * 3 + j))
        } else if (kind == "zset") {
          printf "*22\r\n$4\r\nZADD\r\n%s", bulk("zset:" i)
          for (j = 0; j < 10; j++) printf "%s%s", bulk(j), bulk(el(i * 10 + j))
        }
      }
    }'
}

# measure KIND SIDE COUNT FILE [KEYS]: load FILE into a fresh server and
# record its figures into the globals R_* (for the record call), per unit
# of COUNT; the server must then hold KEYS keys (default COUNT).
measure() {
  local kind=$1 side=$2 count=$3 file=$4 want=${5:-$3} name="$1-$2" rss0 um0 rss1 um1 anon0 anon1 t0 out errs keys
  start_server "$side" "$name"
  local pid=${SRV_PID[$name]} port=${SRV_PORT[$name]}
  rss0=$(settle_rss "$pid")
  anon0=$(anon_kb "$pid")
  um0=$(info_field "$port" memory used_memory)
  t0=$(now_ns)
  out=$(timeout 600 "$REDIS_CLI" -h 127.0.0.1 -p "$port" --pipe <"$file" 2>&1 | tr -d '\r' || true)
  M_LOAD[$side]=$(secs_since "$t0")
  errs=$(printf '%s\n' "$out" | sed -n 's/.*errors: \([0-9]*\), replies: \([0-9]*\).*/\1/p' | tail -n 1)
  keys=$(rcli "$port" DBSIZE || true)
  if [ "${errs:-x}" != 0 ] || [ "$keys" != "$want" ]; then
    M_ERR[$side]=$(printf '%s\n' "$out" | grep -m1 -E '^(ERR|WRONGTYPE|-)' || printf '%s' "$out" | tail -n 1)
    M_ERR[$side]="$(clean "${M_ERR[$side]%%, with args beginning with*}" | cut -c1-90) (errors=${errs:-?} keys=${keys})"
    log "$name: ${M_ERR[$side]}"
    M_LOAD[$side]=""
    stop_server "$name"
    return 0
  fi
  # Both servers give freed memory back in the background once quiet
  # (Redis: jemalloc's background thread; Tandem: a collection after a
  # quiet second, internal/server/idlepurge.go): the figure is the RSS
  # a couple of seconds after the load, as an operator would read it.
  sleep 2
  rss1=$(settle_rss "$pid")
  anon1=$(anon_kb "$pid")
  um1=$(info_field "$port" memory used_memory)
  M_RSS[$side]=$(awk -v v="$rss1" 'BEGIN {printf "%.1f", v / 1024}')
  M_RSS_PER[$side]=$(awk -v a="$rss0" -v b="$rss1" -v n="$count" 'BEGIN {printf "%.1f", (b - a) * 1024 / n}')
  M_ANON_PER[$side]=$(awk -v a="$anon0" -v b="$anon1" -v n="$count" 'BEGIN {printf "%.1f", (b - a) * 1024 / n}')
  if is_num "${um0:-}" && is_num "${um1:-}"; then
    M_UM_PER[$side]=$(awk -v a="$um0" -v b="$um1" -v n="$count" 'BEGIN {printf "%.1f", (b - a) / n}')
  fi
  log "$name: rss ${rss0}kB -> ${rss1}kB (anonymous ${anon0}kB -> ${anon1}kB), used_memory $um0 -> $um1, load ${M_LOAD[$side]}s"
  stop_server "$name"
}

for kind in "${SETS[@]}"; do
  case $kind in
    strings) count=$KEYS ;;
    hash | list | set | zset) count=$AGG ;;
    stream) count=$ENTRIES ;;
    *) die "unknown data set $kind" ;;
  esac
  file=$WORK/$kind.resp
  gen_resp "$kind" "$count" >"$file"
  log "$kind: $count keys, $(wc -c <"$file") bytes of RESP"
  declare -A M_RSS=() M_RSS_PER=() M_ANON_PER=() M_UM_PER=() M_LOAD=() M_ERR=([redis]="" [tandem]="")
  want=$count per=key
  [ "$kind" != stream ] || want=1 per=entry
  for side in redis tandem; do
    measure "$kind" "$side" "$count" "$file" "$want"
  done
  note=""
  [ -z "${M_ERR[redis]}" ] || note+="redis: ${M_ERR[redis]} "
  [ -z "${M_ERR[tandem]}" ] || note+="tandem: ${M_ERR[tandem]}"
  case $kind in
    strings) what="$count strings (16 B values)" ;;
    hash) what="$count hashes of 10 fields (16 B values)" ;;
    stream) what="a stream of $count entries of 3 fields (16 B values)" ;;
    *) what="$count ${kind}s of 10 (16 B members)" ;;
  esac
  record "$what" "RSS after load" MB lower "${M_RSS[redis]:-}" "${M_RSS[tandem]:-}" "$note"
  record "$what" "RSS per $per" bytes lower "${M_RSS_PER[redis]:-}" "${M_RSS_PER[tandem]:-}" "$note"
  record "$what" "anonymous RSS per $per" bytes lower "${M_ANON_PER[redis]:-}" "${M_ANON_PER[tandem]:-}" "$note"
  record "$what" "used_memory per $per" bytes lower "${M_UM_PER[redis]:-}" "${M_UM_PER[tandem]:-}" "$note"
  record "$what" "redis-cli --pipe load" s lower "${M_LOAD[redis]:-}" "${M_LOAD[tandem]:-}" "$note"
  rm -f "$file"
  unset M_RSS M_RSS_PER M_ANON_PER M_UM_PER M_LOAD M_ERR
done

print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
