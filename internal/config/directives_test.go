package config

import "testing"

// Directives is how tests outside the package cover every directive
// (internal/app's CONFIG SET walk): it must list the whole table, with the
// defaults a fresh Config shows.
func TestDirectivesListsTheTable(t *testing.T) {
	c := New()
	ds := Directives()
	if len(ds) != len(table.list) {
		t.Fatalf("Directives lists %d, the table has %d", len(ds), len(table.list))
	}
	for _, d := range ds {
		v, ok := c.Value(d.Name)
		if !ok {
			t.Errorf("%s: unknown to Value", d.Name)
			continue
		}
		// New sets dir to the working directory; the table has no default.
		if d.Name != "dir" && v != d.Default {
			t.Errorf("%s: Default %q, a new Config shows %q", d.Name, d.Default, v)
		}
		err := c.Clone().Set([][2]string{{d.Name, d.Default}})
		if d.Mutable != (err == nil || !isImmutableErr(err)) {
			t.Errorf("%s: Mutable %v, CONFIG SET of its default: %v", d.Name, d.Mutable, err)
		}
	}
}

func isImmutableErr(err error) bool {
	se, ok := err.(*SetError)
	return ok && se.Reason == "can't set immutable config"
}
