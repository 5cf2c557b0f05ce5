package x12

import (
	"strings"
	"testing"
)

func TestEnvelopeValid(t *testing.T) {
	t.Parallel()
	in := envelope("HC", "837", "005010X222A1", base837P, base837P)
	txs, ics := parseAll(t, in)
	if len(txs) != 2 || len(ics) != 1 {
		t.Fatalf("%d transactions, %d interchanges", len(txs), len(ics))
	}
	ic := ics[0]
	if len(ic.Errors) != 0 || len(ic.Groups) != 1 || len(ic.Groups[0].Errors) != 0 {
		t.Fatalf("errors: %v %v", codes(ic.Errors), codes(ic.Groups[0].Errors))
	}
	if ic.SenderID != "SENDER" || ic.ControlNumber != "000000001" || ic.Version != "00501" || ic.Usage != "T" {
		t.Errorf("header: %+v", ic)
	}
	g := ic.Groups[0]
	if g.Declared != 2 || len(g.Transactions) != 2 || !g.Closed || !g.Supported {
		t.Errorf("group: %+v", g)
	}
	for _, tx := range txs {
		if !tx.Accepted() || tx.Guide != Guide837P || tx.Root == nil {
			t.Fatalf("transaction %s: %v", tx.ControlNumber, codes(tx.Errors))
		}
		if tx.Segments[0].Position != 1 || tx.Segments[len(tx.Segments)-1].ID() != "SE" {
			t.Errorf("segments not numbered from ST")
		}
	}
}

func TestEnvelopeErrors(t *testing.T) {
	t.Parallel()
	ok := envelope("HC", "837", "005010X222A1", base837P)
	tests := []struct {
		name   string
		input  string
		ic     []string // interchange note codes
		group  []string // AK905 codes
		txCode []string // IK502 codes
	}{
		{name: "IEA-02 differs", input: strings.Replace(ok, "IEA*1*000000001", "IEA*1*000000002", 1), ic: []string{"001"}},
		{name: "IEA-01 count", input: strings.Replace(ok, "IEA*1*", "IEA*2*", 1), ic: []string{"021"}},
		{name: "IEA missing", input: strings.Replace(ok, "IEA*1*000000001~", "", 1), ic: []string{"023"}},
		{name: "GE-02 differs", input: strings.Replace(ok, "GE*1*1~", "GE*1*2~", 1), group: []string{"4"}},
		{name: "GE-01 count", input: strings.Replace(ok, "GE*1*1~", "GE*3*1~", 1), group: []string{"5"}},
		{name: "GE missing", input: strings.Replace(ok, "GE*1*1~", "", 1), group: []string{"3"}},
		{name: "SE-02 differs", input: strings.Replace(ok, "SE*20*1001", "SE*20*1002", 1), txCode: []string{"3"}},
		{name: "SE-01 count", input: strings.Replace(ok, "SE*20*1001", "SE*21*1001", 1), txCode: []string{"4"}},
		{name: "SE missing", input: strings.Replace(ok, "SE*20*1001~", "", 1), txCode: []string{"2", "5"}},
		{name: "ST-02 too short", input: strings.NewReplacer("ST*837*1001*", "ST*837*1*", "SE*20*1001", "SE*20*1").Replace(ok), txCode: []string{"7", "5"}},
		{name: "GS-01 does not fit ST-01", input: strings.Replace(ok, "GS*HC*", "GS*HP*", 1), txCode: []string{"6"}},
		{name: "ISA-06 width", input: strings.Replace(ok, "*SENDER         *", "*SENDER*", 1), ic: []string{"006"}},
		{name: "ISA-09 not a date", input: strings.Replace(ok, "*260101*1200*", "*261301*1200*", 1), ic: []string{"014"}},
		{name: "ISA-13 not numeric", input: strings.NewReplacer("*000000001*0*T", "*00000000A*0*T", "IEA*1*000000001", "IEA*1*00000000A").Replace(ok), ic: []string{"018"}},
		{name: "ISA-15 usage", input: strings.Replace(ok, "*0*T*:~", "*0*X*:~", 1), ic: []string{"020"}},
		{name: "segment between GS and ST", input: strings.Replace(ok, "~ST*837", "~NTE*X~ST*837", 1), ic: []string{"024"}},
		{name: "4010 group", input: strings.NewReplacer("005010X222A1", "004010X098A1").Replace(ok), group: []string{"2"}, txCode: []string{"1"}},
		{name: "5010 group, 4010 set", input: strings.Replace(ok, "ST*837*1001*005010X222A1", "ST*837*1001*004010X098A1", 1), txCode: []string{"I6"}},
		{name: "unknown guide", input: strings.NewReplacer("005010X222A1", "005010X999A1").Replace(ok), txCode: []string{"1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			txs, ics := parseAll(t, tc.input)
			ic := ics[0]
			var got []string
			for _, e := range ic.Errors {
				got = append(got, e.Code)
			}
			if strings.Join(got, ",") != strings.Join(tc.ic, ",") {
				t.Errorf("interchange codes = %v, want %v", got, tc.ic)
			}
			got = nil
			for _, g := range ic.Groups {
				for _, e := range g.Errors {
					got = append(got, e.Code)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.group, ",") {
				t.Errorf("group codes = %v, want %v", got, tc.group)
			}
			got = nil
			for _, tx := range txs {
				for _, e := range tx.Errors {
					if e.Level == LevelTransaction {
						got = append(got, e.Code)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.txCode, ",") {
				t.Errorf("transaction codes = %v, want %v", got, tc.txCode)
			}
		})
	}
}

func TestEnvelopeUnsupportedVersionIsClear(t *testing.T) {
	t.Parallel()
	in := strings.NewReplacer("005010X222A1", "004010X098A1", "*00501*", "*00401*").Replace(envelope("HC", "837", "005010X222A1", base837P))
	txs, ics := parseAll(t, in)
	if len(txs) != 1 || txs[0].Root != nil || txs[0].Guide != nil {
		t.Fatalf("4010 transaction got loops")
	}
	if !isErr(txs[0].Err(), ErrUnsupportedVersion) {
		t.Fatalf("err = %v, want ErrUnsupportedVersion", txs[0].Err())
	}
	if !strings.Contains(txs[0].Err().Error(), "unsupported version") {
		t.Errorf("error text %q", txs[0].Err())
	}
	if g := ics[0].Groups[0]; g.Supported || !hasCode(g.Errors, LevelGroup, "2") {
		t.Errorf("group: supported %v, %v", g.Supported, codes(g.Errors))
	}
}

func TestEnvelopeDuplicates(t *testing.T) {
	t.Parallel()
	one := envelope("HC", "837", "005010X222A1", base837P)
	// The same interchange twice in one stream, and two transaction
	// sets with one control number.
	_, ics := parseAll(t, one+"\n"+one)
	if len(ics) != 2 || len(ics[0].Errors) != 0 || !hasCode(ics[1].Errors, LevelInterchange, "025") {
		t.Fatalf("duplicate interchange: %v / %v", codes(ics[0].Errors), codes(ics[1].Errors))
	}
	twice := envelope("HC", "837", "005010X222A1", base837P, base837P)
	twice = strings.NewReplacer("ST*837*1002*", "ST*837*1001*", "SE*20*1002", "SE*20*1001").Replace(twice)
	txs, _ := parseAll(t, twice)
	if len(txs) != 2 || !txs[0].Accepted() || !hasCode(txs[1].Errors, LevelTransaction, "23") {
		t.Fatalf("duplicate ST-02: %v / %v", codes(txs[0].Errors), codes(txs[1].Errors))
	}
	// Two groups with one control number.
	g := strings.Replace(one, "IEA*1*", "GS*HC*SENDER*RECEIVER*20260101*1200*1*X*005010X222A1~GE*0*1~IEA*2*", 1)
	_, ics = parseAll(t, g)
	if gs := ics[0].Groups; len(gs) != 2 || !hasCode(gs[1].Errors, LevelGroup, "19") {
		t.Fatalf("duplicate GS-06 not found")
	}
}

func TestEnvelopeMissingTrailersAtEOF(t *testing.T) {
	t.Parallel()
	in := envelope("HC", "837", "005010X222A1", base837P)
	in = in[:strings.Index(in, "SE*")] // cut inside the transaction set
	txs, ics := parseAll(t, in)
	if len(txs) != 1 || !hasCode(txs[0].Errors, LevelTransaction, "2") {
		t.Fatalf("missing SE not reported: %v", codes(txs[0].Errors))
	}
	if !hasCode(ics[0].Groups[0].Errors, LevelGroup, "3") || !hasCode(ics[0].Errors, LevelInterchange, "023") {
		t.Fatalf("missing GE/IEA not reported")
	}
	// The segments read are kept, with loops as far as they go.
	if txs[0].Root == nil || len(txs[0].Root.Find("2300")) != 1 {
		t.Fatalf("partial transaction lost its loops")
	}
}

func TestErrorHasNoValues(t *testing.T) {
	t.Parallel()
	body := with(base837P, 13, nil, -1)
	body[13] = "CLM*SECRETPCN*ABC***11:B:1*Y*A*Y*Y" // CLM02 not numeric
	body[11] = "NM1*IL*1*SECRETNAME*JANE****MI*M1~SECRETID*X"
	txs, _ := parseAll(t, envelope("HC", "837", "005010X222A1", body))
	if len(txs[0].Errors) == 0 {
		t.Fatal("no errors")
	}
	for _, e := range txs[0].Errors {
		if s := e.Error(); strings.Contains(s, "SECRET") || strings.Contains(s, "ABC") {
			t.Errorf("error text leaks a value: %s", s)
		}
	}
	if !hasCode(txs[0].Errors, LevelElement, "6") {
		t.Errorf("CLM02 not reported: %v", codes(txs[0].Errors))
	}
}

func TestEnvelopeTwoInterchangesDifferentDelimiters(t *testing.T) {
	t.Parallel()
	first := envelope("HC", "837", "005010X222A1", base837P)
	second := strings.NewReplacer("*", "|", "~", "\n", ":", ">", "^", "!", "000000001", "000000002").Replace(first)
	txs, ics := parseAll(t, first+"\r\n"+second)
	if len(txs) != 2 || len(ics) != 2 {
		t.Fatalf("%d transactions, %d interchanges", len(txs), len(ics))
	}
	for i, tx := range txs {
		if !tx.Accepted() || len(ics[i].Errors) > 0 {
			t.Fatalf("interchange %d: %v %v", i+1, codes(ics[i].Errors), codes(tx.Errors))
		}
	}
	if d := ics[1].Delimiters; d.Element != '|' || d.Segment != '\n' || d.Component != '>' || d.Repetition != '!' {
		t.Fatalf("second delimiters %+v", d)
	}
	clm := txs[1].Root.Find("2300")[0].First()
	if string(clm.Component(5, 2)) != "B" {
		t.Fatalf("CLM05-2 with '>' = %q", clm.Component(5, 2))
	}
}
