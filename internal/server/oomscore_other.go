//go:build !linux

package server

import "errors"

// Only Linux has an OOM score to set (Redis says the same elsewhere).
var errNoOOMScore = errors.New("oom-score-adj is only supported on Linux")

func readOOMScoreAdj() (int, error) { return 0, errNoOOMScore }

func writeOOMScoreAdj(int) error { return errNoOOMScore }
