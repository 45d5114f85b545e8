//go:build race

package testutil

// RaceEnabled is true when tests run with -race: the binary is built the same way.
const RaceEnabled = true
