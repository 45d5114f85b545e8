package server

import (
	"strings"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
)

// lolwutCmd is LOLWUT [VERSION v]: Redis draws computer art here; Tandem
// draws its own (a tandem bicycle, two riders, one direction) whatever the
// version asked for, and then its version, as Redis ends with its own.
func (s *Server) lolwutCmd(c *command.Ctx) {
	args := c.Args[1:]
	if len(args) >= 2 && strings.EqualFold(string(args[0]), "version") {
		v, ok := resp.ParseInt(args[1])
		if !ok {
			c.Error(command.ErrNotInt)
			return
		}
		args = args[2:]
		// Redis's versions 5 and 6 take their drawing's sizes as integer
		// arguments (3 and 2 of them) and refuse anything else; the
		// others take none and ignore what follows.
		n := 0
		switch uint32(v) {
		case 5:
			n = 3
		case 6:
			n = 2
		}
		for i := 0; i < n && i < len(args); i++ {
			if _, ok := resp.ParseInt(args[i]); !ok {
				c.Error(command.ErrNotInt)
				return
			}
		}
	}
	art := `
                 __o        __o
               _ \<_      _ \<_
   ___________(_)/(_)____(_)/(_)___________
   one master, its replicas: the same road.

`
	c.W.Verbatim(art + "Tandem ver. " + TandemVersion + " (Redis ver. " + Version + " compatible)\n")
}
