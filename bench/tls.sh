#!/usr/bin/env bash
# Case tls: Redis (OpenSSL) against Tandem (Go's crypto/tls), both on a TLS
# port with client certificates required (tls-auth-clients yes), the same
# certificates (RSA 2048, made here with openssl: a CA and one certificate
# for 127.0.0.1 that serves as server and client certificate):
#   - SET and GET throughput over TLS with redis-benchmark --tls, -c 50,
#     without pipelining (-P 1) and with (-P 16), and the p99 of -P 1;
#   - full-sync time over TLS: a master holding ~200 MB (200,000 values of
#     1,000 bytes made by DEBUG POPULATE; quick: 10,000) and a fresh
#     replica with tls-replication yes dialing the master's TLS port, from
#     REPLICAOF until the replica has every key and the link is up
#     (diskless sync, the default of both), and the CPU time each side
#     spent on it: the master's (Redis's fork child included, counted once
#     reaped: /proc/<pid>/stat utime+stime+cutime+cstime) and the
#     replica's, from REPLICAOF until 0.3 s after the link is up.
# Rounds alternate Redis and Tandem; the medians are recorded.
#
# Environment: BENCH_TLS_N (requests per run), BENCH_TLS_KEYS (values in
# the master), BENCH_TLS_PARTS (default "throughput sync": either or
# both); see lib.sh for the rest.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools
command -v openssl >/dev/null 2>&1 || die "openssl not found on PATH"

if [ "$BENCH_QUICK" = 1 ]; then
  N=${BENCH_TLS_N:-20000}
  KEYS=${BENCH_TLS_KEYS:-10000}
else
  N=${BENCH_TLS_N:-300000}
  KEYS=${BENCH_TLS_KEYS:-200000}
fi
VALUE=1000
PARTS=${BENCH_TLS_PARTS:-throughput sync}
has_part() { [[ " $PARTS " == *" $1 "* ]]; }

# ------------------------------------------------------------ certificates
CERTS=$WORK/certs
mkdir -p "$CERTS"
(
  cd "$CERTS"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=bench-ca
  openssl req -newkey rsa:2048 -nodes -keyout node.key -out node.csr -subj /CN=127.0.0.1
  printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf
  openssl x509 -req -in node.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out node.crt -days 2 -extfile ext.cnf
) >"$WORK/openssl.log" 2>&1 || die "openssl: $(tail -n 3 "$WORK/openssl.log")"
CLIENT_TLS=(--tls --cacert "$CERTS/ca.crt" --cert "$CERTS/node.crt" --key "$CERTS/node.key")

# start_tls KIND NAME [EXTRA...]: a server with a TLS port beside its plain
# one (which the helpers use); TLS_PORT[NAME] is the TLS port.
declare -A TLS_PORT=()
start_tls() {
  local kind=$1 name=$2
  shift 2
  free_port
  TLS_PORT[$name]=$FREE_PORT
  start_server "$kind" "$name" --tls-port "$FREE_PORT" --tls-cert-file "$CERTS/node.crt" \
    --tls-key-file "$CERTS/node.key" --tls-ca-cert-file "$CERTS/ca.crt" --enable-debug-command yes "$@"
  local r
  r=$(timeout 10 "$REDIS_CLI" -h 127.0.0.1 -p "${TLS_PORT[$name]}" "${CLIENT_TLS[@]}" PING 2>&1 | tr -d '\r' || true)
  [ "$r" = PONG ] || die "$name: no PONG over TLS: $r"
}

# ------------------------------------------------------------- throughput
if has_part throughput; then
  for side in redis tandem; do start_tls "$side" "$side"; done
  out=$WORK/tls.csv
  declare -A vals=()
  for ((round = 1; round <= BENCH_ROUNDS; round++)); do
    for side in redis tandem; do
      for p in 1 16; do
        timeout "$BENCH_TIMEOUT" "${PIN_CLIENT[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "${TLS_PORT[$side]}" "${CLIENT_TLS[@]}" \
          --csv -c 50 -P "$p" -n "$N" -t set,get -r 100000 -d 16 --precision 3 >"$out" 2>"$out.err" ||
          die "$side: redis-benchmark --tls -P $p: $(err_text "$out.err")"
        for t in SET GET; do
          vals[$side,$t,$p]+=" $(csv_value "$out" "$t" rps)"
          [ "$p" != 1 ] || vals[$side,$t,p99]+=" $(csv_value "$out" "$t" p99_latency_ms)"
        done
      done
    done
  done
  for t in SET GET; do
    for p in 1 16; do
      # shellcheck disable=SC2086
      r=$(median ${vals[redis,$t,$p]}) tv=$(median ${vals[tandem,$t,$p]})
      record "$t over TLS -c 50 -P $p" "rps n=$N" req/s higher "$(fmt_num "$r" 0)" "$(fmt_num "$tv" 0)"
      log "$t -P $p over TLS: redis=$r tandem=$tv"
    done
    # shellcheck disable=SC2086
    r=$(median ${vals[redis,$t,p99]}) tv=$(median ${vals[tandem,$t,p99]})
    record "$t over TLS -c 50 -P 1" "p99" ms lower "$r" "$tv"
  done
  for side in redis tandem; do stop_server "$side"; done
fi

# --------------------------------------------------------- full sync over TLS
has_part sync || { print_table "$BENCH_RESULTS_CSV" tls; exit 0; }
repl_field() { info_field "$1" replication "$2"; }
# cpu_secs PID: the CPU time of PID and its reaped children, in seconds.
cpu_secs() {
  awk -v hz="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13 + $14 + $15) / hz}' "/proc/$1/stat"
}
declare -A sync=() mb=() mcpu=() rcpu=()
for side in redis tandem; do
  start_tls "$side" "$side-master" --repl-diskless-sync-delay 0
  r=$(rcli "${SRV_PORT[$side-master]}" DEBUG POPULATE "$KEYS" key "$VALUE")
  [ "$r" = OK ] || die "$side: DEBUG POPULATE: $r"
  mb[$side]=$(awk -v k="$KEYS" -v v="$VALUE" 'BEGIN {printf "%.0f", k * v / 1e6}')
done
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
  for side in redis tandem; do
    m=$side-master rep=$side-replica-$round
    start_tls "$side" "$rep" --tls-replication yes
    rp=${SRV_PORT[$rep]}
    m0=$(cpu_secs "${SRV_PID[$m]}") r0=$(cpu_secs "${SRV_PID[$rep]}")
    t0=$(now_ns)
    reply=$(rcli "$rp" REPLICAOF 127.0.0.1 "${TLS_PORT[$m]}")
    [ "$reply" = OK ] || die "$side: REPLICAOF: $reply"
    deadline=$(($(date +%s) + 600))
    ok=0
    while [ "$(date +%s)" -lt "$deadline" ]; do
      if [ "$(repl_field "$rp" master_link_status)" = up ] &&
        [ "$(repl_field "$rp" master_sync_in_progress)" = 0 ] &&
        [ "$(rcli "$rp" DBSIZE)" = "$KEYS" ]; then
        ok=1
        break
      fi
      sleep 0.01
    done
    [ "$ok" = 1 ] || die "$side: the full sync over TLS did not finish"
    sync[$side]+=" $(secs_since "$t0")"
    sleep 0.3 # Redis reaps its fork child in its cron
    mcpu[$side]+=" $(awk -v a="$m0" -v b="$(cpu_secs "${SRV_PID[$m]}")" 'BEGIN {printf "%.2f", b - a}')"
    rcpu[$side]+=" $(awk -v a="$r0" -v b="$(cpu_secs "${SRV_PID[$rep]}")" 'BEGIN {printf "%.2f", b - a}')"
    stop_server "$rep"
  done
done
# shellcheck disable=SC2086
r=$(median ${sync[redis]}) tv=$(median ${sync[tandem]})
record "full sync over TLS (${mb[tandem]} MB)" "time to link up" s lower "$r" "$tv" "$KEYS values of $VALUE bytes; diskless"
log "full sync over TLS: redis=${r}s tandem=${tv}s"
# shellcheck disable=SC2086
r=$(median ${mcpu[redis]}) tv=$(median ${mcpu[tandem]})
record "full sync over TLS (${mb[tandem]} MB)" "master CPU" s lower "$r" "$tv" "RDB, compression, encryption, writes; Redis's fork child included"
log "full sync over TLS, master CPU: redis=${r}s tandem=${tv}s"
# shellcheck disable=SC2086
r=$(median ${rcpu[redis]}) tv=$(median ${rcpu[tandem]})
record "full sync over TLS (${mb[tandem]} MB)" "replica CPU" s lower "$r" "$tv" "decryption, temp file, load"
log "full sync over TLS, replica CPU: redis=${r}s tandem=${tv}s"
print_table "$BENCH_RESULTS_CSV" tls
