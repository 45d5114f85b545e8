package test

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var authCases = []diffCase{
	{name: "noauth_before_auth", cmds: []string{
		"GET k", "PING", "ECHO x", "SELECT 1", "CLIENT ID", "MULTI", "INFO", "HELLO 3", "HELLO", "HELLO 2 SETNAME x",
		"CONFIG GET maxmemory", "FOOBAR", "GET", "HELLO 4",
	}},
	{name: "auth_errors", cmds: []string{
		"AUTH wrong", "AUTH default wrong", "AUTH nobody secret", "AUTH a b c", "AUTH", "GET k",
		"HELLO 3 AUTH default wrong", "HELLO 3 AUTH nobody secret", "GET k",
	}},
	{name: "auth_ok", cmds: []string{
		"AUTH secret", "SET k v", "GET k", "AUTH wrong", "GET k", "AUTH default secret", "GET k",
	}},
	{name: "hello_auth", cmds: []string{
		"?HELLO 3 AUTH default secret SETNAME app", "CLIENT GETNAME", "GET k", "?HELLO 2", "CLIENT GETNAME",
	}},
	{name: "hello_auth_resp2", cmds: []string{
		"?HELLO 2 AUTH default secret", "GET k", "?HELLO 3 AUTH default wrong", "GET k",
	}},
	{name: "reset_deauthenticates", cmds: []string{
		"AUTH secret", "SELECT 2", "CLIENT SETNAME n", "MULTI", "SET x 1", "RESET", "GET k", "AUTH secret",
		"CLIENT GETNAME", "EXISTS x", "GET k",
	}},
	{name: "multi_with_auth_error", cmds: []string{
		"MULTI", "AUTH secret", "GET k", "EXEC",
	}},
}

// TestAuthRepliesMatchRedis compares requirepass behaviour with Redis:
// -NOAUTH before AUTH, -WRONGPASS, HELLO AUTH, RESET.
func TestAuthRepliesMatchRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t, "--requirepass", "secret")
	ref := startRedis(t, "--requirepass", "secret")
	for _, proto := range []int{2} {
		runDiff(t, tandem.Addr(), ref.Addr(), proto, authCases)
	}
}

// TestRequirepassWithGoRedis: the password in go-redis Options is sent in
// HELLO; a wrong or missing one fails with Redis's errors.
func TestRequirepassWithGoRedis(t *testing.T) {
	t.Parallel()
	srv := startTandem(t, "--requirepass", "s3cret")
	ctx := ctxFor(t, 20*time.Second)
	for _, proto := range []int{2, 3} {
		ok := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: "s3cret", Protocol: proto, ClientName: "authed", MaxRetries: -1})
		defer ok.Close()
		if err := ok.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatalf("RESP%d with password: %v", proto, err)
		}
		if name, err := ok.ClientGetName(ctx).Result(); err != nil || name != "authed" {
			t.Fatalf("CLIENT GETNAME = %q, %v", name, err)
		}
		wrong := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: "nope", Protocol: proto, MaxRetries: -1})
		defer wrong.Close()
		if err := wrong.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS invalid username-password pair or user is disabled.") {
			t.Fatalf("RESP%d wrong password: %v", proto, err)
		}
		none := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: proto, MaxRetries: -1})
		defer none.Close()
		if err := none.Get(ctx, "k").Err(); err == nil || err.Error() != "NOAUTH Authentication required." {
			t.Fatalf("RESP%d no password: %v", proto, err)
		}
	}
	// With a user name too.
	u := redis.NewClient(&redis.Options{Addr: srv.Addr(), Username: "default", Password: "s3cret", MaxRetries: -1})
	defer u.Close()
	if err := u.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	// CONFIG SET requirepass: connections already authenticated stay so,
	// new ones need the new password.
	if err := u.ConfigSet(ctx, "requirepass", "other").Err(); err != nil {
		t.Fatal(err)
	}
	if err := u.Ping(ctx).Err(); err != nil {
		t.Fatalf("existing connection after password change: %v", err)
	}
	raw := dialRaw(t, srv.Addr())
	if got := raw.do("AUTH", "s3cret"); !strings.HasPrefix(got, "-WRONGPASS") {
		t.Fatalf("old password: %q", got)
	}
	if got := raw.do("AUTH", "other"); got != "+OK\r\n" {
		t.Fatalf("new password: %q", got)
	}
	// Removing the password lets everybody in.
	if got := raw.do("CONFIG", "SET", "requirepass", ""); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := dialRaw(t, srv.Addr()).do("GET", "k"); got != "$1\r\nv\r\n" {
		t.Fatalf("after removing the password: %q", got)
	}
}

// TestQuitClosesAfterReply: +OK, then the connection closes; commands
// pipelined after QUIT are not run.
func TestQuitClosesAfterReply(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	c := dialRaw(t, srv.Addr())
	c.send([]byte("SET a 1\r\nQUIT\r\nSET a 2\r\n"))
	if got := c.read(); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := c.read(); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if rest := c.expectClosed(5 * time.Second); rest != "" {
		t.Fatalf("after QUIT: %q", rest)
	}
	if got := dialRaw(t, srv.Addr()).do("GET", "a"); got != "$1\r\n1\r\n" {
		t.Fatalf("command after QUIT ran: %q", got)
	}
}

// TestResetRestoresConnectionState: RESET leaves MULTI, WATCH, the
// selected DB, the name, RESP3, Pub/Sub and MONITOR.
func TestResetRestoresConnectionState(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	c := dialRaw(t, srv.Addr())
	other := dialRaw(t, srv.Addr())
	for _, cmd := range [][]string{{"HELLO", "3"}, {"SELECT", "3"}, {"CLIENT", "SETNAME", "before"}, {"CLIENT", "NO-EVICT", "on"}, {"WATCH", "w"}, {"MULTI"}, {"SET", "q", "1"}} {
		if got := c.do(cmd...); strings.HasPrefix(got, "-") {
			t.Fatalf("%v: %q", cmd, got)
		}
	}
	if got := c.do("RESET"); got != "+RESET\r\n" {
		t.Fatalf("RESET: %q", got)
	}
	info := c.do("CLIENT", "INFO")
	for _, want := range []string{" name= ", " db=0 ", " multi=-1 ", " resp=2", " flags=N "} {
		if !strings.Contains(info, want) {
			t.Errorf("CLIENT INFO after RESET lacks %q: %s", want, info)
		}
	}
	if got := c.do("GET", "missing"); got != "$-1\r\n" {
		t.Errorf("RESP2 null after RESET: %q", got)
	}
	// The WATCH is gone: another client's write does not abort a new MULTI.
	other.do("SET", "w", "x")
	c.do("MULTI")
	c.do("PING")
	if got := c.do("EXEC"); got != "*1\r\n+PONG\r\n" {
		t.Errorf("EXEC after RESET: %q", got)
	}
	// Pub/Sub and MONITOR are left too.
	c.do("SUBSCRIBE", "ch")
	if got := c.do("RESET"); got != "+RESET\r\n" {
		t.Fatalf("RESET while subscribed: %q", got)
	}
	if got := other.do("PUBLISH", "ch", "x"); got != ":0\r\n" {
		t.Errorf("still subscribed after RESET: %q", got)
	}
	if got := c.do("MONITOR"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := c.do("RESET"); got != "+RESET\r\n" {
		t.Fatalf("RESET while monitoring: %q", got)
	}
	other.do("SET", "after", "1")
	if got := c.do("PING"); got != "+PONG\r\n" {
		t.Errorf("MONITOR output after RESET: %q", got)
	}
}

// TestHelloSwitchesProtocolAndSetsName checks HELLO on one connection:
// reply shape in both protocols, SETNAME, and the RESP3 null afterwards.
func TestHelloSwitchesProtocolAndSetsName(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	c := dialRaw(t, srv.Addr())
	id := strings.TrimSuffix(strings.TrimPrefix(c.do("CLIENT", "ID"), ":"), "\r\n")
	want2 := "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:" + id +
		"\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
	if got := c.do("HELLO"); got != want2 {
		t.Fatalf("HELLO:\n got %q\nwant %q", got, want2)
	}
	want3 := "%7" + strings.TrimPrefix(strings.Replace(want2, ":2\r\n", ":3\r\n", 1), "*14")
	if got := c.do("HELLO", "3", "SETNAME", "conn-name"); got != want3 {
		t.Fatalf("HELLO 3:\n got %q\nwant %q", got, want3)
	}
	if got := c.do("CLIENT", "GETNAME"); got != "$9\r\nconn-name\r\n" {
		t.Fatalf("name: %q", got)
	}
	if got := c.do("GET", "nothing"); got != "_\r\n" {
		t.Fatalf("RESP3 null: %q", got)
	}
	// A failing HELLO changes nothing.
	if got := c.do("HELLO", "2", "SETNAME", "bad name"); !strings.HasPrefix(got, "-ERR Client names cannot contain spaces") {
		t.Fatalf("bad SETNAME: %q", got)
	}
	if got := c.do("GET", "nothing"); got != "_\r\n" {
		t.Fatalf("protocol changed by a failed HELLO: %q", got)
	}
	if got := c.do("HELLO", "2"); got != want2 {
		t.Fatalf("back to 2: %q", got)
	}
	if got := c.do("GET", "nothing"); got != "$-1\r\n" {
		t.Fatalf("RESP2 null: %q", got)
	}
}

// TestSelectIsPerConnection: databases are separate and SELECT applies to
// one connection only; go-redis's DB option selects on connect.
func TestSelectIsPerConnection(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ctx := ctxFor(t, 10*time.Second)
	dbs := make([]*redis.Client, 16)
	for i := range dbs {
		dbs[i] = redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: i, MaxRetries: -1})
		defer dbs[i].Close()
		if err := dbs[i].Set(ctx, "k", i, 0).Err(); err != nil {
			t.Fatalf("DB %d: %v", i, err)
		}
	}
	for i, c := range dbs {
		if v, err := c.Get(ctx, "k").Int(); err != nil || v != i {
			t.Fatalf("DB %d: %d, %v", i, v, err)
		}
		if n, err := c.DBSize(ctx).Result(); err != nil || n != 1 {
			t.Fatalf("DB %d size %d, %v", i, n, err)
		}
	}
	bad := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: 16, MaxRetries: -1})
	defer bad.Close()
	if err := bad.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "ERR DB index is out of range") {
		t.Fatalf("DB 16: %v", err)
	}
	info, _ := dbs[0].Info(ctx, "keyspace").Result()
	for i := 0; i < 16; i++ {
		if !strings.Contains(info, fmt.Sprintf("db%d:keys=1,expires=0,avg_ttl=0\r\n", i)) {
			t.Fatalf("INFO keyspace lacks db%d: %q", i, info)
		}
	}
}

// clientLine finds the CLIENT LIST line of the given id.
func clientLine(list string, id int64) string {
	for _, l := range strings.Split(list, "\n") {
		if strings.HasPrefix(l, fmt.Sprintf("id=%d ", id)) {
			return l
		}
	}
	return ""
}

// TestClientInfoFieldsMatchRedis: CLIENT INFO / LIST have Redis 7.0's
// fields in Redis's order.
func TestClientInfoFieldsMatchRedis(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ref := startRedis(t)
	names := func(addr string) []string {
		c := dialRaw(t, addr)
		c.do("CLIENT", "SETNAME", "x")
		raw := c.do("CLIENT", "INFO")
		var out []string
		for _, f := range strings.Fields(raw[strings.Index(raw, "\n")+1:]) {
			k, _, _ := strings.Cut(f, "=")
			out = append(out, k)
		}
		return out
	}
	got, want := names(srv.Addr()), names(ref.Addr())
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("CLIENT INFO fields:\ntandem %v\nredis  %v", got, want)
	}
	c := dialRaw(t, srv.Addr())
	re := regexp.MustCompile(`^id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=\d+ name= age=\d+ idle=\d+ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ multi-mem=\d+ rbs=\d+ rbp=\d+ obl=\d+ oll=\d+ omem=\d+ tot-mem=\d+ events=r cmd=client\|info user=default redir=-1 resp=2\n$`)
	raw := c.do("CLIENT", "INFO")
	body := raw[strings.Index(raw, "\n")+1 : len(raw)-2]
	if !re.MatchString(body) {
		t.Errorf("CLIENT INFO = %q", body)
	}
}

// TestClientCommands covers CLIENT ID, SETNAME/GETNAME, LIST (with TYPE
// and ID filters), INFO, NO-EVICT and SETINFO across connections.
func TestClientCommands(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	a := dialRaw(t, srv.Addr())
	var ida, idb int64
	fmt.Sscanf(a.do("CLIENT", "ID"), ":%d", &ida)
	b := dialRaw(t, srv.Addr())
	fmt.Sscanf(b.do("CLIENT", "ID"), ":%d", &idb)
	if ida <= 0 || idb <= ida {
		t.Fatalf("ids %d then %d: want increasing", ida, idb)
	}
	if got := a.do("CLIENT", "ID"); got != fmt.Sprintf(":%d\r\n", ida) {
		t.Fatalf("CLIENT ID changed: %q", got)
	}
	a.do("CLIENT", "SETNAME", "alpha")
	a.do("SELECT", "5")
	b.do("SUBSCRIBE", "x")
	list := a.do("CLIENT", "LIST")
	la, lb := clientLine(list, ida), clientLine(list, idb)
	if !strings.Contains(la, " name=alpha ") || !strings.Contains(la, " db=5 ") || !strings.Contains(la, " cmd=client|list ") {
		t.Errorf("line of a: %q", la)
	}
	if !strings.Contains(lb, " flags=P ") || !strings.Contains(lb, " sub=1 ") || !strings.Contains(lb, " cmd=subscribe ") {
		t.Errorf("line of subscribed b: %q", lb)
	}
	if got := a.do("CLIENT", "LIST", "TYPE", "pubsub"); clientLine(got, idb) == "" || clientLine(got, ida) != "" {
		t.Errorf("TYPE pubsub: %q", got)
	}
	if got := a.do("CLIENT", "LIST", "TYPE", "normal"); clientLine(got, ida) == "" || clientLine(got, idb) != "" {
		t.Errorf("TYPE normal: %q", got)
	}
	if got := a.do("CLIENT", "LIST", "ID", fmt.Sprint(idb), "99999"); clientLine(got, idb) == "" || strings.Count(got, "id=") != 1 {
		t.Errorf("ID filter: %q", got)
	}
	if got := a.do("CLIENT", "LIST", "TYPE", "replica"); got != "$0\r\n\r\n" {
		t.Errorf("TYPE replica: %q", got)
	}
	if got := a.do("CLIENT", "INFO"); strings.TrimSuffix(got[strings.Index(got, "\n")+1:], "\r\n") == "" || !strings.Contains(got, fmt.Sprintf("id=%d ", ida)) {
		t.Errorf("CLIENT INFO: %q", got)
	}
	a.do("CLIENT", "NO-EVICT", "on")
	if got := a.do("CLIENT", "INFO"); !strings.Contains(got, " flags=e ") {
		t.Errorf("NO-EVICT on: %q", got)
	}
	if got := a.do("CLIENT", "SETINFO", "LIB-NAME", "mylib"); got != "+OK\r\n" {
		t.Errorf("SETINFO LIB-NAME: %q", got)
	}
	if got := a.do("CLIENT", "SETINFO", "LIB-VER", "1.2.3"); got != "+OK\r\n" {
		t.Errorf("SETINFO LIB-VER: %q", got)
	}
	if got := a.do("CLIENT", "INFO"); !strings.Contains(got, "lib-name=mylib lib-ver=1.2.3") {
		t.Errorf("lib fields: %q", got)
	}
	if got := a.do("CLIENT", "SETINFO", "LIB-FOO", "x"); !strings.HasPrefix(got, "-ERR Unrecognized option 'LIB-FOO'") {
		t.Errorf("SETINFO bad attr: %q", got)
	}
	if got := a.do("CLIENT", "SETINFO", "LIB-NAME", "a b"); !strings.HasPrefix(got, "-ERR") {
		t.Errorf("SETINFO with space: %q", got)
	}
	// go-redis sends CLIENT SETINFO on connect.
	ctx := ctxFor(t, 10*time.Second)
	gc := newClient(t, srv.Addr(), 3)
	if s, err := gc.ClientInfo(ctx).Result(); err != nil || s.LibName == "" {
		t.Errorf("go-redis CLIENT INFO: %+v %v", s, err)
	}
}

// TestClientKillFilters kills by ID, ADDR (old and new form), LADDR,
// TYPE, USER and SKIPME, and checks the victims are really disconnected.
func TestClientKillFilters(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	me := dialRaw(t, srv.Addr())
	type victim struct {
		c    *rawConn
		id   int64
		addr string
	}
	newVictim := func() victim {
		v := victim{c: dialRaw(t, srv.Addr())}
		fmt.Sscanf(v.c.do("CLIENT", "ID"), ":%d", &v.id)
		v.addr = v.c.c.LocalAddr().String()
		return v
	}
	dead := func(v victim, how string) {
		t.Helper()
		v.c.expectClosed(5 * time.Second)
		obs := dialRaw(t, srv.Addr())
		defer obs.c.Close()
		if got := obs.do("CLIENT", "LIST", "ID", fmt.Sprint(v.id)); got != "$0\r\n\r\n" {
			// The server drops the client asynchronously.
			deadline := time.Now().Add(5 * time.Second)
			for got != "$0\r\n\r\n" && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
				got = obs.do("CLIENT", "LIST", "ID", fmt.Sprint(v.id))
			}
			if got != "$0\r\n\r\n" {
				t.Errorf("%s: victim still listed: %q", how, got)
			}
		}
	}
	v := newVictim()
	if got := me.do("CLIENT", "KILL", "ID", fmt.Sprint(v.id)); got != ":1\r\n" {
		t.Fatalf("KILL ID: %q", got)
	}
	dead(v, "ID")

	v = newVictim()
	if got := me.do("CLIENT", "KILL", v.addr); got != "+OK\r\n" {
		t.Fatalf("KILL addr (old form): %q", got)
	}
	dead(v, "old form")

	v = newVictim()
	if got := me.do("CLIENT", "KILL", "ADDR", v.addr); got != ":1\r\n" {
		t.Fatalf("KILL ADDR: %q", got)
	}
	dead(v, "ADDR")

	v1, v2 := newVictim(), newVictim()
	if got := me.do("CLIENT", "KILL", "LADDR", srv.Addr()); got != ":2\r\n" {
		t.Fatalf("KILL LADDR (skipme): %q", got)
	}
	dead(v1, "LADDR")
	dead(v2, "LADDR")

	norm, pub := newVictim(), newVictim()
	pub.c.do("SUBSCRIBE", "c")
	if got := me.do("CLIENT", "KILL", "TYPE", "pubsub"); got != ":1\r\n" {
		t.Fatalf("KILL TYPE pubsub: %q", got)
	}
	dead(pub, "TYPE pubsub")
	if got := me.do("CLIENT", "KILL", "TYPE", "replica"); got != ":0\r\n" {
		t.Fatalf("KILL TYPE replica: %q", got)
	}
	if got := me.do("CLIENT", "KILL", "TYPE", "master"); got != ":0\r\n" {
		t.Fatalf("KILL TYPE master: %q", got)
	}
	if got := me.do("CLIENT", "KILL", "TYPE", "normal"); got != ":1\r\n" {
		t.Fatalf("KILL TYPE normal: %q", got)
	}
	dead(norm, "TYPE normal")

	v = newVictim()
	if got := me.do("CLIENT", "KILL", "USER", "default"); got != ":1\r\n" {
		t.Fatalf("KILL USER default: %q", got)
	}
	dead(v, "USER")

	v = newVictim()
	if got := me.do("CLIENT", "KILL", "ID", fmt.Sprint(v.id), "TYPE", "pubsub"); got != ":0\r\n" {
		t.Fatalf("filters are ANDed: %q", got)
	}
	var myID int64
	fmt.Sscanf(me.do("CLIENT", "ID"), ":%d", &myID)
	if got := me.do("CLIENT", "KILL", "ID", fmt.Sprint(myID)); got != ":0\r\n" {
		t.Fatalf("SKIPME defaults to yes: %q", got)
	}
	// SKIPME no kills the caller too, after its reply.
	if got := me.do("CLIENT", "KILL", "ID", fmt.Sprint(myID), "SKIPME", "no"); got != ":1\r\n" {
		t.Fatalf("SKIPME no: %q", got)
	}
	me.expectClosed(5 * time.Second)
	dead(victim{c: me, id: myID}, "SKIPME no")
}

// TestClientPause: PAUSE WRITE holds writes but not reads; PAUSE ALL holds
// everything; UNPAUSE or the timeout releases them.
func TestClientPause(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	admin := dialRaw(t, srv.Addr())
	c := dialRaw(t, srv.Addr())

	if got := admin.do("CLIENT", "PAUSE", "10000", "WRITE"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := c.do("GET", "k"); got != "$-1\r\n" {
		t.Fatalf("read during PAUSE WRITE: %q", got)
	}
	c.send(encode("SET", "k", "v"))
	if got, err := c.tryRead(300 * time.Millisecond); err == nil {
		t.Fatalf("write answered during PAUSE WRITE: %q", got)
	}
	start := time.Now()
	if got := admin.do("CLIENT", "UNPAUSE"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := c.read(); got != "+OK\r\n" {
		t.Fatalf("held write after UNPAUSE: %q", got)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("UNPAUSE took %v to release the write", time.Since(start))
	}

	// PAUSE ALL with a timeout: even reads wait, until it ends by itself.
	start = time.Now()
	if got := admin.do("CLIENT", "PAUSE", "400", "ALL"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := c.do("GET", "k"); got != "$1\r\nv\r\n" {
		t.Fatalf("read after PAUSE ALL: %q", got)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 5*time.Second {
		t.Fatalf("PAUSE ALL 400ms held a read for %v", d)
	}
}

// TestTransactionsAcrossClients: WATCH is invalidated by another client's
// write, by FLUSHALL, and by expiry; go-redis's Watch helper retries.
func TestTransactionsAcrossClients(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ctx := ctxFor(t, 30*time.Second)
	a, b := dialRaw(t, srv.Addr()), dialRaw(t, srv.Addr())
	run := func(setup func()) string {
		a.do("WATCH", "w")
		setup()
		a.do("MULTI")
		a.do("SET", "w", "from-a")
		return a.do("EXEC")
	}
	b.do("SET", "w", "0")
	if got := run(func() { b.do("SET", "w", "from-b") }); got != "*-1\r\n" {
		t.Errorf("write by another client: EXEC = %q", got)
	}
	if got := run(func() { b.do("FLUSHALL") }); got != "*-1\r\n" {
		t.Errorf("FLUSHALL by another client: EXEC = %q", got)
	}
	if got := run(func() { b.do("GET", "w") }); got != "*1\r\n+OK\r\n" {
		t.Errorf("read by another client: EXEC = %q", got)
	}
	b.do("SET", "w", "1", "PX", "50")
	if got := run(func() { time.Sleep(150 * time.Millisecond) }); got != "*-1\r\n" {
		t.Errorf("watched key expired: EXEC = %q", got)
	}
	if got := run(func() { b.do("SET", "other", "x") }); got != "*1\r\n+OK\r\n" {
		t.Errorf("write to another key: EXEC = %q", got)
	}

	// go-redis optimistic locking: concurrent increments through WATCH
	// never lose an update.
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 8, MaxRetries: -1})
	defer c.Close()
	const workers, each = 4, 25
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			for i := 0; i < each; i++ {
				for {
					err := c.Watch(ctx, func(tx *redis.Tx) error {
						n, err := tx.Get(ctx, "ctr").Int()
						if err != nil && err != redis.Nil {
							return err
						}
						_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
							p.Set(ctx, "ctr", n+1, 0)
							return nil
						})
						return err
					}, "ctr")
					if err == redis.TxFailedErr {
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n, err := c.Get(ctx, "ctr").Int(); err != nil || n != workers*each {
		t.Fatalf("ctr = %d, %v; want %d", n, err, workers*each)
	}
	// TxPipelined with a queue-time error: EXECABORT and nothing runs.
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "tx-a", "1", 0)
		p.Do(ctx, "NOSUCHCOMMAND")
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "EXECABORT Transaction discarded because of previous errors.") {
		t.Fatalf("EXECABORT: %v", err)
	}
	if n, _ := c.Exists(ctx, "tx-a").Result(); n != 0 {
		t.Fatal("aborted transaction ran")
	}
}

// TestProtectedMode: with the default bind and no password, a client from
// a non-loopback address is refused with -DENIED; loopback is accepted; a
// password or protected-mode no lifts it. Compared with Redis's reply.
func TestProtectedMode(t *testing.T) {
	t.Parallel()
	ip := nonLoopbackIP()
	args := []string{"--bind", "*", "-::*"} // Redis's default bind
	tandem := startTandem(t, args...)
	if got := dialRaw(t, tandem.Addr()).do("PING"); got != "+PONG\r\n" {
		t.Fatalf("loopback in protected mode: %q", got)
	}
	if ip == "" {
		t.Skip("no non-loopback IPv4 address on this machine: only loopback acceptance was tested")
	}
	ref := startRedis(t, args...)
	denied := func(port int) (string, bool) {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, fmt.Sprint(port)), 5*time.Second)
		if err != nil {
			t.Fatalf("dial %s: %v", ip, err)
		}
		defer c.Close()
		c.Write([]byte("PING\r\n"))
		return readUntilClosed(t, c, 5*time.Second)
	}
	got, gc := denied(tandem.Port)
	want, wc := denied(ref.Port)
	if !strings.HasPrefix(want, "-DENIED") {
		t.Fatalf("reference Redis did not deny %s: %q", ip, want)
	}
	if got != want || gc != wc {
		t.Fatalf("non-loopback client:\ntandem %q (closed %v)\nredis  %q (closed %v)", got, gc, want, wc)
	}
	for _, extra := range [][]string{{"--protected-mode", "no"}, {"--requirepass", "pw"}} {
		srv := startTandem(t, append(args, extra...)...)
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, fmt.Sprint(srv.Port)), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte("PING\r\n"))
		buf := make([]byte, 100)
		n, _ := c.Read(buf)
		c.Close()
		if r := string(buf[:n]); strings.HasPrefix(r, "-DENIED") || r == "" {
			t.Errorf("%v: non-loopback client got %q", extra, r)
		}
	}
	// An explicit bind does not turn it off: Redis 7.0 protects whatever
	// bind says (6.x did only with bind unset; unit/networking checks it).
	explicit := []string{"--bind", ip, "127.0.0.1"}
	tandem, ref = startTandem(t, explicit...), startRedis(t, explicit...)
	got, gc = denied(tandem.Port)
	want, wc = denied(ref.Port)
	if !strings.HasPrefix(want, "-DENIED") || got != want || gc != wc {
		t.Fatalf("non-loopback client, explicit bind:\ntandem %q (closed %v)\nredis  %q (closed %v)", got, gc, want, wc)
	}
}

// nonLoopbackIP returns an IPv4 address of this machine that is not
// loopback, or "".
func nonLoopbackIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}

// TestMaxclientsMatchesRedis: the connection over maxclients gets Redis's
// error and is closed; the others keep working.
func TestMaxclientsMatchesRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t, "--maxclients", "3")
	ref := startRedis(t, "--maxclients", "3")
	over := func(addr string) (string, bool, *rawConn) {
		var keep []*rawConn
		for i := 0; i < 3; i++ {
			c := dialRaw(t, addr)
			c.do("PING")
			keep = append(keep, c)
		}
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("PING\r\n"))
		out, closed := readUntilClosed(t, c, 5*time.Second)
		if got := keep[0].do("PING"); got != "+PONG\r\n" {
			t.Fatalf("existing client after refusal: %q", got)
		}
		return out, closed, keep[0]
	}
	got, gc, kept := over(tandem.Addr())
	want, wc, _ := over(ref.Addr())
	if got != want || gc != wc {
		t.Fatalf("fourth client:\ntandem %q (closed %v)\nredis  %q (closed %v)", got, gc, want, wc)
	}
	if info := kept.do("INFO", "stats"); !strings.Contains(info, "rejected_connections:1\r\n") {
		t.Errorf("rejected_connections not counted: %q", trunc(info))
	}
}

// TestIdleClientsTimeOut: with timeout 1, an idle client is closed, a
// Pub/Sub subscriber is not.
func TestIdleClientsTimeOut(t *testing.T) {
	t.Parallel()
	srv := startTandem(t, "--timeout", "1")
	idle := dialRaw(t, srv.Addr())
	idle.do("PING")
	sub := dialRaw(t, srv.Addr())
	sub.do("SUBSCRIBE", "x")
	start := time.Now()
	idle.expectClosed(10 * time.Second)
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Fatalf("idle client closed after only %v", d)
	}
	if got := dialRaw(t, srv.Addr()).do("PUBLISH", "x", "still"); got != ":1\r\n" {
		t.Fatalf("subscriber was timed out: PUBLISH = %q", got)
	}
	if got := sub.read(); !strings.Contains(got, "still") {
		t.Fatalf("subscriber got %q", got)
	}
}

// TestClientThatDoesNotReadDoesNotStallOthers: a client that pipelines
// large replies and never reads them only blocks itself.
func TestClientThatDoesNotReadDoesNotStallOthers(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ctx := ctxFor(t, 30*time.Second)
	c := newClient(t, srv.Addr(), 2)
	if err := c.Set(ctx, "big", strings.Repeat("x", 1<<20), 0).Err(); err != nil {
		t.Fatal(err)
	}
	hog, err := net.DialTimeout("tcp", srv.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer hog.Close()
	go func() {
		req := []byte(strings.Repeat("GET big\r\n", 200)) // 200 MB of replies nobody reads
		hog.SetWriteDeadline(time.Now().Add(20 * time.Second))
		hog.Write(req)
	}()
	time.Sleep(300 * time.Millisecond)
	for i := 0; i < 100; i++ {
		start := time.Now()
		if err := c.Incr(ctx, "ctr").Err(); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("INCR took %v while another client does not read", d)
		}
	}
	if got := dialRaw(t, srv.Addr()).do("CLIENT", "KILL", "ADDR", hog.LocalAddr().String()); got != ":1\r\n" {
		t.Fatalf("CLIENT KILL of the stuck client: %q", got)
	}
}

// TestClientListFieldsMatchRedis: the fields that describe a client's
// state (flags, db, sub, psub, multi, cmd, name, resp) match Redis's in
// the same situations.
func TestClientListFieldsMatchRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t)
	ref := startRedis(t)
	fields := []string{"name", "flags", "db", "sub", "psub", "multi", "cmd", "user", "resp"}
	type state struct {
		name  string
		setup [][]string
	}
	states := []state{
		{"fresh", nil},
		{"named_db3", [][]string{{"CLIENT", "SETNAME", "app"}, {"SELECT", "3"}, {"GET", "x"}}},
		{"in_multi", [][]string{{"MULTI"}, {"SET", "a", "1"}, {"GET", "a"}}},
		{"dirty_cas", [][]string{{"WATCH", "w"}, {"@other", "SET", "w", "1"}}},
		{"subscribed", [][]string{{"SUBSCRIBE", "a", "b"}, {"PSUBSCRIBE", "p*"}}},
		{"resp3", [][]string{{"HELLO", "3"}}},
		{"monitor", [][]string{{"MONITOR"}}},
		{"no_evict", [][]string{{"CLIENT", "NO-EVICT", "on"}}},
		{"after_error", [][]string{{"NOSUCH"}}},
		{"after_arity_error", [][]string{{"GET"}}},
		{"after_exec", [][]string{{"MULTI"}, {"SET", "a", "1"}, {"EXEC"}}},
		{"config_get", [][]string{{"CONFIG", "GET", "hz"}}},
	}
	look := func(addr string, st state) map[string]string {
		c, other := dialRaw(t, addr), dialRaw(t, addr)
		var id int64
		fmt.Sscanf(c.do("CLIENT", "ID"), ":%d", &id)
		for _, cmd := range st.setup {
			if cmd[0] == "@other" {
				other.do(cmd[1:]...)
				continue
			}
			c.send(encode(cmd...))
			n := 1
			if cmd[0] == "SUBSCRIBE" || cmd[0] == "PSUBSCRIBE" {
				n = len(cmd) - 1
			}
			for i := 0; i < n; i++ {
				c.read()
			}
		}
		line := clientLine(infoBody(other.do("CLIENT", "LIST", "ID", fmt.Sprint(id)))+"\n", id)
		m := map[string]string{}
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			m[k] = v
		}
		return m
	}
	for _, st := range states {
		got, want := look(tandem.Addr(), st), look(ref.Addr(), st)
		for _, f := range fields {
			if got[f] != want[f] {
				t.Errorf("%s: %s=%q, redis %s=%q", st.name, f, got[f], f, want[f])
			}
		}
	}
}

// TestClientPauseWriteLetsReadOnlyScriptsThrough: under CLIENT PAUSE WRITE
// a script that declares no-writes (EVAL with a shebang, EVALSHA of one,
// an FCALL of a no-writes function), alone or inside MULTI/EXEC, runs at
// once, while a script that may write waits, and a waiting client counts
// in blocked_clients (Redis 7.0's unit/pause).
func TestClientPauseWriteLetsReadOnlyScriptsThrough(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	admin := dialRaw(t, srv.Addr())
	admin.do("FUNCTION", "LOAD", "#!lua name=f1\nredis.register_function{function_name='f1', callback=function() return 'hello' end, flags={'no-writes'}}")
	sha := strings.Split(admin.do("SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 2"), "\r\n")[1]
	admin.do("CLIENT", "PAUSE", "100000", "WRITE")
	c := dialRaw(t, srv.Addr())
	for _, cmd := range [][]string{
		{"EVAL", "#!lua flags=no-writes\nreturn 1", "0"},
		{"EVALSHA", sha, "0"},
		{"FCALL", "f1", "0"},
	} {
		if r, err := c.tryRead0Args(cmd, 2*time.Second); err != nil || strings.HasPrefix(r, "-") {
			t.Errorf("%q under a write pause: %q, %v", cmd[0], r, err)
		}
	}
	c.do("MULTI")
	c.do("EVAL", "#!lua flags=no-writes\nreturn 1", "0")
	if r, err := c.tryRead0Args([]string{"EXEC"}, 2*time.Second); err != nil || r != "*1\r\n:1\r\n" {
		t.Errorf("EXEC of a no-writes script under a write pause: %q, %v", r, err)
	}
	w := dialRaw(t, srv.Addr())
	w.send(encode("EVAL", "return redis.call('set','k','v')", "0"))
	if r, err := w.tryRead(300 * time.Millisecond); err == nil {
		t.Fatalf("a script that may write ran under a write pause: %q", r)
	}
	if got := infoFields(admin.do("INFO", "clients"))["blocked_clients"]; got != "1" {
		t.Errorf("blocked_clients = %s with one client held by the pause, want 1", got)
	}
	admin.do("CLIENT", "UNPAUSE")
	if r, err := w.tryRead(5 * time.Second); err != nil || r != "+OK\r\n" {
		t.Errorf("held script after UNPAUSE: %q, %v", r, err)
	}
}

// tryRead0Args sends one command and waits at most d for its reply.
func (rc *rawConn) tryRead0Args(args []string, d time.Duration) (string, error) {
	rc.send(encode(args...))
	return rc.tryRead(d)
}

// TestClientPauseStopsExpiry: during CLIENT PAUSE a key whose time passed
// reads as missing but is not deleted (expired_keys does not move: a
// deletion would be a write), and a command with the wrong number of
// arguments is answered at once; after UNPAUSE the next read deletes it
// (Redis 7.0's unit/pause).
func TestClientPauseStopsExpiry(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	c := dialRaw(t, srv.Addr())
	expired := func() string { return infoFields(c.do("INFO", "stats"))["expired_keys"] }
	before := expired()
	c.do("MULTI")
	c.do("SET", "foo", "bar", "PX", "10")
	c.do("SET", "bar", "foo", "PX", "10")
	c.do("CLIENT", "PAUSE", "50000", "WRITE")
	c.do("EXEC")
	time.Sleep(200 * time.Millisecond)
	if r := c.do("GET", "foo"); r != "$-1\r\n" {
		t.Errorf("GET of an expired key during the pause: %q", r)
	}
	if got := expired(); got != before {
		t.Errorf("expired_keys %s → %s during the pause: a key was deleted", before, got)
	}
	if r, err := c.tryRead0Args([]string{"SET", "FOO"}, 2*time.Second); err != nil || !strings.HasPrefix(r, "-ERR wrong number of arguments for 'set' command") {
		t.Errorf("SET with one argument during the pause: %q, %v", r, err)
	}
	c.do("CLIENT", "UNPAUSE")
	c.do("GET", "foo")
	c.do("GET", "bar")
	if got, _ := strconv.Atoi(expired()); strconv.Itoa(got-2) != before {
		t.Errorf("expired_keys %d after UNPAUSE and two reads, want %s+2", got, before)
	}
}
