package config

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultVersion names the server in configuration error banners when the
// Loader is not given a Version.
const DefaultVersion = "Tandem"

// ErrNoConfigFile is returned by Rewrite when the configuration was not read
// from a file (no file, or standard input). Its text is Redis's reply.
var ErrNoConfigFile = errors.New("ERR The server is running without a config file")

// ErrLoading is returned by Set, given WhileLoading, for a directive Redis
// refuses to change while a dataset loads (appendonly, dir,
// repl-diskless-load). Its text is Redis's -LOADING reply.
var ErrLoading = errors.New("LOADING Redis is loading the dataset in memory")

// FileError is a fatal error in the configuration read at start-up. Error
// returns exactly the banner redis-server prints on stderr before exiting,
// leading and trailing newline included, so print it as is:
//
//	*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
//	Reading the configuration file, at line 2
//	>>> 'port abc'
//	argument couldn't be parsed into an integer
type FileError struct {
	// Version is shown in the banner's parentheses ("Tandem 0.1").
	Version string
	// File is the file holding the line: the main file (whose lines are
	// followed by those from standard input and the command line, numbered
	// on) or an included file. Redis does not print it; it is for logs.
	File string
	// Line is 1-based; 0 when the error concerns the whole configuration
	// (then the banner has no line part).
	Line int
	// Text is the offending line, trimmed of surrounding white space.
	Text string
	// Reason is Redis's explanation, such as "Bad directive or wrong number
	// of arguments".
	Reason string
}

func (e *FileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n*** FATAL CONFIG FILE ERROR (%s) ***\n", e.Version)
	if e.Line > 0 {
		fmt.Fprintf(&b, "Reading the configuration file, at line %d\n", e.Line)
		fmt.Fprintf(&b, ">>> '%s'\n", e.Text)
	}
	b.WriteString(e.Reason)
	b.WriteByte('\n')
	return b.String()
}

// OpenError reports a configuration file (main or included) that cannot be
// read. Redis logs the same sentence and exits without a banner.
type OpenError struct {
	Path string
	Err  error
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("Fatal error, can't open config file '%s': %s", e.Path, strerror(e.Err))
}

func (e *OpenError) Unwrap() error { return e.Err }

// SetError is a failed CONFIG SET. Error returns Redis's reply text without
// the leading '-'.
type SetError struct {
	// Name is the argument the reply names: as the client typed it for an
	// unknown, immutable, protected or duplicate one, else the directive
	// name it matched (lower case; an alias if the client used the alias).
	Name string
	// Unknown is set when no directive has that name.
	Unknown bool
	// Reason is Redis's explanation ("argument must be 'yes' or 'no'") or
	// the error text a subscriber returned.
	Reason string
	// Hook is the error of the subscriber that vetoed the change.
	Hook error
	// RestoreErr collects the errors subscribers returned while the old values
	// were being put back after a veto; Redis only logs those.
	RestoreErr error
}

func (e *SetError) Error() string {
	switch {
	case e.Unknown:
		return fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", e.Name)
	case e.Reason != "":
		return fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", e.Name, e.Reason)
	}
	return fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s')", e.Name)
}

func (e *SetError) Unwrap() error { return e.Hook }

// RewriteError is a failed CONFIG REWRITE; Error is Redis's reply text.
type RewriteError struct {
	Err error
}

func (e *RewriteError) Error() string {
	return "ERR Rewriting config file: " + strerror(e.Err)
}

func (e *RewriteError) Unwrap() error { return e.Err }

// reason is a directive's refusal of a value: just Redis's text, which the
// caller wraps in a FileError or a SetError.
type reason string

func (r reason) Error() string { return string(r) }

const errArgCount reason = "wrong number of arguments"
