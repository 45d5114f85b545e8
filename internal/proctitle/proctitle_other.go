//go:build !linux

package proctitle

import "errors"

// Area is the memory a title is written to (none here).
type Area struct{}

// Take fails: titles are set on Linux only.
func Take() (*Area, error) {
	return nil, errors.New("proctitle: process titles are set on Linux only")
}

// Set does nothing.
func (a *Area) Set(string) {}
