package repl

// Filtered full syncs: REPLCONF rdb-filter-only (Redis 7.0), which
// `redis-cli --functions-rdb` sends as "functions" (an RDB holding only
// the function libraries) and `redis-cli --replica` as "" (an RDB with
// neither data nor functions, then the stream). A filtered RDB is made
// for the replicas that asked for the same filter, always over their
// sockets (Redis never writes one to a file, where it could be taken for
// a snapshot), and no other replica shares it.

import (
	"bufio"
	"bytes"

	"github.com/tandemdb/tandem/internal/persist"
	"github.com/tandemdb/tandem/internal/rdb"
	"github.com/tandemdb/tandem/internal/resp"
)

// rdbFilter says what a replica's RDB leaves out (0: nothing).
type rdbFilter uint8

const (
	filterData      rdbFilter = 1 << iota // the databases' keys
	filterFunctions                       // the function libraries
)

// parseRDBFilter reads REPLCONF rdb-filter-only's value (Redis's
// sdssplitargs of it): everything is left out but what it names, and
// "functions" is the only name known. It returns the error reply, if any.
func parseRDBFilter(val string) (rdbFilter, string) {
	names, err := resp.SplitArgs(val)
	if err != nil {
		return 0, "ERR Missing rdb-filter-only values"
	}
	f := filterData | filterFunctions
	for _, n := range names {
		if !equalFold(n, "functions") {
			return 0, "ERR Unsupported rdb-filter-only option: " + n
		}
		f &^= filterFunctions
	}
	return f, ""
}

func equalFold(a, b string) bool { return bytes.EqualFold([]byte(a), []byte(b)) }

// streamFiltered writes the filtered RDB of a full sync: the header and
// AUX fields, the libraries unless left out, and the end. Nothing of the
// keyspace is read, so no snapshot is taken: the instant is now, under
// the lock, and the file is small enough to build there.
func (m *Manager) streamFiltered(w *bufio.Writer, atInstant func(), f rdbFilter) error {
	var buf bytes.Buffer
	m.srv.Lock()
	atInstant()
	enc := rdb.NewEncoder(&buf, persist.EncodeOptions(m.cfg))
	err := enc.Header()
	for _, a := range m.pm.AuxFields(false) {
		if err == nil {
			err = enc.Aux(a.Key, a.Value)
		}
	}
	if f&filterFunctions == 0 {
		for _, code := range m.pm.FunctionCodes() {
			if err == nil {
				err = enc.Function(code)
			}
		}
	}
	if err == nil {
		err = enc.Finish()
	}
	m.srv.Unlock()
	if err != nil {
		return err
	}
	if _, err = w.Write(buf.Bytes()); err != nil {
		return err
	}
	return w.Flush()
}
