//go:build linux

package proctitle

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// Area is the memory a title is written to.
type Area struct {
	mu  sync.Mutex
	mem []byte
}

// Take claims the start-up arguments' memory (and the environment's right
// after it) for titles. It returns an error, and touches nothing, when
// that memory cannot be found or is not where os.Args points.
func Take() (*Area, error) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return nil, err
	}
	argStart, argEnd, envStart, envEnd, err := parseStat(stat)
	if err != nil {
		return nil, err
	}
	if len(os.Args) == 0 || len(os.Args[0]) == 0 {
		return nil, errors.New("proctitle: no program name")
	}
	// The title memory is reached through os.Args[0]'s own bytes, which
	// the runtime left in place (it does not copy them), so this is a
	// pointer into that memory, not a number turned into one.
	first := unsafe.StringData(os.Args[0])
	if uintptr(unsafe.Pointer(first)) != argStart || argEnd <= argStart {
		return nil, errors.New("proctitle: the arguments are not where the kernel says")
	}
	size := argEnd - argStart
	if envStart == argEnd && envEnd > envStart {
		size = envEnd - argStart
	}
	// Copies first: nothing may read the old memory once a title is in it.
	for i, a := range os.Args {
		os.Args[i] = strings.Clone(a)
	}
	env := os.Environ()
	for i, kv := range env {
		env[i] = strings.Clone(kv)
	}
	os.Clearenv()
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			os.Setenv(k, v)
		}
	}
	return &Area{mem: unsafe.Slice(first, size)}, nil
}

// Set shows title as the process's command line, cut to what the area
// holds. The rest of the area is zeroed: the kernel shows a title that
// runs past the arguments' end up to its first zero byte.
func (a *Area) Set(title string) {
	if a == nil || len(a.mem) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	n := copy(a.mem[:len(a.mem)-1], title)
	clear(a.mem[n:])
}

// parseStat reads arg_start, arg_end, env_start and env_end (fields 48 to
// 51) from /proc/self/stat. The second field, the command name in
// parentheses, may hold spaces and parentheses: fields are counted from
// the last ')'.
func parseStat(b []byte) (argStart, argEnd, envStart, envEnd uintptr, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, 0, 0, errors.New("proctitle: unreadable /proc/self/stat")
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 49 {
		return 0, 0, 0, 0, errors.New("proctitle: /proc/self/stat has no argument addresses")
	}
	var v [4]uintptr
	for k := range v {
		n, err := strconv.ParseUint(f[45+k], 10, 64)
		if err != nil || n == 0 {
			return 0, 0, 0, 0, errors.New("proctitle: /proc/self/stat hides the argument addresses")
		}
		v[k] = uintptr(n)
	}
	return v[0], v[1], v[2], v[3], nil
}
