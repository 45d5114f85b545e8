#!/usr/bin/env bash
# Case dumprestore: DUMP and RESTORE ... REPLACE of hashes of about 1 KB
# (16 fields of 56 bytes, listpack-encoded in both servers), which
# redis-benchmark cannot send (RESTORE takes a binary payload):
# bench/dumprestore loads the hashes, then sends random DUMPs, then random
# RESTOREs of the payloads it fetched, over -c connections at -P requests
# in flight each. Runs alternate Redis/Tandem; the figure is the median of
# the rounds in requests per second, beside the median of each server's
# CPU time per request (/proc, every thread; the DUMPs that fetch the
# payloads before a RESTORE run, one per key, are counted in).
#
# Environment: BENCH_DR_KEYS (hashes), BENCH_DR_N (requests per run),
# BENCH_DR_CONFIGS (subset of c50-P1 c50-P16); see lib.sh for the rest.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools

if [ "$BENCH_QUICK" = 1 ]; then
  KEYS=${BENCH_DR_KEYS:-1000}
  N=${BENCH_DR_N:-2000}
else
  KEYS=${BENCH_DR_KEYS:-10000}
  N=${BENCH_DR_N:-200000}
fi
read -r -a CONFIGS <<<"${BENCH_DR_CONFIGS:-c50-P1 c50-P16}"
DR=$WORK/dumprestore
(cd "$ROOT" && go build -o "$DR" ./bench/dumprestore) || die "go build bench/dumprestore failed"

start_server redis redis
start_server tandem tandem
for side in redis tandem; do
  "$DR" -addr "127.0.0.1:${SRV_PORT[$side]}" -mode load -keys "$KEYS" || die "$side: loading the hashes failed"
done
log "redis on ${SRV_PORT[redis]}, tandem on ${SRV_PORT[tandem]}; keys=$KEYS n=$N rounds=$BENCH_ROUNDS"

for cfg in "${CONFIGS[@]}"; do
  case $cfg in
    c50-P1) c=50 p=1 ;;
    c50-P16) c=50 p=16 ;;
    *) die "unknown configuration $cfg" ;;
  esac
  for mode in dump restore; do
    declare -A vals=([redis]="" [tandem]="") errs=([redis]="" [tandem]="") cpus=([redis]="" [tandem]="") size=()
    for ((round = 1; round <= BENCH_ROUNDS; round++)); do
      for side in redis tandem; do
        [ -z "${errs[$side]}" ] || continue
        c0=$(cpu_ticks "${SRV_PID[$side]}")
        line=$("$DR" -addr "127.0.0.1:${SRV_PORT[$side]}" -mode "$mode" -keys "$KEYS" -n "$N" -conns "$c" -pipeline "$p" 2>&1 || true)
        c1=$(cpu_ticks "${SRV_PID[$side]}")
        read -r v sz _ <<<"$line" || true
        if is_num "${v:-}"; then
          vals[$side]+=" $v"
          cpus[$side]+=" $(awk -v a="$c0" -v b="$c1" -v n="$N" 'BEGIN {printf "%.2f", (b - a) * 1e4 / n}')"
          size[$side]=$sz
        else
          errs[$side]=$(clean "$line" | cut -c1-100)
        fi
      done
    done
    note="payload bytes redis ${size[redis]:-?} tandem ${size[tandem]:-?} "
    [ -z "${errs[redis]}" ] || note+="redis: ${errs[redis]} "
    [ -z "${errs[tandem]}" ] || note+="tandem: ${errs[tandem]}"
    # shellcheck disable=SC2086
    r=$(median ${vals[redis]})
    # shellcheck disable=SC2086
    tv=$(median ${vals[tandem]})
    name=$(echo "$mode" | tr '[:lower:]' '[:upper:]')
    [ "$mode" = dump ] || name="RESTORE REPLACE"
    record "$name 1KB hash -c $c -P $p" "rps n=$N" req/s higher "$(fmt_num "$r" 0)" "$(fmt_num "$tv" 0)" "$note"
    log "$name -c $c -P $p: redis=${r:-n/a} tandem=${tv:-n/a} $note"
    # shellcheck disable=SC2086
    r=$(median ${cpus[redis]}) tv=$(median ${cpus[tandem]})
    record "$name 1KB hash -c $c -P $p server CPU" "us per request" us lower "${r:-n/a}" "${tv:-n/a}" ""
    log "$name -c $c -P $p server CPU us/request: redis=${r:-n/a} tandem=${tv:-n/a}"
    unset vals errs cpus size
  done
done
print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
