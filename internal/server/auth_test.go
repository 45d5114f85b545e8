package server

import (
	"strings"
	"testing"
)

func TestPasswordsEqualComparesWholePasswords(t *testing.T) {
	long := strings.Repeat("x", 1<<16)
	for _, tc := range []struct {
		given, want string
		equal       bool
	}{
		{"secret", "secret", true},
		{"", "", true},
		{long, long, true},
		{"secret", "secreT", false},
		{"secret", "secret1", false}, // a prefix
		{"secret1", "secret", false}, // longer
		{"", "secret", false},        // empty against set
		{"secret", "", false},        // set against empty
		{"a\x00", "a", false},        // a NUL is part of the password
		{long, long[:len(long)-1], false},
	} {
		if got := passwordsEqual(tc.given, tc.want); got != tc.equal {
			t.Errorf("passwordsEqual(%.10q, %.10q) = %v, want %v", tc.given, tc.want, got, tc.equal)
		}
	}
}
