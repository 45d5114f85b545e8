package repl

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/server"
)

func (m *Manager) registerCommands() {
	adm := command.Admin | command.NoScript
	m.eng.Table.Add(
		&command.Spec{Name: "replicaof", Arity: 3, Flags: adm | command.Stale, Handler: m.replicaofCmd, Group: "server", Summary: "Configures a server as replica of another, or promotes it to a master.", Since: "5.0.0"},
		&command.Spec{Name: "slaveof", Arity: 3, Flags: adm | command.Stale, Handler: m.replicaofCmd, Group: "server", Summary: "Sets a Redis server as a replica of another, or promotes it to being a master.", Since: "1.0.0"},
		&command.Spec{Name: "replconf", Arity: -1, Flags: adm | command.Loading | command.Stale | command.AllowBusy, Handler: m.replconfCmd, Group: "server", Summary: "An internal command for configuring the replication stream.", Since: "3.0.0"},
		&command.Spec{Name: "psync", Arity: -3, Flags: adm | command.NoMulti, Handler: m.syncCmd, Group: "server", Summary: "An internal command used in replication.", Since: "2.8.0"},
		&command.Spec{Name: "sync", Arity: 1, Flags: adm | command.NoMulti, Handler: m.syncCmd, Group: "server", Summary: "An internal command used in replication.", Since: "1.0.0"},
		&command.Spec{Name: "failover", Arity: -1, Flags: adm | command.Stale, Handler: m.failoverCmd, Group: "server", Summary: "Starts a coordinated failover from this master to one of its replicas.", Since: "6.2.0"},
	)
}

func (m *Manager) replicaofCmd(c *command.Ctx) {
	if m.fo.state != noFailover {
		c.Error("ERR REPLICAOF not allowed while failing over.")
		return
	}
	if c.S.Flags&command.FlagReplica != 0 {
		c.Error("ERR Command is not valid when client is a replica.")
		return
	}
	host, portArg := string(c.Args[1]), string(c.Args[2])
	who := "user request from '" + m.srv.ClientInfo(c.S) + "'"
	if strings.EqualFold(host, "no") && strings.EqualFold(portArg, "one") {
		m.unsetMaster(who)
		c.W.OK()
		return
	}
	port, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(command.ErrNotInt)
		return
	}
	if port < 0 || port > 65535 {
		c.Error("ERR Invalid master port")
		return
	}
	if !m.setMaster(host, int(port), who) {
		c.W.Simple("OK Already connected to specified master")
		return
	}
	c.W.OK()
}

// Gate implements server.Gate: it applies the replication rules to clients' commands: replicas only
// talk REPLCONF; writes on a read-only replica, writes without enough good
// replicas, and stale reads are refused with Redis's errors.
func (m *Manager) Gate(s *command.Session, spec *command.Spec, args [][]byte) string {
	if s.Flags&command.FlagMaster != 0 {
		return ""
	}
	if s.Flags&command.FlagReplica != 0 {
		if spec.Name == "replconf" || spec.Name == "psync" || spec.Name == "sync" {
			return ""
		}
		m.log.Warningf("Replica generated a reply to command '%s', disconnecting it: %s", spec.Name, m.srv.ClientInfo(s))
		m.srv.Kill(s, server.CloseReplicaProtocol)
		return "ERR Replica can't interact with the keyspace"
	}
	write := spec.Flags&command.Write != 0
	if write && m.link == nil && m.cfg.MinReplicasToWrite > 0 && m.cfg.MinReplicasMaxLag > 0 {
		// Counted again when a replica may have stopped counting since the
		// last count (or started to: an ACK came), not only once a second
		// as in Redis: the master stops taking writes as soon as its
		// replicas are min-replicas-max-lag behind, and takes them again
		// as soon as they are back.
		if m.goodReplicas < m.cfg.MinReplicasToWrite || time.Now().After(m.goodUntil) {
			m.refreshGoodReplicas()
		}
		if m.goodReplicas < m.cfg.MinReplicasToWrite {
			return "NOREPLICAS Not enough good replicas to write."
		}
	}
	if m.link != nil {
		if write && m.cfg.ReplicaReadOnly {
			return "READONLY You can't write against a read only replica."
		}
		if !m.machine.connected() && !m.cfg.ReplicaServeStaleData && spec.Flags&command.Stale == 0 {
			return "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
		}
	}
	return ""
}

// Cron implements server.CronJob: replication's periodic work (lock held), once a second except
// where noted: PINGs and newlines to replicas, ACKs to our master, link and
// replica timeouts, delayed diskless syncs, backlog TTL.
func (m *Manager) Cron() {
	now := time.Now()
	// A failover's deadline is checked at every tick (hz), not once a
	// second: TIMEOUT is in milliseconds.
	m.updateFailover(now)
	// So is a pending full sync's start (see there).
	m.startPendingFullSync(now)
	if now.Sub(m.lastCron) < time.Second {
		if m.link != nil && now.Sub(m.lastAckDue) >= replicaAckEvery {
			m.lastAckDue = now
			m.stepLocked(event{kind: evAckDue})
		}
		return
	}
	m.lastAckDue = now
	m.lastCron = now
	m.streamTimeout.Store(int64(m.replTimeoutLocked()))
	m.expireWaiters(now)
	if m.link != nil {
		m.stepLocked(event{kind: evTick})
	}
	if len(m.replicas) > 0 && m.link == nil && m.backlog != nil {
		period := time.Duration(m.cfg.ReplPingReplicaPeriod) * time.Second
		// No PING while a failover with a deadline holds writes, as in
		// Redis: it would move the offset the replicas must reach.
		pingHeld := m.fo.state != noFailover && !m.fo.end.IsZero()
		if period > 0 && now.Sub(m.lastPing) >= period && !pingHeld {
			m.lastPing = now
			m.Propagate(m.selDB, [][]byte{[]byte("ping")})
		}
	}
	for _, r := range m.replicas {
		if r.closed {
			continue
		}
		// Keepalive newlines while a replica waits for its RDB: before the
		// snapshot starts, and during a disk snapshot until the file is sent.
		// Written here under the lock, so they can never land inside a
		// payload (the senders change state under the same lock first).
		if r.state == stateWaitBgsave && (r.cursor == nil || !r.diskless) {
			r.conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			r.conn.Write([]byte("\n"))
		}
		if r.state == stateOnline && !r.preSync && now.Sub(r.ackTime) > m.replTimeoutLocked() {
			m.log.Warningf("Disconnecting timedout replica (streaming sync): %s", r.name())
			m.srv.Kill(r.sess, server.CloseReplicaTimeout)
			r.close()
		}
	}
	m.refreshGoodReplicas()
	if m.link == nil && m.backlog != nil && len(m.replicas) == 0 && m.cfg.ReplBacklogTTL > 0 &&
		now.Sub(m.noReplicasSince) > time.Duration(m.cfg.ReplBacklogTTL)*time.Second {
		m.id.ID = NewID()
		m.id.ClearSecond()
		m.noDataTail = 0
		m.freeBacklog()
		m.log.Noticef("Replication backlog freed after %d seconds without connected replicas.", m.cfg.ReplBacklogTTL)
	}
}

// startPendingFullSync starts the full sync replicas wait for (lock
// held): at once without diskless sync, else once enough replicas wait or
// the oldest has waited repl-diskless-sync-delay. The wait is counted as
// Redis counts it, in whole seconds of the clock (a replica that asked at
// 12.9 s has waited 1 s at 13.0 s), but checked at every tick rather than
// at Redis's once-a-second replication cron: a check once a second made a
// delay of 1 take 1 to 2 s (Redis: 0 to 1 s), and a promoted master's
// replica (and WAIT on it) came back that much later after a failover.
func (m *Manager) startPendingFullSync(now time.Time) {
	if m.fullRunning {
		return
	}
	waiting, oldest := 0, now
	for _, r := range m.replicas {
		if r.state == stateWaitBgsave && r.cursor == nil && !r.closed {
			waiting++
			if r.waitSince.Before(oldest) {
				oldest = r.waitSince
			}
		}
	}
	if waiting == 0 {
		return
	}
	idle := now.Unix() - oldest.Unix()
	max := m.cfg.ReplDisklessSyncMaxReplicas
	if !m.cfg.ReplDisklessSync || idle >= int64(m.cfg.ReplDisklessSyncDelay) || (max > 0 && waiting >= max) {
		m.startFullSync()
	}
}

func (m *Manager) PseudoClients() []server.PseudoClient {
	if m.link == nil || !m.machine.connected() {
		return nil
	}
	return []server.PseudoClient{m.link}
}

func (m *Manager) Role(c *command.Ctx) {
	if m.link == nil {
		var online []*replica
		for _, r := range m.sortedReplicas() {
			if r.state == stateOnline {
				online = append(online, r)
			}
		}
		c.W.Array(3)
		c.W.BulkString("master")
		c.W.Int(m.id.Offset)
		c.W.Array(len(online))
		for _, r := range online {
			c.W.Array(3)
			c.W.BulkString(r.addrIP())
			c.W.BulkString(strconv.Itoa(r.listenPort))
			c.W.BulkString(strconv.FormatInt(r.ackOff, 10))
		}
		return
	}
	sm := m.machine
	c.W.Array(5)
	c.W.BulkString("slave")
	c.W.BulkString(sm.host)
	c.W.Int(int64(sm.port))
	c.W.BulkString(sm.phase.role())
	if sm.connected() {
		c.W.Int(sm.reploff)
	} else {
		c.W.Int(-1)
	}
}

func (m *Manager) sortedReplicas() []*replica {
	out := make([]*replica, 0, len(m.replicas))
	for _, r := range m.replicas {
		out = append(out, r)
	}
	// By id, as Redis lists them (oldest first); an insertion sort here
	// was quadratic in the number of clients.
	slices.SortFunc(out, func(a, b *replica) int { return cmp.Compare(a.sess.ID, b.sess.ID) })
	return out
}

// Info writes INFO replication in Redis 7.0's field order.
func (m *Manager) Info(b *strings.Builder) {
	f := func(k string, v any) { fmt.Fprintf(b, "%s:%v\r\n", k, v) }
	now := time.Now()
	if m.link == nil {
		f("role", "master")
	} else {
		sm := m.machine
		f("role", "slave")
		f("master_host", sm.host)
		f("master_port", sm.port)
		up := sm.connected()
		if up {
			f("master_link_status", "up")
			f("master_last_io_seconds_ago", int64(now.Sub(sm.lastIO).Seconds()))
		} else {
			f("master_link_status", "down")
			f("master_last_io_seconds_ago", -1)
		}
		syncing := sm.phase.syncing()
		f("master_sync_in_progress", b01(syncing))
		f("slave_read_repl_offset", sm.readOff)
		f("slave_repl_offset", sm.reploff)
		if syncing {
			f("master_sync_total_bytes", sm.syncTotal)
			f("master_sync_read_bytes", sm.syncRead)
			f("master_sync_left_bytes", sm.syncTotal-sm.syncRead)
			perc := 0.0
			if sm.syncTotal > 0 {
				perc = float64(sm.syncRead) * 100 / float64(sm.syncTotal)
			}
			f("master_sync_perc", fmt.Sprintf("%.2f", perc))
			f("master_sync_last_io_seconds_ago", int64(now.Sub(sm.lastIO).Seconds()))
		}
		if !up {
			if sm.downSince.IsZero() {
				f("master_link_down_since_seconds", -1)
			} else {
				f("master_link_down_since_seconds", int64(now.Sub(sm.downSince).Seconds()))
			}
		}
		f("slave_priority", m.cfg.ReplicaPriority)
		f("slave_read_only", b01(m.cfg.ReplicaReadOnly))
		f("replica_announced", b01(m.cfg.ReplicaAnnounced))
	}
	f("connected_slaves", len(m.replicas))
	if m.cfg.MinReplicasToWrite > 0 && m.cfg.MinReplicasMaxLag > 0 {
		f("min_slaves_good_slaves", m.goodReplicas)
	}
	i := 0
	for _, r := range m.sortedReplicas() {
		lag := int64(0)
		if r.state == stateOnline {
			lag = int64(now.Sub(r.ackTime).Seconds())
		}
		fmt.Fprintf(b, "slave%d:ip=%s,port=%d,state=%s,offset=%d,lag=%d\r\n", i, r.addrIP(), r.listenPort, r.state, r.ackOff, lag)
		i++
	}
	f("master_failover_state", m.fo.state)
	f("master_replid", m.id.ID)
	f("master_replid2", m.id.ID2)
	f("master_repl_offset", m.id.Offset)
	f("second_repl_offset", m.id.SecondOffset)
	if m.backlog != nil {
		r := m.backlog.Range()
		f("repl_backlog_active", 1)
		f("repl_backlog_size", m.cfg.ReplBacklogSize)
		f("repl_backlog_first_byte_offset", r.First)
		f("repl_backlog_histlen", r.Len)
	} else {
		f("repl_backlog_active", 0)
		f("repl_backlog_size", m.cfg.ReplBacklogSize)
		f("repl_backlog_first_byte_offset", 0)
		f("repl_backlog_histlen", 0)
	}
}

func b01(v bool) int {
	if v {
		return 1
	}
	return 0
}

// waiter is a client blocked in WAIT.
type waiter struct {
	sess     *command.Session
	target   int64
	want     int
	deadline time.Time
}

// acked counts online replicas that acknowledged offset off (lock held).
func (m *Manager) acked(off int64) int {
	n := 0
	for _, r := range m.replicas {
		if r.state == stateOnline && r.ackOff >= off {
			n++
		}
	}
	return n
}

func (m *Manager) Wait(c *command.Ctx) {
	if m.link != nil {
		c.Error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
		return
	}
	want, _ := resp.ParseInt(c.Args[1])
	ms, _ := resp.ParseInt(c.Args[2])
	target := c.S.WOff
	n := m.acked(target)
	if int64(n) >= want || c.InExec {
		c.W.Int(int64(n))
		return
	}
	w := &waiter{sess: c.S, target: target, want: int(want)}
	if ms > 0 {
		w.deadline = time.Now().Add(time.Duration(ms) * time.Millisecond)
	}
	m.waiters = append(m.waiters, w)
	// Ask every replica for an ACK now rather than at its next second.
	if m.backlog != nil {
		m.Propagate(m.selDB, [][]byte{[]byte("REPLCONF"), []byte("GETACK"), []byte("*")})
	}
	var timeout time.Duration
	if ms > 0 {
		timeout = time.Duration(ms) * time.Millisecond
	}
	c.Block(nil, timeout, func(wr *resp.Writer) {
		m.dropWaiter(w)
		wr.Int(int64(m.acked(w.target)))
	})
}

func (m *Manager) dropWaiter(w *waiter) {
	for i, x := range m.waiters {
		if x == w {
			m.waiters = append(m.waiters[:i], m.waiters[i+1:]...)
			return
		}
	}
}

// serveWaiters answers WAITs that have enough ACKs now (lock held).
func (m *Manager) serveWaiters() {
	for i := 0; i < len(m.waiters); i++ {
		w := m.waiters[i]
		if n := m.acked(w.target); n >= w.want {
			m.waiters = append(m.waiters[:i], m.waiters[i+1:]...)
			i--
			m.eng.UnblockWith(w.sess, func(wr *resp.Writer) { wr.Int(int64(n)) })
		}
	}
}

// expireWaiters is a safety net; timeouts are normally handled by the
// client's own timer through the engine.
func (m *Manager) expireWaiters(now time.Time) {
	for i := 0; i < len(m.waiters); i++ {
		if !m.waiters[i].sess.Blocked() {
			m.waiters = append(m.waiters[:i], m.waiters[i+1:]...)
			i--
		}
	}
}
