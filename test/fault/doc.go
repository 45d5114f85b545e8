// Package fault is Tandem's fault-injection suite (issue 21): a group of
// one master, two replicas and three real redis-sentinel processes on
// 127.0.0.1, writers that find the master through Sentinel, faults (kill -9,
// SIGSTOP pauses, partitions, replica restarts, link flaps, SENTINEL
// FAILOVER, FAILOVER, SHUTDOWN), and checkers that count the acknowledged
// writes the group lost, the time no write succeeded, the full syncs the
// faults caused, and whether a single register stayed linearizable
// (porcupine). The same harness runs with Tandem and with Debian's
// redis-server in the nodes' place — same Sentinels, same faults, same
// seeds — and prints one table with both side by side.
//
// Everything lives in the package's _test.go files; this file only carries
// the package comment. Run it with
//
//	go test ./test/fault -count=1 -v                       # short mode (CI)
//	TANDEM_FAULT_LONG=1 go test ./test/fault -count=1 -v -timeout 60m
//
// How partitions are made: every node has a fault proxy in front of it
// (proxy_test.go) and announces the proxy's port as its address
// (replica-announce-port), and Sentinel is told to monitor the master's
// proxy. So Sentinel learns every node by its proxy address, talks to it
// through the proxy, and hands the same address to the replicas it
// reconfigures: every link that Sentinel or replication uses crosses a
// proxy, with no change to either program. Writers also learn proxy
// addresses from Sentinel, but dial the node directly (a table maps one to
// the other), so a partition isolates a node from its group while clients
// can still reach it — the case where an isolated master keeps taking
// writes that the rest of the group never sees.
package fault
