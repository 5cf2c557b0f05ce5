package claims

import (
	"github.com/tributary-health/tributary/claims/x12"
)

// A Remittance is an 835 transaction set: one payment (or notice of no
// payment) from a payer to a payee, with the claims it pays (2100), their
// service lines (2110) and the provider-level adjustments (PLB). The x12
// tag of each field names the loop and element it comes from.
//
// Bank account and routing numbers (BPR-06 to BPR-15) are not kept: no
// mapping needs them, and a model that does not hold them cannot leak
// them.
type Remittance struct {
	ControlNumber  string `json:"controlNumber,omitempty" x12:"ST-02"`
	Handling       string `json:"handling" x12:"BPR-01"`                // I remittance with payment, H notification only, C payment only...
	PaymentAmount  Money  `json:"paymentAmount" x12:"BPR-02"`           // total actual provider payment
	CreditDebit    string `json:"creditDebit,omitempty" x12:"BPR-03"`   // C credit, D debit
	PaymentMethod  string `json:"paymentMethod,omitempty" x12:"BPR-04"` // ACH, BOP, CHK, FWT, NON
	PaymentFormat  string `json:"paymentFormat,omitempty" x12:"BPR-05"` // CCP, CTX
	PaymentDate    Date   `json:"paymentDate,omitzero" x12:"BPR-16"`    // check issue or EFT effective date
	TraceType      string `json:"traceType,omitempty" x12:"TRN-01"`     // 1 current transaction trace number
	TraceNumber    string `json:"traceNumber,omitempty" x12:"TRN-02"`   // check or EFT trace number
	OriginatorID   string `json:"originatorId,omitempty" x12:"TRN-03"`  // payer identifier, 1 + tax id
	Currency       string `json:"currency,omitempty" x12:"CUR-02"`
	Refs           []Ref  `json:"refs,omitempty" x12:"REF"` // EV receiver id, F2 version
	ProductionDate Date   `json:"productionDate,omitzero" x12:"DTM*405"`

	Payer Party `json:"payer" x12:"1000A"` // N1*PR; payer id in N1-04 (XV) or REF*2U
	Payee Party `json:"payee" x12:"1000B"` // N1*PE; NPI in N1-04 when N1-03 is XX, tax id REF*TJ or N1-04 (FI)

	Claims              []ClaimPayment       `json:"claims,omitempty" x12:"2100"`
	ProviderAdjustments []ProviderAdjustment `json:"providerAdjustments,omitempty" x12:"PLB"`
}

// PayerID returns the payer's identifier: REF*2U of 1000A, or N1-04 when
// there is none.
func (r *Remittance) PayerID() string {
	if v := r.Payer.Ref("2U"); v != "" {
		return v
	}
	return r.Payer.ID
}

// A ClaimPayment is loop 2100 of an 835: how the payer adjudicated one
// claim.
type ClaimPayment struct {
	HeaderNumber          string           `json:"headerNumber,omitempty" x12:"2000/LX-01"` // groups claims, e.g. by bill type
	PatientControlNumber  string           `json:"patientControlNumber" x12:"2100/CLP01"`   // CLM01 of the 837
	Status                string           `json:"status" x12:"2100/CLP02"`                 // 1 processed as primary, 2 secondary, 3 tertiary, 4 denied, 19-23, 25
	Charge                Money            `json:"charge" x12:"2100/CLP03"`
	Paid                  Money            `json:"paid" x12:"2100/CLP04"`
	PatientResponsibility *Money           `json:"patientResponsibility,omitempty" x12:"2100/CLP05"`
	FilingIndicator       string           `json:"filingIndicator,omitempty" x12:"2100/CLP06"` // 12 PPO, MA Medicare A, MB Medicare B, MC Medicaid...
	PayerControlNumber    string           `json:"payerControlNumber,omitempty" x12:"2100/CLP07"`
	FacilityType          string           `json:"facilityType,omitempty" x12:"2100/CLP08"` // place of service or type of bill digits
	Frequency             string           `json:"frequency,omitempty" x12:"2100/CLP09"`
	DRG                   string           `json:"drg,omitempty" x12:"2100/CLP11"`
	DRGWeight             *Decimal         `json:"drgWeight,omitempty" x12:"2100/CLP12"`
	DischargeFraction     *Decimal         `json:"dischargeFraction,omitempty" x12:"2100/CLP13"`
	Adjustments           []Adjustment     `json:"adjustments,omitempty" x12:"2100/CAS"`
	Patient               Party            `json:"patient" x12:"2100/NM1*QC"`
	Insured               *Party           `json:"insured,omitempty" x12:"2100/NM1*IL"`          // when the insured is not the patient
	CorrectedPatient      *Party           `json:"correctedPatient,omitempty" x12:"2100/NM1*74"` // corrected patient or insured name
	Rendering             *Party           `json:"rendering,omitempty" x12:"2100/NM1*82"`
	CrossoverCarrier      *Party           `json:"crossoverCarrier,omitempty" x12:"2100/NM1*TT"`
	CorrectedPayer        *Party           `json:"correctedPayer,omitempty" x12:"2100/NM1*PR"` // corrected priority payer
	OtherSubscriber       *Party           `json:"otherSubscriber,omitempty" x12:"2100/NM1*GB"`
	Inpatient             *Inpatient       `json:"inpatient,omitempty" x12:"2100/MIA"`
	Outpatient            *Outpatient      `json:"outpatient,omitempty" x12:"2100/MOA"`
	Refs                  []Ref            `json:"refs,omitempty" x12:"2100/REF"` // 1L group or policy, EA medical record, F8 original reference...
	StatementPeriod       Period           `json:"statementPeriod,omitzero" x12:"2100/DTM*232,DTM*233"`
	Received              Date             `json:"received,omitzero" x12:"2100/DTM*050"`
	CoverageExpiration    Date             `json:"coverageExpiration,omitzero" x12:"2100/DTM*036"`
	Contacts              []Contact        `json:"contacts,omitempty" x12:"2100/PER"`
	Amounts               []Amount         `json:"amounts,omitempty" x12:"2100/AMT"` // AU coverage amount, D8 discount, F5 patient paid, I interest...
	Quantities            []Quantity       `json:"quantities,omitempty" x12:"2100/QTY"`
	Lines                 []ServicePayment `json:"lines,omitempty" x12:"2110"`
}

// CoverageAmount returns AMT*AU of the claim (the amount covered), or
// nil.
func (c *ClaimPayment) CoverageAmount() *Money { return amountOf(c.Amounts, "AU") }

// An Inpatient is an MIA segment: inpatient adjudication information.
type Inpatient struct {
	CoveredDays             *Decimal `json:"coveredDays,omitempty" x12:"MIA01"`
	PPSOperatingOutlier     *Money   `json:"ppsOperatingOutlier,omitempty" x12:"MIA02"`
	LifetimePsychiatricDays *Decimal `json:"lifetimePsychiatricDays,omitempty" x12:"MIA03"`
	DRGAmount               *Money   `json:"drgAmount,omitempty" x12:"MIA04"`
	RemarkCodes             []string `json:"remarkCodes,omitempty" x12:"MIA05,MIA20,MIA21,MIA22,MIA23"` // RARC
}

// An Outpatient is an MOA segment: outpatient adjudication information.
type Outpatient struct {
	ReimbursementRate      *Decimal `json:"reimbursementRate,omitempty" x12:"MOA01"`
	HCPCSPayable           *Money   `json:"hcpcsPayable,omitempty" x12:"MOA02"`
	RemarkCodes            []string `json:"remarkCodes,omitempty" x12:"MOA03..MOA07"` // RARC
	ESRDPayment            *Money   `json:"esrdPayment,omitempty" x12:"MOA08"`
	NonpayableProfessional *Money   `json:"nonpayableProfessional,omitempty" x12:"MOA09"`
}

// A ServicePayment is loop 2110 of an 835: how one service line was
// paid.
type ServicePayment struct {
	Procedure         Procedure    `json:"procedure" x12:"2110/SVC01"`
	Charge            Money        `json:"charge" x12:"2110/SVC02"`
	Paid              Money        `json:"paid" x12:"2110/SVC03"`
	RevenueCode       string       `json:"revenueCode,omitempty" x12:"2110/SVC04"`
	Units             *Decimal     `json:"units,omitempty" x12:"2110/SVC05"`             // absent means 1
	OriginalProcedure *Procedure   `json:"originalProcedure,omitempty" x12:"2110/SVC06"` // as submitted, when the payer changed it
	OriginalUnits     *Decimal     `json:"originalUnits,omitempty" x12:"2110/SVC07"`
	ServiceDate       Period       `json:"serviceDate,omitzero" x12:"2110/DTM*472, DTM*150-151"`
	Adjustments       []Adjustment `json:"adjustments,omitempty" x12:"2110/CAS"`
	Refs              []Ref        `json:"refs,omitempty" x12:"2110/REF"`    // 6R line item control number, LU location...
	Amounts           []Amount     `json:"amounts,omitempty" x12:"2110/AMT"` // B6 allowed, KH deduction, T tax...
	Quantities        []Quantity   `json:"quantities,omitempty" x12:"2110/QTY"`
	Remarks           []Remark     `json:"remarks,omitempty" x12:"2110/LQ"`
}

// ControlNumber returns the line item control number (REF*6R): the
// 837's REF*6R of the line, or "".
func (s *ServicePayment) ControlNumber() string { return refValue(s.Refs, "6R") }

// Allowed returns the allowed amount (AMT*B6), or nil.
func (s *ServicePayment) Allowed() *Money { return amountOf(s.Amounts, "B6") }

// A Remark is an LQ segment: a remark code (LQ01 HE: RARC; RX: NCPDP
// reject reason).
type Remark struct {
	Qualifier string `json:"qualifier" x12:"LQ01"`
	Code      string `json:"code" x12:"LQ02"`
}

// A ProviderAdjustment is a PLB segment: adjustments not tied to a claim
// (interest, forwarding balances, overpayment recovery) for one provider
// and fiscal period.
type ProviderAdjustment struct {
	Provider        string                   `json:"provider" x12:"PLB01"` // provider identifier (NPI or tax id)
	FiscalPeriodEnd Date                     `json:"fiscalPeriodEnd,omitzero" x12:"PLB02"`
	Items           []ProviderAdjustmentItem `json:"items" x12:"PLB03..PLB14"`
}

// A ProviderAdjustmentItem is one of the up to six adjustments of a PLB.
type ProviderAdjustmentItem struct {
	Reason    string `json:"reason" x12:"PLB03-1,PLB05-1,...,PLB13-1"` // e.g. WO overpayment recovery, L6 interest, FB forwarding balance
	Reference string `json:"reference,omitempty" x12:"PLB03-2,...,PLB13-2"`
	Amount    Money  `json:"amount" x12:"PLB04,PLB06,...,PLB14"` // positive decreases the payment
}

// Parse835 builds the remittance of an 835 transaction set. Like
// [Each837], it builds what the loops hold despite the transaction's own
// errors and fails only on values it cannot represent, returning an
// [*Error] that locates the first.
func Parse835(tx *x12.Transaction) (*Remittance, error) {
	return Each835(tx, nil)
}

// Each835 is [Parse835] that also calls fn with each claim payment as it
// is built, for remittances too large to hold; when fn is not nil the
// returned Remittance has no Claims. It stops at the first error fn
// returns and returns it.
func Each835(tx *x12.Transaction, fn func(*Remittance, *ClaimPayment) error) (*Remittance, error) {
	if tx == nil || tx.Root == nil || tx.Guide != x12.Guide835 {
		return nil, txErr(tx)
	}
	var b builder
	root := tx.Root
	r := &Remittance{ControlNumber: tx.ControlNumber}
	for _, s := range root.Segments {
		switch string(s.IDBytes()) {
		case "BPR":
			r.Handling = s.Value(1)
			r.PaymentAmount = b.money(root, s, 2, 0)
			r.CreditDebit = s.Value(3)
			r.PaymentMethod = s.Value(4)
			r.PaymentFormat = s.Value(5)
			r.PaymentDate = b.d8(root, s, 16)
		case "TRN":
			r.TraceType = s.Value(1)
			r.TraceNumber = s.Value(2)
			r.OriginatorID = s.Value(3)
		case "CUR":
			r.Currency = s.Value(2)
		case "REF":
			r.Refs = append(r.Refs, Ref{Qualifier: s.Value(1), Value: s.Value(2)})
		case "DTM":
			if s.Is(1, "405") {
				r.ProductionDate = b.d8(root, s, 2)
			}
		case "PLB":
			r.ProviderAdjustments = append(r.ProviderAdjustments, b.plb(root, s))
		}
	}
	r.Payer = party(root.Child("1000A"))
	r.Payee = party(root.Child("1000B"))
	if b.err != nil {
		return nil, b.err
	}
	for _, h := range root.ChildrenOf("2000") {
		lx, _ := h.Segment("LX", "")
		for _, cl := range h.ChildrenOf("2100") {
			c := b.claimPayment(cl)
			c.HeaderNumber = lx.Value(1)
			if b.err != nil {
				return nil, b.err
			}
			if fn == nil {
				r.Claims = append(r.Claims, *c)
			} else if err := fn(r, c); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

func (b *builder) plb(l *x12.Loop, s x12.Segment) ProviderAdjustment {
	p := ProviderAdjustment{Provider: s.Value(1), FiscalPeriodEnd: b.d8(l, s, 2)}
	for i := 3; i+1 <= 14; i += 2 {
		if len(s.Element(i)) == 0 && len(s.Element(i+1)) == 0 {
			continue
		}
		p.Items = append(p.Items, ProviderAdjustmentItem{
			Reason:    string(s.Component(i, 1)),
			Reference: string(s.Component(i, 2)),
			Amount:    b.money(l, s, i+1, 0),
		})
	}
	return p
}

func (b *builder) claimPayment(l *x12.Loop) *ClaimPayment {
	c := &ClaimPayment{}
	for _, s := range l.Segments {
		switch string(s.IDBytes()) {
		case "CLP":
			c.PatientControlNumber = s.Value(1)
			c.Status = s.Value(2)
			c.Charge = b.money(l, s, 3, 0)
			c.Paid = b.money(l, s, 4, 0)
			c.PatientResponsibility = b.optMoney(l, s, 5)
			c.FilingIndicator = s.Value(6)
			c.PayerControlNumber = s.Value(7)
			c.FacilityType = string(s.Component(8, 1))
			c.Frequency = s.Value(9)
			c.DRG = s.Value(11)
			c.DRGWeight = b.optDecimal(l, s, 12)
			c.DischargeFraction = b.optDecimal(l, s, 13)
		case "CAS":
			c.Adjustments = b.cas(c.Adjustments, l, s)
		case "NM1":
			var p Party
			nm1(&p, s)
			switch p.EntityCode {
			case "QC":
				c.Patient = p
			case "IL":
				c.Insured = &p
			case "74":
				c.CorrectedPatient = &p
			case "82":
				c.Rendering = &p
			case "TT":
				c.CrossoverCarrier = &p
			case "PR":
				c.CorrectedPayer = &p
			case "GB":
				c.OtherSubscriber = &p
			}
		case "MIA":
			m := &Inpatient{
				CoveredDays:             b.optDecimal(l, s, 1),
				PPSOperatingOutlier:     b.optMoney(l, s, 2),
				LifetimePsychiatricDays: b.optDecimal(l, s, 3),
				DRGAmount:               b.optMoney(l, s, 4),
			}
			m.RemarkCodes = values(s, 5, 20, 21, 22, 23)
			c.Inpatient = m
		case "MOA":
			c.Outpatient = &Outpatient{
				ReimbursementRate:      b.optDecimal(l, s, 1),
				HCPCSPayable:           b.optMoney(l, s, 2),
				RemarkCodes:            values(s, 3, 4, 5, 6, 7),
				ESRDPayment:            b.optMoney(l, s, 8),
				NonpayableProfessional: b.optMoney(l, s, 9),
			}
		case "REF":
			c.Refs = append(c.Refs, Ref{Qualifier: s.Value(1), Value: s.Value(2)})
		case "DTM":
			switch s.Value(1) {
			case "232":
				c.StatementPeriod.Start = b.d8(l, s, 2)
			case "233":
				c.StatementPeriod.End = b.d8(l, s, 2)
			case "050":
				c.Received = b.d8(l, s, 2)
			case "036":
				c.CoverageExpiration = b.d8(l, s, 2)
			}
		case "PER":
			c.Contacts = append(c.Contacts, contact(s))
		}
	}
	c.Amounts = b.amounts(l)
	c.Quantities = b.quantities(l)
	for _, sl := range l.ChildrenOf("2110") {
		c.Lines = append(c.Lines, b.servicePayment(sl))
	}
	return c
}

// values returns the non-empty elements of s at the given positions.
func values(s x12.Segment, elems ...int) []string {
	var out []string
	for _, i := range elems {
		if v := s.Element(i); len(v) > 0 {
			out = append(out, string(v))
		}
	}
	return out
}

func (b *builder) servicePayment(l *x12.Loop) ServicePayment {
	var p ServicePayment
	for _, s := range l.Segments {
		switch string(s.IDBytes()) {
		case "SVC":
			p.Procedure = procedure(s, 1)
			p.Charge = b.money(l, s, 2, 0)
			p.Paid = b.money(l, s, 3, 0)
			p.RevenueCode = s.Value(4)
			p.Units = b.optDecimal(l, s, 5)
			if len(s.Element(6)) > 0 {
				o := procedure(s, 6)
				p.OriginalProcedure = &o
			}
			p.OriginalUnits = b.optDecimal(l, s, 7)
		case "DTM":
			switch s.Value(1) {
			case "472":
				d := b.d8(l, s, 2)
				p.ServiceDate = Period{d, d}
			case "150":
				p.ServiceDate.Start = b.d8(l, s, 2)
			case "151":
				p.ServiceDate.End = b.d8(l, s, 2)
			}
		case "CAS":
			p.Adjustments = b.cas(p.Adjustments, l, s)
		case "REF":
			p.Refs = append(p.Refs, Ref{Qualifier: s.Value(1), Value: s.Value(2)})
		case "LQ":
			p.Remarks = append(p.Remarks, Remark{Qualifier: s.Value(1), Code: s.Value(2)})
		}
	}
	p.Amounts = b.amounts(l)
	p.Quantities = b.quantities(l)
	return p
}
