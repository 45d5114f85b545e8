package server

import (
	"os"
	"strconv"
	"strings"
)

const oomScoreAdjPath = "/proc/self/oom_score_adj"

func readOOMScoreAdj() (int, error) {
	b, err := os.ReadFile(oomScoreAdjPath)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

func writeOOMScoreAdj(v int) error {
	return os.WriteFile(oomScoreAdjPath, []byte(strconv.Itoa(v)+"\n"), 0)
}
