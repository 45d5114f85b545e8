#!/usr/bin/env bash
# Case tracking: what client-side caching costs a read. 100,000 keys are
# written (redis-benchmark SET -r 100000); then bench/tracklat sends GETs
# of random keys from 50 connections, one request in flight each, with
# plain connections and with RESP3 connections in CLIENT TRACKING ON
# (default mode: the server records every key each client read), runs
# alternated. Issue 17's target: a tracked GET costs at most 10% more
# than an untracked one.
#
# Reported per server: requests/s both ways (median of the rounds), and
# the tracked/untracked ratio of the server's CPU time per GET (from
# /proc, steadier than throughput on a shared machine) with the absolute
# figures in the note.
#
# Environment: BENCH_TRACKING_N (GETs per run); see lib.sh for the rest.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools

if [ "$BENCH_QUICK" = 1 ]; then N=${BENCH_TRACKING_N:-5000}; else N=${BENCH_TRACKING_N:-200000}; fi
KEYS=100000
TRACKLAT=$WORK/tracklat
(cd "$ROOT" && go build -o "$TRACKLAT" ./bench/tracklat) || die "go build bench/tracklat failed"

declare -A RPS_U=() RPS_T=() CPU_U=() CPU_T=()
for kind in redis tandem; do
  start_server "$kind" "$kind"
  port=${SRV_PORT[$kind]}
  "$REDIS_BENCHMARK" -p "$port" -q -t set -n $((KEYS * 2)) -r "$KEYS" -d 16 >/dev/null 2>&1 || die "$kind: preload failed"
  log "$kind on $port: $(rcli "$port" DBSIZE) keys; $BENCH_ROUNDS rounds of $N GETs each way"
  out=$("$TRACKLAT" -addr "127.0.0.1:$port" -c 50 -n "$N" -keys "$KEYS" -rounds "$BENCH_ROUNDS" -pid "${SRV_PID[$kind]}") ||
    die "$kind: tracklat: $out"
  log "$kind: $(echo "$out" | tr '\n' ';')"
  # shellcheck disable=SC2046
  RPS_U[$kind]=$(median $(awk '$1 == "untracked" {print $2}' <<<"$out"))
  # shellcheck disable=SC2046
  RPS_T[$kind]=$(median $(awk '$1 == "tracked" {print $2}' <<<"$out"))
  # shellcheck disable=SC2046
  CPU_U[$kind]=$(median $(awk '$1 == "untracked" {print $3}' <<<"$out"))
  # shellcheck disable=SC2046
  CPU_T[$kind]=$(median $(awk '$1 == "tracked" {print $3}' <<<"$out"))
  stop_server "$kind"
done

ratio() { awk -v t="$1" -v u="$2" 'BEGIN {if (u + 0 == 0) print "n/a"; else printf "%.3f\n", t / u}'; }
record "GET untracked -c 50 -P 1" "rps n=$N" "req/s" higher "${RPS_U[redis]}" "${RPS_U[tandem]}"
record "GET tracked (RESP3 CLIENT TRACKING ON) -c 50 -P 1" "rps n=$N" "req/s" higher "${RPS_T[redis]}" "${RPS_T[tandem]}"
record "tracked/untracked server CPU per GET" "ratio" "x" lower \
  "$(ratio "${CPU_T[redis]}" "${CPU_U[redis]}")" "$(ratio "${CPU_T[tandem]}" "${CPU_U[tandem]}")" \
  "CPU us per GET untracked/tracked: redis ${CPU_U[redis]}/${CPU_T[redis]}; tandem ${CPU_U[tandem]}/${CPU_T[tandem]}"
record "tracked/untracked GET throughput" "ratio" "x" higher \
  "$(ratio "${RPS_T[redis]}" "${RPS_U[redis]}")" "$(ratio "${RPS_T[tandem]}" "${RPS_U[tandem]}")"
print_table "$BENCH_RESULTS_CSV" "$CASE_NAME"
