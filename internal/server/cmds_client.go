package server

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
)

// CLIENT and its subcommands, and the CLIENT LIST line.

func (s *Server) clientCmd(c *command.Ctx) {
	sub := strings.ToLower(string(c.Args[1]))
	cl, ok := c.S.Owner.(*client)
	if !ok {
		// A script's own session (DEBUG SET-DISABLE-DENY-SCRIPTS lets a
		// script call CLIENT): what needs a connection is refused.
		switch sub {
		case "setinfo", "info", "getredir", "trackinginfo", "tracking", "caching", "reply", "no-evict":
			c.Error("ERR CLIENT " + strings.ToUpper(sub) + " needs a connection: it cannot run from a script")
			return
		}
	}
	switch {
	case sub == "id" && len(c.Args) == 2:
		c.W.Int(c.S.ID)
	case sub == "getname" && len(c.Args) == 2:
		if c.S.Name == "" {
			c.W.Null()
		} else {
			c.W.BulkString(c.S.Name)
		}
	case sub == "setname" && len(c.Args) == 3:
		if !validClientName(c.Args[2]) {
			c.Error("ERR Client names cannot contain spaces, newlines or special characters.")
			return
		}
		c.S.Name = string(c.Args[2])
		c.W.OK()
	case sub == "setinfo" && len(c.Args) == 4:
		attr := strings.ToLower(string(c.Args[2]))
		if attr != "lib-name" && attr != "lib-ver" {
			c.Error("ERR Unrecognized option '" + string(c.Args[2]) + "'")
			return
		}
		if !validClientName(c.Args[3]) {
			c.Error("ERR " + attr + " cannot contain spaces, newlines or special characters.")
			return
		}
		if attr == "lib-name" {
			cl.libName = string(c.Args[3])
		} else {
			cl.libVer = string(c.Args[3])
		}
		c.W.OK()
	case sub == "info" && len(c.Args) == 2:
		c.W.Verbatim(cl.info() + "\n")
	case sub == "list":
		s.clientList(c)
	case sub == "kill":
		s.clientKill(c)
	case sub == "pause" && (len(c.Args) == 3 || len(c.Args) == 4):
		ms, ok := resp.ParseInt(c.Args[2])
		if !ok {
			c.Error("ERR timeout is not an integer or out of range")
			return
		}
		if ms < 0 {
			c.Error("ERR timeout is negative")
			return
		}
		all := true
		if len(c.Args) == 4 {
			switch strings.ToUpper(string(c.Args[3])) {
			case "WRITE":
				all = false
			case "ALL":
			default:
				c.Error("ERR CLIENT PAUSE mode must be WRITE or ALL")
				return
			}
		}
		s.pause(time.Duration(ms)*time.Millisecond, all)
		c.W.OK()
	case sub == "unpause" && len(c.Args) == 2:
		s.unpause()
		c.W.OK()
	case sub == "no-evict" && len(c.Args) == 3:
		switch strings.ToLower(string(c.Args[2])) {
		case "on":
			c.S.Flags |= command.FlagNoEvict
		case "off":
			c.S.Flags &^= command.FlagNoEvict
		default:
			c.Error(command.ErrSyntax)
			return
		}
		c.W.OK()
	case sub == "unblock" && (len(c.Args) == 3 || len(c.Args) == 4):
		// The reason is checked before the id, as in Redis.
		errMode := false
		if len(c.Args) == 4 {
			switch strings.ToUpper(string(c.Args[3])) {
			case "ERROR":
				errMode = true
			case "TIMEOUT":
			default:
				c.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
				return
			}
		}
		id, ok := resp.ParseInt(c.Args[2])
		if !ok {
			c.Error(command.ErrNotInt)
			return
		}
		target := s.clients[id]
		if target == nil || !target.sess.Blocked() {
			c.W.Int(0)
			return
		}
		msg := ""
		if errMode {
			msg = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
		}
		s.eng.UnblockWithError(&target.sess, msg)
		target.Wake()
		c.W.Int(1)
	case sub == "getredir" && len(c.Args) == 2:
		c.W.Int(cl.trk.getRedir())
	case sub == "trackinginfo" && len(c.Args) == 2:
		st := &cl.trk
		c.W.Map(3)
		c.W.BulkString("flags")
		var flags []string
		if st.on {
			flags = append(flags, "on")
		} else {
			flags = append(flags, "off")
		}
		if st.bcast {
			flags = append(flags, "bcast")
		}
		if st.optin {
			flags = append(flags, "optin")
			if st.caching {
				flags = append(flags, "caching-yes")
			}
		}
		if st.optout {
			flags = append(flags, "optout")
			if st.caching {
				flags = append(flags, "caching-no")
			}
		}
		if st.noloop {
			flags = append(flags, "noloop")
		}
		if st.brokenRedirect {
			flags = append(flags, "broken_redirect")
		}
		c.W.Set(len(flags))
		for _, f := range flags {
			c.W.BulkString(f)
		}
		c.W.BulkString("redirect")
		c.W.Int(st.getRedir())
		c.W.BulkString("prefixes")
		c.W.Array(len(st.prefixes))
		for _, p := range st.prefixes {
			c.W.BulkString(p)
		}
	case sub == "caching" && len(c.Args) >= 3:
		st := &cl.trk
		if !st.on {
			c.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
			return
		}
		switch strings.ToLower(string(c.Args[2])) {
		case "yes":
			if !st.optin {
				c.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
				return
			}
		case "no":
			if !st.optout {
				c.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
				return
			}
		default:
			c.Error(command.ErrSyntax)
			return
		}
		st.caching = true
		c.W.OK()
	case sub == "tracking" && len(c.Args) >= 3:
		s.trackingCmd(c, cl)
	case sub == "reply" && len(c.Args) == 3:
		// OFF and SKIP answer nothing: the reply of OFF is dropped with the
		// rest, SKIP's own is not written (Redis's behaviour).
		switch strings.ToUpper(string(c.Args[2])) {
		case "ON":
			c.S.ReplyOn()
			c.W.OK()
		case "OFF":
			c.S.ReplyOff = true
		case "SKIP":
			if !c.S.ReplyOff {
				c.S.ReplySkipNext = true
			}
		default:
			c.Error(command.ErrSyntax)
		}
	case sub == "help" && len(c.Args) == 2:
		// Redis 7.0's text, line for line (KILL … ID and SETINFO work here
		// too, unlisted as in Redis 7.0's help).
		writeHelp(c, []string{
			"CACHING (YES|NO)", "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
			"GETREDIR", "    Return the client ID we are redirecting to when tracking is enabled.",
			"GETNAME", "    Return the name of the current connection.",
			"ID", "    Return the ID of the current connection.",
			"INFO", "    Return information about the current client connection.",
			"KILL <ip:port>", "    Kill connection made from <ip:port>.",
			"KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are:",
			"    * ADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made from the specified address",
			"    * LADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made to specified local address",
			"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Kill connections by type.",
			"    * USER <username>", "      Kill connections authenticated by <username>.",
			"    * SKIPME (YES|NO)", "      Skip killing current connection (default: yes).",
			"LIST [options ...]", "    Return information about client connections. Options:",
			"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Return clients of specified type.",
			"UNPAUSE", "    Stop the current client pause, resuming traffic.",
			"PAUSE <timeout> [WRITE|ALL]", "    Suspend all, or just write, clients for <timeout> milliseconds.",
			"REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
			"SETNAME <name>", "    Assign the name <name> to the current connection.",
			"UNBLOCK <clientid> [TIMEOUT|ERROR]", "    Unblock the specified blocked client.",
			"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]", "         [OPTIN] [OPTOUT] [NOLOOP]", "    Control server assisted client side caching.",
			"TRACKINGINFO", "    Report tracking status for the current connection.",
			"NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
		})
	default:
		c.Error(subcommandError(c))
	}
}

// clientTypeName maps CLIENT KILL/LIST TYPE arguments.
func clientTypeOf(cl *client) string {
	switch {
	case cl.sess.Flags&command.FlagMaster != 0:
		return "master"
	case cl.sess.Flags&command.FlagReplica != 0 && cl.sess.Flags&command.FlagMonitor == 0:
		return "replica"
	case cl.sess.Subscriptions() > 0:
		return "pubsub"
	}
	return "normal"
}

func parseClientType(b []byte) (string, bool) {
	switch strings.ToLower(string(b)) {
	case "normal":
		return "normal", true
	case "master":
		return "master", true
	case "replica", "slave":
		return "replica", true
	case "pubsub":
		return "pubsub", true
	}
	return "", false
}

func (s *Server) clientList(c *command.Ctx) {
	var want func(*client) bool
	wantPseudo := func(PseudoClient) bool { return true }
	args := c.Args[2:]
	switch {
	case len(args) == 0:
	case len(args) == 2 && strings.EqualFold(string(args[0]), "type"):
		t, ok := parseClientType(args[1])
		if !ok {
			c.Error("ERR Unknown client type '" + string(args[1]) + "'")
			return
		}
		want = func(cl *client) bool { return clientTypeOf(cl) == t }
		wantPseudo = func(p PseudoClient) bool { return p.ClientType() == t }
	case len(args) >= 2 && strings.EqualFold(string(args[0]), "id"):
		// As Redis: each id in the order given, an id with no client
		// (0, a negative one) skipped, a repeated one listed again.
		ids := make([]int64, 0, len(args)-1)
		for _, a := range args[1:] {
			id, ok := resp.ParseInt(a)
			if !ok {
				c.Error("ERR Invalid client ID")
				return
			}
			ids = append(ids, id)
		}
		var b strings.Builder
		for _, id := range ids {
			if cl := s.clients[id]; cl != nil {
				s.writeClientInfo(&b, cl)
				b.WriteByte('\n')
				continue
			}
			for _, p := range s.pseudoClients() {
				if p.ClientID() == id {
					b.WriteString(p.InfoLine())
					b.WriteByte('\n')
					break
				}
			}
		}
		c.W.Verbatim(b.String())
		return
	default:
		c.Error(command.ErrSyntax)
		return
	}
	var b strings.Builder
	// The link to our master is listed like any client: CLIENT LIST
	// TYPE master and ID select it too.
	for _, p := range s.pseudoClients() {
		if wantPseudo(p) {
			b.WriteString(p.InfoLine())
			b.WriteByte('\n')
		}
	}
	for _, cl := range s.sortedClients() {
		// A client being closed (killed, its user deleted) is gone for
		// Redis, which frees it before any other client runs.
		if (want != nil && !want(cl)) || cl.closing {
			continue
		}
		s.writeClientInfo(&b, cl)
		b.WriteByte('\n')
	}
	c.W.Verbatim(b.String())
}

func (s *Server) clientKill(c *command.Ctx) {
	args := c.Args[2:]
	if len(args) == 1 {
		// Old form: CLIENT KILL addr:port
		for _, cl := range s.clients {
			if cl.addr == string(args[0]) {
				s.killClient(cl, c.S)
				c.W.OK()
				return
			}
		}
		for _, p := range s.pseudoClients() {
			if p.RemoteAddr() == string(args[0]) {
				p.Kill()
				c.W.OK()
				return
			}
		}
		c.Error("ERR No such client")
		return
	}
	if len(args)%2 != 0 || len(args) == 0 {
		c.Error(command.ErrSyntax)
		return
	}
	var filters []func(clientView) bool
	skipme := true
	for i := 0; i < len(args); i += 2 {
		val := string(args[i+1])
		switch strings.ToLower(string(args[i])) {
		case "id":
			id, ok := resp.ParseInt(args[i+1])
			if !ok || id <= 0 {
				c.Error("ERR client-id should be greater than 0")
				return
			}
			filters = append(filters, func(cl clientView) bool { return cl.id == id })
		case "type":
			t, ok := parseClientType(args[i+1])
			if !ok {
				c.Error("ERR Unknown client type '" + val + "'")
				return
			}
			filters = append(filters, func(cl clientView) bool { return cl.typ == t })
		case "addr":
			filters = append(filters, func(cl clientView) bool { return cl.addr == val })
		case "laddr":
			filters = append(filters, func(cl clientView) bool { return cl.laddr == val })
		case "user":
			if s.acl.User(val) == nil {
				c.Error("ERR No such user '" + val + "'")
				return
			}
			filters = append(filters, func(cl clientView) bool { return cl.user == val })
		case "skipme":
			switch strings.ToLower(val) {
			case "yes":
				skipme = true
			case "no":
				skipme = false
			default:
				c.Error(command.ErrSyntax)
				return
			}
		default:
			c.Error(command.ErrSyntax)
			return
		}
	}
	match := func(v clientView) bool {
		for _, f := range filters {
			if !f(v) {
				return false
			}
		}
		return true
	}
	killed := 0
	for _, cl := range s.sortedClients() {
		if skipme && cl.sess.ID == c.S.ID {
			continue
		}
		if match(viewOf(cl)) {
			s.killClient(cl, c.S)
			killed++
		}
	}
	for _, p := range s.pseudoClients() {
		if match(clientView{id: p.ClientID(), addr: p.RemoteAddr(), laddr: p.LocalAddr(), typ: p.ClientType()}) {
			p.Kill()
			killed++
		}
	}
	c.W.Int(int64(killed))
}

// clientView is what CLIENT KILL filters look at.
type clientView struct {
	id               int64
	addr, laddr, typ string
	user             string
}

func viewOf(cl *client) clientView {
	return clientView{id: cl.sess.ID, addr: cl.addr, laddr: cl.laddr, typ: clientTypeOf(cl), user: cl.sess.User}
}

// killClient closes a connection (srv.mu held). Killing the caller itself
// waits until its reply is written.
func (s *Server) killClient(cl *client, caller *command.Session) {
	if cl.sess.ID == caller.ID {
		caller.Flags |= command.FlagCloseAfterReply
		cl.noteClose(CloseKilled)
		return
	}
	cl.closeFor(CloseKilled)
	cl.conn.Close()
	cl.Wake()
}

func (s *Server) writeClientInfo(b *strings.Builder, cl *client) {
	now := time.Now()
	flags := ""
	f := cl.sess.Flags
	if f&command.FlagMaster != 0 {
		flags += "M"
	}
	if f&command.FlagReplica != 0 {
		flags += "S"
	}
	if f&command.FlagMonitor != 0 {
		flags += "O"
	}
	if cl.sess.Subscriptions() > 0 {
		flags += "P"
	}
	if f&command.FlagMulti != 0 {
		flags += "x"
	}
	if cl.sess.Blocked() {
		flags += "b"
	}
	flags += cl.trk.listFlags()
	if f&command.FlagDirtyCAS != 0 {
		flags += "d"
	}
	if f&command.FlagCloseAfterReply != 0 {
		flags += "c"
	}
	if cl.unix {
		flags += "U"
	}
	if f&command.FlagNoEvict != 0 {
		flags += "e"
	}
	if flags == "" {
		flags = "N"
	}
	multi := -1
	if cl.sess.InMulti() {
		multi = cl.sess.MultiLen()
	}
	cmd := cl.sess.LastCmd
	if cmd == "" {
		cmd = "NULL"
	}
	// Replies not yet handed to the socket are the buffer (obl); a batch
	// the socket is still taking is one list entry (oll). omem is all the
	// output still pending, both of them: what client-output-buffer-limit
	// measures, so an operator (and Redis's own tests) watching omem sees
	// a client approach its limit before it is closed.
	unsent := cl.unsent.Load()
	oll := 0
	if unsent > 0 {
		oll = 1
	}
	omem := unsent + int64(len(cl.w.Buf))
	fmt.Fprintf(b, "id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d ssub=%d multi=%d qbuf=%d qbuf-free=%d argv-mem=%d multi-mem=%d rbs=%d rbp=%d obl=%d oll=%d omem=%d tot-mem=%d events=r cmd=%s user=%s redir=%d resp=%d",
		cl.sess.ID, cl.addr, cl.laddr, 8+cl.sess.ID, cl.sess.Name,
		int64(now.Sub(cl.created).Seconds()), int64(now.Sub(cl.lastIO).Seconds()), flags, cl.sess.DB,
		len(cl.sess.Channels), len(cl.sess.Patterns), len(cl.sess.ShardChannels), multi, cl.qbufLen-cl.qbufParsed, cl.queryMem()-int64(cl.qbufLen), cl.qbufParsed,
		cl.sess.MultiBytes(), max(cap(cl.w.Buf), cl.replySize), cl.replyPeak, len(cl.w.Buf), oll, omem,
		cl.memUsage(), cmd, cl.sess.User, cl.trk.getRedir(), cl.sess.Proto)
	if cl.libName != "" || cl.libVer != "" {
		fmt.Fprintf(b, " lib-name=%s lib-ver=%s", cl.libName, cl.libVer)
	}
}

func (s *Server) sortedClients() []*client {
	out := make([]*client, 0, len(s.clients))
	for _, cl := range s.clients {
		out = append(out, cl)
	}
	// By id, as Redis lists them (oldest first); an insertion sort here
	// was quadratic in the number of clients.
	slices.SortFunc(out, func(a, b *client) int { return cmp.Compare(a.sess.ID, b.sess.ID) })
	return out
}
