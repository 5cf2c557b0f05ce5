package fromcdc

import (
	"errors"
	"strings"
	"time"

	"github.com/tributary-health/tributary/adapters/cdc"
)

// A dateFormat is a fixed-width layout of a date (and time) as mainframes
// and older databases keep them: CCYYMMDD, CYYMMDD (IBM's century digit,
// 0 for 19xx and 1 for 20xx, as in packed dates), CCYYDDD (Julian),
// MM/DD/CCYY, CCYYMMDDHHMISS.
type dateFormat struct {
	tokens []dateToken
	width  int
	digits bool // only digit tokens: a number that lost leading zeros is padded
}

type dateToken struct {
	kind byte // 'Y' year4, 'C' century digit + year2, 'M', 'D', 'J' day of year, 'h', 'm', 's', 'L' literal
	lit  string
}

func (f *dateFormat) hasTime() bool {
	for _, t := range f.tokens {
		if t.kind == 'h' || t.kind == 'm' || t.kind == 's' {
			return true
		}
	}
	return false
}

var dateTokens = []struct {
	text  string
	kind  byte
	width int
}{
	{"CCYY", 'Y', 4}, {"YYYY", 'Y', 4}, {"CYY", 'C', 3}, {"DDD", 'J', 3},
	{"MM", 'M', 2}, {"DD", 'D', 2}, {"HH", 'h', 2}, {"MI", 'm', 2}, {"SS", 's', 2},
}

func parseDateFormat(s string) (*dateFormat, error) {
	f := &dateFormat{digits: true}
	seen := map[byte]bool{}
	for s != "" {
		matched := false
		for _, t := range dateTokens {
			if strings.HasPrefix(s, t.text) {
				if seen[t.kind] {
					return nil, errors.New("a date format part appears twice")
				}
				seen[t.kind] = true
				f.tokens = append(f.tokens, dateToken{kind: t.kind})
				f.width += t.width
				s = s[len(t.text):]
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		c := s[0]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			return nil, errors.New("unknown date format part (use CCYY, CYY, MM, DD, DDD, HH, MI, SS and punctuation)")
		}
		f.tokens = append(f.tokens, dateToken{kind: 'L', lit: s[:1]})
		f.width++
		f.digits = false
		s = s[1:]
	}
	year := seen['Y'] || seen['C']
	switch {
	case !year:
		return nil, errors.New("a date format needs a year (CCYY or CYY)")
	case seen['Y'] && seen['C']:
		return nil, errors.New("a date format has one year")
	case seen['J'] && (seen['M'] || seen['D']):
		return nil, errors.New("a Julian date (DDD) has no month or day")
	case !seen['J'] && !(seen['M'] && seen['D']):
		return nil, errors.New("a date format needs MM and DD, or DDD")
	case (seen['m'] || seen['s']) && !seen['h']:
		return nil, errors.New("a time needs HH")
	}
	return f, nil
}

// ErrNotDate: a value does not read as a date in the given format, or
// is not a real date.
var ErrNotDate = errors.New("not a date in the expected format")

// dateTransform turns a value into a FHIR date or dateTime: a Debezium
// Date or Timestamp as it is, text by its format, or ISO 8601 text when
// no format is given.
type dateTransform struct {
	format   *dateFormat
	dateTime bool
}

func (t dateTransform) apply(v value, loc *time.Location) (value, bool, error) {
	switch v.kind {
	case cdc.KindDate:
		return value{text: v.text, kind: cdc.KindString}, true, nil
	case cdc.KindTimestamp:
		if len(v.text) < 10 {
			return value{}, false, ErrNotDate
		}
		if !t.dateTime {
			return value{text: v.text[:10], kind: cdc.KindString}, true, nil
		}
		if v.zoned {
			return value{text: v.text, kind: cdc.KindString}, true, nil
		}
		return value{text: zonedText(v.text, loc), kind: cdc.KindString}, true, nil
	}
	if t.format == nil {
		return isoDate(v.text, t.dateTime, loc)
	}
	s := v.text
	f := t.format
	if f.digits && len(s) < f.width && allDigits(s) {
		s = strings.Repeat("0", f.width-len(s)) + s // a number: leading zeros are lost
	}
	if len(s) != f.width {
		return value{}, false, ErrNotDate
	}
	var year, month, day, yday, hour, minute, sec int
	month, day = 1, 1
	pos := 0
	num := func(w int) (int, bool) {
		if pos+w > len(s) || !allDigits(s[pos:pos+w]) {
			return 0, false
		}
		n := 0
		for _, c := range s[pos : pos+w] {
			n = n*10 + int(c-'0')
		}
		pos += w
		return n, true
	}
	julian := false
	for _, tok := range f.tokens {
		ok := true
		switch tok.kind {
		case 'Y':
			year, ok = num(4)
		case 'C':
			var c, yy int
			if c, ok = num(1); ok {
				yy, ok = num(2)
				year = 1900 + 100*c + yy
			}
		case 'M':
			month, ok = num(2)
		case 'D':
			day, ok = num(2)
		case 'J':
			yday, ok = num(3)
			julian = true
		case 'h':
			hour, ok = num(2)
		case 'm':
			minute, ok = num(2)
		case 's':
			sec, ok = num(2)
		case 'L':
			ok = s[pos] == tok.lit[0]
			pos++
		}
		if !ok {
			return value{}, false, ErrNotDate
		}
	}
	var d time.Time
	if julian {
		if yday < 1 || yday > 366 {
			return value{}, false, ErrNotDate
		}
		d = time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, yday-1)
		if d.Year() != year {
			return value{}, false, ErrNotDate
		}
	} else {
		d = time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
		if d.Month() != time.Month(month) || d.Day() != day || year < 1 {
			return value{}, false, ErrNotDate
		}
	}
	if !t.dateTime || !f.hasTime() {
		return value{text: d.Format(time.DateOnly), kind: cdc.KindString}, true, nil
	}
	if hour > 23 || minute > 59 || sec > 59 {
		return value{}, false, ErrNotDate
	}
	at := time.Date(d.Year(), d.Month(), d.Day(), hour, minute, sec, 0, loc)
	return value{text: at.Format(time.RFC3339), kind: cdc.KindString}, true, nil
}

// isoDate reads ISO 8601 text: a date, or (for dateTime) a date and
// time, with an offset or in loc.
func isoDate(s string, dateTime bool, loc *time.Location) (value, bool, error) {
	if len(s) == 10 {
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return value{}, false, ErrNotDate
		}
		return value{text: s, kind: cdc.KindString}, true, nil
	}
	if !dateTime {
		if len(s) > 10 && s[10] == 'T' {
			if _, err := time.Parse(time.DateOnly, s[:10]); err == nil {
				return value{text: s[:10], kind: cdc.KindString}, true, nil
			}
		}
		return value{}, false, ErrNotDate
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return value{text: s, kind: cdc.KindString}, true, nil
	}
	if _, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", s, loc); err == nil {
		return value{text: zonedText(s, loc), kind: cdc.KindString}, true, nil
	}
	return value{}, false, ErrNotDate
}

// zonedText places an unzoned "2006-01-02T15:04:05[.ffffff]" wall-clock
// time in loc, keeping its fraction digits (its precision).
func zonedText(s string, loc *time.Location) string {
	t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", s, loc)
	if err != nil {
		return s
	}
	off := t.Format("Z07:00")
	return s + off
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
