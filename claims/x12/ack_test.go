package x12

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

var ackTime = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)

func ackConfig() AckConfig {
	return AckConfig{InterchangeControlNumber: 42, GroupControlNumber: 7, Time: ackTime}
}

// segmentsOf splits an acknowledgment into its segments.
func segmentsOf(t *testing.T, b []byte) []string {
	t.Helper()
	rd := NewReader(strings.NewReader(string(b)))
	var out []string
	for {
		s, err := rd.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("acknowledgment does not tokenize: %v", err)
		}
		out = append(out, string(s.Raw()))
	}
}

// compareSegments reports the first difference, segment by segment.
func compareSegments(t *testing.T, got, want []string) {
	t.Helper()
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Fatalf("segment %d = %q, want %q\ngot:\n%s", i+1, g, w, strings.Join(got, "\n"))
		}
	}
}

func Test999(t *testing.T) {
	t.Parallel()
	bad := append([]string{}, base837P...)
	bad[3] = "NM1*40**RECEIVER*****46*R1"           // NM102 missing
	bad[13] = "CLM*PCN1*100****Y*A*Y*Y"             // CLM05 missing
	bad = with(bad, 15, []string{"NM1*ZZZ*1*X"}, 7) // bad qualifier; N4 of 2010AA missing
	in := envelope("HC", "837", "005010X222A1", base837P, bad, base837P)
	// Three sets: accepted, rejected, accepted.
	_, ics := parseAll(t, in)
	got, err := New999(ics[0], ackConfig())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ISA*00*          *00*          *ZZ*RECEIVER       *ZZ*SENDER         *261126*0930*^*00501*000000042*0*T*:",
		"GS*FA*RECEIVER*SENDER*20261126*0930*7*X*005010X231A1",
		"ST*999*0001*005010X231A1",
		"AK1*HC*1*005010X222A1",
		"AK2*837*1001*005010X222A1",
		"IK5*A",
		"AK2*837*1002*005010X222A1",
		"IK3*NM1*5*1000B*8",
		"IK4*2*1065*1",
		"IK3*N4*9*2010AA*3",
		"IK3*CLM*14*2300*8",
		"IK4*5:1*1331*1",
		"IK3*NM1*16*2300*8",
		"IK4*1*98*7",
		"IK5*R*5",
		"AK2*837*1003*005010X222A1",
		"IK5*A",
		"AK9*P*3*3*2",
		"SE*17*0001",
		"GE*1*7",
		"IEA*1*000000042",
	}
	compareSegments(t, segmentsOf(t, got), want)
}

func Test999GroupErrors(t *testing.T) {
	t.Parallel()
	in := envelope("HC", "837", "005010X222A1", base837P)
	in = strings.NewReplacer("GE*1*1~", "GE*2*9~", "SE*20*1001", "SE*19*1001").Replace(in)
	_, ics := parseAll(t, in)
	cfg := ackConfig()
	cfg.Delimiters = Delimiters{Element: '|', Repetition: '!', Component: '>', Segment: '\n'}
	cfg.TransactionControlNumber = 12345
	got, err := New999(ics[0], cfg)
	if err != nil {
		t.Fatal(err)
	}
	segs := segmentsOf(t, got)
	compareSegments(t, segs[2:], []string{
		"ST|999|12345|005010X231A1",
		"AK1|HC|1|005010X222A1",
		"AK2|837|1001|005010X222A1",
		"IK5|R|4",
		"AK9|R|2|1|0|5|4",
		"SE|6|12345",
		"GE|1|7",
		"IEA|1|000000042",
	})
}

func TestTA1(t *testing.T) {
	t.Parallel()
	ok := envelope("HC", "837", "005010X222A1", base837P)
	_, ics := parseAll(t, strings.Replace(ok, "IEA*1*000000001", "IEA*1*000000009", 1))
	got, err := NewTA1(ics[0], ackConfig())
	if err != nil {
		t.Fatal(err)
	}
	compareSegments(t, segmentsOf(t, got)[1:], []string{"TA1*000000001*260101*1200*R*001", "IEA*0*000000042"})

	// Acknowledge: a rejected interchange gets a TA1 and no 999.
	got, err = Acknowledge(ics[0], ackConfig())
	if err != nil {
		t.Fatal(err)
	}
	segs := segmentsOf(t, got)
	if len(segs) != 3 || !strings.HasPrefix(segs[1], "TA1*") || segs[2] != "IEA*0*000000042" {
		t.Fatalf("Acknowledge(rejected) = %q", segs)
	}
	// A sound interchange that asks for a TA1 gets TA1 A 000 and its 999.
	_, ics = parseAll(t, strings.Replace(ok, "*000000001*0*T*", "*000000001*1*T*", 1))
	got, err = Acknowledge(ics[0], ackConfig())
	if err != nil {
		t.Fatal(err)
	}
	segs = segmentsOf(t, got)
	if segs[1] != "TA1*000000001*260101*1200*A*000" || segs[2] != "GS*FA*RECEIVER*SENDER*20261126*0930*7*X*005010X231A1" || segs[len(segs)-1] != "IEA*1*000000042" {
		t.Fatalf("Acknowledge(accepted) = %q", segs)
	}
	// The acknowledgment is itself a valid interchange.
	p := NewParser(strings.NewReader(string(got)))
	for {
		if _, err := p.Next(); err != nil {
			break
		}
	}
	if ic := p.Interchanges()[0]; len(ic.Errors) != 0 || len(ic.Groups[0].Errors) != 0 {
		t.Fatalf("acknowledgment envelope: %v %v", codes(ic.Errors), codes(ic.Groups[0].Errors))
	}
}

func TestAckConfigRequired(t *testing.T) {
	t.Parallel()
	_, ics := parseAll(t, envelope("HC", "837", "005010X222A1", base837P))
	for _, cfg := range []AckConfig{{}, {InterchangeControlNumber: 1}, {InterchangeControlNumber: 1e9, Time: ackTime}} {
		if _, err := NewTA1(ics[0], cfg); !errors.Is(err, ErrAckConfig) {
			t.Errorf("NewTA1(%+v) err = %v", cfg, err)
		}
	}
	if _, err := New999(ics[0], AckConfig{InterchangeControlNumber: 1, Time: ackTime}); !errors.Is(err, ErrAckConfig) {
		t.Errorf("New999 without group control number: %v", err)
	}
}

// Test999LikeStupedi reproduces the error of stupedi's sample 999 for a
// claim without its amount: IK3 CLM with code 8, IK4 CLM02 (element 782)
// code 1 (stupedi's leaves IK303 empty; we name the loop).
func Test999LikeStupedi(t *testing.T) {
	t.Parallel()
	body := append([]string{}, base837P...)
	body[13] = "CLM*PCN1****11:B:1*Y*A*Y*Y"
	_, ics := parseAll(t, envelope("HC", "837", "005010X222A1", body))
	got, err := New999(ics[0], ackConfig())
	if err != nil {
		t.Fatal(err)
	}
	segs := segmentsOf(t, got)
	compareSegments(t, between(segs, "AK2", "AK9"), []string{
		"AK2*837*1001*005010X222A1",
		"IK3*CLM*15*2300*8",
		"IK4*2*782*1",
		"IK5*R*5",
		"AK9*R*1*1*0",
	})
}
