package hl7v2

import (
	"errors"
	"strings"
	"time"
)

// A Precision is how much of a timestamp a value gave: FHIR keeps a date
// as a date, so precision travels with the instant.
type Precision uint8

// The precisions of DTM: YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]].
const (
	PrecisionYear Precision = iota + 1
	PrecisionMonth
	PrecisionDay
	PrecisionHour
	PrecisionMinute
	PrecisionSecond
	PrecisionDecisecond  // one fractional digit
	PrecisionCentisecond // two
	PrecisionMillisecond // three
	PrecisionTenthMillisecond
)

var precisionNames = [...]string{"", "year", "month", "day", "hour", "minute", "second",
	"decisecond", "centisecond", "millisecond", "tenth-millisecond"}

// String returns the precision's name, e.g. "day".
func (p Precision) String() string {
	if int(p) < len(precisionNames) && p > 0 {
		return precisionNames[p]
	}
	return "unknown"
}

// A Time is an HL7 DTM (the first component of TS): an instant, how
// precise the value was, and whether it carried a UTC offset.
type Time struct {
	// Time is the instant; parts below Precision are zero (January, the
	// first). Its location is the value's offset when HasZone, else the
	// caller's default.
	Time      time.Time
	Precision Precision
	HasZone   bool
}

// IsZero reports whether t holds no time.
func (t Time) IsZero() bool { return t.Precision == 0 }

// String returns t in DTM syntax with its precision, and its offset when
// HasZone, so ParseTime(t.String(), loc) returns t.
func (t Time) String() string {
	if t.IsZero() {
		return ""
	}
	b := make([]byte, 0, 24)
	b = t.Time.AppendFormat(b, "20060102150405")
	b = b[:[...]int{0, 4, 6, 8, 10, 12, 14}[min(t.Precision, PrecisionSecond)]]
	if t.Precision > PrecisionSecond {
		frac := t.Time.Nanosecond() / 100000 // four digits
		b = append(b, '.')
		digits := int(min(t.Precision, PrecisionTenthMillisecond) - PrecisionSecond)
		for i, div := 0, 1000; i < digits; i, div = i+1, div/10 {
			b = append(b, byte('0'+frac/div%10))
		}
	}
	if t.HasZone {
		b = t.Time.AppendFormat(b, "-0700")
	}
	return string(b)
}

// ErrTime is the error of [ParseTime]; it never holds the value, which may
// be a birth date.
var ErrTime = errors.New("hl7v2: invalid timestamp")

// ParseTime parses a DTM value, YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ],
// keeping its precision. A value without an offset is read in def (UTC when
// nil). Surrounding spaces are ignored; an empty value returns the zero
// Time and no error. Every part is range-checked (February 30 is an
// error). The error holds no part of the value.
func ParseTime(s string, def *time.Location) (Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Time{}, nil
	}
	if def == nil {
		def = time.UTC
	}
	var t Time
	loc := def
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		z := s[i:]
		s = s[:i]
		if len(z) != 5 || !digits(z[1:]) {
			return Time{}, ErrTime
		}
		hh, mm := atoi(z[1:3]), atoi(z[3:5])
		if hh > 23 || mm > 59 {
			return Time{}, ErrTime
		}
		off := (hh*60 + mm) * 60
		if z[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
		if off == 0 {
			loc = time.UTC
		}
		t.HasZone = true
	}
	frac, nfrac := 0, 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		f := s[i+1:]
		s = s[:i]
		if len(s) != 14 || len(f) < 1 || len(f) > 4 || !digits(f) {
			return Time{}, ErrTime
		}
		frac, nfrac = atoi(f), len(f)
	} else if len(s) > 14 && len(s) <= 18 && digits(s) {
		// Fractional seconds without the point (20110613122406637): a
		// common sender habit, and unambiguous past the 14 digits of a
		// second-precision DTM.
		f := s[14:]
		s = s[:14]
		frac, nfrac = atoi(f), len(f)
	}
	if !digits(s) {
		return Time{}, ErrTime
	}
	switch len(s) {
	case 4:
		t.Precision = PrecisionYear
	case 6:
		t.Precision = PrecisionMonth
	case 8:
		t.Precision = PrecisionDay
	case 10:
		t.Precision = PrecisionHour
	case 12:
		t.Precision = PrecisionMinute
	case 14:
		t.Precision = PrecisionSecond + Precision(nfrac)
	default:
		return Time{}, ErrTime
	}
	part := func(i, def int) int {
		if len(s) >= i+2 {
			return atoi(s[i : i+2])
		}
		return def
	}
	year, month, day := atoi(s[:4]), part(4, 1), part(6, 1)
	hour, minute, sec := part(8, 0), part(10, 0), part(12, 0)
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || sec > 59 {
		return Time{}, ErrTime
	}
	ns := frac
	for i := nfrac; i < 9; i++ {
		ns *= 10
	}
	t.Time = time.Date(year, time.Month(month), day, hour, minute, sec, ns, loc)
	return t, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// FormatTime returns t in DTM syntax to the second with its UTC offset,
// as MSH-7 of a message we send.
func FormatTime(t time.Time) string { return t.Format("20060102150405-0700") }
