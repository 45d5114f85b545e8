package resp

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzRequest feeds arbitrary bytes to the request parser as a client
// would send them: multibulk, inline (with quotes), RESP3-looking lines
// (`%2`, `~1`, `_`, `,1.5`: requests are inline there), huge declared
// lengths, split in three pieces at fuzzed points, with a fuzzed
// proto-max-bulk-len and authenticated or not. Properties:
//   - no panic, and the same requests and error whatever the split;
//   - each request's Raw bytes are exactly the input bytes it consumed,
//     one request after the other;
//   - an unauthenticated client never gets a request past Redis's
//     unauthenticated limits (10 arguments, 16 KB bulks);
//   - memory: the buffer never grows past twice the input plus the bulk
//     limit (a declared length is a promise, not bytes);
//   - an inline argument never holds a line end, and outside quotes no
//     white space.
//
// The seed corpus is testdata/fuzz/FuzzRequest (and f.Add below).
func FuzzRequest(f *testing.F) {
	for _, s := range []string{
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "PING\r\n", "SET \"a b\" 'c\\'d' \"\\x41\\n\"\r\n", "\r\n\n  \t\r\n",
		"%2\r\n+a\r\n:1\r\n", "~1\r\n$1\r\nx\r\n", "_\r\n", ",1.5\r\n#t\r\n", "=5\r\ntxt:a\r\n", ">2\r\n",
		"*1\r\n$536870912\r\n", "*2147483648\r\n", "*-1\r\n*0\r\nPING\r\n", "$5\r\nhello\r\n",
		"*1\r\n$9223372036854775807\r\n", "*1\r\n$-1\r\n", "*1\r\n$01\r\nx\r\n", "*1\r\n$+1\r\nx\r\n",
		"*11\r\n" + strings.Repeat("$1\r\na\r\n", 11), "*1\r\n$16385\r\n" + strings.Repeat("v", 16385) + "\r\n",
		"GET \"unbalanced\r\n", "a\x00b c\r\n", "*1\r\n$3\r\nab", "*1\rx$1\rxa\rx",
	} {
		f.Add([]byte(s), uint16(1), uint16(5), false, uint8(10))
	}
	f.Fuzz(func(t *testing.T, data []byte, s1, s2 uint16, unauth bool, bulkShift uint8) {
		maxBulk := int64(1) << (10 + bulkShift%11) // 1 KB … 1 MB
		a := int(s1) % (len(data) + 1)
		b := a + int(s2)%(len(data)-a+1)
		whole := feedAndParse(t, data, []int{len(data)}, unauth, maxBulk)
		split := feedAndParse(t, data, []int{a, b, len(data)}, unauth, maxBulk)
		if whole != split {
			t.Fatalf("whole %q\nsplit at %d,%d %q", whole, a, b, split)
		}
	})
}

// feedAndParse feeds data in pieces ending at the given offsets, parses after
// each piece as the server does, checks the properties and returns a
// rendering of the requests (and the error that ended them).
func feedAndParse(t *testing.T, data []byte, ends []int, unauth bool, maxBulk int64) string {
	rd := NewReader(maxBulk)
	rd.Unauth = unauth
	var out strings.Builder
	consumed, from := 0, 0
	for _, end := range ends {
		rd.Feed(data[from:end])
		from = end
		if limit := 2*len(data) + int(maxBulk) + 64<<10; rd.Cap() > limit {
			t.Fatalf("buffer of %d bytes for %d input bytes (limit %d)", rd.Cap(), len(data), limit)
		}
		for {
			err := rd.Next()
			if err == ErrIncomplete {
				break
			}
			if err != nil {
				if _, ok := err.(*ProtocolError); !ok {
					t.Fatalf("error %T: %v", err, err)
				}
				out.WriteString("ERR:" + err.Error())
				return out.String()
			}
			raw := rd.Raw()
			if rd.RawLen <= 0 || consumed+rd.RawLen > len(data) || !bytes.Equal(raw, data[consumed:consumed+rd.RawLen]) {
				t.Fatalf("request at %d: Raw %q is not the input's next %d bytes", consumed, raw, rd.RawLen)
			}
			consumed += rd.RawLen
			if unauth && !rd.Inline {
				if len(rd.Args) > unauthMaxMultibulk {
					t.Fatalf("unauthenticated request with %d arguments", len(rd.Args))
				}
				for _, a := range rd.Args {
					if len(a) > unauthMaxBulkLength {
						t.Fatalf("unauthenticated bulk of %d bytes", len(a))
					}
				}
			}
			quoted := bytes.ContainsAny(raw, "\"'")
			for _, a := range rd.Args {
				if int64(len(a)) > maxBulk && !rd.Inline {
					t.Fatalf("bulk of %d bytes over the limit %d", len(a), maxBulk)
				}
				if rd.Inline && !quoted && (bytes.ContainsAny(a, " \t\r\n") || len(a) == 0) {
					t.Fatalf("inline argument %q", a)
				}
				out.WriteString(itoa(len(a)) + ":" + string(a) + ",")
			}
			out.WriteString(";")
		}
	}
	return out.String()
}
