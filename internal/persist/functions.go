package persist

// Functions are part of the dataset: every RDB carries the function
// libraries (the FUNCTION2 records after the AUX fields, as Redis writes
// them), and a load that replaces the dataset replaces them.

// Functions is the function libraries (internal/script), used with the
// server lock held.
type Functions interface {
	// FunctionCodes returns every library's code.
	FunctionCodes() [][]byte
	// ReplaceFunctions makes the given libraries the only ones; on error
	// (a library that does not load) they are left as they were.
	ReplaceFunctions(codes [][]byte) error
	// MergeFunctions adds the given libraries to the current ones (DEBUG
	// RELOAD NOFLUSH): one of the same name as a current one replaces it
	// with replace, and is an error without.
	MergeFunctions(codes [][]byte, replace bool) error
}

// SetFunctions hands over the function libraries, once, before the
// server starts.
func (m *Manager) SetFunctions(f Functions) { m.functions = f }

// FunctionCodes returns the libraries' codes for an RDB (lock held; none
// when no scripting is wired).
func (m *Manager) FunctionCodes() [][]byte {
	if m.functions == nil {
		return nil
	}
	return m.functions.FunctionCodes()
}

// ReplaceFunctions makes the libraries an RDB held the only ones (lock
// held), after a load that replaced the dataset (start-up, DEBUG RELOAD,
// an AOF's RDB preamble, a replica's full sync).
func (m *Manager) ReplaceFunctions(codes [][]byte) error {
	if m.functions == nil {
		return nil
	}
	return m.functions.ReplaceFunctions(codes)
}
