package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tandemdb/tandem/internal/acl"
	"github.com/tandemdb/tandem/internal/resp"
)

// Loader reads a configuration the way redis-server does at start-up.
// The zero value is ready to use.
type Loader struct {
	// Version is shown in error banners, e.g. "Tandem 0.3.0";
	// DefaultVersion when empty.
	Version string
	// Stdin is read when the configuration comes from standard input;
	// os.Stdin when nil.
	Stdin io.Reader
	// CommandExists, when set, makes rename-command check its arguments
	// as Redis does ("No such command in rename-command", "Target command
	// name already exists"); names arrive in lower case. When nil,
	// rename-command is stored unchecked for the server to check.
	CommandExists func(name string) bool
}

// Load reads the configuration with a zero Loader; see Loader.Load.
func Load(path string, args []string) (*Config, error) {
	return Loader{}.Load(path, args)
}

// maxIncludeDepth stops include cycles, which make Redis overflow its stack.
const maxIncludeDepth = 32

// loadState is what a Load carries from line to line.
type loadState struct {
	loader   Loader
	saveSeen bool            // a save line has replaced the default points
	seq      int             // lines applied so far, across files
	commands map[string]bool // rename-command's view: renamed away (false) or to (true)
	depth    int             // include nesting
}

// Load builds the configuration from Redis 7.0's defaults, then path, then
// args, exactly as redis-server does with its arguments:
//
//   - path is the configuration file (redis-server's first argument when
//     it does not start with '-'); "" means none, "-" standard input. A
//     glob pattern reads every matching file.
//   - args are the arguments after it: "--name value..." options, each
//     turned into the line `name "value"...` and read after the file, so
//     that later ones win (save lines add up, as in a file). A bare
//     "--save" followed by another option or by nothing means `save ""`.
//     A "-" as the first argument (when path is "") or the last one reads
//     standard input after the file and before the options.
//
// Lines are numbered across the file, standard input and the options, as
// Redis numbers them. include reads a file (or pattern, where no match is
// fine) relative to the working directory at that point: Redis chdirs on
// each dir line, so Dir is that directory.
//
// A bad line gives a *FileError, an unreadable file an *OpenError.
// Settings Redis accepts but Tandem cannot honour are accepted here;
// Config.CheckSupported reports them. Load has no side effects: unlike
// redis-server it neither chdirs into dir (it checks that dir exists) nor
// opens logfile; the server does both when it starts.
func (l Loader) Load(path string, args []string) (*Config, error) {
	if l.Version == "" {
		l.Version = DefaultVersion
	}
	c := New()
	c.loading = &loadState{loader: l}
	defer func() { c.loading = nil }()

	hasFile := path != "" && path != "-"
	opts, stdinArg := commandLine(args, hasFile)
	var content strings.Builder
	if hasFile {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, &OpenError{Path: path, Err: err}
		}
		c.path = abs
		if err := readFiles(&content, path); err != nil {
			return nil, err
		}
	}
	if path == "-" || stdinArg {
		in := l.Stdin
		if in == nil {
			in = os.Stdin
		}
		b, err := io.ReadAll(in)
		if err != nil {
			return nil, &OpenError{Path: "-", Err: err}
		}
		content.Write(b)
	}
	if len(args) > 0 {
		content.WriteString("\n")
		content.WriteString(opts)
	}
	if err := c.loadString(content.String(), c.path); err != nil {
		return nil, err
	}
	// Redis's checks of the whole configuration.
	if c.ClusterEnabled && c.IsReplica() {
		return nil, &FileError{Version: l.Version, File: c.path, Reason: "replicaof directive not allowed in cluster mode"}
	}
	c.HZ = clampHZ(c.HZ)
	return c, nil
}

// commandLine turns redis-server's arguments after the configuration file
// into configuration lines, as its main() does.
func commandLine(args []string, hasFile bool) (opts string, stdin bool) {
	var b strings.Builder
	valueSeen := true // the last option has at least one value
	for i, a := range args {
		last := i == len(args)-1
		nextIsOption := !last && strings.HasPrefix(args[i+1], "--")
		switch {
		case a == "-" && ((i == 0 && !hasFile) || last):
			stdin = true
		case valueSeen && strings.HasPrefix(a, "--"):
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			b.WriteString(a[2:])
			b.WriteString(" ")
			// "--port 6380" in one argument is a whole line already.
			if parts, err := resp.SplitArgs(a); err != nil || len(parts) != 1 {
				valueSeen = true
				break
			}
			valueSeen = false
			switch {
			case strings.EqualFold(a, "--save") && (nextIsOption || last):
				b.WriteString(`""`)
				valueSeen = true
			case strings.EqualFold(a, "--sentinel") && nextIsOption:
				valueSeen = true
			}
		default:
			b.WriteString(quote(a))
			b.WriteString(" ")
			valueSeen = true
		}
	}
	return b.String(), stdin
}

// readFiles appends the content of path, or of every file matching it if
// it is a glob pattern (none matching is fine), to b.
func readFiles(b *strings.Builder, path string) error {
	files := []string{path}
	if strings.ContainsAny(path, "*?[") {
		var err error
		if files, err = filepath.Glob(path); err != nil {
			files = nil // a malformed pattern matches nothing, as glob(3)
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return &OpenError{Path: f, Err: err}
		}
		b.Write(data)
	}
	return nil
}

// loadString applies configuration text; file names the file for errors.
func (c *Config) loadString(text, file string) error {
	st := c.loading
	for i, raw := range strings.Split(text, "\n") {
		line := strings.Trim(raw, " \t\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		args, err := resp.SplitArgs(line)
		if err != nil {
			err = reason("Unbalanced quotes in configuration line")
		} else if len(args) == 0 {
			continue
		} else {
			err = c.applyLine(args, st)
		}
		switch err := err.(type) {
		case nil:
			st.seq++
			ref := lineRef{seq: st.seq, file: file, line: i + 1, text: line}
			if d := table.lookup(args[0]); d != nil {
				c.noteLine(d.name, ref)
			} else if lower(args[0]) == "rename-command" {
				c.renames = append(c.renames[:len(c.renames):len(c.renames)], ref)
			}
		case reason:
			return &FileError{Version: st.loader.Version, File: file, Line: i + 1, Text: line, Reason: string(err)}
		default:
			return err // from an included file, already complete
		}
	}
	return nil
}

// deprecated directives are accepted, with one argument, and ignored.
var deprecated = map[string]bool{
	"list-max-ziplist-entries": true,
	"list-max-ziplist-value":   true,
	"lua-replicate-commands":   true,
}

func (c *Config) applyLine(args []string, st *loadState) error {
	name := lower(args[0])
	if d := table.lookup(name); d != nil {
		if d.flags&multiArg == 0 && len(args) != 2 {
			return errArgCount
		}
		if d.flags&multiArg != 0 && len(args) == 2 && args[1] != "" {
			// Like Redis, a multi-argument directive given one non-empty
			// argument splits it (`--save "3600 1 300 100"`).
			split, err := resp.SplitArgs(args[1])
			if err != nil {
				return reason("Unbalanced quotes in configuration line")
			}
			return d.set(c, split)
		}
		return d.set(c, args[1:])
	}
	if deprecated[name] && len(args) == 2 {
		return nil
	}
	switch {
	case name == "include" && len(args) == 2:
		return c.include(args[1], st)
	case name == "rename-command" && len(args) == 3:
		return c.renameCommand(args[1], args[2], st)
	case name == "user" && len(args) >= 2:
		return c.addUser(args)
	case name == "loadmodule" && len(args) >= 2:
		c.LoadModules = append(c.LoadModules[:len(c.LoadModules):len(c.LoadModules)], args[1:])
		return nil
	case strings.Contains(name, "."):
		if len(args) < 2 {
			return reason("Module config specified without value")
		}
		c.modules = append(c.modules[:len(c.modules):len(c.modules)], args)
		return nil
	case name == "sentinel":
		if len(args) != 1 {
			return reason("sentinel directive while not in sentinel mode")
		}
		return nil
	}
	return reason("Bad directive or wrong number of arguments")
}

func (c *Config) include(path string, st *loadState) error {
	if st.depth >= maxIncludeDepth {
		return reason("include nesting too deep (an include cycle?)")
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(c.Dir, path)
	}
	var b strings.Builder
	if err := readFiles(&b, path); err != nil {
		return err
	}
	st.depth++
	defer func() { st.depth-- }()
	return c.loadString(b.String(), path)
}

func (c *Config) renameCommand(from, to string, st *loadState) error {
	if exists := st.loader.CommandExists; exists != nil {
		if st.commands == nil {
			st.commands = make(map[string]bool)
		}
		known := func(n string) bool {
			n = lower(n)
			if v, ok := st.commands[n]; ok {
				return v
			}
			return exists(n)
		}
		if !known(from) {
			return reason("No such command in rename-command")
		}
		st.commands[lower(from)] = false
		if to != "" {
			if known(to) {
				return reason("Target command name already exists")
			}
			st.commands[lower(to)] = true
		}
	}
	c.RenameCommands = append(c.RenameCommands[:len(c.RenameCommands):len(c.RenameCommands)], [2]string{from, to})
	return nil
}

// addUser checks a user line as Redis does while reading the file (the
// rules' syntax; unknown commands are found at start-up) and keeps it.
func (c *Config) addUser(args []string) error {
	for _, u := range c.Users {
		if u[0] == args[1] {
			return reason(fmt.Sprintf("Error in user declaration '%s': %s", args[1], acl.DuplicateUserError))
		}
	}
	if bad, err := acl.CheckUserLine(args); err != nil {
		return reason(fmt.Sprintf("Error in user declaration '%s': %s", args[bad], err))
	}
	c.Users = append(c.Users[:len(c.Users):len(c.Users)], slices.Clone(args[1:]))
	return nil
}
