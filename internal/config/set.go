package config

import (
	"errors"
	"slices"
	"strings"

	"github.com/tandemdb/tandem/internal/glob"
)

// Get answers CONFIG GET: the name/value pairs of the directives matching
// any of the glob patterns, case-insensitively, each at most once. A
// pattern without glob characters is a name and is answered under the
// spelling asked (an alias stays an alias); patterns match names and
// aliases alike, except hidden test knobs, which only an exact name finds.
// Pairs come in pattern order, then table order.
func (c *Config) Get(patterns ...string) [][2]string {
	var out [][2]string
	seen := make(map[string]bool)
	for _, p := range patterns {
		if !strings.ContainsAny(p, "[*?") {
			key := lower(p)
			if d := table.lookup(p); d != nil && !seen[key] {
				seen[key] = true
				out = append(out, [2]string{p, d.get(c)})
			}
			continue
		}
		for _, d := range table.list {
			if d.flags&hidden != 0 {
				continue
			}
			for _, n := range [2]string{d.name, d.alias} {
				if n != "" && !seen[n] && glob.MatchString(p, n, true) {
					seen[n] = true
					out = append(out, [2]string{n, d.get(c)})
				}
			}
		}
	}
	return out
}

// SetOption qualifies a CONFIG SET call.
type SetOption func(*setOptions)

type setOptions struct {
	local     bool
	loading   bool
	supported bool
}

// FromLocalClient says the client is on a loopback or Unix-socket
// connection, which enable-protected-configs local allows to change dir
// and dbfilename.
func FromLocalClient() SetOption { return func(o *setOptions) { o.local = true } }

// OnlySupported refuses values Tandem cannot honour yet (maxmemory, TLS,
// …; see notYet), with the reason "<name> is not supported by
// Tandem yet". The server sets it; tests of the grammar alone do not.
func OnlySupported() SetOption { return func(o *setOptions) { o.supported = true } }

// WhileLoading says a dataset is loading: appendonly, dir and
// repl-diskless-load are then refused with ErrLoading.
func WhileLoading() SetOption { return func(o *setOptions) { o.loading = true } }

// Set answers CONFIG SET name value [name value ...] (the caller checks
// the argument count: Redis replies a syntax error to an odd one). It is
// all or nothing, as in Redis 7.0: every name is checked first (unknown,
// immutable, protected, refused while loading, given twice), then every
// value is set in order, then the subscribers run (Subscribe); any failure puts every
// old value back. A multi-argument directive (save, bind,
// client-output-buffer-limit…) splits its value on single spaces.
//
// Errors are *SetError or ErrLoading, whose texts are Redis's replies.
func (c *Config) Set(pairs [][2]string, opts ...SetOption) error {
	var o setOptions
	for _, opt := range opts {
		opt(&o)
	}
	ds := make([]*directive, len(pairs))
	var fail error
	for i, p := range pairs {
		d := table.lookup(p[0])
		if d == nil {
			if fail == nil {
				fail = &SetError{Name: p[0], Unknown: true}
			}
			continue
		}
		if d.flags&denyLoading != 0 && o.loading {
			// Redis answers LOADING before any other error of the call:
			// clients may retry it, unlike a plain -ERR.
			fail = ErrLoading
		}
		if fail != nil {
			continue
		}
		switch {
		case d.flags&immutable != 0:
			fail = &SetError{Name: p[0], Reason: "can't set immutable config"}
		case d.flags&protected != 0 && !c.EnableProtectedConfigs.Permits(o.local):
			fail = &SetError{Name: p[0], Reason: "can't set protected config"}
		case d.flags&denyLoading != 0 && o.loading:
			fail = ErrLoading
		}
		// Redis compares names as given: an alias and its directive are
		// not duplicates, and the later value wins.
		for j := range i {
			if fail == nil && lower(pairs[j][0]) == lower(p[0]) {
				fail = &SetError{Name: p[0], Reason: "duplicate parameter"}
			}
		}
		ds[i] = d
	}
	if fail != nil {
		return fail
	}

	old := c.snapshot()
	var changed []*directive // in order, each once
	var names []string       // the name each was first changed under
	for i, p := range pairs {
		d := ds[i]
		args := []string{p[1]}
		if d.flags&multiArg != 0 {
			args = splitValue(p[1])
		}
		before := d.get(c)
		if err := d.set(c, args); err != nil {
			c.restore(old)
			return &SetError{Name: lower(p[0]), Reason: err.Error()}
		}
		if d.afterSet != nil {
			d.afterSet(c)
		}
		if o.supported {
			r := notYet(c, d)
			if r == "" && d.get(c) != before {
				r = notAtRunTime(d)
			}
			if r != "" {
				c.restore(old)
				return &SetError{Name: lower(p[0]), Reason: r}
			}
		}
		if (d.get(c) != before || d.flags&volatile != 0) && !slices.Contains(changed, d) {
			changed = append(changed, d)
			names = append(names, lower(p[0]))
		}
	}

	for i := range c.subs {
		sub := &c.subs[i]
		name, ok := firstWatched(sub, changed, names)
		if !ok {
			continue
		}
		if err := sub.fn(c); err != nil {
			c.restore(old)
			return &SetError{Name: name, Reason: err.Error(), Hook: err, RestoreErr: c.notify(changed)}
		}
	}
	return nil
}

// firstWatched returns the name under which the first of the changed
// directives the subscriber watches was given.
func firstWatched(sub *subscriber, changed []*directive, names []string) (string, bool) {
	for i, d := range changed {
		if sub.watches(d.name) {
			return names[i], true
		}
	}
	return "", false
}

// restore puts back the values of a snapshot, keeping the subscriptions.
func (c *Config) restore(old *Config) {
	subs := c.subs
	*c = *old
	c.subs = subs
}

// notify runs every subscriber the directives concern, gathering their
// errors.
func (c *Config) notify(ds []*directive) error {
	var errs []error
	for i := range c.subs {
		if _, ok := firstWatched(&c.subs[i], ds, make([]string, len(ds))); ok {
			if err := c.subs[i].fn(c); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// splitValue splits a multi-argument CONFIG SET value as Redis's
// sdssplitlen does: on every single space, and "" into no arguments.
func splitValue(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, " ")
}
