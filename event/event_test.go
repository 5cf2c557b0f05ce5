package event

import (
	"regexp"
	"testing"
	"time"
)

func TestNewIDIsUUIDv7AndSortsByTime(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	a, b := NewID(t0), NewID(t0.Add(time.Millisecond))
	for _, id := range []string{a, b} {
		if !re.MatchString(id) {
			t.Errorf("NewID = %q, not a UUIDv7", id)
		}
	}
	if a >= b {
		t.Errorf("ids do not sort by time: %q >= %q", a, b)
	}
	if c, d := NewID(t0), NewID(t0); c == d {
		t.Error("two ids in one millisecond are equal")
	}
}

func TestTopicsAndFormats(t *testing.T) {
	t.Parallel()
	tp := NewTopics("")
	if got, want := tp.Raw(FormatHL7v2), "tributary.raw.hl7v2.v1"; got != want {
		t.Errorf("Raw = %q, want %q", got, want)
	}
	if got, want := NewTopics("acme.").Egress("payer1"), "acme.egress.payer1.v1"; got != want {
		t.Errorf("Egress = %q, want %q", got, want)
	}
	for _, f := range []Format{FormatHL7v2, FormatX12, FormatCDC} {
		g, err := ParseFormat(f.String())
		if err != nil || g != f {
			t.Errorf("ParseFormat(%q) = %v, %v", f, g, err)
		}
	}
	if _, err := ParseFormat("unknown"); err == nil {
		t.Error("ParseFormat(unknown) succeeded")
	}
}
