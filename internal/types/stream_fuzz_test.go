package types

import "testing"

// FuzzStreamNode feeds arbitrary bytes as a stream node: ValidateStreamNode
// must refuse what the stream code cannot read, and a node it accepts must
// survive every operation without a panic (nodes come from RDB files and
// RESTORE payloads).
func FuzzStreamNode(f *testing.F) {
	s := NewStream()
	s.Append(StreamID{5, 1}, [][]byte{[]byte("a"), []byte("1"), []byte("b"), []byte("hello")}, 4096, 100)
	s.Append(StreamID{5, 2}, [][]byte{[]byte("a"), []byte("-7000")}, 4096, 100)
	s.Append(StreamID{9, 0}, [][]byte{[]byte("a"), []byte("x"), []byte("b"), []byte("y")}, 4096, 100)
	s.Delete(StreamID{5, 2})
	s.EachNode(func(_ StreamID, lp []byte) bool { f.Add(append([]byte(nil), lp...)); return true })
	f.Add([]byte{7, 0, 0, 0, 0, 0, 0xFF})
	f.Fuzz(func(t *testing.T, lp []byte) {
		live, err := ValidateStreamNode(lp)
		if err != nil {
			return
		}
		st := NewStream()
		st.AppendNode(StreamID{5, 0}, append([]byte(nil), lp...))
		st.Length = uint64(live)
		st.LastID = MaxStreamID
		var ids []StreamID
		st.Range(StreamID{}, MaxStreamID, false, func(id StreamID, fv [][]byte) bool { ids = append(ids, id); return true })
		st.Range(StreamID{}, MaxStreamID, true, func(StreamID, [][]byte) bool { return true })
		// A reader coming back for what follows (RangeFrom's remembered
		// position and buffers), one entry at a time.
		from := StreamID{}
		for range 3 {
			st.RangeFrom(from, MaxStreamID, func(id StreamID, _ [][]byte) bool {
				from, _ = id.Incr()
				return false
			})
		}
		st.LastValidID()
		st.EdgeID(true, false)
		st.EdgeID(false, true)
		c := st.Clone().(*Stream)
		for _, id := range ids {
			c.Delete(id)
		}
		st.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: int64(live / 2)})
		st.Trim(TrimArgs{Strategy: TrimMinID, MinID: StreamID{6, 0}})
		st.Append(StreamID{1 << 62, 0}, [][]byte{[]byte("a"), []byte("1")}, 4096, 100)
		if got := st.LastValidID(); got != (StreamID{1 << 62, 0}) {
			t.Fatalf("last valid ID %v after an append", got)
		}
	})
}
