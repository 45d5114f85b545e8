// Package gobench holds Go micro-benchmarks of Tandem's hot paths (RESP
// parsing, reply encoding, keyspace access, command dispatch) and an
// end-to-end benchmark that drives an embedded server over TCP, so that
// `go test -bench . -cpuprofile` captures the server's CPU profile.
//
// Run with bench/gobench.sh, or directly:
//
//	go test -run '^$' -bench . -benchmem ./bench/gobench
//
// The package has no tests, so `go test ./...` compiles it and moves on.
package gobench
