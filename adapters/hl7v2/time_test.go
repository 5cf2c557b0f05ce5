package hl7v2

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("EST", -5*3600) // no tzdata: keep the test meaningful
	}
	plus0215 := time.FixedZone("", 2*3600+15*60)
	minus5 := time.FixedZone("", -5*3600)
	tests := []struct {
		in      string
		want    time.Time
		prec    Precision
		hasZone bool
	}{
		{"2026", time.Date(2026, 1, 1, 0, 0, 0, 0, ny), PrecisionYear, false},
		{"202603", time.Date(2026, 3, 1, 0, 0, 0, 0, ny), PrecisionMonth, false},
		{"20260315", time.Date(2026, 3, 15, 0, 0, 0, 0, ny), PrecisionDay, false},
		{"2026031514", time.Date(2026, 3, 15, 14, 0, 0, 0, ny), PrecisionHour, false},
		{"202603151430", time.Date(2026, 3, 15, 14, 30, 0, 0, ny), PrecisionMinute, false},
		{"20260315143059", time.Date(2026, 3, 15, 14, 30, 59, 0, ny), PrecisionSecond, false},
		{"20260315143059.1", time.Date(2026, 3, 15, 14, 30, 59, 100e6, ny), PrecisionDecisecond, false},
		{"20260315143059.12", time.Date(2026, 3, 15, 14, 30, 59, 120e6, ny), PrecisionCentisecond, false},
		{"20260315143059.123", time.Date(2026, 3, 15, 14, 30, 59, 123e6, ny), PrecisionMillisecond, false},
		{"20260315143059.1234", time.Date(2026, 3, 15, 14, 30, 59, 123400e3, ny), PrecisionTenthMillisecond, false},
		{"198908181126+0215", time.Date(1989, 8, 18, 11, 26, 0, 0, plus0215), PrecisionMinute, true},
		{"20260315-0500", time.Date(2026, 3, 15, 0, 0, 0, 0, minus5), PrecisionDay, true},
		{"20260315143059.5+0000", time.Date(2026, 3, 15, 14, 30, 59, 500e6, time.UTC), PrecisionDecisecond, true},
		{"20240229", time.Date(2024, 2, 29, 0, 0, 0, 0, ny), PrecisionDay, false},
		{" 2026 ", time.Date(2026, 1, 1, 0, 0, 0, 0, ny), PrecisionYear, false},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in, ny)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tt.in, err)
			continue
		}
		if !got.Time.Equal(tt.want) || got.Precision != tt.prec || got.HasZone != tt.hasZone {
			t.Errorf("ParseTime(%q) = %v %v zone=%v, want %v %v zone=%v", tt.in, got.Time, got.Precision, got.HasZone, tt.want, tt.prec, tt.hasZone)
		}
		_, off := got.Time.Zone()
		_, wantOff := tt.want.Zone()
		if off != wantOff {
			t.Errorf("ParseTime(%q) offset %d, want %d", tt.in, off, wantOff)
		}
		if tt.in[0] != ' ' {
			if s := got.String(); s != tt.in {
				t.Errorf("String() = %q, want %q", s, tt.in)
			}
		}
	}
	for _, bad := range []string{"20", "20261", "2026-03-15", "20261301", "20260230", "20230229", "2026031524", "202603151260",
		"20260315143060", "20260315143059.", "20260315143059.12345", "2026031514.5", "20260315+05", "20260315+2400",
		"20260315+0560", "Aug 15, 1942", "2026031514305x", "20260315+05:00"} {
		if _, err := ParseTime(bad, ny); err == nil {
			t.Errorf("ParseTime(%q) succeeded", bad)
		} else if err.Error() != "hl7v2: invalid timestamp" {
			t.Errorf("ParseTime(%q) error %q holds more than the fixed text", bad, err)
		}
	}
	if got, err := ParseTime("", nil); err != nil || !got.IsZero() || got.String() != "" {
		t.Errorf("ParseTime(\"\") = %+v, %v", got, err)
	}
	if got, _ := ParseTime("20260315", nil); got.Time.Location() != time.UTC {
		t.Errorf("nil location gave %v, want UTC", got.Time.Location())
	}
	if got := FormatTime(time.Date(2026, 3, 15, 14, 30, 59, 999, minus5)); got != "20260315143059-0500" {
		t.Errorf("FormatTime = %q", got)
	}
	if PrecisionDay.String() != "day" || Precision(0).String() != "unknown" {
		t.Error("Precision.String")
	}
}

// Fractional seconds written without the point are read as such; the
// point is restored when the time is written back.
func TestParseTimeWithoutPoint(t *testing.T) {
	t.Parallel()
	got, err := ParseTime("20110613122406637", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2011, 6, 13, 12, 24, 6, 637e6, time.UTC); !got.Time.Equal(want) || got.Precision != PrecisionMillisecond {
		t.Errorf("got %v %v, want %v milliseconds", got.Time, got.Precision, want)
	}
	if s := got.String(); s != "20110613122406.637" {
		t.Errorf("String() = %q", s)
	}
	for _, bad := range []string{"2011061312240663712", "20110613122406637x"} {
		if _, err := ParseTime(bad, time.UTC); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}
