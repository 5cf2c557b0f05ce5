package claims

import (
	"errors"
	"math/big"
	"regexp"
	"testing"
	"time"
)

func TestParseMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Money
		err  error
	}{
		{"1234.5", 123450, nil},
		{"-12", -1200, nil},
		{".75", 75, nil},
		{"100.00", 10000, nil},
		{"0", 0, nil},
		{"-0", 0, nil},
		{"-.05", -5, nil},
		{"1.", 100, nil},
		{"007.10", 710, nil},
		{"1.2500", 125, nil}, // zeros beyond cents are exact
		{"1.250000000000000000000", 125, nil},
		{"92233720368547758.07", 9223372036854775807, nil},
		{"-92233720368547758.07", -9223372036854775807, nil},
		{"1.255", 0, ErrPrecision},
		{"0.001", 0, ErrPrecision},
		{"92233720368547758.08", 0, ErrAmount}, // beyond int64 cents
		{"100000000000000000", 0, ErrAmount},
		{"", 0, ErrAmount},
		{"-", 0, ErrAmount},
		{".", 0, ErrAmount},
		{"+1", 0, ErrAmount},
		{"1e3", 0, ErrAmount},
		{"1.2.3", 0, ErrAmount},
		{"12 ", 0, ErrAmount},
		{"1,000", 0, ErrAmount},
		{"--1", 0, ErrAmount},
	}
	for _, tt := range tests {
		got, err := ParseMoney(tt.in)
		if !errors.Is(err, tt.err) || err == nil && got != tt.want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestMoneyString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   Money
		want string
	}{
		{0, "0.00"}, {1, "0.01"}, {-5, "-0.05"}, {1250, "12.50"}, {-123456, "-1234.56"},
		{9223372036854775807, "92233720368547758.07"}, {-9223372036854775808, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Money(%d).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
	var m Money
	if err := m.UnmarshalText([]byte("3.10")); err != nil || m != 310 {
		t.Errorf("UnmarshalText = %d, %v", m, err)
	}
}

func TestDecimal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Decimal
		text string
		err  error
	}{
		{"1", Decimal{1, 0}, "1", nil},
		{"1.00", Decimal{100, 2}, "1.00", nil},
		{".5", Decimal{5, 1}, "0.5", nil},
		{"-2.25", Decimal{-225, 2}, "-2.25", nil},
		{"0.0001", Decimal{1, 4}, "0.0001", nil},
		{"", Decimal{}, "", ErrDecimal},
		{"1x", Decimal{}, "", ErrDecimal},
		{"12345678901234567890", Decimal{}, "", ErrDecimal},
		{"0.1234567890123456789", Decimal{}, "", ErrDecimal},
	}
	for _, tt := range tests {
		got, err := ParseDecimal(tt.in)
		if !errors.Is(err, tt.err) || err == nil && (got != tt.want || got.String() != tt.text) {
			t.Errorf("ParseDecimal(%q) = %v (%s), %v; want %v (%s), %v", tt.in, got, got, err, tt.want, tt.text, tt.err)
		}
	}
	if !(Decimal{100, 2}).Equal(Decimal{1, 0}) || (Decimal{15, 1}).Equal(Decimal{1, 0}) {
		t.Error("Equal")
	}
	if n, ok := (Decimal{300, 2}).Int(); !ok || n != 3 {
		t.Errorf("Int = %d, %v", n, ok)
	}
	if _, ok := (Decimal{305, 2}).Int(); ok {
		t.Error("Int of 3.05 reported ok")
	}
}

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	d := func(y int, m time.Month, day int) Date { return Date{Year: y, Month: m, Day: day} }
	tests := []struct {
		format, value string
		want          Period
		text          string
		err           error
	}{
		{"D8", "20240229", Period{d(2024, 2, 29), d(2024, 2, 29)}, "2024-02-29", nil},
		{"RD8", "20240101-20240131", Period{d(2024, 1, 1), d(2024, 1, 31)}, "2024-01-01", nil},
		{"DT", "202401011305", Period{Date{2024, 1, 1, 13, 5, true}, Date{2024, 1, 1, 13, 5, true}}, "2024-01-01T13:05", nil},
		{"TM", "0930", Period{Date{Hour: 9, Minute: 30, HasTime: true}, Date{Hour: 9, Minute: 30, HasTime: true}}, "09:30", nil},
		{"D8", "20230229", Period{}, "", ErrDate},
		{"D8", "2024010", Period{}, "", ErrDate},
		{"D8", "2024-1-1", Period{}, "", ErrDate},
		{"RD8", "20240131-20240101", Period{}, "", ErrDate}, // ends before it starts
		{"RD8", "20240101", Period{}, "", ErrDate},
		{"TM", "2460", Period{}, "", ErrDate},
		{"D6", "240101", Period{}, "", ErrDateFormat},
	}
	for _, tt := range tests {
		got, err := ParsePeriod(tt.format, tt.value)
		if !errors.Is(err, tt.err) || err == nil && (got != tt.want || got.Start.String() != tt.text) {
			t.Errorf("ParsePeriod(%s, %s) = %+v, %v; want %+v, %v", tt.format, tt.value, got, err, tt.want, tt.err)
		}
	}
}

// FuzzMoney checks ParseMoney against math/big on any input: it accepts
// exactly the X12 decimals whose value is a whole number of cents within
// int64, returns that number, and its text reads back the same.
func FuzzMoney(f *testing.F) {
	for _, s := range []string{"1234.5", "-12", ".75", "100.00", "1.255", "1.2500", "-", "", "92233720368547758.07", "1e3", "0.-1"} {
		f.Add(s)
	}
	syntax := regexp.MustCompile(`^-?([0-9]+\.?[0-9]*|\.[0-9]+)$`)
	limit := new(big.Rat).SetInt64(1<<63 - 1)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMoney(s)
		if !syntax.MatchString(s) {
			if err == nil {
				t.Fatalf("ParseMoney(%q) accepted a non-decimal", s)
			}
			return
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			if s[len(s)-1] == '.' { // "1." is X12 but not big.Rat syntax
				r, _ = new(big.Rat).SetString(s[:len(s)-1])
			} else {
				t.Fatalf("big.Rat rejects %q", s)
			}
		}
		cents := new(big.Rat).Mul(r, big.NewRat(100, 1))
		tooBig := new(big.Rat).Abs(cents).Cmp(limit) > 0
		switch {
		case !cents.IsInt() && tooBig:
			// Either answer is right.
			if !errors.Is(err, ErrPrecision) && !errors.Is(err, ErrAmount) {
				t.Fatalf("ParseMoney(%q) = %v, %v; want an error", s, m, err)
			}
		case !cents.IsInt():
			if !errors.Is(err, ErrPrecision) {
				t.Fatalf("ParseMoney(%q) = %v, %v; want ErrPrecision", s, m, err)
			}
		case tooBig:
			if !errors.Is(err, ErrAmount) {
				t.Fatalf("ParseMoney(%q) = %v, %v; want ErrAmount", s, m, err)
			}
		default:
			if err != nil || cents.Num().Int64() != m.Cents() {
				t.Fatalf("ParseMoney(%q) = %v, %v; want %s cents", s, m, err, cents.Num())
			}
			if back, err := ParseMoney(m.String()); err != nil || back != m {
				t.Fatalf("ParseMoney(%q) = %v, %v after String of %q", m.String(), back, err, s)
			}
		}
	})
}
