#!/usr/bin/env bash
# Case streams: the stream commands of issue 16 that have a throughput
# target, at -c 50 -P 1:
#   XADD             XADD s * field value (redis-benchmark)
#   XRANGE of 10     XRANGE s10k - + COUNT 10 over a stream of 10,000 entries
#   XREADGROUP+XACK  bench/streamgroup: each connection reads one new entry
#                    with XREADGROUP … COUNT 1 … > and XACKs it (the stream
#                    and its group are loaded afresh before every run)
# Reported: requests/s (pairs/s for XREADGROUP+XACK), median of the
# alternated rounds; for XREADGROUP+XACK also each server's CPU time per
# pair (every thread, from /proc) and the client's, medians too: the
# figures say whether a low rate is the server's cost or the scheduling
# of a client that needs a core of its own (the client is a Go program,
# and on 2 CPUs it competes with the server for them).
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

declare -A vals=([redis]="" [tandem]="") errs=([redis]="" [tandem]="") cpus=([redis]="" [tandem]="") ccpus=([redis]="" [tandem]="")
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
  for side in redis tandem; do
    [ -z "${errs[$side]}" ] || continue
    addr=127.0.0.1:${SRV_PORT[$side]}
    if ! line=$("$SG" -addr "$addr" -mode load -key sg -entries "$((N + 1000))" 2>&1); then
      errs[$side]=$(clean "$line" | cut -c1-100)
      continue
    fi
    c0=$(cpu_ticks "${SRV_PID[$side]}")
    line=$( (TIMEFORMAT='%U %S' && time "$SG" -addr "$addr" -mode run -key sg -n "$N" -conns 50) 2>"$WORK/sg.time" || true)
    c1=$(cpu_ticks "${SRV_PID[$side]}")
    if is_num "$line"; then
      vals[$side]+=" $line"
      cpus[$side]+=" $(awk -v a="$c0" -v b="$c1" -v n="$N" 'BEGIN {printf "%.2f", (b - a) * 1e4 / n}')"
      ccpus[$side]+=" $(awk -v n="$N" 'END {printf "%.2f", ($1 + $2) * 1e6 / n}' "$WORK/sg.time")"
    else
      errs[$side]=$(clean "$line" | cut -c1-100)
    fi
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
# shellcheck disable=SC2086
rc=$(median ${cpus[redis]}) tc=$(median ${cpus[tandem]})
# shellcheck disable=SC2086
rcc=$(median ${ccpus[redis]}) tcc=$(median ${ccpus[tandem]})
record "XREADGROUP+XACK server CPU" "us per pair" us lower "${rc:-n/a}" "${tc:-n/a}" "client CPU us/pair: with redis ${rcc:-?} with tandem ${tcc:-?}"
log "XREADGROUP+XACK server CPU us/pair: redis=${rc:-n/a} tandem=${tc:-n/a}; client: ${rcc:-?} / ${tcc:-?}"
print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
