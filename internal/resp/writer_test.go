package resp

import "testing"

// TestWriterArrayAt: a header inserted at a mark reads as if it had been
// written first, for element counts whose header sizes differ.
func TestWriterArrayAt(t *testing.T) {
	for _, tc := range []struct {
		name  string
		elems []string
		want  string
	}{
		{"empty", nil, "+before\r\n*0\r\n"},
		{"one", []string{"a"}, "+before\r\n*1\r\n$1\r\na\r\n"},
		{"two digits", []string{"x", "y", "z", "x", "y", "z", "x", "y", "z", "x", "y", "z"},
			"+before\r\n*12\r\n" + "$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n"},
	} {
		w := &Writer{Proto: 2}
		w.Simple("before")
		mark := w.Len()
		for _, e := range tc.elems {
			w.BulkString(e)
		}
		w.ArrayAt(mark, len(tc.elems))
		if got := string(w.Buf); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
