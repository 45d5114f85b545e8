package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/acl"
	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
)

// ACL users (Redis 7.0): the ACL command, the permission check the engine
// asks before every command (aclChecker), AUTH and HELLO … AUTH
// (cmds_conn.go), user lines of redis.conf and the ACL file.

// ACLOptions are the ACL's start-up configuration.
type ACLOptions struct {
	// Users are redis.conf's user lines (name, rules…), applied in order.
	Users [][]string
	// File is aclfile ("" = none); File and Users may not both be set.
	File string
}

// errACLBoth is Redis's refusal of user lines together with an aclfile.
var errACLBoth = errors.New("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.")

// SetupACL builds the ACL once every command is registered (before
// rename-command: rules name commands by their real names, as in Redis),
// with requirepass as the default user's password, then the user lines or
// the ACL file. An error stops start-up; it names the bad rule or line.
func (s *Server) SetupACL(opts ACLOptions) error {
	s.initACL()
	s.aclFile = opts.File
	if opts.File != "" && len(opts.Users) > 0 {
		return errACLBoth
	}
	if err := s.acl.LoadUsers(opts.Users); err != nil {
		s.log.Warningf("%v", err)
		return errors.New("Critical error while loading ACLs. Exiting.")
	}
	for _, u := range opts.Users {
		if v := s.acl.User(u[0]); v != nil && !v.Enabled() {
			s.log.Noticef("The user '%s' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.", u[0])
		}
	}
	if opts.File != "" {
		b, err := os.ReadFile(opts.File)
		if err != nil {
			return fmt.Errorf("Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '%s': %v", opts.File, errnoText(err))
		}
		if _, err := s.acl.LoadFile(opts.File, string(b)); err != nil {
			return fmt.Errorf("Aborting Redis startup because of ACL errors: %v", err)
		}
	}
	return nil
}

// initACL makes the ACL from the command table, if not done yet (a server
// started without SetupACL, in tests, gets the default user only).
func (s *Server) initACL() {
	if s.acl != nil {
		return
	}
	s.acl = acl.New(acl.NewTable(s.eng.Table.All()))
	s.acl.PubsubAllChannels = s.set.ACLPubsubAll
	s.acl.Log.Max = s.set.ACLLogMaxLen
	s.acl.SetDefaultPassword(s.set.RequirePass)
	s.eng.Perm = (*aclChecker)(s)
}

// applyACLSettings follows CONFIG SET: requirepass is the default user's
// password, acllog-max-len bounds the log, acl-pubsub-default applies to
// users made from now on (srv.mu held).
func (s *Server) applyACLSettings(old Settings) {
	if s.acl == nil {
		return
	}
	if s.set.RequirePass != old.RequirePass {
		s.acl.SetDefaultPassword(s.set.RequirePass)
	}
	s.acl.PubsubAllChannels = s.set.ACLPubsubAll
	s.acl.Log.Max = s.set.ACLLogMaxLen
}

// errnoText is an OS error as strerror words it.
func errnoText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	msg := err.Error()
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return msg
}

// authRequired reports whether new connections must authenticate.
func (s *Server) authRequired() bool {
	if s.acl == nil {
		return s.set.RequirePass != ""
	}
	return s.acl.AuthRequired()
}

// userOf is the ACL user a session runs as: its client's, or for a
// script's session the user it was started by.
func (s *Server) userOf(sess *command.Session) *acl.User {
	if cl, ok := sess.Owner.(*client); ok && cl.user != nil {
		return cl.user
	}
	if u := s.acl.User(sess.User); u != nil {
		return u
	}
	return s.acl.Default
}

// aclChecker is the server as the engine's command.PermChecker.
type aclChecker Server

func (h *aclChecker) CheckPerm(sess, caller *command.Session, spec *command.Spec, args [][]byte, ctx command.PermContext) string {
	s := (*Server)(h)
	u := s.userOf(sess)
	if u.Unrestricted() {
		return ""
	}
	c := s.acl.Table.Resolve(spec, args)
	reason, pos := acl.DeniedCommand, 0
	name := spec.Name
	if c != nil {
		reason, pos = u.Check(c, args)
		name = c.Name
	}
	if reason == acl.OK {
		return ""
	}
	lctx := acl.Toplevel
	switch {
	case ctx == command.PermScript:
		lctx = acl.Lua
	case ctx == command.PermExec || sess.InMulti():
		lctx = acl.Multi
	}
	obj := name
	if reason != acl.DeniedCommand && pos < len(args) {
		obj = string(args[pos])
	}
	s.aclLog(reason, lctx, obj, u.Name, caller)
	switch ctx {
	case command.PermScript:
		return "The user executing the script " + aclErrorText(reason)
	case command.PermExec:
		why := "no permission"
		switch reason {
		case acl.DeniedCommand:
			why = "no permission to execute the command or subcommand"
		case acl.DeniedKey:
			why = "no permission to touch the specified keys"
		case acl.DeniedChannel:
			why = "no permission to access one of the channels used as arguments"
		}
		return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + why
	}
	switch reason {
	case acl.DeniedCommand:
		return "NOPERM this user has no permissions to run the '" + name + "' command"
	case acl.DeniedKey:
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	case acl.DeniedChannel:
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
	return "ERR no permission"
}

// Unrestricted reports whether the session's user may run anything
// (command.Engine.PermFree).
func (h *aclChecker) Unrestricted(sess *command.Session) bool {
	return (*Server)(h).userOf(sess).Unrestricted()
}

func (h *aclChecker) ReadsAnyKey(sess *command.Session, spec *command.Spec, args [][]byte) bool {
	s := (*Server)(h)
	u := s.userOf(sess)
	if u.Unrestricted() {
		return true
	}
	c := s.acl.Table.Resolve(spec, args)
	return c != nil && u.ReadsAnyKey(c, args)
}

// aclErrorText is Redis's short reason for a refusal (scripts' errors).
func aclErrorText(r acl.Reason) string {
	switch r {
	case acl.DeniedCommand:
		return "can't run this command or subcommand"
	case acl.DeniedKey:
		return "can't access at least one of the keys mentioned in the command arguments"
	case acl.DeniedChannel:
		return "can't publish to the channel mentioned in the command"
	}
	return "lacking the permissions for the command"
}

// aclLog adds an ACL LOG entry for a refusal by client caller.
func (s *Server) aclLog(reason acl.Reason, ctx acl.Context, object, user string, caller *command.Session) {
	info := ""
	if caller != nil {
		if cl, ok := caller.Owner.(*client); ok {
			info = cl.info()
		}
	}
	s.acl.Log.Add(acl.Entry{Reason: reason, Context: ctx, Object: object, Username: user,
		Millis: time.Now().UnixMilli(), ClientInfo: info})
}

// authenticate checks a user name and password (AUTH, HELLO … AUTH) and,
// when they match an enabled user, makes it the client's. A failure is
// logged in the ACL log under the command's name as the client typed it.
func (s *Server) authenticate(c *command.Ctx, name, pass string) bool {
	s.initACL()
	u := s.acl.User(name)
	if u == nil || !u.CheckPassword(pass) {
		ctx := acl.Toplevel
		if c.S.InMulti() {
			ctx = acl.Multi
		}
		s.aclLog(acl.DeniedAuth, ctx, string(c.Args[0]), name, c.S)
		return false
	}
	c.S.Authed = true
	c.S.User = u.Name
	if cl, ok := c.S.Owner.(*client); ok {
		cl.user = u
	}
	return true
}

// setDefaultUser gives a client the default user, authenticated when that
// needs no password (a new connection, RESET).
func (s *Server) setDefaultUser(cl *client) {
	s.initACL()
	cl.user = s.acl.Default
	cl.sess.User = "default"
	cl.sess.Authed = s.acl.Default.NoPass() && s.acl.Default.Enabled()
}

// killUserClients closes the connections authenticated as any of users
// (deleted, or replaced by ACL LOAD); the caller's own closes once its
// reply is written.
func (s *Server) killUserClients(users []*acl.User, caller *command.Session) {
	if len(users) == 0 {
		return
	}
	set := map[*acl.User]bool{}
	for _, u := range users {
		set[u] = true
	}
	for _, cl := range s.clients {
		if cl.user != nil && set[cl.user] {
			s.killClient(cl, caller)
		}
	}
}

// killRevokedSubscribers closes u's subscribers that use a channel or
// pattern u no longer allows (ACL SETUSER that shrank its channels).
func (s *Server) killRevokedSubscribers(u *acl.User, caller *command.Session) {
	for _, cl := range s.clients {
		if cl.user != u || cl.sess.Subscriptions() == 0 {
			continue
		}
		bad := false
		for p := range cl.sess.Patterns {
			bad = bad || !u.CheckChannel(p, true)
		}
		for ch := range cl.sess.Channels {
			bad = bad || !u.CheckChannel(ch, false)
		}
		for ch := range cl.sess.ShardChannels {
			bad = bad || !u.CheckChannel(ch, false)
		}
		if bad {
			s.killClient(cl, caller)
		}
	}
}

var aclSubcommands = []string{"cat", "deluser", "dryrun", "genpass", "getuser", "help", "list", "load", "log", "save", "setuser", "users", "whoami"}

func (s *Server) aclSpec() *command.Spec {
	return &command.Spec{Name: "acl", Arity: -2, Flags: command.Loading | command.Stale | command.NoScript, Handler: s.aclCmd,
		Group: "server", Summary: "A container for Access List Control commands.", Since: "6.0.0", Subcommands: aclSubcommands}
}

func (s *Server) aclCmd(c *command.Ctx) {
	s.initACL()
	sub := strings.ToLower(string(c.Args[1]))
	n := len(c.Args)
	switch {
	case sub == "setuser" && n >= 3:
		name := string(c.Args[2])
		if acl.HasSpaces(name) {
			c.Error("ERR Usernames can't contain spaces or null characters")
			return
		}
		rules := make([]string, 0, n-3)
		for _, a := range c.Args[3:] {
			rules = append(rules, string(a))
		}
		u, shrank, err := s.acl.SetUser(name, rules)
		if err != nil {
			c.Error("ERR " + err.Error())
			return
		}
		if shrank {
			s.killRevokedSubscribers(u, c.S)
		}
		c.W.OK()
	case sub == "deluser" && n >= 3:
		for _, a := range c.Args[2:] {
			if string(a) == "default" {
				c.Error("ERR The 'default' user cannot be removed")
				return
			}
		}
		var gone []*acl.User
		for _, a := range c.Args[2:] {
			if u := s.acl.DelUser(string(a)); u != nil {
				gone = append(gone, u)
			}
		}
		s.killUserClients(gone, c.S)
		c.W.Int(int64(len(gone)))
	case sub == "getuser" && n == 3:
		u := s.acl.User(string(c.Args[2]))
		if u == nil {
			c.W.Null()
			return
		}
		s.writeUserInfo(c, s.acl.Info(u))
	case (sub == "list" || sub == "users") && n == 2:
		names := s.acl.Names()
		c.W.Array(len(names))
		for _, name := range names {
			if sub == "users" {
				c.W.BulkString(name)
			} else {
				c.W.BulkString("user " + name + " " + s.acl.Describe(s.acl.User(name)))
			}
		}
	case sub == "whoami" && n == 2:
		c.W.BulkString(s.userOf(c.S).Name)
	case s.aclFile == "" && (sub == "load" || sub == "save"):
		c.Error("ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.")
	case sub == "load" && n == 2:
		b, err := os.ReadFile(s.aclFile)
		if err != nil {
			c.Error(fmt.Sprintf("ERR Error loading ACLs, opening file '%s': %s", s.aclFile, errnoText(err)))
			return
		}
		gone, err := s.acl.LoadFile(s.aclFile, string(b))
		if err != nil {
			c.Error("ERR " + err.Error())
			return
		}
		s.killUserClients(gone, c.S)
		c.W.OK()
	case sub == "save" && n == 2:
		if err := s.saveACLFile(); err != nil {
			s.log.Warningf("Writing ACL file for ACL SAVE: %v", err)
			c.Error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
			return
		}
		c.W.OK()
	case sub == "cat" && n == 2:
		c.W.Array(len(acl.Categories))
		for _, cat := range acl.Categories {
			c.W.BulkString(cat)
		}
	case sub == "cat" && n == 3:
		names, ok := s.acl.Table.InCategory(string(c.Args[2]))
		if !ok {
			c.Error("ERR Unknown category '" + cArg(c.Args[2], 128) + "'")
			return
		}
		c.W.Array(len(names))
		for _, name := range names {
			c.W.BulkString(name)
		}
	case sub == "genpass" && (n == 2 || n == 3):
		bits := int64(256)
		if n == 3 {
			v, ok := resp.ParseInt(c.Args[2])
			if !ok {
				c.Error("ERR value is not an integer or out of range")
				return
			}
			bits = v
		}
		if bits <= 0 || bits > 4096 {
			c.Error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
			return
		}
		chars := (bits + 3) / 4
		buf := make([]byte, (chars+1)/2)
		rand.Read(buf)
		c.W.BulkString(hex.EncodeToString(buf)[:chars])
	case sub == "log" && (n == 2 || n == 3):
		s.aclLogCmd(c)
	case sub == "dryrun" && n >= 4:
		s.aclDryRun(c)
	case sub == "help" && n == 2:
		writeHelp(c, []string{
			"CAT [<category>]",
			"    List all commands that belong to <category>, or all command categories",
			"    when no category is specified.",
			"DELUSER <username> [<username> ...]",
			"    Delete a list of users.",
			"DRYRUN <username> <command> [<arg> ...]",
			"    Returns whether the user can execute the given command without executing the command.",
			"GETUSER <username>",
			"    Get the user's details.",
			"GENPASS [<bits>]",
			"    Generate a secure 256-bit user password. The optional `bits` argument can",
			"    be used to specify a different size.",
			"LIST",
			"    Show users details in config file format.",
			"LOAD",
			"    Reload users from the ACL file.",
			"LOG [<count> | RESET]",
			"    Show the ACL log entries.",
			"SAVE",
			"    Save the current config to the ACL file.",
			"SETUSER <username> <attribute> [<attribute> ...]",
			"    Create or modify a user with the specified attributes.",
			"USERS",
			"    List all the registered usernames.",
			"WHOAMI",
			"    Return the current connection username.",
		})
	default:
		c.Error(subcommandSyntaxError(c.Args))
	}
}

// writeUserInfo writes ACL GETUSER's map: flags (a set), passwords, the
// root selector's commands, keys and channels, then the other selectors.
func (s *Server) writeUserInfo(c *command.Ctx, ui acl.UserInfo) {
	c.W.Map(6)
	c.W.BulkString("flags")
	c.W.Set(len(ui.Flags))
	for _, f := range ui.Flags {
		c.W.BulkString(f)
	}
	c.W.BulkString("passwords")
	c.W.Array(len(ui.Passwords))
	for _, p := range ui.Passwords {
		c.W.BulkString(p)
	}
	writeSelectorInfo(c, ui.Root)
	c.W.BulkString("selectors")
	c.W.Array(len(ui.Selectors))
	for _, si := range ui.Selectors {
		c.W.Map(3)
		writeSelectorInfo(c, si)
	}
}

func writeSelectorInfo(c *command.Ctx, si acl.SelectorInfo) {
	c.W.BulkString("commands")
	c.W.BulkString(si.Commands)
	c.W.BulkString("keys")
	c.W.BulkString(si.Keys)
	c.W.BulkString("channels")
	c.W.BulkString(si.Channels)
}

func (s *Server) aclLogCmd(c *command.Ctx) {
	count := int64(10)
	if len(c.Args) == 3 {
		if strings.EqualFold(string(c.Args[2]), "reset") {
			s.acl.Log.Reset()
			c.W.OK()
			return
		}
		v, ok := resp.ParseInt(c.Args[2])
		if !ok {
			c.Error("ERR value is not an integer or out of range")
			return
		}
		count = max(v, 0)
	}
	entries := s.acl.Log.Entries
	if count < int64(len(entries)) {
		entries = entries[:count]
	}
	now := time.Now().UnixMilli()
	c.W.Array(len(entries))
	for _, e := range entries {
		c.W.Map(7)
		c.W.BulkString("count")
		c.W.Int(e.Count)
		c.W.BulkString("reason")
		c.W.BulkString(e.Reason.String())
		c.W.BulkString("context")
		c.W.BulkString(e.Context.String())
		c.W.BulkString("object")
		c.W.BulkString(e.Object)
		c.W.BulkString("username")
		c.W.BulkString(e.Username)
		c.W.BulkString("age-seconds")
		c.W.Double(float64(now-e.Millis) / 1000)
		c.W.BulkString("client-info")
		c.W.BulkString(e.ClientInfo)
	}
}

// aclDryRun answers ACL DRYRUN user command args…: OK, or why the user
// may not run it (as a bulk string, as Redis answers it).
func (s *Server) aclDryRun(c *command.Ctx) {
	u := s.acl.User(string(c.Args[2]))
	if u == nil {
		c.Error("ERR User '" + cArg(c.Args[2], -1) + "' not found")
		return
	}
	args := c.Args[3:]
	// The command as clients call it (after rename-command), as Redis's
	// lookupCommand finds it: an unknown subcommand is no command.
	spec := s.eng.Table.Lookup(args[0])
	if spec == nil {
		c.Error("ERR Command '" + cArg(args[0], -1) + "' not found")
		return
	}
	cmd := s.acl.Table.Resolve(spec, args)
	if cmd == nil || (len(cmd.Subs) > 0 && len(args) >= 2) {
		c.Error("ERR Command '" + cArg(args[0], -1) + "' not found")
		return
	}
	arity := spec.Arity
	if cmd.Parent != nil {
		if a, ok := command.SubcommandArity(spec.Name, cmd.Name[len(spec.Name)+1:]); ok {
			arity = a
		}
	}
	if (arity > 0 && len(args) != arity) || len(args) < -arity {
		c.Error("ERR wrong number of arguments for '" + cmd.Name + "' command")
		return
	}
	reason, pos := u.Check(cmd, args)
	switch reason {
	case acl.OK:
		c.W.OK()
	case acl.DeniedCommand:
		c.W.BulkString("This user has no permissions to run the '" + cmd.Name + "' command")
	case acl.DeniedKey:
		c.W.BulkString("This user has no permissions to access the '" + string(args[pos]) + "' key")
	default:
		c.W.BulkString("This user has no permissions to access the '" + string(args[pos]) + "' channel")
	}
}

// saveACLFile writes every user to the ACL file: a temporary file in the
// same directory, then renamed over it, so a reader never sees half.
func (s *Server) saveACLFile() error {
	var b strings.Builder
	for _, l := range s.acl.Lines() {
		b.WriteString(l + "\n")
	}
	tmp := fmt.Sprintf("%s.tmp-%d-%d", s.aclFile, os.Getpid(), time.Now().UnixMilli())
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, s.aclFile); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// ACLUserLines are the users as redis.conf user lines ("user name
// rules"), for CONFIG REWRITE when there is no ACL file (nil otherwise).
// srv.mu must be held (CONFIG REWRITE runs as a command).
func (s *Server) ACLUserLines() []string {
	if s.acl == nil || s.aclFile != "" {
		return nil
	}
	return s.acl.Lines()
}

// Allowed reports whether sess's user may run the call, without logging
// a refusal: redis.acl_check_cmd's question (internal/script).
func (h *aclChecker) Allowed(sess *command.Session, spec *command.Spec, args [][]byte) bool {
	s := (*Server)(h)
	u := s.userOf(sess)
	if u.Unrestricted() {
		return true
	}
	c := s.acl.Table.Resolve(spec, args)
	if c == nil {
		return false
	}
	reason, _ := u.Check(c, args)
	return reason == acl.OK
}
