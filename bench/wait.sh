#!/usr/bin/env bash
# Case wait: what a write acknowledged by replicas costs. A master with two
# replicas on this machine, for Redis and for Tandem; bench/waitlat sends
# N times one SET then WAIT 1 (and WAIT 2) 1000 on one connection and
# times each pair. Reported: p50 and p99 in ms, the median over rounds.
# Redis answers WAIT as soon as its replicas' ACKs come back (it asks for
# them with REPLCONF GETACK before it sleeps); this is the figure a client
# doing "write, then WAIT" sees, and what bounds its throughput.
#
# Environment: BENCH_WAIT_N (pairs per run); see lib.sh for the rest.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools

if [ "$BENCH_QUICK" = 1 ]; then
  N=${BENCH_WAIT_N:-500}
else
  N=${BENCH_WAIT_N:-10000}
fi
WAITLAT=$WORK/waitlat
(cd "$ROOT" && go build -o "$WAITLAT" ./bench/waitlat) || die "go build bench/waitlat failed"

# await_replicas PORT COUNT: until the master shows COUNT online replicas.
await_replicas() {
  local port=$1 count=$2 deadline=$((SECONDS + 60)) online
  while [ $SECONDS -lt $deadline ]; do
    online=$(rcli "$port" INFO replication | grep -c 'state=online' || true)
    [ "$online" -ge "$count" ] && return 0
    sleep 0.2
  done
  return 1
}

for kind in redis tandem; do
  start_server "$kind" "m_$kind" --repl-diskless-sync-delay 0
  for r in 1 2; do
    start_server "$kind" "r${r}_$kind" --replicaof 127.0.0.1 "${SRV_PORT[m_$kind]}"
  done
  await_replicas "${SRV_PORT[m_$kind]}" 2 || die "$kind: the replicas did not come online"
done
log "masters: redis ${SRV_PORT[m_redis]}, tandem ${SRV_PORT[m_tandem]}; rounds=$BENCH_ROUNDS n=$N"

for want in 1 2; do
  declare -A p50=() p99=() errs=([redis]="" [tandem]="")
  for ((round = 1; round <= BENCH_ROUNDS; round++)); do
    for side in redis tandem; do
      [ -z "${errs[$side]}" ] || continue
      line=$("$WAITLAT" -addr "127.0.0.1:${SRV_PORT[m_$side]}" -n "$N" -replicas "$want" 2>&1 || true)
      read -r l50 _ l99 _ <<<"$line" || true
      if is_num "${l50:-}" && is_num "${l99:-}"; then
        p50[$side]+=" $l50"
        p99[$side]+=" $l99"
      else
        errs[$side]=$(clean "$line" | cut -c1-100)
      fi
    done
  done
  note=""
  [ -z "${errs[redis]}" ] || note+="redis: ${errs[redis]} "
  [ -z "${errs[tandem]}" ] || note+="tandem: ${errs[tandem]}"
  # shellcheck disable=SC2086
  {
    record "SET + WAIT $want 1000 (2 replicas) n=$N" p50 ms lower "$(median ${p50[redis]:-})" "$(median ${p50[tandem]:-})" "$note"
    record "SET + WAIT $want 1000 (2 replicas) n=$N" p99 ms lower "$(median ${p99[redis]:-})" "$(median ${p99[tandem]:-})" "$note"
  }
  log "WAIT $want done"
  unset p50 p99 errs
done
print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
