package config

// Directives Tandem stores but does not act on fall in two groups. Most may
// be stored: Tandem behaves as Redis would with their default, and README
// lists them. The ones below would weaken security or durability if Tandem
// accepted a value it then ignored (a memory limit that never applies):
// they must stay at their
// default, disabled value until Tandem builds them. Start-up
// (CheckSupported) and CONFIG SET (OnlySupported) refuse anything else,
// naming the directive.

// notYet reports why Tandem cannot take the value d has in c, or "".
func notYet(c *Config, d *directive) string {
	name := d.name
	switch {
	case name == "rdb-del-sync-files":
		if d.get(c) == defaultOf(d) {
			return ""
		}

	default:
		return ""
	}
	return name + " is not supported by Tandem yet"
}

// notAtRunTime reports why a running Tandem cannot take a new value of d,
// or "". Every directive Tandem acts on can change at run time today
// (bind, port and tls-port re-bind their listeners); the hook stays for
// the next one that cannot.
func notAtRunTime(d *directive) string {
	return ""
}

// defaultOf is the CONFIG GET form of a directive's default value.
func defaultOf(d *directive) string {
	c := &Config{stored: map[string]any{}}
	d.init(c)
	return d.get(c)
}

// lineRef is where a configuration line was read, for errors found after
// the whole configuration is loaded.
type lineRef struct {
	seq  int // order of reading, across files
	file string
	line int
	text string
}

// noteLine records that the line at ref set directive name (lower case).
func (c *Config) noteLine(name string, ref lineRef) {
	if c.lines == nil {
		c.lines = make(map[string]lineRef)
	}
	c.lines[name] = ref
}

// unsupportedError is CheckSupported's report of the first line (in
// reading order) that sets a directive to a value Tandem cannot honour.
func (c *Config) unsupportedError(version string) error {
	var (
		found  bool
		best   lineRef
		reason string
	)
	for _, d := range table.list {
		r := notYet(c, d)
		if r == "" {
			continue
		}
		at := c.lines[d.name]
		if !found || at.seq < best.seq {
			found, best, reason = true, at, r
		}
	}
	if !found {
		return nil
	}
	file := best.file
	if file == "" {
		file = c.path
	}
	return &FileError{Version: version, File: file, Line: best.line, Text: best.text, Reason: reason}
}
