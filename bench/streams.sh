#!/usr/bin/env bash
# Case streams: the stream commands of issue 16 that have a throughput
# target, at -c 50 -P 1:
#   XADD             XADD s * field value (redis-benchmark)
#   XRANGE of 10     XRANGE s10k - + COUNT 10 over a stream of 10,000 entries
#   XREADGROUP+XACK  bench/streamgroup: each connection reads one new entry
#                    with XREADGROUP … COUNT 1 … > and XACKs it (the stream
#                    and its group are loaded afresh before every run)
# Reported: requests/s (pairs/s for XREADGROUP+XACK), median of the
# alternated rounds.
#
# Environment: BENCH_STREAMS_N (requests per test); see lib.sh for the rest.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools

if [ "$BENCH_QUICK" = 1 ]; then N=${BENCH_STREAMS_N:-2000}; else N=${BENCH_STREAMS_N:-100000}; fi
SG=$WORK/streamgroup
(cd "$ROOT" && go build -o "$SG" ./bench/streamgroup) || die "go build bench/streamgroup failed"

for kind in redis tandem; do
  start_server "$kind" "$kind"
  "$SG" -addr "127.0.0.1:${SRV_PORT[$kind]}" -mode load -key s10k -entries 10000 >/dev/null || die "$kind: preload failed"
done

rps_pair "XADD -c 50 -P 1" "$N" XADD XADD s '*' field value
rps_pair "XRANGE of 10 -c 50 -P 1" "$N" XRANGE XRANGE s10k - + COUNT 10

declare -A vals=([redis]="" [tandem]="") errs=([redis]="" [tandem]="")
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
  for side in redis tandem; do
    [ -z "${errs[$side]}" ] || continue
    addr=127.0.0.1:${SRV_PORT[$side]}
    if ! line=$("$SG" -addr "$addr" -mode load -key sg -entries "$((N + 1000))" 2>&1); then
      errs[$side]=$(clean "$line" | cut -c1-100)
      continue
    fi
    line=$("$SG" -addr "$addr" -mode run -key sg -n "$N" -conns 50 2>&1 || true)
    if is_num "$line"; then vals[$side]+=" $line"; else errs[$side]=$(clean "$line" | cut -c1-100); fi
  done
done
note=""
[ -z "${errs[redis]}" ] || note+="redis: ${errs[redis]} "
[ -z "${errs[tandem]}" ] || note+="tandem: ${errs[tandem]}"
# shellcheck disable=SC2086
r=$(median ${vals[redis]})
# shellcheck disable=SC2086
tv=$(median ${vals[tandem]})
record "XREADGROUP+XACK -c 50" "pairs/s n=$N" pairs/s higher "$(fmt_num "$r" 0)" "$(fmt_num "$tv" 0)" "$note"
log "XREADGROUP+XACK: redis=${r:-n/a} tandem=${tv:-n/a} $note"
print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
