package claims

import (
	"bytes"
	"strconv"
	"time"
)

// A Date is a calendar date from X12 (D8, CCYYMMDD), optionally with a
// time of day (DT, CCYYMMDDHHMM). It has no time zone: X12 sends none, and
// the FHIR mapper applies the sending system's configured zone when it
// needs an instant. A date stays a date. A TM value (a time of day
// alone, as DTP*096*TM for the discharge hour) has Year 0 and HasTime.
// The zero value means absent.
type Date struct {
	Year    int
	Month   time.Month
	Day     int
	Hour    int  // valid when HasTime
	Minute  int  // valid when HasTime
	HasTime bool // a time of day was given
}

// IsZero reports whether d is absent.
func (d Date) IsZero() bool { return d == Date{} }

// HasDate reports whether d holds a calendar date (not only a time).
func (d Date) HasDate() bool { return d.Year != 0 }

// String returns "2006-01-02", "2006-01-02T15:04" or "15:04" for a time
// of day alone (FHIR date, a dateTime without its zone, and time): the
// precision given and no more. The zero Date is "".
func (d Date) String() string { return string(d.AppendText(nil)) }

// AppendText appends the text form of d to b.
func (d Date) AppendText(b []byte) []byte {
	if d.HasDate() {
		b = pad(b, d.Year, 4)
		b = append(b, '-')
		b = pad(b, int(d.Month), 2)
		b = append(b, '-')
		b = pad(b, d.Day, 2)
		if d.HasTime {
			b = append(b, 'T')
		}
	}
	if d.HasTime {
		b = pad(b, d.Hour, 2)
		b = append(b, ':')
		b = pad(b, d.Minute, 2)
	}
	return b
}

func pad(b []byte, v, n int) []byte {
	s := strconv.Itoa(v)
	for i := len(s); i < n; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// MarshalText returns the text form.
func (d Date) MarshalText() ([]byte, error) { return d.AppendText(nil), nil }

// Time returns the date (and time of day) as a time.Time in loc, for
// callers that have decided the zone.
func (d Date) Time(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, d.Hour, d.Minute, 0, 0, loc)
}

// ParseD8 reads an X12 D8 date, CCYYMMDD, and checks it is a real
// calendar date. It returns [ErrDate] otherwise.
func ParseD8(s string) (Date, error) { return parseD8([]byte(s)) }

func parseD8(b []byte) (Date, error) {
	if len(b) != 8 {
		return Date{}, ErrDate
	}
	y, ok1 := num(b[0:4])
	m, ok2 := num(b[4:6])
	d, ok3 := num(b[6:8])
	if !ok1 || !ok2 || !ok3 || y == 0 || m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
		return Date{}, ErrDate
	}
	return Date{Year: y, Month: time.Month(m), Day: d}, nil
}

// parseTM reads HHMM (seconds, if sent, are dropped: no X12 date in
// these models is more precise than minutes).
func parseTM(b []byte) (h, m int, err error) {
	if len(b) < 4 || len(b) > 8 || len(b)%2 != 0 {
		return 0, 0, ErrDate
	}
	h, ok1 := num(b[0:2])
	m, ok2 := num(b[2:4])
	if _, ok := num(b[4:]); !ok && len(b) > 4 || !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, 0, ErrDate
	}
	return h, m, nil
}

func num(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// A Period is a date or a range of dates: D8 gives Start = End, RD8
// (CCYYMMDD-CCYYMMDD) a range. Either end may be absent (zero) when the
// X12 sends only one side, as DTM*232 without DTM*233 in an 835.
type Period struct {
	Start Date `json:"start,omitzero"`
	End   Date `json:"end,omitzero"`
}

// IsZero reports whether neither end is known.
func (p Period) IsZero() bool { return p.Start.IsZero() && p.End.IsZero() }

// Single reports whether the period is one day (or one instant).
func (p Period) Single() bool { return p.Start == p.End }

// ParsePeriod reads a DTP-03 value in the format DTP-02 names: D8
// (CCYYMMDD), RD8 (CCYYMMDD-CCYYMMDD), DT (CCYYMMDDHHMM), TM (HHMM) or
// RDT (CCYYMMDDHHMM-CCYYMMDDHHMM). It returns [ErrDateFormat] for another
// format and [ErrDate] for a value that does not fit the format, or a
// range that ends before it starts.
func ParsePeriod(format, value string) (Period, error) {
	return parsePeriod([]byte(format), []byte(value))
}

func parsePeriod(format, v []byte) (Period, error) {
	switch string(format) {
	case "D8":
		d, err := parseD8(v)
		return Period{d, d}, err
	case "DT":
		d, err := parseDT(v)
		return Period{d, d}, err
	case "TM":
		h, m, err := parseTM(v)
		if err != nil {
			return Period{}, err
		}
		d := Date{Hour: h, Minute: m, HasTime: true}
		return Period{d, d}, nil
	case "RD8", "RDT":
		i := bytes.IndexByte(v, '-')
		if i < 0 {
			return Period{}, ErrDate
		}
		parse := parseD8
		if string(format) == "RDT" {
			parse = parseDT
		}
		s, err := parse(v[:i])
		if err != nil {
			return Period{}, err
		}
		e, err := parse(v[i+1:])
		if err != nil {
			return Period{}, err
		}
		if e.Time(time.UTC).Before(s.Time(time.UTC)) {
			return Period{}, ErrDate
		}
		return Period{s, e}, nil
	}
	return Period{}, ErrDateFormat
}

// parseDT reads CCYYMMDDHHMM.
func parseDT(b []byte) (Date, error) {
	if len(b) < 12 {
		return Date{}, ErrDate
	}
	d, err := parseD8(b[:8])
	if err != nil {
		return Date{}, err
	}
	h, m, err := parseTM(b[8:])
	if err != nil {
		return Date{}, err
	}
	d.Hour, d.Minute, d.HasTime = h, m, true
	return d, nil
}
