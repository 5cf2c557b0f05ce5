package claims

import (
	"github.com/tributary-health/tributary/claims/x12"
)

// Each837 builds the claims of an 837 transaction set (professional,
// institutional or dental) and calls fn with each one, in document order.
// It is the streaming form: one transaction set may hold thousands of
// claims, and fn can map and emit each before the next is built. fn owns
// the Claim it is given.
//
// The transaction's own errors (tx.Errors) do not stop Each837: what the
// loops hold is built, and a missing element gives a zero field. A value
// that the models cannot represent does: an amount with non-zero cents
// beyond two places, a number or date that does not parse. Each837 then
// returns an [*Error] locating it, without calling fn for that claim, and
// builds no more. It returns the first error fn returns, unwrapped, and
// an [*Error] wrapping [ErrTransaction] when tx is not an 837 with loops.
func Each837(tx *x12.Transaction, fn func(*Claim) error) error {
	kind, ok := kind837(tx)
	if !ok {
		return txErr(tx)
	}
	root := tx.Root
	var b builder
	hdr := Claim{Kind: kind, ControlNumber: tx.ControlNumber}
	if bht, ok := root.Segment("BHT", ""); ok {
		hdr.Purpose = bht.Value(2)
		hdr.Reference = bht.Value(3)
		hdr.Created = b.d8(root, bht, 4)
		hdr.Created = b.withTime(root, bht, 5, hdr.Created)
		hdr.TransactionType = bht.Value(6)
	}
	hdr.Submitter = party(root.Child("1000A"))
	hdr.Receiver = party(root.Child("1000B"))
	if b.err != nil {
		return b.err
	}
	for _, a := range root.ChildrenOf("2000A") {
		bp := hdr
		bp.BillingProvider = party(a.Child("2010AA"))
		if prv, ok := a.Segment("PRV", "BI"); ok && bp.BillingProvider.Taxonomy == "" {
			bp.BillingProvider.Taxonomy = prv.Value(3)
		}
		if cur, ok := a.Segment("CUR", ""); ok {
			bp.Currency = cur.Value(2)
		}
		if l := a.Child("2010AB"); l != nil {
			p := party(l)
			bp.PayToAddress = &p
		}
		if l := a.Child("2010AC"); l != nil {
			p := party(l)
			bp.PayToPlan = &p
		}
		for _, sl := range a.ChildrenOf("2000B") {
			sub := bp
			sub.Subscriber = b.subscriber(sl)
			if b.err != nil {
				return b.err
			}
			for _, ch := range sl.Children {
				switch ch.ID {
				case "2300":
					if err := b.claim(&sub, ch, fn); err != nil {
						return err
					}
				case "2000C":
					pat := sub
					pat.Patient = b.patient(ch)
					if b.err != nil {
						return b.err
					}
					for _, cl := range ch.ChildrenOf("2300") {
						if err := b.claim(&pat, cl, fn); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}

// Parse837 returns every claim of an 837 transaction set; see [Each837]
// for what is built and when it fails. For large transaction sets prefer
// Each837, which holds one claim at a time.
func Parse837(tx *x12.Transaction) ([]Claim, error) {
	var out []Claim
	err := Each837(tx, func(c *Claim) error {
		out = append(out, *c)
		return nil
	})
	return out, err
}

func kind837(tx *x12.Transaction) (ClaimKind, bool) {
	if tx == nil || tx.Root == nil {
		return "", false
	}
	switch tx.Guide {
	case x12.Guide837P:
		return Professional, true
	case x12.Guide837I:
		return Institutional, true
	case x12.Guide837D:
		return Dental, true
	}
	return "", false
}

// txErr is the error for a transaction a builder cannot read.
func txErr(tx *x12.Transaction) error {
	e := &Error{Segment: "ST", Position: 1, Err: ErrTransaction}
	if tx != nil {
		e.Offset = tx.Offset
	}
	return e
}

func (b *builder) subscriber(l *x12.Loop) Subscriber {
	var s Subscriber
	if sbr, ok := l.Segment("SBR", ""); ok {
		s.PayerResponsibility = sbr.Value(1)
		s.Relationship = sbr.Value(2)
		s.GroupNumber = sbr.Value(3)
		s.GroupName = sbr.Value(4)
		s.InsuranceType = sbr.Value(5)
		s.ClaimFilingIndicator = sbr.Value(9)
	}
	if n := l.Child("2010BA"); n != nil {
		s.Insured = party(n)
		if dmg, ok := n.Segment("DMG", ""); ok {
			s.Demographics = b.dmg(n, dmg)
		}
	}
	s.Payer = party(l.Child("2010BB"))
	return s
}

func (b *builder) patient(l *x12.Loop) *Patient {
	p := &Patient{}
	if pat, ok := l.Segment("PAT", ""); ok {
		p.Relationship = pat.Value(1)
	}
	if n := l.Child("2010CA"); n != nil {
		p.Person = party(n)
		if dmg, ok := n.Segment("DMG", ""); ok {
			p.Demographics = b.dmg(n, dmg)
		}
	}
	return p
}

// claim builds the claim of loop l on top of the levels above (base) and
// hands it to fn.
func (b *builder) claim(base *Claim, l *x12.Loop, fn func(*Claim) error) error {
	c := new(Claim)
	*c = *base
	b.claimInfo(c, l)
	lines := 0
	for _, ch := range l.Children {
		if ch.ID == "2400" {
			lines++
		}
	}
	c.Lines = make([]ServiceLine, 0, lines) // one allocation: a ServiceLine is large
	for _, ch := range l.Children {
		switch ch.ID {
		case "2320":
			c.OtherSubscribers = append(c.OtherSubscribers, b.otherSubscriber(ch))
		case "2400":
			c.Lines = append(c.Lines, b.line(c.Kind, ch))
		default:
			if p, ok := provider(ch); ok {
				c.Providers = append(c.Providers, p)
			}
		}
	}
	if b.err != nil {
		return b.err
	}
	return fn(c)
}

// provider reads a name loop as a Provider; it reports false for a loop
// that does not start with an NM1.
func provider(l *x12.Loop) (Provider, bool) {
	first := l.First()
	if string(first.IDBytes()) != "NM1" {
		return Provider{}, false
	}
	code := first.Value(1)
	role, ok := roles[code]
	if !ok {
		role = Role(code)
	}
	return Provider{Role: role, Loop: l.ID, Party: party(l)}, true
}

func (b *builder) claimInfo(c *Claim, l *x12.Loop) {
	for _, s := range l.Segments {
		switch string(s.IDBytes()) {
		case "CLM":
			c.PatientControlNumber = s.Value(1)
			c.TotalCharge = b.money(l, s, 2, 0)
			c.FacilityCode = string(s.Component(5, 1))
			c.FacilityQualifier = string(s.Component(5, 2))
			c.FrequencyCode = string(s.Component(5, 3))
			c.ProviderSignature = s.Value(6)
			c.Assignment = s.Value(7)
			c.BenefitsAssigned = s.Value(8)
			c.ReleaseOfInformation = s.Value(9)
			c.PatientSignature = s.Value(10)
			for j := 1; j <= 3; j++ {
				if v := s.Component(11, j); len(v) > 0 {
					c.RelatedCauses = append(c.RelatedCauses, string(v))
				}
			}
			c.AccidentState = string(s.Component(11, 4))
			c.AccidentCountry = string(s.Component(11, 5))
			c.SpecialProgram = s.Value(12)
			c.DelayReason = s.Value(20)
		case "DTP":
			d := b.dtp(l, s)
			c.Dates = append(c.Dates, d)
			switch d.Qualifier {
			case "431":
				c.Onset = d.Period.Start
			case "439":
				c.Accident = d.Period.Start
			case "435":
				c.Admission = d.Period.Start
			case "096":
				c.Discharge = d.Period.Start
			case "434":
				c.StatementPeriod = d.Period
			}
		case "CL1":
			c.AdmissionType = s.Value(1)
			c.AdmissionSource = s.Value(2)
			c.PatientStatus = s.Value(3)
		case "AMT":
			a := Amount{Qualifier: s.Value(1), Amount: b.money(l, s, 2, 0)}
			c.Amounts = append(c.Amounts, a)
		case "REF":
			c.Refs = append(c.Refs, Ref{Qualifier: s.Value(1), Value: s.Value(2)})
		case "HI":
			b.hi(c, l, s)
		}
	}
	c.PatientPaid = amountOf(c.Amounts, "F5")
	c.EstimatedAmountDue = amountOf(c.Amounts, "F3")
}

// hi sorts the composites of an HI segment into the claim's lists.
func (b *builder) hi(c *Claim, l *x12.Loop, s x12.Segment) {
	for i := 1; i <= 12; i++ {
		q := s.Component(i, 1)
		if len(q) == 0 {
			continue
		}
		k, known := hiQualifiers[string(q)]
		code := string(s.Component(i, 2))
		if known && k.list == listDiagnosis {
			c.Diagnoses = append(c.Diagnoses, Diagnosis{
				Sequence: len(c.Diagnoses) + 1, Qualifier: string(q), Code: code,
				Role: k.diag, System: k.system, PresentOnAdmission: string(s.Component(i, 9)),
			})
			continue
		}
		if known && k.list == listDRG {
			c.DRG = code
			continue
		}
		h := HealthCode{Qualifier: string(q), Code: code, System: k.system}
		if v := s.Component(i, 4); len(v) > 0 {
			p, err := parsePeriod(s.Component(i, 3), v)
			if err != nil {
				b.fail(l, s, i, 4, err)
			}
			h.Period = p
		}
		if v := s.Component(i, 5); len(v) > 0 {
			m, err := parseMoney(v)
			if err != nil {
				b.fail(l, s, i, 5, err)
			}
			h.Amount = &m
		}
		if v := s.Component(i, 6); len(v) > 0 {
			d, err := parseDecimal(v)
			if err != nil {
				b.fail(l, s, i, 6, err)
			}
			h.Quantity = &d
		}
		switch {
		case !known:
			c.OtherCodes = append(c.OtherCodes, h)
		case k.list == listProcedure:
			c.Procedures = append(c.Procedures, h)
		case k.list == listValue:
			c.ValueCodes = append(c.ValueCodes, h)
		case k.list == listCondition:
			c.ConditionCodes = append(c.ConditionCodes, h)
		case k.list == listOccurrence:
			c.OccurrenceCodes = append(c.OccurrenceCodes, h)
		case k.list == listSpan:
			c.OccurrenceSpans = append(c.OccurrenceSpans, h)
		}
	}
}

func (b *builder) otherSubscriber(l *x12.Loop) OtherSubscriber {
	var o OtherSubscriber
	for _, s := range l.Segments {
		switch string(s.IDBytes()) {
		case "SBR":
			o.PayerResponsibility = s.Value(1)
			o.Relationship = s.Value(2)
			o.GroupNumber = s.Value(3)
			o.GroupName = s.Value(4)
			o.InsuranceType = s.Value(5)
			o.ClaimFilingIndicator = s.Value(9)
		case "CAS":
			o.Adjustments = b.cas(o.Adjustments, l, s)
		case "AMT":
			m := b.money(l, s, 2, 0)
			switch s.Value(1) {
			case "D":
				o.PayerPaid = &m
			case "A8":
				o.NonCovered = &m
			case "EAF":
				o.RemainingLiability = &m
			}
		case "OI":
			o.BenefitsAssigned = s.Value(3)
			o.ReleaseOfInformation = s.Value(6)
		}
	}
	for _, ch := range l.Children {
		switch ch.ID {
		case "2330A":
			o.Insured = party(ch)
		case "2330B":
			o.Payer = party(ch)
			if d, ok := ch.Segment("DTP", "573"); ok {
				o.AdjudicationDate = b.dtp(ch, d).Period.Start
			}
		default:
			if p, ok := provider(ch); ok {
				o.Providers = append(o.Providers, p)
			}
		}
	}
	return o
}

func (b *builder) line(kind ClaimKind, l *x12.Loop) ServiceLine {
	var sl ServiceLine
	for _, s := range l.Segments {
		switch string(s.IDBytes()) {
		case "LX":
			if v := s.Element(1); len(v) > 0 {
				n, ok := num(v)
				if !ok || len(v) > 6 {
					b.fail(l, s, 1, 0, ErrDecimal)
				}
				sl.Number = n
			}
		case "SV1":
			sl.Procedure = procedure(s, 1)
			sl.Charge = b.money(l, s, 2, 0)
			sl.UnitBasis = s.Value(3)
			sl.Units = b.optDecimal(l, s, 4)
			sl.PlaceOfService = s.Value(5)
			sl.DiagnosisPointers = b.pointers(l, s, 7)
			sl.Emergency = s.Value(9)
			sl.EPSDT = s.Value(11)
			sl.FamilyPlanning = s.Value(12)
		case "SV2":
			sl.RevenueCode = s.Value(1)
			sl.Procedure = procedure(s, 2)
			sl.Charge = b.money(l, s, 3, 0)
			sl.UnitBasis = s.Value(4)
			sl.Units = b.optDecimal(l, s, 5)
			sl.NonCoveredCharge = b.optMoney(l, s, 7)
		case "SV3":
			sl.Procedure = procedure(s, 1)
			sl.Charge = b.money(l, s, 2, 0)
			sl.PlaceOfService = s.Value(3)
			for j := 1; j <= 5; j++ {
				if v := s.Component(4, j); len(v) > 0 {
					sl.OralCavity = append(sl.OralCavity, string(v))
				}
			}
			sl.Prosthesis = s.Value(5)
			sl.Units = b.optDecimal(l, s, 6)
			sl.DiagnosisPointers = b.pointers(l, s, 11)
		case "TOO":
			t := Tooth{Code: s.Value(2)}
			for j := 1; j <= 5; j++ {
				if v := s.Component(3, j); len(v) > 0 {
					t.Surfaces = append(t.Surfaces, string(v))
				}
			}
			sl.Teeth = append(sl.Teeth, t)
		case "DTP":
			d := b.dtp(l, s)
			sl.Dates = append(sl.Dates, d)
			if d.Qualifier == "472" {
				sl.ServiceDate = d.Period
			}
		case "REF":
			sl.Refs = append(sl.Refs, Ref{Qualifier: s.Value(1), Value: s.Value(2)})
		case "AMT":
			sl.Amounts = append(sl.Amounts, Amount{Qualifier: s.Value(1), Amount: b.money(l, s, 2, 0)})
		}
	}
	for _, ch := range l.Children {
		switch ch.ID {
		case "2410":
			sl.Drug = b.drug(ch)
		case "2430":
			sl.Adjudications = append(sl.Adjudications, b.lineAdjudication(ch))
		case "2440":
		default:
			if p, ok := provider(ch); ok {
				sl.Providers = append(sl.Providers, p)
			}
		}
	}
	return sl
}

// pointers reads the diagnosis code pointers of composite element elem
// (up to four, each 1 to 12).
func (b *builder) pointers(l *x12.Loop, s x12.Segment, elem int) []int {
	var out []int
	for j := 1; j <= 4; j++ {
		v := s.Component(elem, j)
		if len(v) == 0 {
			continue
		}
		n, ok := num(v)
		if !ok || n < 1 || n > 12 || len(v) > 2 {
			b.fail(l, s, elem, j, ErrPointer)
			continue
		}
		out = append(out, n)
	}
	return out
}

func (b *builder) drug(l *x12.Loop) *Drug {
	d := &Drug{}
	for _, s := range l.Segments {
		switch string(s.IDBytes()) {
		case "LIN":
			d.NDC = s.Value(3)
		case "CTP":
			d.Quantity = b.optDecimal(l, s, 4)
			d.Unit = string(s.Component(5, 1))
		case "REF":
			if s.Is(1, "XZ") {
				d.PrescriptionNumber = s.Value(2)
			}
		}
	}
	return d
}

func (b *builder) lineAdjudication(l *x12.Loop) LineAdjudication {
	var a LineAdjudication
	for _, s := range l.Segments {
		switch string(s.IDBytes()) {
		case "SVD":
			a.PayerID = s.Value(1)
			a.Paid = b.money(l, s, 2, 0)
			a.Procedure = procedure(s, 3)
			a.RevenueCode = s.Value(4)
			a.Units = b.optDecimal(l, s, 5)
			a.BundledLine = s.Value(6)
		case "CAS":
			a.Adjustments = b.cas(a.Adjustments, l, s)
		case "DTP":
			if s.Is(1, "573") {
				a.AdjudicationDate = b.dtp(l, s).Period.Start
			}
		case "AMT":
			if s.Is(1, "EAF") {
				a.RemainingLiability = b.optMoney(l, s, 2)
			}
		}
	}
	return a
}
