package command

import (
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/types"
)

// typeNamer lets value types beyond the four collections of package types
// (which TypeName matches directly) name themselves for TYPE.
type typeNamer interface{ TypeName() string }

// encoder is implemented by collection values; Encoding answers OBJECT
// ENCODING with Redis's names.
type encoder interface{ Encoding() string }

// cloner lets value types beyond the four collections of package types
// (whose Clone methods return their own type) deep-copy themselves (COPY).
type cloner interface{ Clone() any }

// TypeName is the TYPE of an entry.
func TypeName(e *keyspace.Entry) string {
	if e.IsString() {
		return "string"
	}
	switch v := e.Val().(type) {
	case *types.List:
		return "list"
	case *types.Hash:
		return "hash"
	case *types.Set:
		return "set"
	case *types.ZSet:
		return "zset"
	case typeNamer:
		return v.TypeName()
	}
	return "none"
}

// EncodingName is what OBJECT ENCODING answers for an entry. Strings follow
// Redis: "int" for canonical integers, "embstr" up to 44 bytes, else "raw";
// a string changed in place is "raw" as in Redis, and INCRBYFLOAT's result
// is never "int".
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
		if v.Verbatim && len(v.B) <= 44 {
			return "embstr"
		}
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
		return &keyspace.Bytes{B: append([]byte(nil), x.B...), Verbatim: x.Verbatim}
	case *types.List:
		return x.Clone()
	case *types.Hash:
		return x.Clone()
	case *types.Set:
		return x.Clone()
	case *types.ZSet:
		return x.Clone()
	case cloner:
		return x.Clone()
	}
	return v
}
