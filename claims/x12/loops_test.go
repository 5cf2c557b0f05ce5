package x12

import (
	"strings"
	"testing"
)

// parseOne parses one transaction set and fails on envelope errors.
func parseOne(t *testing.T, functionalID, setID, version string, body []string) *Transaction {
	t.Helper()
	txs, ics := parseAll(t, envelope(functionalID, setID, version, body))
	if len(txs) != 1 {
		t.Fatalf("%d transactions", len(txs))
	}
	if len(ics[0].Errors) > 0 || len(ics[0].Groups[0].Errors) > 0 {
		t.Fatalf("envelope errors: %v %v", codes(ics[0].Errors), codes(ics[0].Groups[0].Errors))
	}
	if txs[0].Root == nil {
		t.Fatalf("no loops: %v", codes(txs[0].Errors))
	}
	return txs[0]
}

func TestLoops837PDisambiguation(t *testing.T) {
	t.Parallel()
	body := []string{
		"BHT*0019*00*1*20260101*1200*CH",
		"NM1*41*2*SUBMITTER*****46*S1",
		"PER*IC*DESK*TE*5555550100",
		"NM1*40*2*RECEIVER*****46*R1",
		"HL*1**20*1",
		"NM1*85*2*CLINIC*****XX*1234567893",
		"N3*1 WAY",
		"N4*CITY*IL*62701",
		"REF*EI*000000000",
		"HL*2*1*22*1",
		"SBR*P**GRP******CI", // 2000B's own SBR
		"NM1*IL*1*DOE*JOHN****MI*M1",
		"NM1*PR*2*PAYER*****PI*P1",
		"HL*3*2*23*0",
		"PAT*19",
		"NM1*QC*1*DOE*JANE",
		"N3*1 WAY",
		"N4*CITY*IL*62701",
		"DMG*D8*20100101*F",
		"CLM*PCN1*100***11:B:1*Y*A*Y*Y",
		"HI*ABK:J020",
		"NM1*82*1*RENDER*ING****XX*1234567893", // 2310B: after CLM
		"PRV*PE*PXC*207Q00000X",
		"SBR*S*18*GRP2******CI", // 2320, not a new 2000B
		"OI***Y*P**Y",
		"NM1*IL*1*DOE*JOHN****MI*M2",     // 2330A, not 2010BA
		"NM1*PR*2*OTHER PAYER*****PI*P2", // 2330B, not 2010BB
		"LX*1",
		"SV1*HC:99213*100*UN*1***1",
		"DTP*472*D8*20260101",
		"NM1*82*1*RENDER*ING****XX*1234567893", // 2420A: after LX
		"SVD*P2*80*HC:99213**1",
		"DTP*573*D8*20260201",
	}
	tx := parseOne(t, "HC", "837", "005010X222A1", body)
	if !tx.Accepted() {
		t.Fatalf("errors: %v", codes(tx.Errors))
	}
	want := `ROOT: ST@1 BHT@2 SE@35
  1000A: NM1@3 PER@4
  1000B: NM1@5
  2000A: HL@6
    2010AA: NM1@7 N3@8 N4@9 REF@10
    2000B: HL@11 SBR@12
      2010BA: NM1@13
      2010BB: NM1@14
      2000C: HL@15 PAT@16
        2010CA: NM1@17 N3@18 N4@19 DMG@20
        2300: CLM@21 HI@22
          2310B: NM1@23 PRV@24
          2320: SBR@25 OI@26
            2330A: NM1@27
            2330B: NM1@28
          2400: LX@29 SV1@30 DTP@31
            2420A: NM1@32
            2430: SVD@33 DTP@34
`
	if got := tx.Root.Outline(); got != want {
		t.Fatalf("outline:\n%s\nwant:\n%s", got, want)
	}
	// Helpers walk the tree by id and qualifier.
	claim := tx.Root.Find("2300")[0]
	if claim.Path() != "2000A/2000B/2000C/2300" {
		t.Errorf("path = %s", claim.Path())
	}
	if clm := claim.First(); clm.Value(1) != "PCN1" || string(clm.Component(5, 2)) != "B" || clm.Position != 21 {
		t.Errorf("CLM: %s", clm)
	}
	if s, ok := tx.Root.Find("2010AA")[0].Segment("REF", "EI"); !ok || s.Value(2) != "000000000" {
		t.Errorf("REF*EI not found")
	}
	if _, ok := tx.Root.Find("2010AA")[0].Segment("REF", "SY"); ok {
		t.Errorf("REF*SY found")
	}
	if n := len(claim.Child("2400").SegmentsOf("DTP", "472")); n != 1 {
		t.Errorf("DTP*472 in 2400: %d", n)
	}
	if claim.Child("2320").Child("2330B") == nil || claim.Child("2330B") != nil {
		t.Errorf("2330B is not under 2320")
	}
	if hl := tx.Root.Find("2000C")[0]; hl.HLID != "3" || hl.Parent.HLID != "2" {
		t.Errorf("HL ids: %s under %s", hl.HLID, hl.Parent.HLID)
	}
}

func TestLoops837PSubscriberClaimsAndNextSubscriber(t *testing.T) {
	t.Parallel()
	// Two subscribers who are patients, each with a claim: the second
	// HL*22 closes 2300 and opens a new 2000B; SBR after it is 2000B's.
	body := with(base837P, -1, []string{
		"HL*3*1*22*0",
		"SBR*P*18*******CI",
		"NM1*IL*1*ROE*RICHARD****MI*M3",
		"NM1*PR*2*PAYER*****PI*P1",
		"CLM*PCN2*50***11:B:1*Y*A*Y*Y",
		"HI*ABK:J020",
		"LX*1",
		"SV1*HC:99213*50*UN*1***1",
		"DTP*472*D8*20260101",
	}, -1)
	tx := parseOne(t, "HC", "837", "005010X222A1", body)
	if !tx.Accepted() {
		t.Fatalf("errors: %v", codes(tx.Errors))
	}
	subs := tx.Root.Child("2000A").ChildrenOf("2000B")
	if len(subs) != 2 || len(subs[0].ChildrenOf("2300")) != 1 || len(subs[1].ChildrenOf("2300")) != 1 {
		t.Fatalf("outline:\n%s", tx.Root.Outline())
	}
	if len(tx.Root.Find("2320")) != 0 {
		t.Fatalf("an SBR became 2320:\n%s", tx.Root.Outline())
	}
}

func TestLoopsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body []string
		want []string // level:code@location, in order; transaction-level ones left out
	}{
		{
			name: "CLM outside 2300",
			body: with(base837P, 5, []string{"CLM*PCN0*100***11:B:1*Y*A*Y*Y"}, -1),
			want: []string{"segment:2@2000A/CLM"},
		},
		{
			name: "unknown NM1 qualifier in 2300",
			body: with(base837P, 15, []string{"NM1*ZZZ*1*X"}, -1),
			want: []string{"element:7@2300/NM101"},
		},
		{
			name: "required N4 missing in 2010AA",
			body: with(base837P, -1, nil, 7),
			want: []string{"segment:3@2010AA/N4"},
		},
		{
			name: "service line without its date",
			body: with(base837P, -1, nil, 17),
			want: []string{"segment:3@2400/DTP"},
		},
		{
			name: "N3 after N4: out of sequence",
			body: append(append(append([]string{}, base837P[:6]...), base837P[7], base837P[6]), base837P[8:]...),
			want: []string{"segment:7@2010AA/N3"},
		},
		{
			name: "PER three times in 1000A",
			body: with(base837P, 3, []string{"PER*IC*A*TE*1", "PER*IC*B*TE*2"}, -1),
			want: []string{"segment:5@1000A/PER"},
		},
		{
			name: "2310A three times",
			body: with(base837P, 15, []string{"NM1*DN*1*A", "NM1*DN*1*B", "NM1*DN*1*C"}, -1),
			want: []string{"segment:4@2310A/NM1"},
		},
		{
			name: "segment id not in the guide",
			body: with(base837P, 15, []string{"ZZZ*1"}, -1),
			want: []string{"segment:6@2300/ZZZ"},
		},
		{
			name: "not a segment id",
			body: with(base837P, 15, []string{"clm*1"}, -1),
			want: []string{"segment:1@2300"},
		},
		{
			name: "required element, length, date",
			body: with(base837P, 14, []string{"DTP*431*D8*20261301", "REF*G1"}, -1),
			want: []string{"element:8@2300/DTP03", "element:1@2300/REF02"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tx := parseOne(t, "HC", "837", "005010X222A1", tc.body)
			var got []string
			for _, e := range tx.Errors {
				if e.Level != LevelTransaction {
					got = append(got, e.Level.String()+":"+e.Code+"@"+e.Location())
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("errors = %v, want %v", got, tc.want)
			}
			if !hasCode(tx.Errors, LevelTransaction, "5") {
				t.Errorf("IK502 5 missing: %v", codes(tx.Errors))
			}
		})
	}
}

func TestLoopsHLParent(t *testing.T) {
	t.Parallel()
	body := append([]string{}, base837P...)
	body[9] = "HL*2*7*22*0" // parent 7 does not exist
	tx := parseOne(t, "HC", "837", "005010X222A1", body)
	if !hasCode(tx.Errors, LevelElement, "7") || tx.Errors[len(tx.Errors)-1].Location() != "2000B/HL02" {
		t.Fatalf("errors: %v", codes(tx.Errors))
	}
	// It is still placed where a 2000B may go.
	if len(tx.Root.Find("2000B")) != 1 || tx.Root.Find("2000B")[0].Parent.ID != "2000A" {
		t.Fatalf("outline:\n%s", tx.Root.Outline())
	}
	// A patient level directly under the billing provider is not allowed.
	body[9] = "HL*2*1*23*0"
	tx = parseOne(t, "HC", "837", "005010X222A1", body)
	if !hasCode(tx.Errors, LevelElement, "7") {
		t.Fatalf("23 under 20 accepted: %v", codes(tx.Errors))
	}
}

func TestLoops835(t *testing.T) {
	t.Parallel()
	body := []string{
		"BPR*I*150*C*CHK************20260101",
		"TRN*1*12345*1512345678",
		"DTM*405*20260101",
		"N1*PR*PAYER",
		"N3*1 WAY",
		"N4*CITY*IL*62701",
		"PER*BL*DESK*TE*5555550100",
		"N1*PE*CLINIC*XX*1234567893",
		"LX*1",
		"CLP*PCN1*1*100*80**12*PAYERCN1",
		"NM1*QC*1*DOE*JANE****MI*M1",
		"NM1*82*1*RENDER*ING****XX*1234567893",
		"SVC*HC:99213*100*80**1",
		"DTM*472*20260101",
		"CAS*CO*45*20",
		"CLP*PCN2*1*70*70**12*PAYERCN2",
		"NM1*QC*1*ROE*RICHARD****MI*M3",
		"SVC*HC:99213*70*70**1",
		"PLB*1234567893*20261231*CV:CP*-1.27",
	}
	tx := parseOne(t, "HP", "835", "005010X221A1", body)
	if !tx.Accepted() {
		t.Fatalf("errors: %v", codes(tx.Errors))
	}
	lx := tx.Root.ChildrenOf("2000")
	if len(lx) != 1 || len(lx[0].ChildrenOf("2100")) != 2 {
		t.Fatalf("outline:\n%s", tx.Root.Outline())
	}
	first := lx[0].ChildrenOf("2100")[0]
	if len(first.SegmentsOf("NM1", "")) != 2 || len(first.ChildrenOf("2110")) != 1 || len(first.Child("2110").SegmentsOf("CAS", "CO")) != 1 {
		t.Fatalf("2100:\n%s", tx.Root.Outline())
	}
	if _, ok := tx.Root.Segment("PLB", ""); !ok {
		t.Fatalf("PLB not at the root:\n%s", tx.Root.Outline())
	}
}

func TestLoops834(t *testing.T) {
	t.Parallel()
	body := []string{
		"BGN*00*12456*20260101*1200****2",
		"N1*P5**FI*999888777",
		"N1*IN**FI*654456654",
		"INS*Y*18*021*20*A***FT",
		"REF*0F*123456789",
		"DTP*356*D8*20260101",
		"NM1*IL*1*DOE*JOHN****34*000000000",
		"DMG*D8*19770816*M",
		"NM1*70*1*DOE*JON",
		"HD*021**HLT",
		"DTP*348*D8*20260101",
		"LS*2700",
		"LX*1",
		"N1*75*NEWBORN INDICATOR",
		"REF*ZZ*Y",
		"LX*2",
		"N1*75*FIPS CODE",
		"REF*3L*88",
		"LE*2700",
		"INS*N*19*021*20*A***FT",
		"REF*0F*123456789",
		"NM1*IL*1*DOE*JIM",
		"HD*021**HLT",
		"DTP*348*D8*20260101",
	}
	tx := parseOne(t, "BE", "834", "005010X220A1", body)
	if !tx.Accepted() {
		t.Fatalf("errors: %v", codes(tx.Errors))
	}
	members := tx.Root.ChildrenOf("2000")
	if len(members) != 2 {
		t.Fatalf("outline:\n%s", tx.Root.Outline())
	}
	m := members[0]
	if m.Child("2100A") == nil || m.Child("2100B") == nil || m.Child("2300") == nil || len(m.ChildrenOf("2700")) != 2 {
		t.Fatalf("outline:\n%s", tx.Root.Outline())
	}
	if _, ok := m.Segment("LE", ""); !ok {
		t.Fatalf("LE not in 2000:\n%s", tx.Root.Outline())
	}
	if m.ChildrenOf("2700")[1].Child("2750") == nil {
		t.Fatalf("2750 missing:\n%s", tx.Root.Outline())
	}
}

func TestLoops27x(t *testing.T) {
	t.Parallel()
	body270 := []string{
		"BHT*0022*13*10001234*20260101*1319",
		"HL*1**20*1",
		"NM1*PR*2*PAYER*****PI*842610001",
		"HL*2*1*21*1",
		"NM1*1P*2*CLINIC*****SV*2000035",
		"HL*3*2*22*0",
		"TRN*1*93175-012547*9877281234",
		"NM1*IL*1*DOE*JOHN****MI*11122333301",
		"DMG*D8*19430519",
		"DTP*291*D8*20260101",
		"EQ*30",
	}
	tx := parseOne(t, "HS", "270", "005010X279A1", body270)
	if !tx.Accepted() || len(tx.Root.Find("2110C")) != 1 || tx.Root.Find("2000C")[0].Parent.ID != "2000B" {
		t.Fatalf("270: %v\n%s", codes(tx.Errors), tx.Root.Outline())
	}
	body277 := []string{
		"BHT*0010*08*277X212*20260101*0810*DG",
		"HL*1**20*1",
		"NM1*PR*2*PAYER*****PI*12345",
		"HL*2*1*21*1",
		"NM1*41*2*SUBMITTER*****46*X67E",
		"HL*3*2*19*1",
		"NM1*1P*2*HOSPITAL*****XX*1234567893",
		"HL*4*3*22*1",
		"NM1*IL*1*DOE*JOHN****MI*M1",
		"HL*5*4*23",
		"NM1*QC*1*DOE*JUNIOR",
		"TRN*2*ABCXYZ1",
		"STC*F2:88:QC*20260101**150*0",
		"REF*1K*051681010827",
		"SVC*HC:99203*150*0****1",
		"STC*F2:88:QC*20260101",
		"DTP*472*D8*20260101",
	}
	tx = parseOne(t, "HN", "277", "005010X212", body277)
	if !tx.Accepted() || len(tx.Root.Find("2220E")) != 1 || tx.Root.Find("2000E")[0].Path() != "2000A/2000B/2000C/2000D/2000E" {
		t.Fatalf("277: %v\n%s", codes(tx.Errors), tx.Root.Outline())
	}
}

func TestGuides(t *testing.T) {
	t.Parallel()
	want := map[string]string{"837/X222A1": "005010X222A2", "837/X223A2": "005010X223A3", "837/X224A2": "005010X224A2",
		"835/X221A1": "005010X221A1", "834/X220A1": "005010X220A1", "270/X279A1": "005010X279A1", "271/X279A1": "005010X279A1",
		"276/X212": "005010X212", "277/X212": "005010X212"}
	if n := len(Guides()); n != len(want) {
		t.Fatalf("%d guides", n)
	}
	for k, version := range want {
		set, ref, _ := strings.Cut(k, "/")
		g := GuideFor(set, version)
		if g == nil || g.Reference != "005010"+ref || g.SetID != set {
			t.Errorf("GuideFor(%s, %s) = %v", set, version, g)
		}
	}
	if GuideFor("837", "004010X098A1") != nil || GuideFor("837", "005010") != nil {
		t.Error("guide for an unsupported version")
	}
}
