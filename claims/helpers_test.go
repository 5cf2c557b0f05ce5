package claims

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/tributary-health/tributary/claims/x12"
)

// interchange wraps transaction bodies (the segments between ST and SE,
// without terminators) into one interchange and group with the right
// counts and control numbers.
func interchange(functionalID, setID, version string, bodies ...[]string) string {
	var b strings.Builder
	b.WriteString("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*^*00501*000000001*0*T*:~")
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

// transactions reads every transaction set of input.
func transactions(t testing.TB, input string) []*x12.Transaction {
	t.Helper()
	p := x12.NewParser(strings.NewReader(input))
	var txs []*x12.Transaction
	for {
		tx, err := p.Next()
		if errors.Is(err, io.EOF) {
			return txs
		}
		if err != nil {
			t.Fatalf("x12: %v", err)
		}
		txs = append(txs, tx)
	}
}

// one837P returns the single transaction of an 837P built from body.
func one837P(t testing.TB, body ...string) *x12.Transaction {
	t.Helper()
	txs := transactions(t, interchange("HC", "837", "005010X222A1", body))
	if len(txs) != 1 {
		t.Fatalf("got %d transaction sets, want 1", len(txs))
	}
	return txs[0]
}

// header837P is the 837P header and billing provider level.
var header837P = []string{
	"BHT*0019*00*0123*20260101*1200*CH",
	"NM1*41*2*SUBMITTER*****46*S1",
	"PER*IC*DESK*TE*5555550100",
	"NM1*40*2*RECEIVER*****46*R1",
	"HL*1**20*1",
	"PRV*BI*PXC*203BF0100Y",
	"NM1*85*2*CLINIC*****XX*1234567893",
	"N3*1 TEST WAY",
	"N4*SPRINGFIELD*IL*627010000",
	"REF*EI*000000001",
}

func join(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
