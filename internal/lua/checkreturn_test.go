package lua

import "testing"

// checkReturn runs code on L, wants its first result to read as want, and
// closes L: the table tests of the VM's paths share it.
func checkReturn(t *testing.T, L *LState, code, want string) {
	t.Helper()
	defer L.Close()
	if err := L.DoString(code); err != nil {
		t.Errorf("%q: %v", code, err)
	} else if got := L.Get(-1).String(); got != want {
		t.Errorf("%q = %q, want %q", code, got, want)
	}
}
