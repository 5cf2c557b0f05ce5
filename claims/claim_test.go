package claims

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tributary-health/tributary/claims/x12"
)

// Two subscribers: the first is the patient (no 2000C) and has a claim
// with another payer (2320); the second has a dependent patient (2000C).
// The 2320 SBR must not be read as a subscriber, and the second 2000B
// must not inherit anything from the first claim.
var subscribers837P = join(header837P, []string{
	"HL*2*1*22*0",
	"SBR*P*18*GRP1******CI",
	"NM1*IL*1*FIRST*SUB****MI*M1",
	"DMG*D8*19700101*F",
	"NM1*PR*2*PAYER ONE*****PI*11111",
	"CLM*PCN1*300***11:B:1*Y*A*Y*Y",
	"REF*G1*AUTH1",
	"HI*ABK:J020*ABF:R509",
	"SBR*S*01*GRP9*OTHER GROUP*****CI",
	"CAS*PR*1*10*1*2*5.5",
	"AMT*D*84.50",
	"OI***Y*P**Y",
	"NM1*IL*1*SPOUSE*OTHER****MI*OTHER1",
	"NM1*PR*2*PAYER TWO*****PI*22222",
	"DTP*573*D8*20260105",
	"LX*1",
	"SV1*HC:99213:25:59*300*UN*1***1:2",
	"DTP*472*RD8*20260101-20260103",
	"REF*6R*LINE1",
	"SVD*22222*84.50*HC:99213**1",
	"CAS*CO*45*200*1*253*5.50",
	"CAS*PR*2*10",
	"DTP*573*D8*20260105",
	"HL*3*1*22*1",
	"SBR*P**GRP2******CI",
	"NM1*IL*1*SECOND*SUB****MI*M2",
	"NM1*PR*2*PAYER ONE*****PI*11111",
	"HL*4*3*23*0",
	"PAT*19",
	"NM1*QC*1*SECOND*CHILD",
	"N3*1 MAIN ST",
	"N4*SPRINGFIELD*IL*62701",
	"DMG*D8*20100101*M",
	"CLM*PCN2*100***11:B:7*Y*A*Y*Y",
	"REF*F8*PAYERCLAIM1",
	"HI*ABK:J020",
	"NM1*82*1*RENDER*DOC****XX*1234567893",
	"LX*1",
	"SV1*HC:99213*100*UN*1***1",
	"DTP*472*D8*20260101",
	"NM1*82*1*LINE*RENDER****XX*1111111112",
})

func TestSubscriberPatientAndOtherSubscriber(t *testing.T) {
	t.Parallel()
	tx := one837P(t, subscribers837P...)
	if !tx.Accepted() {
		t.Fatalf("x12 errors: %v", tx.Err())
	}
	cs, err := Parse837(tx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Fatalf("got %d claims, want 2", len(cs))
	}
	first, second := cs[0], cs[1]

	// First claim: the subscriber is the patient.
	if first.Patient != nil {
		t.Errorf("claim 1: Patient = %+v, want nil (no 2000C)", first.Patient)
	}
	if s := first.Subscriber; s.PayerResponsibility != "P" || s.Relationship != "18" || s.GroupNumber != "GRP1" ||
		s.MemberID() != "M1" || s.Payer.ID != "11111" || s.Demographics.BirthDate.String() != "1970-01-01" {
		t.Errorf("claim 1 subscriber = %+v", s)
	}
	if len(first.OtherSubscribers) != 1 {
		t.Fatalf("claim 1: %d other subscribers, want 1", len(first.OtherSubscribers))
	}
	o := first.OtherSubscribers[0]
	if o.PayerResponsibility != "S" || o.Relationship != "01" || o.GroupName != "OTHER GROUP" ||
		o.Insured.ID != "OTHER1" || o.Payer.ID != "22222" || o.PayerPaid == nil || *o.PayerPaid != 8450 ||
		o.AdjudicationDate.String() != "2026-01-05" {
		t.Errorf("claim 1 other subscriber = %+v", o)
	}
	wantCAS := []Adjustment{{Group: "PR", Reason: "1", Amount: 1000, Quantity: &Decimal{1, 0}}, {Group: "PR", Reason: "2", Amount: 550}}
	if diff := cmp.Diff(wantCAS, o.Adjustments); diff != "" {
		t.Errorf("2320 CAS (-want +got):\n%s", diff)
	}
	if first.PriorAuthorization() != "AUTH1" || first.PlaceOfService() != "11" || first.TypeOfBill() != "" {
		t.Errorf("claim 1 refs/CLM05: %q %q %q", first.PriorAuthorization(), first.PlaceOfService(), first.TypeOfBill())
	}
	l := first.Lines[0]
	if diff := cmp.Diff(Procedure{Qualifier: "HC", Code: "99213", Modifiers: []string{"25", "59"}}, l.Procedure); diff != "" {
		t.Errorf("SV1-01 (-want +got):\n%s", diff)
	}
	if l.Charge != 30000 || l.UnitBasis != "UN" || l.Units.String() != "1" || !cmp.Equal(l.DiagnosisPointers, []int{1, 2}) ||
		l.ServiceDate.Start.String() != "2026-01-01" || l.ServiceDate.End.String() != "2026-01-03" || l.ControlNumber() != "LINE1" {
		t.Errorf("line 1 = %+v", l)
	}
	if len(l.Adjudications) != 1 {
		t.Fatalf("%d line adjudications, want 1", len(l.Adjudications))
	}
	a := l.Adjudications[0]
	wantLineCAS := []Adjustment{
		{Group: "CO", Reason: "45", Amount: 20000, Quantity: &Decimal{1, 0}},
		{Group: "CO", Reason: "253", Amount: 550},
		{Group: "PR", Reason: "2", Amount: 1000},
	}
	if diff := cmp.Diff(wantLineCAS, a.Adjustments); diff != "" {
		t.Errorf("2430 CAS (-want +got):\n%s", diff)
	}
	if a.PayerID != "22222" || a.Paid != 8450 || a.AdjudicationDate.String() != "2026-01-05" {
		t.Errorf("2430 = %+v", a)
	}

	// Second claim: a new subscriber, and a patient from 2000C.
	if s := second.Subscriber; s.MemberID() != "M2" || s.GroupNumber != "GRP2" || s.Relationship != "" {
		t.Errorf("claim 2 subscriber = %+v", s)
	}
	if p := second.Patient; p == nil || p.Relationship != "19" || p.Person.Name != "SECOND" || p.Person.First != "CHILD" ||
		p.Demographics.Gender != "M" || p.Person.Address.City != "SPRINGFIELD" {
		t.Errorf("claim 2 patient = %+v", second.Patient)
	}
	if len(second.OtherSubscribers) != 0 || second.PriorAuthorization() != "" {
		t.Errorf("claim 2 inherited claim 1's data: %+v %v", second.OtherSubscribers, second.Refs)
	}
	if second.FrequencyCode != "7" || second.OriginalReference() != "PAYERCLAIM1" {
		t.Errorf("claim 2 frequency %q, F8 %q", second.FrequencyCode, second.OriginalReference())
	}
	if p := second.Provider(RoleRendering); p == nil || p.Loop != "2310B" || p.Party.NPI() != "1234567893" {
		t.Errorf("claim 2 rendering = %+v", p)
	}
	if p := second.Lines[0].Provider(RoleRendering); p == nil || p.Loop != "2420A" || p.Party.NPI() != "1111111112" {
		t.Errorf("claim 2 line rendering = %+v", p)
	}
	// Header levels reach every claim.
	for _, c := range cs {
		if c.Kind != Professional || c.BillingProvider.NPI() != "1234567893" || c.BillingProvider.Ref("EI") != "000000001" ||
			c.BillingProvider.Taxonomy != "203BF0100Y" || c.Submitter.ID != "S1" || c.Receiver.ID != "R1" ||
			c.Created.String() != "2026-01-01T12:00" {
			t.Errorf("claim %s header = %+v", c.PatientControlNumber, c)
		}
	}
}

func TestHIQualifiers(t *testing.T) {
	t.Parallel()
	body := join(header837P[:4], []string{
		"HL*1**20*1",
		"NM1*85*2*HOSPITAL*****XX*1234567893",
		"N3*1 TEST WAY",
		"N4*SPRINGFIELD*IL*627010000",
		"REF*EI*000000001",
		"HL*2*1*22*0",
		"SBR*P*18*******MB",
		"NM1*IL*1*DOE*JON****MI*M1",
		"NM1*PR*2*MEDICARE*****PI*00435",
		"CLM*PCN1*1000.5***11:A:1**A*Y*Y",
		"DTP*434*RD8*20260101-20260105",
		"DTP*435*DT*202601010830",
		"DTP*096*TM*1130",
		"CL1*1*7*01",
		"HI*ABK:S72001A:::::::Y",
		"HI*ABJ:S7200XA",
		"HI*APR:R52*APR:M25551",
		"HI*ABN:W010XXA",
		"HI*ABF:I10:::::::N*ABF:E119",
		"HI*BBR:0QS704Z:D8:20260102",
		"HI*BBQ:0QS734Z:D8:20260102",
		"HI*DR:470",
		"HI*BI:70:RD8:20251201-20251205",
		"HI*BH:11:D8:20251231",
		"HI*BE:80:::4*BE:A1:::100.5",
		"HI*BG:17",
		"HI*TC:XYZ",
		"LX*1",
		"SV2*0120**1000.50*DA*4",
		"DTP*472*RD8*20260101-20260105",
	})
	txs := transactions(t, interchange("HC", "837", "005010X223A2", body))
	if !txs[0].Accepted() {
		for _, e := range txs[0].Errors {
			t.Errorf("x12: %v", e)
		}
	}
	c, err := Parse837(txs[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(c) != 1 {
		t.Fatalf("%d claims", len(c))
	}
	got := c[0]
	wantDx := []Diagnosis{
		{1, "ABK", "S72001A", DiagnosisPrincipal, ICD10CM, "Y"},
		{2, "ABJ", "S7200XA", DiagnosisAdmitting, ICD10CM, ""},
		{3, "APR", "R52", DiagnosisReasonForVisit, ICD10CM, ""},
		{4, "APR", "M25551", DiagnosisReasonForVisit, ICD10CM, ""},
		{5, "ABN", "W010XXA", DiagnosisExternalCause, ICD10CM, ""},
		{6, "ABF", "I10", DiagnosisOther, ICD10CM, "N"},
		{7, "ABF", "E119", DiagnosisOther, ICD10CM, ""},
	}
	if diff := cmp.Diff(wantDx, got.Diagnoses); diff != "" {
		t.Errorf("diagnoses (-want +got):\n%s", diff)
	}
	if p := got.Principal(); p == nil || p.Code != "S72001A" {
		t.Errorf("Principal = %+v", p)
	}
	day := func(s string) Date { d, _ := ParseD8(s); return d }
	amt := func(s string) *Money { m, _ := ParseMoney(s); return &m }
	dec := func(s string) *Decimal { d, _ := ParseDecimal(s); return &d }
	wantProc := []HealthCode{
		{Qualifier: "BBR", Code: "0QS704Z", System: ICD10PCS, Period: Period{day("20260102"), day("20260102")}},
		{Qualifier: "BBQ", Code: "0QS734Z", System: ICD10PCS, Period: Period{day("20260102"), day("20260102")}},
	}
	if diff := cmp.Diff(wantProc, got.Procedures); diff != "" {
		t.Errorf("procedures (-want +got):\n%s", diff)
	}
	if got.DRG != "470" {
		t.Errorf("DRG = %q", got.DRG)
	}
	if diff := cmp.Diff([]HealthCode{{Qualifier: "BI", Code: "70", Period: Period{day("20251201"), day("20251205")}}}, got.OccurrenceSpans); diff != "" {
		t.Errorf("occurrence spans (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]HealthCode{{Qualifier: "BH", Code: "11", Period: Period{day("20251231"), day("20251231")}}}, got.OccurrenceCodes); diff != "" {
		t.Errorf("occurrence codes (-want +got):\n%s", diff)
	}
	// A value code's amount is HI0n-5; a count such as covered days
	// sent there is still an amount, as the guide says.
	if diff := cmp.Diff([]HealthCode{{Qualifier: "BE", Code: "80", Amount: amt("4")}, {Qualifier: "BE", Code: "A1", Amount: amt("100.5")}}, got.ValueCodes); diff != "" {
		t.Errorf("value codes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]HealthCode{{Qualifier: "BG", Code: "17"}}, got.ConditionCodes); diff != "" {
		t.Errorf("condition codes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]HealthCode{{Qualifier: "TC", Code: "XYZ"}}, got.OtherCodes); diff != "" {
		t.Errorf("other codes (-want +got):\n%s", diff)
	}
	if got.TypeOfBill() != "0111" || got.PlaceOfService() != "" {
		t.Errorf("TypeOfBill = %q, PlaceOfService = %q", got.TypeOfBill(), got.PlaceOfService())
	}
	if got.StatementPeriod.Start.String() != "2026-01-01" || got.StatementPeriod.End.String() != "2026-01-05" ||
		got.Admission.String() != "2026-01-01T08:30" || got.Discharge.String() != "11:30" {
		t.Errorf("dates: %v %v %v", got.StatementPeriod, got.Admission, got.Discharge)
	}
	if got.AdmissionType != "1" || got.AdmissionSource != "7" || got.PatientStatus != "01" || got.TotalCharge != 100050 {
		t.Errorf("CL1/CLM = %q %q %q %v", got.AdmissionType, got.AdmissionSource, got.PatientStatus, got.TotalCharge)
	}
	l := got.Lines[0]
	if l.RevenueCode != "0120" || !l.Procedure.IsZero() || l.Charge != 100050 || l.UnitBasis != "DA" || !l.Units.Equal(*dec("4")) {
		t.Errorf("SV2 = %+v", l)
	}
}

func TestDental(t *testing.T) {
	t.Parallel()
	body := join(header837P[:5], header837P[6:], []string{
		"HL*2*1*22*0",
		"SBR*P*18*GRP******CI",
		"NM1*IL*1*DOE*JANE****MI*M1",
		"NM1*PR*2*DENTAL PAYER*****PI*11111",
		"CLM*PCN1*250***11:B:1*Y*A*Y*Y",
		"HI*ABK:K0251*ABF:K0252",
		"LX*1",
		"SV3*AD:D2392*150****1*****2:1",
		"TOO*JP*3*M:O:D",
		"TOO*JP*14*O",
		"DTP*472*D8*20260101",
		"LX*2",
		"SV3*AD:D4341*100*11*10:20**2",
		"DTP*472*D8*20260101",
	})
	txs := transactions(t, interchange("HC", "837", "005010X224A2", body))
	if !txs[0].Accepted() {
		for _, e := range txs[0].Errors {
			t.Errorf("x12: %v", e)
		}
	}
	cs, err := Parse837(txs[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Kind != Dental {
		t.Fatalf("claims = %+v", cs)
	}
	l1, l2 := cs[0].Lines[0], cs[0].Lines[1]
	if diff := cmp.Diff([]Tooth{{Code: "3", Surfaces: []string{"M", "O", "D"}}, {Code: "14", Surfaces: []string{"O"}}}, l1.Teeth); diff != "" {
		t.Errorf("teeth (-want +got):\n%s", diff)
	}
	if !cmp.Equal(l1.DiagnosisPointers, []int{2, 1}) || l1.Units.String() != "1" || l1.Procedure.Code != "D2392" {
		t.Errorf("line 1 = %+v", l1)
	}
	if !cmp.Equal(l2.OralCavity, []string{"10", "20"}) || l2.PlaceOfService != "11" || l2.Units.String() != "2" {
		t.Errorf("line 2 = %+v", l2)
	}
}

func TestRemittance(t *testing.T) {
	t.Parallel()
	body := []string{
		"BPR*I*1100.25*C*ACH*CCP*01*999999992*DA*123456*1512345678**01*999988880*DA*98765*20260115",
		"TRN*1*EFT0001*1512345678",
		"REF*EV*RECEIVER",
		"DTM*405*20260114",
		"N1*PR*SYNTHETIC PAYER",
		"N3*1 PAYER WAY",
		"N4*SPRINGFIELD*IL*62701",
		"REF*2U*99999",
		"PER*BL*DESK*TE*5555550100",
		"N1*PE*SYNTHETIC CLINIC*XX*1234567893",
		"REF*TJ*000000001",
		"LX*1",
		"CLP*PCN1*2*1500*1100.25*100*12*PAYERCLAIM1*11*1",
		"CAS*CO*45*250*1*253*10.5**A2*5*2*B6*1*1*96*1*1",
		"CAS*PR*1*100",
		"NM1*QC*1*DOE*JANE****MI*M1",
		"NM1*IL*1*DOE*JOHN****MI*M0",
		"NM1*82*1*RENDER*DOC****XX*1111111112",
		"MOA***MA01*N1",
		"DTM*232*20260101",
		"DTM*233*20260103",
		"DTM*050*20260110",
		"AMT*AU*1250",
		"SVC*HC:99213:25*1500*1100.25**2*HC:99214",
		"DTM*150*20260101",
		"DTM*151*20260103",
		"CAS*CO*45*250*1",
		"REF*6R*LINE1",
		"AMT*B6*1200.25",
		"LQ*HE*N362",
		"PLB*1234567893*20261231*L6:INT1*-5.25*WO:CLAIM9*100",
	}
	txs := transactions(t, interchange("HP", "835", "005010X221A1", body))
	if !txs[0].Accepted() {
		t.Fatalf("x12 errors: %v", txs[0].Err())
	}
	r, err := Parse835(txs[0])
	if err != nil {
		t.Fatal(err)
	}
	if r.PaymentAmount != 110025 || r.PaymentMethod != "ACH" || r.PaymentDate.String() != "2026-01-15" || r.TraceNumber != "EFT0001" ||
		r.PayerID() != "99999" || r.Payee.NPI() != "1234567893" || r.Payee.Ref("TJ") != "000000001" || r.ProductionDate.String() != "2026-01-14" {
		t.Errorf("header = %+v", r)
	}
	if len(r.Claims) != 1 {
		t.Fatalf("%d claims", len(r.Claims))
	}
	c := r.Claims[0]
	if c.PatientControlNumber != "PCN1" || c.Status != "2" || c.Charge != 150000 || c.Paid != 110025 || c.PatientResponsibility == nil ||
		*c.PatientResponsibility != 10000 || c.FilingIndicator != "12" || c.PayerControlNumber != "PAYERCLAIM1" || c.FacilityType != "11" ||
		c.Frequency != "1" || c.HeaderNumber != "1" {
		t.Errorf("CLP = %+v", c)
	}
	one := &Decimal{1, 0}
	wantCAS := []Adjustment{
		{Group: "CO", Reason: "45", Amount: 25000, Quantity: one},
		{Group: "CO", Reason: "253", Amount: 1050},
		{Group: "CO", Reason: "A2", Amount: 500, Quantity: &Decimal{2, 0}},
		{Group: "CO", Reason: "B6", Amount: 100, Quantity: one},
		{Group: "CO", Reason: "96", Amount: 100, Quantity: one},
		{Group: "PR", Reason: "1", Amount: 10000},
	}
	if diff := cmp.Diff(wantCAS, c.Adjustments); diff != "" {
		t.Errorf("CAS (-want +got):\n%s", diff)
	}
	if c.Patient.ID != "M1" || c.Insured == nil || c.Insured.ID != "M0" || c.Rendering == nil || c.Rendering.NPI() != "1111111112" {
		t.Errorf("parties: %+v %+v %+v", c.Patient, c.Insured, c.Rendering)
	}
	if c.Outpatient == nil || !cmp.Equal(c.Outpatient.RemarkCodes, []string{"MA01", "N1"}) {
		t.Errorf("MOA = %+v", c.Outpatient)
	}
	if c.StatementPeriod.Start.String() != "2026-01-01" || c.StatementPeriod.End.String() != "2026-01-03" || c.Received.String() != "2026-01-10" ||
		c.CoverageAmount() == nil || *c.CoverageAmount() != 125000 {
		t.Errorf("dates/amounts: %+v %v %v", c.StatementPeriod, c.Received, c.Amounts)
	}
	s := c.Lines[0]
	if s.Procedure.Code != "99213" || !cmp.Equal(s.Procedure.Modifiers, []string{"25"}) || s.Charge != 150000 || s.Paid != 110025 ||
		s.Units.String() != "2" || s.OriginalProcedure == nil || s.OriginalProcedure.Code != "99214" ||
		s.ServiceDate.Start.String() != "2026-01-01" || s.ServiceDate.End.String() != "2026-01-03" || s.ControlNumber() != "LINE1" ||
		s.Allowed() == nil || *s.Allowed() != 120025 || !cmp.Equal(s.Remarks, []Remark{{"HE", "N362"}}) {
		t.Errorf("SVC = %+v", s)
	}
	wantPLB := []ProviderAdjustment{{Provider: "1234567893", FiscalPeriodEnd: Date{Year: 2026, Month: 12, Day: 31}, Items: []ProviderAdjustmentItem{
		{Reason: "L6", Reference: "INT1", Amount: -525},
		{Reason: "WO", Reference: "CLAIM9", Amount: 10000},
	}}}
	if diff := cmp.Diff(wantPLB, r.ProviderAdjustments); diff != "" {
		t.Errorf("PLB (-want +got):\n%s", diff)
	}
	// Money adds up exactly: charge = paid + adjustments.
	var sum Money = c.Paid
	for _, a := range c.Adjustments {
		if a.Group == "CO" && (a.Reason == "45" || a.Reason == "253") || a.Group == "PR" {
			sum += a.Amount
		}
	}
	if sum != 110025+25000+1050+10000 {
		t.Errorf("sum = %v", sum)
	}
}

func TestEnrollment(t *testing.T) {
	t.Parallel()
	body := []string{
		"BGN*00*REF1*20260101*1200****2",
		"REF*38*POLICY1",
		"N1*P5*SPONSOR*FI*000000001",
		"N1*IN*INSURER*FI*000000002",
		"INS*Y*18*021*28*A***FT",
		"REF*0F*SUB1",
		"REF*1L*GROUP1",
		"REF*17*CAT",
		"DTP*356*D8*20260101",
		"DTP*357*D8*20261231",
		"NM1*IL*1*DOE*JANE****34*000000003",
		"PER*IP**TE*5555550100*EM*JANE@EXAMPLE.COM",
		"N3*1 MAIN ST",
		"N4*SPRINGFIELD*IL*62701",
		"DMG*D8*19800101*F*M*:RET:2106-3",
		"HD*021**HLT*PLAN A*FAM",
		"DTP*348*D8*20260101",
		"DTP*349*D8*20261231",
		"REF*CE*GOLD",
		"HD*021**DEN**EMP",
		"DTP*348*D8*20260101",
		"INS*N*19*024*07*A",
		"REF*0F*SUB1",
		"DTP*357*D8*20260331",
		"NM1*IL*1*DOE*KID",
		"DMG*D8*20100101*M",
		"HD*024**HLT",
		"DTP*349*D8*20260331",
	}
	txs := transactions(t, interchange("BE", "834", "005010X220A1", body))
	if !txs[0].Accepted() {
		t.Fatalf("x12 errors: %v", txs[0].Err())
	}
	e, err := Parse834(txs[0])
	if err != nil {
		t.Fatal(err)
	}
	if e.Purpose != "00" || e.Action != "2" || e.MasterPolicy != "POLICY1" || e.Sponsor.ID != "000000001" || e.Payer.Name != "INSURER" {
		t.Errorf("header = %+v", e)
	}
	if len(e.Members) != 2 {
		t.Fatalf("%d members", len(e.Members))
	}
	m, d := e.Members[0], e.Members[1]
	if !m.Subscriber || m.Relationship != "18" || m.MaintenanceType != "021" || m.MaintenanceReason != "28" || m.BenefitStatus != "A" ||
		m.SubscriberID != "SUB1" || m.GroupNumber != "GROUP1" || m.EligibilityBegin.String() != "2026-01-01" || m.EligibilityEnd.String() != "2026-12-31" ||
		m.Name.ID != "000000003" || m.Demographics.BirthDate.String() != "1980-01-01" || m.Name.Address.City != "SPRINGFIELD" ||
		!cmp.Equal(m.Demographics.Race, []Race{{CDC: "2106-3"}}) || len(m.Name.Contacts) != 1 || len(m.Name.Contacts[0].Numbers) != 2 {
		t.Errorf("subscriber = %+v", m)
	}
	if len(m.Coverages) != 2 {
		t.Fatalf("%d coverages", len(m.Coverages))
	}
	if c := m.Coverages[0]; c.InsuranceLine != "HLT" || c.Plan != "PLAN A" || c.CoverageLevel != "FAM" || c.Begin.String() != "2026-01-01" ||
		c.End.String() != "2026-12-31" || c.ClassOfContract() != "GOLD" {
		t.Errorf("coverage 1 = %+v", c)
	}
	if c := m.Coverages[1]; c.InsuranceLine != "DEN" || c.CoverageLevel != "EMP" || c.ClassOfContract() != "" {
		t.Errorf("coverage 2 = %+v", c)
	}
	if d.Subscriber || d.Relationship != "19" || d.MaintenanceType != "024" || d.EligibilityEnd.String() != "2026-03-31" ||
		len(d.Coverages) != 1 || d.Coverages[0].End.String() != "2026-03-31" || d.Name.First != "KID" {
		t.Errorf("dependent = %+v", d)
	}
}

func TestEligibility(t *testing.T) {
	t.Parallel()
	body := []string{
		"BHT*0022*11*REQ1*20260101*1319",
		"HL*1**20*1",
		"NM1*PR*2*PAYER*****PI*11111",
		"HL*2*1*21*1",
		"NM1*1P*2*CLINIC*****XX*1234567893",
		"HL*3*2*22*1",
		"TRN*2*TRACE1*9877281234",
		"NM1*IL*1*DOE*JOHN****MI*M1",
		"DMG*D8*19630519*M",
		"DTP*346*D8*20260101",
		"EB*1**30^1^33**GOLD PLAN",
		"EB*B**1*HM*GOLD PLAN*27*10.00*****Y",
		"EB*A**1*****.2",
		"EB*L",
		"LS*2120",
		"NM1*P3*1*JONES*MARCUS****SV*0202034",
		"LE*2120",
		"HL*4*3*23*0",
		"TRN*2*TRACE2*9877281234",
		"NM1*03*1*DOE*KID",
		"INS*N*19",
		"EB*6**30",
	}
	txs := transactions(t, interchange("HB", "271", "005010X279A1", body))
	if !txs[0].Accepted() {
		t.Fatalf("x12 errors: %v", txs[0].Err())
	}
	es, err := Parse27x(txs[0])
	if err != nil {
		t.Fatal(err)
	}
	// A subscriber with a dependent gives one Eligibility: the dependent's.
	if len(es) != 1 {
		t.Fatalf("%d eligibilities, want 1", len(es))
	}
	e := es[0]
	if e.Source.ID != "11111" || e.Receiver.NPI() != "1234567893" || e.Subscriber.Person.ID != "M1" || e.Dependent == nil ||
		e.Dependent.Relationship != "19" || e.Dependent.Traces[0].Number != "TRACE2" {
		t.Fatalf("eligibility = %+v", e)
	}
	bs := e.Subscriber.Benefits
	if len(bs) != 4 || !cmp.Equal(bs[0].ServiceTypes, []string{"30", "1", "33"}) || bs[1].Amount == nil || *bs[1].Amount != 1000 ||
		bs[1].InNetwork != "Y" || bs[2].Percent == nil || bs[2].Percent.String() != "0.2" || len(bs[3].RelatedEntities) != 1 ||
		bs[3].RelatedEntities[0].ID != "0202034" {
		t.Errorf("benefits = %+v", bs)
	}
	if len(e.Dependent.Benefits) != 1 || e.Dependent.Benefits[0].Information != "6" {
		t.Errorf("dependent benefits = %+v", e.Dependent.Benefits)
	}
}

// TestErrorsLocated checks that a value the models cannot hold fails with
// its X12 location and without the value.
func TestErrorsLocated(t *testing.T) {
	t.Parallel()
	const sv1 = "SV1*HC:99213*100*UN*1***1"
	claim := func(clm, sv1 string, extra ...string) []string {
		return join(header837P, []string{
			"HL*2*1*22*0",
			"SBR*P*18*GRP1******CI",
			"NM1*IL*1*DOE*JANE****MI*M1",
			"NM1*PR*2*PAYER*****PI*11111",
			clm,
			"HI*ABK:J020",
		}, extra, []string{
			"LX*1",
			sv1,
			"DTP*472*D8*20260101",
		})
	}
	const clm = "CLM*PCN1*100***11:B:1*Y*A*Y*Y"
	tests := []struct {
		name string
		body []string
		loc  string
		err  error
	}{
		{"cents", claim("CLM*PCN1*100.987***11:B:1*Y*A*Y*Y", sv1), "2300/CLM02", ErrPrecision},
		{"date", claim(clm, sv1, "DTP*431*D8*20230230"), "2300/DTP03", ErrDate},
		{"pointer", claim(clm, "SV1*HC:99213*100*UN*1***1:13"), "2400/SV107-2", ErrPointer},
		{"value code", claim(clm, sv1, "HI*BE:80:::1.999"), "2300/HI01-5", ErrPrecision},
		{"units", claim(clm, "SV1*HC:99213*100*UN*1.2.3***1"), "2400/SV104", ErrDecimal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tx := one837P(t, tt.body...)
			called := 0
			err := Each837(tx, func(*Claim) error { called++; return nil })
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want an *Error wrapping %v", err, tt.err)
			}
			if e.Location() != tt.loc {
				t.Errorf("Location = %q, want %q", e.Location(), tt.loc)
			}
			for _, v := range []string{"100.987", "20230230", ":13", "1.999", "1.2.3"} {
				if strings.Contains(err.Error(), v) {
					t.Errorf("error %q holds the value %q", err, v)
				}
			}
			if called != 0 {
				t.Errorf("fn called %d times for a claim that failed", called)
			}
		})
	}
}

func TestWrongTransaction(t *testing.T) {
	t.Parallel()
	tx := one837P(t, subscribers837P...)
	if _, err := Parse835(tx); !errors.Is(err, ErrTransaction) {
		t.Errorf("Parse835(837) = %v", err)
	}
	if _, err := Parse834(tx); !errors.Is(err, ErrTransaction) {
		t.Errorf("Parse834(837) = %v", err)
	}
	if err := Each27x(tx, func(*Eligibility) error { return nil }); !errors.Is(err, ErrTransaction) {
		t.Errorf("Each27x(837) = %v", err)
	}
	if err := Each837(nil, func(*Claim) error { return nil }); !errors.Is(err, ErrTransaction) {
		t.Errorf("Each837(nil) = %v", err)
	}
	// A 4010 transaction set has no loops.
	txs := transactions(t, interchange("HC", "837", "004010X098A1", subscribers837P))
	if _, err := Parse837(txs[0]); !errors.Is(err, ErrTransaction) {
		t.Errorf("Parse837(4010) = %v", err)
	}
}

func TestEach837Stops(t *testing.T) {
	t.Parallel()
	tx := one837P(t, subscribers837P...)
	stop := errors.New("stop")
	n := 0
	err := Each837(tx, func(*Claim) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("Each837 = %v after %d calls, want stop after 1", err, n)
	}
}

// TestLogValueRedacts checks that a model passed to slog by mistake logs
// no value from the input.
func TestLogValueRedacts(t *testing.T) {
	t.Parallel()
	cs, err := Parse837(one837P(t, subscribers837P...))
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	c := &cs[1]
	log.Info("claim", "claim", c, "patient", &c.Patient.Person, "subscriber", &c.Subscriber.Insured)
	for _, v := range []string{"SECOND", "CHILD", "PCN2", "M2", "2010-01-01", "J020"} {
		if strings.Contains(buf.String(), v) {
			t.Errorf("log holds %q: %s", v, buf.String())
		}
	}
	if !strings.Contains(buf.String(), `"kind":"professional"`) {
		t.Errorf("log = %s", buf.String())
	}

	buf.Reset()
	read := func(name string) *x12.Transaction {
		data, err := os.ReadFile(filepath.Join("testdata", name+".x12"))
		if err != nil {
			t.Fatal(err)
		}
		return transactions(t, string(data))[0]
	}
	r, err := Parse835(read("835"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := Parse834(read("834"))
	if err != nil {
		t.Fatal(err)
	}
	el, err := Parse27x(read("271"))
	if err != nil {
		t.Fatal(err)
	}
	log.Info("models", "remittance", r, "payment", &r.Claims[0], "enrollment", e, "member", &e.Members[0], "eligibility", &el[0])
	for _, v := range []string{"JONES", "666123", "DOE", "123456789", "SMITH", "19630519", "1963-05-19"} {
		if strings.Contains(buf.String(), v) {
			t.Errorf("log holds %q: %s", v, buf.String())
		}
	}
}
