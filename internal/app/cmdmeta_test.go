package app

import (
	"slices"
	"strings"
	"testing"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/config"
)

// TestCommandTableAgreesWithRedis: every command the wired server has is
// one Redis 7.0 has (redismeta_gen.go), with Redis's arity and legacy key
// positions, and with no behaviour flag Redis does not give it (Table.Add
// adds the ones Redis gives). Containers are checked through their
// subcommands' specs where Tandem has them.
func TestCommandTableAgreesWithRedis(t *testing.T) {
	cfg := config.New()
	cfg.Dir = t.TempDir()
	cfg.Bind = []string{"127.0.0.1"}
	inst, err := Start(cfg, Options{EphemeralPort: true, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Shutdown()
	var check func(sp *command.Spec)
	check = func(sp *command.Spec) {
		m := sp.Meta
		if m == nil {
			t.Errorf("%s: not a Redis 7.0 command (or Table.Add did not give it Redis's description)", sp.Name)
			return
		}
		if sp.Arity != m.Arity || sp.FirstKey != m.FirstKey || sp.LastKey != m.LastKey || sp.Step != m.Step {
			t.Errorf("%s: arity %d keys %d,%d,%d; Redis %d keys %d,%d,%d", sp.Name,
				sp.Arity, sp.FirstKey, sp.LastKey, sp.Step, m.Arity, m.FirstKey, m.LastKey, m.Step)
		}
		if len(m.Flags) > 0 || len(sp.Subcommands) == 0 {
			for _, f := range sp.Flags.Names() {
				if !slices.Contains(m.Flags, f) {
					t.Errorf("%s: flag %s, which Redis does not give it (Redis: %s)", sp.Name, f, strings.Join(m.Flags, ","))
				}
			}
		}
		for _, sub := range sp.SubSpecs {
			check(sub)
		}
	}
	n := 0
	for _, sp := range inst.Server.Engine().Table.All() {
		check(sp)
		n++
	}
	if n < 200 {
		t.Fatalf("only %d commands in the table", n)
	}
}
