package rdb

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestFunctionsDumpRoundTrip(t *testing.T) {
	codes := [][]byte{
		[]byte("#!lua name=a\nredis.register_function('a', function() return 1 end)"),
		[]byte("#!lua name=b\n" + strings.Repeat("-- compressible\n", 50)),
		[]byte("#!lua name=c\nx"),
	}
	for _, compress := range []bool{false, true} {
		p := AppendFunctionsDump([]byte("prefix"), codes, compress)[len("prefix"):]
		got, err := DecodeFunctionsDump(p)
		if err != nil {
			t.Fatalf("compress=%v: %v", compress, err)
		}
		if len(got) != len(codes) {
			t.Fatalf("compress=%v: %d codes", compress, len(got))
		}
		for i := range codes {
			if !bytes.Equal(got[i], codes[i]) {
				t.Fatalf("compress=%v: code %d = %q", compress, i, got[i])
			}
		}
		if compress && len(p) >= len(codes[1]) {
			t.Fatalf("compressed payload of %d bytes", len(p))
		}
	}
	if got, err := DecodeFunctionsDump(AppendFunctionsDump(nil, nil, true)); err != nil || len(got) != 0 {
		t.Fatalf("empty payload: %q %v", got, err)
	}
}

// TestFunctionsDumpErrors: Redis's texts for each kind of bad payload,
// and no panic on truncated records.
func TestFunctionsDumpErrors(t *testing.T) {
	good := AppendFunctionsDump(nil, [][]byte{[]byte("#!lua name=a\nx")}, false)
	body := good[:len(good)-dumpFooterLen]
	wrap := func(b []byte) []byte {
		p := append([]byte(nil), b...)
		p = append(p, byte(Version), 0)
		c := CRC64(0, p)
		for i := 0; i < 8; i++ {
			p = append(p, byte(c>>(8*i)))
		}
		return p
	}
	cases := []struct {
		p    []byte
		want string
	}{
		{nil, "DUMP payload version or checksum are wrong"},
		{good[:len(good)-1], "DUMP payload version or checksum are wrong"},
		{wrap([]byte{0x00, 'x'}), "given type is not a function"},
		{wrap([]byte{opFunction2}), "Failed loading library payload"},
		{wrap([]byte{opFunction2, 0x05, 'a'}), "Failed loading library payload"},
		{wrap([]byte{opFunction, 0x01, 'a'}), "failed loading the given functions payload"},
	}
	for i := 1; i < len(body); i++ {
		if _, err := DecodeFunctionsDump(wrap(body[:i])); err == nil {
			t.Fatalf("truncated to %d bytes: no error", i)
		}
	}
	for _, c := range cases {
		_, err := DecodeFunctionsDump(c.p)
		if err == nil || FunctionsDumpError(err) != c.want {
			t.Errorf("payload %q: %v (%q), want %q", c.p, err, FunctionsDumpError(err), c.want)
		}
		if !errors.Is(err, ErrDumpFooter) && !errors.Is(err, ErrFunctionsDump) {
			t.Errorf("payload %q: %v wraps neither error", c.p, err)
		}
	}
}
