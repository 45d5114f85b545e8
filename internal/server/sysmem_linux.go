package server

import "syscall"

// totalSystemMemory is the machine's RAM (INFO total_system_memory).
func totalSystemMemory() uint64 {
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil {
		return 0
	}
	return si.Totalram * uint64(si.Unit)
}
