package config

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Directives whose syntax is their own.

var defaultSave = []SavePoint{{3600, 1}, {300, 100}, {60, 10000}}

// save accumulates: while a file loads, its first save line replaces the
// default points and later ones add to them, except that save "" clears
// them; CONFIG SET replaces them all.
// (Redis 7.0 stops accumulating after an include line, a bug not copied.)
func saveDirective() *directive {
	return &directive{
		name: "save", flags: multiArg,
		init: func(c *Config) { c.Save = slices.Clone(defaultSave) },
		set: func(c *Config, args []string) error {
			reset := false
			if len(args) == 1 && args[0] == "" {
				args, reset = nil, true // save "" clears, even within a file
			}
			if len(args)%2 != 0 {
				return reason("Invalid save parameters")
			}
			points := make([]SavePoint, 0, len(args)/2)
			for j := 0; j < len(args); j += 2 {
				secs, rest1, _ := parseCInt(args[j], 10)
				changes, rest2, _ := parseCInt(args[j+1], 10)
				if rest1 != "" || rest2 != "" || secs < 1 || changes < 0 {
					return reason("Invalid save parameters")
				}
				points = append(points, SavePoint{secs, changes})
			}
			if st := c.loading; st != nil {
				if st.saveSeen && !reset {
					points = append(slices.Clone(c.Save), points...)
				}
				st.saveSeen = true
			}
			c.Save = points
			return nil
		},
		get: func(c *Config) string {
			parts := make([]string, 0, 2*len(c.Save))
			for _, p := range c.Save {
				parts = append(parts, strconv.FormatInt(p.Seconds, 10), strconv.FormatInt(p.Changes, 10))
			}
			return strings.Join(parts, " ")
		},
		// Redis always writes save lines, default or not.
		rewrite: func(c *Config) []rwLine {
			if len(c.Save) == 0 {
				return []rwLine{{`save ""`, true}}
			}
			lines := make([]rwLine, len(c.Save))
			for i, p := range c.Save {
				lines[i] = rwLine{"save " + strconv.FormatInt(p.Seconds, 10) + " " + strconv.FormatInt(p.Changes, 10), true}
			}
			return lines
		},
	}
}

var defaultBind = []string{"*", "-::*"}

func bindDirective() *directive {
	return &directive{
		name: "bind", flags: multiArg,
		init: func(c *Config) { c.Bind = slices.Clone(defaultBind) },
		set: func(c *Config, args []string) error {
			if len(args) > 16 {
				return reason("Too many bind addresses specified.")
			}
			if len(args) == 1 && args[0] == "" {
				args = nil
			}
			c.Bind = slices.Clone(args)
			return nil
		},
		get: func(c *Config) string { return strings.Join(c.Bind, " ") },
		rewrite: func(c *Config) []rwLine {
			if slices.Equal(c.Bind, defaultBind) {
				return nil
			}
			addrs := strings.Join(c.Bind, " ")
			if len(c.Bind) == 0 {
				addrs = `""`
			}
			return []rwLine{{"bind " + addrs, true}}
		},
	}
}

func replicaOfDirective() *directive {
	return &directive{
		name: "replicaof", alias: "slaveof", flags: immutable | multiArg,
		init: func(c *Config) { c.ReplicaOf = HostPort{} },
		set: func(c *Config, args []string) error {
			if len(args) != 2 {
				return errArgCount
			}
			c.ReplicaOf = HostPort{}
			if lower(args[0]) == "no" && lower(args[1]) == "one" {
				return nil
			}
			port, rest, ok := parseCInt(args[1], 10)
			if !ok || rest != "" || port < 0 || port > 65535 {
				return reason("Invalid master port")
			}
			c.ReplicaOf = HostPort{args[0], int(port)}
			return nil
		},
		get: func(c *Config) string {
			if c.ReplicaOf.Host == "" {
				return ""
			}
			return c.ReplicaOf.Host + " " + strconv.Itoa(c.ReplicaOf.Port)
		},
		rewrite: func(c *Config) []rwLine {
			if c.ReplicaOf.Host == "" || c.ClusterEnabled {
				return nil
			}
			return []rwLine{{"replicaof " + c.ReplicaOf.Host + " " + strconv.Itoa(c.ReplicaOf.Port), true}}
		},
	}
}

var defaultOutputLimits = [3]OutputBufferLimit{
	ClassNormal:  {0, 0, 0},
	ClassReplica: {256 << 20, 64 << 20, 60},
	ClassPubSub:  {32 << 20, 8 << 20, 60},
}

// Redis calls the replica class "slave" in CONFIG GET and accepts both.
var (
	classGetNames     = [3]string{"normal", "slave", "pubsub"}
	classRewriteNames = [3]string{"normal", "replica", "pubsub"}
)

func outputBufferLimitDirective() *directive {
	return &directive{
		name: "client-output-buffer-limit", flags: multiArg,
		init: func(c *Config) { c.ClientOutputBufferLimit = defaultOutputLimits },
		set: func(c *Config, args []string) error {
			if len(args)%4 != 0 {
				return reason("Wrong number of arguments in buffer limit configuration.")
			}
			limits := c.ClientOutputBufferLimit
			for j := 0; j < len(args); j += 4 {
				var class ClientClass
				switch lower(args[j]) {
				case "normal":
					class = ClassNormal
				case "slave", "replica":
					class = ClassReplica
				case "pubsub":
					class = ClassPubSub
				default:
					return reason("Invalid client class specified in buffer limit configuration.")
				}
				hard, ok1 := parseMemory(args[j+1])
				soft, ok2 := parseMemory(args[j+2])
				secs, rest, _ := parseCInt(args[j+3], 10)
				if !ok1 || !ok2 || secs < 0 || rest != "" {
					return reason("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
				}
				limits[class] = OutputBufferLimit{hard, soft, secs}
			}
			c.ClientOutputBufferLimit = limits
			return nil
		},
		get: func(c *Config) string {
			parts := make([]string, 0, 3)
			for i, l := range c.ClientOutputBufferLimit {
				parts = append(parts, classGetNames[i]+" "+strconv.FormatUint(l.Hard, 10)+" "+
					strconv.FormatUint(l.Soft, 10)+" "+strconv.FormatInt(l.SoftSeconds, 10))
			}
			return strings.Join(parts, " ")
		},
		rewrite: func(c *Config) []rwLine {
			lines := make([]rwLine, 0, 3)
			for i, l := range c.ClientOutputBufferLimit {
				lines = append(lines, rwLine{
					"client-output-buffer-limit " + classRewriteNames[i] + " " + formatMemory(l.Hard) + " " +
						formatMemory(l.Soft) + " " + strconv.FormatInt(l.SoftSeconds, 10),
					l != defaultOutputLimits[i],
				})
			}
			return lines
		},
	}
}

var defaultOOMScoreAdjValues = [3]int{0, 200, 800}

// OOMScoreAdjValues is oom-score-adj-values: the scores of a master, a
// replica and a background child (Tandem has none).
func (c *Config) OOMScoreAdjValues() [3]int { return c.stored["oom-score-adj-values"].([3]int) }

func oomScoreAdjValuesDirective() *directive {
	const name = "oom-score-adj-values"
	return &directive{
		name: name, flags: multiArg,
		init: func(c *Config) { c.stored[name] = defaultOOMScoreAdjValues },
		set: func(c *Config, args []string) error {
			if len(args) != 3 {
				return errArgCount
			}
			var v [3]int
			for i, a := range args {
				n, rest, _ := parseCInt(a, 10)
				if rest != "" || n < -2000 || n > 2000 {
					return reason("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
				}
				v[i] = int(n)
			}
			c.stored[name] = v
			return nil
		},
		get: func(c *Config) string {
			v := c.stored[name].([3]int)
			return strconv.Itoa(v[0]) + " " + strconv.Itoa(v[1]) + " " + strconv.Itoa(v[2])
		},
		rewrite: func(c *Config) []rwLine {
			v := c.stored[name].([3]int)
			return []rwLine{{name + " " + strconv.Itoa(v[0]) + " " + strconv.Itoa(v[1]) + " " + strconv.Itoa(v[2]),
				v != defaultOOMScoreAdjValues}}
		},
	}
}

// LatencyPercentiles are latency-tracking-info-percentiles: the
// percentiles INFO latencystats shows.
func (c *Config) LatencyPercentiles() []float64 {
	v, _ := c.stored["latency-tracking-info-percentiles"].([]float64)
	return v
}

func latencyPercentilesDirective() *directive {
	const name = "latency-tracking-info-percentiles"
	show := func(c *Config) string {
		v := c.stored[name].([]float64)
		parts := make([]string, len(v))
		for i, f := range v {
			parts[i] = formatFloat(f)
		}
		return strings.Join(parts, " ")
	}
	return &directive{
		name: name, flags: multiArg,
		init: func(c *Config) { c.stored[name] = []float64{50, 99, 99.9} },
		set: func(c *Config, args []string) error {
			if len(args) == 1 && args[0] == "" {
				args = nil
			}
			v := make([]float64, len(args))
			for i, a := range args {
				f, ok := parseCFloat(a)
				if !ok {
					return reason("Invalid latency-tracking-info-percentiles parameters")
				}
				if f > 100 || f < 0 {
					return reason("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
				}
				v[i] = f
			}
			c.stored[name] = v
			return nil
		},
		get: show,
		// Redis always writes this line.
		rewrite: func(c *Config) []rwLine {
			v := show(c)
			if v == "" {
				v = `""`
			}
			return []rwLine{{name + " " + v, true}}
		},
	}
}

func notifyDirective() *directive {
	return &directive{
		name: "notify-keyspace-events",
		init: func(c *Config) { c.NotifyKeyspaceEvents = 0 },
		set: func(c *Config, args []string) error {
			f, ok := parseKeyspaceEvents(args[0])
			if !ok {
				return reason("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
			}
			c.NotifyKeyspaceEvents = f
			return nil
		},
		get: func(c *Config) string { return c.NotifyKeyspaceEvents.String() },
		rewrite: func(c *Config) []rwLine {
			return []rwLine{{"notify-keyspace-events " + quote(c.NotifyKeyspaceEvents.String()), c.NotifyKeyspaceEvents != 0}}
		},
	}
}

// dir is where Redis chdirs, so a relative value is relative to the
// previous one, and it must be an existing directory. Config does not
// chdir: it keeps the absolute path for the server to use.
func dirDirective() *directive {
	return &directive{
		name: "dir", flags: protected | denyLoading,
		init: func(c *Config) {}, // New sets the working directory
		set: func(c *Config, args []string) error {
			p := args[0]
			if p == "" {
				return reason("No such file or directory")
			}
			if !filepath.IsAbs(p) {
				p = filepath.Join(c.Dir, p)
			}
			fi, err := os.Stat(p)
			if err != nil {
				return reason(strerror(err))
			}
			if !fi.IsDir() {
				return reason("Not a directory")
			}
			c.Dir = filepath.Clean(p)
			return nil
		},
		get: func(c *Config) string { return c.Dir },
		// Redis always writes dir, as an absolute path.
		rewrite: func(c *Config) []rwLine { return []rwLine{{"dir " + quote(c.Dir), true}} },
	}
}

func shutdownDirective(name string, field func(*Config) *ShutdownFlags) *directive {
	return &directive{
		name: name, flags: multiArg,
		init: func(c *Config) { *field(c) = 0 },
		set: func(c *Config, args []string) error {
			if len(args) == 0 {
				return enumError(shutdownNames)
			}
			var f ShutdownFlags
			for _, a := range args {
				i := slices.Index(shutdownNames, lower(a))
				if i < 0 {
					return enumError(shutdownNames)
				}
				if i > 0 {
					f |= 1 << (i - 1)
				}
			}
			if f&ShutdownSave != 0 && f&ShutdownNoSave != 0 {
				return reason("shutdown options SAVE and NOSAVE can't be used simultaneously")
			}
			*field(c) = f
			return nil
		},
		get: func(c *Config) string { return field(c).String() },
		rewrite: func(c *Config) []rwLine {
			f := *field(c)
			return []rwLine{{name + " " + f.String(), f != 0}}
		},
	}
}

// Validators of string directives, with Redis's texts.

func validDBFilename(_ *Config, v string) error {
	if strings.ContainsAny(v, `/\`) {
		return reason("dbfilename can't be a path, just a filename")
	}
	return nil
}

// validAOFName checks appendfilename and appenddirname, which, unlike
// dbfilename, may not be empty either.
func validAOFName(what, noun string) func(*Config, string) error {
	return func(_ *Config, v string) error {
		if v == "" {
			return reason(what + " can't be empty")
		}
		if strings.ContainsAny(v, `/\`) {
			return reason(what + " can't be a path, just a " + noun)
		}
		return nil
	}
}

func validHostname(_ *Config, v string) error {
	if len(v) >= 256 {
		return reason("Hostnames must be less than 256 characters")
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return reason("Hostnames may only contain alphanumeric characters, hyphens or dots")
		}
	}
	return nil
}

// validProcTitle expands the template as Redis does to check it: every
// {variable} must be known, "{{" is a literal brace, and the result with an
// empty title, trimmed of spaces, must not be empty.
func validProcTitle(c *Config, tpl string) error {
	if out, ok := expandProcTitle(c, tpl, ""); !ok || strings.Trim(out, " ") == "" {
		return reason("template format is invalid or contains unknown variables")
	}
	return nil
}

// ProcTitle is the process title proc-title-template gives, with title
// (the program's name as it was run) for {title}.
func (c *Config) ProcTitle(title string) string {
	out, _ := expandProcTitle(c, c.ProcTitleTemplate, title)
	return strings.Trim(out, " ")
}

// expandProcTitle fills tpl's {variables}; ok is false for an unknown
// one or an unclosed brace.
func expandProcTitle(c *Config, tpl, title string) (string, bool) {
	var out strings.Builder
	for p := tpl; p != ""; {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			out.WriteString(p)
			break
		}
		out.WriteString(p[:i])
		p = p[i+1:]
		if p == "" {
			return "", false
		}
		if p[0] == '{' {
			out.WriteByte('{')
			p = p[1:]
			continue
		}
		j := strings.IndexByte(p, '}')
		if j < 0 {
			return "", false
		}
		v, ok := procTitleVar(c, p[:j], title)
		if !ok {
			return "", false
		}
		out.WriteString(v)
		p = p[j+1:]
	}
	return out.String(), true
}

func procTitleVar(c *Config, name, title string) (string, bool) {
	switch name {
	case "title":
		return title, true
	case "listen-addr":
		if c.Port != 0 || c.TLSPort != 0 {
			addr := "*"
			if len(c.Bind) > 0 {
				addr = c.Bind[0]
			}
			port := c.Port
			if port == 0 {
				port = c.TLSPort
			}
			return addr + ":" + strconv.Itoa(port), true
		}
		return "unixsocket:" + c.UnixSocket, true
	case "server-mode":
		if c.ClusterEnabled {
			return "[cluster]", true
		}
		return "", true
	case "config-file":
		if c.path == "" {
			return "-", true
		}
		return c.path, true
	case "port":
		return strconv.Itoa(c.Port), true
	case "tls-port":
		return strconv.Itoa(c.TLSPort), true
	case "unixsocket":
		return c.UnixSocket, true
	}
	return "", false
}
