package command

import (
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
)

// typeNamer is implemented by every collection value stored in the
// keyspace; TypeName answers TYPE ("list", "hash", "set", "zset").
type typeNamer interface{ TypeName() string }

// encoder is implemented by collection values; Encoding answers OBJECT
// ENCODING with Redis's names.
type encoder interface{ Encoding() string }

// cloner is implemented by collection values; Clone returns a deep copy
// (COPY).
type cloner interface{ Clone() any }

// TypeName is the TYPE of an entry.
func TypeName(e *keyspace.Entry) string {
	if e.IsString() {
		return "string"
	}
	if t, ok := e.Val().(typeNamer); ok {
		return t.TypeName()
	}
	return "none"
}

// EncodingName is what OBJECT ENCODING answers for an entry. Strings follow
// Redis: "int" for canonical integers, "embstr" up to 44 bytes, else "raw";
// a string changed in place is "raw" as in Redis.
func EncodingName(e *keyspace.Entry) string {
	switch v := e.Val().(type) {
	case nil:
		s := e.Str()
		if len(s) <= 20 {
			if _, ok := resp.ParseInt([]byte(s)); ok {
				return "int"
			}
		}
		if len(s) <= 44 {
			return "embstr"
		}
		return "raw"
	case *keyspace.Bytes:
		return "raw"
	case encoder:
		return v.Encoding()
	}
	return "unknown"
}

// CloneValue deep-copies a non-string value.
func CloneValue(v any) any {
	switch x := v.(type) {
	case *keyspace.Bytes:
		return &keyspace.Bytes{B: append([]byte(nil), x.B...)}
	case cloner:
		return x.Clone()
	}
	return v
}
