package stream

import (
	"testing"
)

// ParseBound never panics, and what it reads it writes back: String of a
// parsed bound parses to the same bound.
func FuzzParseBound(f *testing.F) {
	for _, s := range []string{"", "0", "1200", "0:1200,3:95", "2026-11-26T09:30:00Z", "2026-11-26T09:30:00.5+01:00", "1:2:3", "-1", "0:1,0:2", " 7 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBound(s)
		if err != nil {
			return
		}
		again, err := ParseBound(b.String())
		if err != nil {
			t.Fatalf("ParseBound(%q).String() = %q does not parse: %v", s, b.String(), err)
		}
		if again.String() != b.String() || again.kind != b.kind {
			t.Fatalf("round trip of %q: %q then %q", s, b.String(), again.String())
		}
	})
}
