package x12

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// envelope wraps transaction bodies (segments between ST and SE, without
// terminators) into one interchange with one group, with correct counts
// and control numbers.
func envelope(functionalID, setID, version string, bodies ...[]string) string {
	var b strings.Builder
	b.WriteString(isa(DefaultDelimiters, "000000001"))
	b.WriteString("GS*" + functionalID + "*SENDER*RECEIVER*20260101*1200*1*X*" + version + "~")
	for i, body := range bodies {
		ctrl := strconv.Itoa(1001 + i)
		b.WriteString("ST*" + setID + "*" + ctrl + "*" + version + "~")
		for _, s := range body {
			b.WriteString(s + "~")
		}
		b.WriteString("SE*" + strconv.Itoa(len(body)+2) + "*" + ctrl + "~")
	}
	b.WriteString("GE*" + strconv.Itoa(len(bodies)) + "*1~IEA*1*000000001~")
	return b.String()
}

// parseAll reads every transaction set of input.
func parseAll(t testing.TB, input string) ([]*Transaction, []*Interchange) {
	t.Helper()
	p := NewParser(strings.NewReader(input))
	var txs []*Transaction
	for {
		tx, err := p.Next()
		if err == io.EOF {
			return txs, p.Interchanges()
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		txs = append(txs, tx)
	}
}

// codes returns "level:code@location" for each error, for comparisons.
func codes(errs []*Error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Level.String()+":"+e.Code+"@"+e.Location())
	}
	return out
}

// hasCode reports whether errs has an error of the level and code.
func hasCode(errs []*Error, level Level, code string) bool {
	for _, e := range errs {
		if e.Level == level && e.Code == code {
			return true
		}
	}
	return false
}

// base837P is a minimal valid 837P body: one billing provider, one
// subscriber who is the patient, one claim with one line.
var base837P = []string{
	"BHT*0019*00*1*20260101*1200*CH",
	"NM1*41*2*SUBMITTER*****46*S1",
	"PER*IC*DESK*TE*5555550100",
	"NM1*40*2*RECEIVER*****46*R1",
	"HL*1**20*1",
	"NM1*85*2*CLINIC*****XX*1234567893",
	"N3*1 WAY",
	"N4*CITY*IL*62701",
	"REF*EI*000000000",
	"HL*2*1*22*0",
	"SBR*P*18*******CI",
	"NM1*IL*1*DOE*JANE****MI*M1",
	"NM1*PR*2*PAYER*****PI*P1",
	"CLM*PCN1*100***11:B:1*Y*A*Y*Y",
	"HI*ABK:J020",
	"LX*1",
	"SV1*HC:99213*100*UN*1***1",
	"DTP*472*D8*20260101",
}

// with returns base with segments inserted before index at (or appended
// when at is -1) and the segment at index drop removed (-1: none).
func with(base []string, at int, insert []string, drop int) []string {
	var out []string
	for i, s := range base {
		if i == at {
			out = append(out, insert...)
		}
		if i != drop {
			out = append(out, s)
		}
	}
	if at < 0 || at >= len(base) {
		out = append(out, insert...)
	}
	return out
}

// isErr reports whether err is or wraps target.
func isErr(err, target error) bool { return errors.Is(err, target) }
