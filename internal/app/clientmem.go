package app

import (
	"math"
	"strconv"
	"strings"

	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/keyspace"
)

// clientMemorySettings reads maxmemory-clients (a percentage as -n) and
// maxmemory, its base, in their CONFIG GET forms.
func clientMemorySettings(c *config.Config) (clients, maxmemory int64) {
	if v := c.Get("maxmemory-clients"); len(v) == 1 {
		if p, ok := strings.CutSuffix(v[0][1], "%"); ok {
			n, _ := strconv.ParseInt(p, 10, 64)
			clients = -n
		} else {
			clients, _ = strconv.ParseInt(v[0][1], 10, 64)
		}
	}
	if v := c.Get("maxmemory"); len(v) == 1 {
		u, _ := strconv.ParseUint(v[0][1], 10, 64)
		maxmemory = int64(min(u, math.MaxInt64))
	}
	return clients, maxmemory
}

// setLazyfree copies the lazyfree-lazy-* settings to the keyspace (under
// the server lock: at start-up, or in CONFIG SET).
func setLazyfree(ks *keyspace.Keyspace, c *config.Config) {
	l := &ks.Lazy
	l.Eviction, l.Expire, l.ServerDel = c.LazyfreeLazyEviction, c.LazyfreeLazyExpire, c.LazyfreeLazyServerDel
	l.UserDel, l.UserFlush = c.LazyfreeLazyUserDel, c.LazyfreeLazyUserFlush
}
