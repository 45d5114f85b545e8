#!/usr/bin/env bash
# Replication demo: a master (examples/redis.conf, port 6379) and two
# replicas (examples/redis6371.conf and redis6372.conf), all protected by the
# password "foobared".
#
#   examples/demo.sh           build bin/tandem, start the three servers, show
#                              INFO replication on each, write a key on the
#                              master and read it back from both replicas,
#                              then keep running until Ctrl-C
#   examples/demo.sh --check   the same, but exit after the check:
#                              status 0 if it passed, 1 if not
#
# Environment (all optional):
#   DEMO_MASTER_PORT, DEMO_REPLICA1_PORT, DEMO_REPLICA2_PORT
#                 ports instead of 6379, 6371, 6372 (the tests use free ports)
#   DEMO_DIR      where each server keeps its data and log (default: a new
#                 temporary directory)
#   DEMO_BIN      a tandem binary to use instead of building bin/tandem
#
# Needs redis-cli (Debian: apt-get install redis-tools) to talk to the servers.
set -euo pipefail

check=0
case "${1:-}" in
--check) check=1 ;;
"") ;;
*)
	echo "usage: $0 [--check]" >&2
	exit 2
	;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
master_port=${DEMO_MASTER_PORT:-6379}
r1_port=${DEMO_REPLICA1_PORT:-6371}
r2_port=${DEMO_REPLICA2_PORT:-6372}
pass=foobared
demo_dir=${DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/tandem-demo.XXXXXX")}
demo_dir=$(mkdir -p "$demo_dir" && cd "$demo_dir" && pwd)

if ! command -v redis-cli >/dev/null 2>&1; then
	# A fresh Debian machine has no redis-cli: install it when we can.
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "== installing redis-tools (for redis-cli)"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-tools >/dev/null
	fi
	if ! command -v redis-cli >/dev/null 2>&1; then
		echo "demo: redis-cli not found (Debian: apt-get install redis-tools)" >&2
		exit 1
	fi
fi

bin=${DEMO_BIN:-}
if [ -z "$bin" ]; then
	echo "== building bin/tandem"
	(cd "$root" && go build -o bin/tandem ./cmd/tandem)
	bin=$root/bin/tandem
fi

pids=()
stop_all() {
	# Stop only the servers this script started, by pid.
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	pids=()
}
trap 'stop_all' EXIT
trap 'echo; echo "== stopping"; exit 0' INT TERM

# start NAME CONFIG PORT [extra directives...]: one server from its own config
# file, with its own directory and log file under $demo_dir.
start() {
	local name=$1 conf=$2 port=$3
	shift 3
	mkdir -p "$demo_dir/$name"
	"$bin" "$root/examples/$conf" --port "$port" --dir "$demo_dir/$name" \
		--logfile "$demo_dir/$name.log" "$@" &
	pids+=($!)
	echo "== started $name on port $port (pid $!, log $demo_dir/$name.log)"
}

cli() {
	local port=$1
	shift
	redis-cli -p "$port" -a "$pass" --no-auth-warning "$@"
}

# wait_for DESCRIPTION SECONDS COMMAND...: retry COMMAND every 0.1 s.
wait_for() {
	local what=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	echo "demo: timed out after ${secs}s waiting for $what" >&2
	return 1
}

answers_ping() { [ "$(cli "$1" PING)" = PONG ]; }
link_up() { cli "$1" INFO replication | tr -d '\r' | grep -qx 'master_link_status:up'; }
has_value() { [ "$(cli "$1" GET demo:key)" = "$2" ]; }

fail() {
	echo "demo: FAILED: $*" >&2
	echo "== last lines of the logs" >&2
	tail -n 15 "$demo_dir"/*.log >&2 || true
	exit 1
}

start master redis.conf "$master_port"
start replica1 redis6371.conf "$r1_port" --replicaof 127.0.0.1 "$master_port"
start replica2 redis6372.conf "$r2_port" --replicaof 127.0.0.1 "$master_port"

for port in "$master_port" "$r1_port" "$r2_port"; do
	wait_for "the server on port $port" 20 answers_ping "$port" || fail "server on port $port did not start"
done
echo "== waiting for both replicas to sync (the master first waits repl-diskless-sync-delay, 5 s by default, for more replicas)"
for port in "$r1_port" "$r2_port"; do
	wait_for "master_link_status:up on port $port" 60 link_up "$port" || fail "replica on port $port never synced"
done

for port in "$master_port" "$r1_port" "$r2_port"; do
	echo
	echo "== INFO replication on port $port"
	cli "$port" INFO replication | tr -d '\r'
done

value="hello from the master at $(date +%T)"
echo
echo "== SET demo:key on the master ($master_port)"
cli "$master_port" SET demo:key "$value"
ok=1
for port in "$r1_port" "$r2_port"; do
	if wait_for "demo:key on port $port" 10 has_value "$port" "$value"; then
		echo "== GET demo:key on the replica on port $port: $(cli "$port" GET demo:key)"
	else
		echo "== GET demo:key on the replica on port $port: $(cli "$port" GET demo:key) (expected: $value)"
		ok=0
	fi
done
echo "== a write on a replica is refused: $(cli "$r1_port" SET demo:key other 2>&1)"

if [ "$ok" != 1 ]; then
	fail "a replica did not get demo:key"
fi
echo
echo "== replication works"
if [ "$check" = 1 ]; then
	exit 0
fi
echo "== servers running; data and logs in $demo_dir. Press Ctrl-C to stop them."
# wait returns early when a trapped signal arrives; the INT trap then exits.
while [ "${#pids[@]}" -gt 0 ]; do
	wait -n "${pids[@]}" || true
	alive=()
	for pid in "${pids[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then alive+=("$pid"); fi
	done
	if [ "${#alive[@]}" -lt "${#pids[@]}" ]; then
		pids=("${alive[@]}")
		fail "a server exited on its own"
	fi
done
