#!/usr/bin/env bash
# Case lazyfree: does freeing a big value stall the server? Issue 18's
# measure. For a set and a hash of BENCH_LAZYFREE_N elements (10,000,000
# by default), bench/lazyfree fills one key, then deletes it with DEL,
# UNLINK and FLUSHALL ASYNC while another connection PINGs in a loop (one
# in flight), and keeps pinging one second after the reply. Redis (7.0,
# lazyfree-lazy-user-del no: DEL frees at once) and Tandem run one after
# the other, each run on a fresh fill.
#
# Reported per kind and command: the longest PING round trip (the stall
# another client sees) and how long the command itself took.
#
# Environment: BENCH_LAZYFREE_N (elements); see lib.sh for the rest.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools

if [ "$BENCH_QUICK" = 1 ]; then N=${BENCH_LAZYFREE_N:-100000}; else N=${BENCH_LAZYFREE_N:-10000000}; fi
LAZYFREE=$WORK/lazyfree
(cd "$ROOT" && go build -o "$LAZYFREE" ./bench/lazyfree) || die "go build bench/lazyfree failed"

declare -A PING=() CMD=()
for kind in redis tandem; do
  start_server "$kind" "$kind"
  port=${SRV_PORT[$kind]}
  for k in set hash; do
    for how in del unlink flushall-async; do
      out=$("$LAZYFREE" -addr "127.0.0.1:$port" -n "$N" -kind "$k" -how "$how") || die "$kind: lazyfree $k $how: $out"
      log "$kind: $out"
      # out: kind how n cmd_ms maxping_ms pings
      CMD[$kind,$k,$how]=$(awk '{print $4}' <<<"$out")
      PING[$kind,$k,$how]=$(awk '{print $5}' <<<"$out")
    done
  done
  stop_server "$kind"
done

for k in set hash; do
  for how in del unlink flushall-async; do
    record "$how of a $N-element $k: longest PING" "ms" "ms" lower "${PING[redis,$k,$how]}" "${PING[tandem,$k,$how]}" \
      "the command itself: redis ${CMD[redis,$k,$how]} ms, tandem ${CMD[tandem,$k,$how]} ms"
  done
done
print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
