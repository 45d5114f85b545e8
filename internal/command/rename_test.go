package command

import "testing"

func TestTableRename(t *testing.T) {
	for _, tc := range []struct {
		renames [][2]string
		err     string
		visible map[string]string // name → real name ("" = unknown)
	}{
		{[][2]string{{"CONFIG", "abc123"}}, "", map[string]string{"config": "", "abc123": "config", "ABC123": "config"}},
		{[][2]string{{"keys", ""}}, "", map[string]string{"keys": "", "": ""}},
		{[][2]string{{"nosuch", "x"}}, "No such command in rename-command", nil},
		{[][2]string{{"get", "set"}}, "Target command name already exists", nil},
		{[][2]string{{"get", ""}, {"get", "x"}}, "No such command in rename-command", nil},
		{[][2]string{{"get", "tmp"}, {"set", "get"}, {"tmp", "set"}}, "", map[string]string{"get": "set", "set": "get", "tmp": ""}},
	} {
		tb := NewTable()
		tb.Add(&Spec{Name: "get"}, &Spec{Name: "set"}, &Spec{Name: "config"}, &Spec{Name: "keys"})
		var err error
		for _, r := range tc.renames {
			if err = tb.Rename(r[0], r[1]); err != nil {
				break
			}
		}
		if got := errText(err); got != tc.err {
			t.Errorf("%v: error %q, want %q", tc.renames, got, tc.err)
			continue
		}
		for name, real := range tc.visible {
			got := ""
			if s := tb.Lookup([]byte(name)); s != nil {
				got = s.Name
			}
			if got != real {
				t.Errorf("%v: Lookup(%q) = %q, want %q", tc.renames, name, got, real)
			}
			// Our master and the AOF still reach every command by its
			// real name.
			if s := tb.LookupOriginal([]byte(name)); real == "" && s != nil && s.Name != name {
				t.Errorf("%v: LookupOriginal(%q) = %q", tc.renames, name, s.Name)
			}
		}
		if err == nil && tb.Len() != len(tb.All()) {
			t.Errorf("%v: Len %d, All %d", tc.renames, tb.Len(), len(tb.All()))
		}
		for _, real := range []string{"get", "set", "config", "keys"} {
			if s := tb.LookupOriginal([]byte(real)); s == nil {
				t.Errorf("%v: LookupOriginal(%q) = nil", tc.renames, real)
			}
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
