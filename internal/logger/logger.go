// Package logger writes Redis-format log lines:
//
//	pid:role dd Mon yyyy hh:mm:ss.mmm <level> message
//
// where role is M (master), S (replica) or C (background work, Redis's
// child process) and level is one of . - * # (debug, verbose, notice,
// warning). Operators and scripts grep these lines, so the format is kept
// exactly.
package logger

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Level is a log verbosity.
type Level int

// Levels, in increasing severity, as redis.conf's loglevel names them.
const (
	Debug Level = iota
	Verbose
	Notice
	Warning
)

var levelChars = [...]byte{'.', '-', '*', '#'}

// ParseLevel converts a loglevel name.
func ParseLevel(s string) (Level, bool) {
	switch strings.ToLower(s) {
	case "debug":
		return Debug, true
	case "verbose":
		return Verbose, true
	case "notice":
		return Notice, true
	case "warning":
		return Warning, true
	}
	return Notice, false
}

// Logger is safe for concurrent use.
type Logger struct {
	mu    sync.Mutex
	w     io.Writer
	f     *os.File // non-nil when we opened the file (reopened per line, as Redis does, so logrotate works)
	path  string
	level Level
	pid   int
	role  func() byte
}

// New returns a logger writing to path ("" = stdout) at the given level.
// role reports the current role character (M or S).
func New(path string, level Level, role func() byte) *Logger {
	l := &Logger{path: path, level: level, pid: os.Getpid(), role: role}
	if path == "" {
		l.w = os.Stdout
	}
	return l
}

// Discard returns a logger that writes nothing.
func Discard() *Logger {
	return &Logger{w: io.Discard, level: Warning + 1, role: func() byte { return 'M' }}
}

// SetLevel changes the verbosity.
func (l *Logger) SetLevel(level Level) {
	l.mu.Lock()
	l.level = level
	l.mu.Unlock()
}

// SetPath switches to another file ("" = stdout).
func (l *Logger) SetPath(path string) {
	l.mu.Lock()
	l.path = path
	if path == "" {
		l.w = os.Stdout
	} else {
		l.w = nil
	}
	l.mu.Unlock()
}

// Enabled reports whether lines of this level are written.
func (l *Logger) Enabled(level Level) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return level >= l.level
}

// Logf writes one line.
func (l *Logger) Logf(level Level, format string, args ...any) {
	l.log(level, l.role(), format, args...)
}

// Childf writes a line with role C (background snapshot or rewrite work).
func (l *Logger) Childf(level Level, format string, args ...any) {
	l.log(level, 'C', format, args...)
}

func (l *Logger) log(level Level, role byte, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if level < l.level {
		return
	}
	now := time.Now()
	line := fmt.Sprintf("%d:%c %s %c %s\n", l.pid, role, now.Format("02 Jan 2006 15:04:05.000"), levelChars[level], fmt.Sprintf(format, args...))
	if l.w != nil {
		io.WriteString(l.w, line)
		return
	}
	f, err := os.OpenFile(l.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	f.WriteString(line)
	f.Close()
}

// Raw writes text without a prefix (the start-up banner).
func (l *Logger) Raw(text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w != nil {
		io.WriteString(l.w, text)
		return
	}
	if f, err := os.OpenFile(l.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		f.WriteString(text)
		f.Close()
	}
}

// Debugf, Verbosef, Noticef and Warningf are shorthands for Logf.
func (l *Logger) Debugf(format string, args ...any)   { l.Logf(Debug, format, args...) }
func (l *Logger) Verbosef(format string, args ...any) { l.Logf(Verbose, format, args...) }
func (l *Logger) Noticef(format string, args ...any)  { l.Logf(Notice, format, args...) }
func (l *Logger) Warningf(format string, args ...any) { l.Logf(Warning, format, args...) }
