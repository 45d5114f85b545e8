package fault

// The linearizability check of the single-register workload, with
// porcupine: a history of SET/GET on one key is linearizable when some
// order of the operations, each placed between its call and its return,
// explains every value read.

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/anishathalye/porcupine"
)

var registerModel = porcupine.Model{
	Init: func() any { return "" }, // the key does not exist: GET answers nil
	Step: func(state, input, output any) (bool, any) {
		in := input.(regOp)
		if in.write {
			return true, in.val
		}
		return output.(string) == state.(string), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.(regOp)
		if in.write {
			return fmt.Sprintf("set(%s)", in.val)
		}
		return fmt.Sprintf("get() -> %q", output)
	},
	DescribeState: func(state any) string { return fmt.Sprintf("%q", state) },
}

// checkRegister checks the histories of every register client together.
// When the history is not linearizable and dir is set, porcupine's HTML
// visualization is written there as name.html; its path is returned.
func checkRegister(clients []*registerClient, timeout time.Duration, dir, name string) (porcupine.CheckResult, int, string) {
	var ops []porcupine.Operation
	for _, c := range clients {
		for _, h := range c.hist {
			op := porcupine.Operation{ClientId: h.clientID, Input: h.op, Call: h.call, Return: h.ret}
			if !h.op.write {
				op.Output = h.out
			}
			ops = append(ops, op)
		}
	}
	res, info := porcupine.CheckOperationsVerbose(registerModel, ops, timeout)
	var path string
	if res == porcupine.Illegal && dir != "" {
		path = filepath.Join(dir, name+".html")
		if err := porcupine.VisualizePath(registerModel, info, path); err != nil {
			path = "(visualization failed: " + err.Error() + ")"
		}
	}
	return res, len(ops), path
}
