package aof

// BufferBytes is the memory of the AOF buffer: written commands not yet
// in the file (maxmemory leaves it out of what it compares, as Redis's
// mem_not_counted_for_evict does).
func (a *Manager) BufferBytes() int64 {
	a.bufMu.Lock()
	defer a.bufMu.Unlock()
	return int64(cap(a.buf))
}
