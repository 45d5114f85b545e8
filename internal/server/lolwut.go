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
	if len(c.Args) >= 3 && strings.EqualFold(string(c.Args[1]), "version") {
		if _, ok := resp.ParseInt(c.Args[2]); !ok {
			c.Error(command.ErrNotInt)
			return
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
