// Package x12test generates synthetic X12 interchanges for tests and
// benchmarks. The data is made up (no real person, provider or payer)
// and deterministic: the same arguments give the same bytes.
package x12test

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// Options shape a generated 837P interchange.
type Options struct {
	// Claims is the number of claims (CLM) to write.
	Claims int
	// ClaimsPerTransaction splits the claims into transaction sets
	// (the IG recommends at most 5000 per ST/SE); 0 means 1000.
	ClaimsPerTransaction int
	// Lines is the number of service lines per claim; 0 means 3.
	Lines int
	// Newlines puts a line feed after every segment terminator.
	Newlines bool
}

// Write837P writes one interchange (one functional group) of
// professional claims, valid against 005010X222A1: every claim has a
// subscriber-level 2000B, every third claim a patient-level 2000C, every
// fifth an other-subscriber loop (2320/2330A/2330B) and a rendering
// provider (2310B). It returns the number of bytes written.
func Write837P(w io.Writer, o Options) (int64, error) {
	per := o.ClaimsPerTransaction
	if per <= 0 {
		per = 1000
	}
	lines := o.Lines
	if lines <= 0 {
		lines = 3
	}
	g := &gen{w: bufio.NewWriterSize(w, 64<<10), nl: o.Newlines}
	g.seg("ISA*00*          *00*          *ZZ*SUBMITTER01    *ZZ*RECEIVER01     *260101*1200*^*00501*000000001*0*T*:")
	g.seg("GS*HC*SUBMITTER01*RECEIVER01*20260101*1200*1*X*005010X222A1")
	sets := 0
	for done := 0; done < o.Claims || sets == 0; {
		n := min(per, o.Claims-done)
		sets++
		g.transaction(sets, done, n, lines)
		done += n
		if n == 0 {
			break
		}
	}
	g.seg("GE*" + strconv.Itoa(sets) + "*1")
	g.seg("IEA*1*000000001")
	if err := g.w.Flush(); err != nil {
		return g.n, err
	}
	return g.n, g.err
}

type gen struct {
	w     *bufio.Writer
	nl    bool
	n     int64
	err   error
	count int // segments in the current transaction set
}

func (g *gen) seg(s string) {
	if g.err != nil {
		return
	}
	k, err := g.w.WriteString(s)
	g.n += int64(k)
	if err == nil {
		err = g.w.WriteByte('~')
		g.n++
	}
	if err == nil && g.nl {
		err = g.w.WriteByte('\n')
		g.n++
	}
	g.err = err
	g.count++
}

func (g *gen) transaction(set, first, claims, lines int) {
	ctrl := strconv.Itoa(1000 + set)
	g.count = 0
	g.seg("ST*837*" + ctrl + "*005010X222A1")
	g.seg("BHT*0019*00*" + ctrl + "*20260101*1200*CH")
	g.seg("NM1*41*2*SYNTHETIC BILLING SERVICE*****46*TGJ23")
	g.seg("PER*IC*HELP DESK*TE*5555550100")
	g.seg("NM1*40*2*SYNTHETIC PAYER*****46*66783JJT")
	g.seg("HL*1**20*1")
	g.seg("PRV*BI*PXC*203BF0100Y")
	g.seg("NM1*85*2*SYNTHETIC CLINIC*****XX*1234567893")
	g.seg("N3*1 TEST WAY")
	g.seg("N4*SPRINGFIELD*IL*627010000")
	g.seg("REF*EI*000000000")
	hl := 1
	for c := first; c < first+claims; c++ {
		hl++
		sub := hl
		patient := c%3 == 2
		child := "0"
		if patient {
			child = "1"
		}
		id := strconv.Itoa(c + 1)
		g.seg("HL*" + strconv.Itoa(sub) + "*1*22*" + child)
		if patient {
			g.seg("SBR*P**GRP" + id + "******CI")
		} else {
			g.seg("SBR*P*18*GRP" + id + "******CI")
		}
		g.seg("NM1*IL*1*SUBSCRIBER" + id + "*TEST****MI*M" + id)
		g.seg("N3*" + id + " MAIN ST")
		g.seg("N4*SPRINGFIELD*IL*62701")
		g.seg("DMG*D8*19700101*F")
		g.seg("NM1*PR*2*SYNTHETIC PAYER*****PI*99999")
		if patient {
			hl++
			g.seg("HL*" + strconv.Itoa(hl) + "*" + strconv.Itoa(sub) + "*23*0")
			g.seg("PAT*19")
			g.seg("NM1*QC*1*PATIENT" + id + "*TEST")
			g.seg("N3*" + id + " MAIN ST")
			g.seg("N4*SPRINGFIELD*IL*62701")
			g.seg("DMG*D8*20100101*M")
		}
		total := 100 * lines
		g.seg("CLM*PCN" + id + "*" + strconv.Itoa(total) + "***11:B:1*Y*A*Y*Y")
		g.seg("HI*ABK:J020*ABF:R509")
		if c%5 == 0 {
			g.seg("NM1*82*1*RENDERING" + id + "*TEST****XX*1234567893")
			g.seg("PRV*PE*PXC*207Q00000X")
			g.seg("SBR*S*18*GRP2" + id + "******CI")
			g.seg("OI***Y*P**Y")
			g.seg("NM1*IL*1*SUBSCRIBER" + id + "*TEST****MI*S" + id)
			g.seg("NM1*PR*2*OTHER SYNTHETIC PAYER*****PI*88888")
		}
		for l := 1; l <= lines; l++ {
			g.seg("LX*" + strconv.Itoa(l))
			g.seg("SV1*HC:99213*100*UN*1***1:2")
			g.seg("DTP*472*D8*20260101")
		}
	}
	g.seg("SE*" + strconv.Itoa(g.count+1) + "*" + ctrl)
}

// Repeat returns s repeated until it is at least n bytes long; for
// tokenizer benchmarks over several interchanges.
func Repeat(s string, n int) string {
	if len(s) == 0 {
		return ""
	}
	return strings.Repeat(s, (n+len(s)-1)/len(s))
}
