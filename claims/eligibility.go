package claims

import (
	"github.com/tributary-health/tributary/claims/x12"
)

// An Eligibility is one subscriber or dependent of a 270 (an inquiry) or
// a 271 (the payer's answer), with the levels above it: the information
// source (payer, 2000A/2100A) and receiver (provider, 2000B/2100B). A
// dependent's Eligibility also carries its subscriber.
type Eligibility struct {
	SetID         string `json:"setId" x12:"ST-01"` // 270 or 271
	ControlNumber string `json:"controlNumber,omitempty" x12:"ST-02"`
	Purpose       string `json:"purpose,omitempty" x12:"BHT-02"`   // 13 request, 11 response
	Reference     string `json:"reference,omitempty" x12:"BHT-03"` // submitter's transaction id
	Created       Date   `json:"created,omitzero" x12:"BHT-04,BHT-05"`

	Source         Party              `json:"source" x12:"2100A"`                               // the payer
	SourceErrors   []Validation       `json:"sourceErrors,omitempty" x12:"2000A/AAA,2100A/AAA"` // 271
	Receiver       Party              `json:"receiver" x12:"2100B"`                             // the provider asking
	ReceiverErrors []Validation       `json:"receiverErrors,omitempty" x12:"2100B/AAA"`         // 271
	Subscriber     EligibilityPerson  `json:"subscriber" x12:"2000C/2100C"`
	Dependent      *EligibilityPerson `json:"dependent,omitempty" x12:"2000D/2100D"` // nil when the inquiry is about the subscriber
}

// An EligibilityPerson is a subscriber (2000C) or dependent (2000D) level:
// the person and the inquiries (270, 2110 EQ) or benefits (271, 2110 EB).
type EligibilityPerson struct {
	Traces       []Trace      `json:"traces,omitempty" x12:"2000C/TRN,2000D/TRN"`
	Person       Party        `json:"person" x12:"2100C,2100D"` // NM1*IL or NM1*03; member id NM1-09 (MI)
	Demographics Demographics `json:"demographics,omitzero" x12:"2100C/DMG,2100D/DMG"`
	Relationship string       `json:"relationship,omitempty" x12:"2100C/INS02,2100D/INS02"`
	Dates        []DateRef    `json:"dates,omitempty" x12:"2100C/DTP,2100D/DTP"`  // 291 plan, 307 eligibility, 346 plan begin...
	Errors       []Validation `json:"errors,omitempty" x12:"2100C/AAA,2100D/AAA"` // 271
	Inquiries    []Inquiry    `json:"inquiries,omitempty" x12:"2110C,2110D"`      // 270
	Benefits     []Benefit    `json:"benefits,omitempty" x12:"2110C,2110D"`       // 271
}

// A Trace is a TRN segment: a trace number the submitter or a
// clearinghouse attached to an inquiry, echoed in the response.
type Trace struct {
	Type       string `json:"type" x12:"TRN01"` // 1 current (270), 2 referenced (271)
	Number     string `json:"number" x12:"TRN02"`
	Originator string `json:"originator,omitempty" x12:"TRN03"`
}

// A Validation is an AAA segment: why a request was not answered.
type Validation struct {
	Valid    string `json:"valid" x12:"AAA01"`            // Y, N
	Reason   string `json:"reason,omitempty" x12:"AAA03"` // e.g. 72 invalid member id, 75 subscriber not found
	FollowUp string `json:"followUp,omitempty" x12:"AAA04"`
}

// An Inquiry is loop 2110C/D of a 270: the EQ segment.
type Inquiry struct {
	ServiceTypes  []string  `json:"serviceTypes,omitempty" x12:"EQ01"` // repeating; 30 health benefit plan coverage
	Procedure     Procedure `json:"procedure,omitzero" x12:"EQ02"`
	CoverageLevel string    `json:"coverageLevel,omitempty" x12:"EQ03"`
	Dates         []DateRef `json:"dates,omitempty" x12:"2110/DTP"`
}

// A Benefit is loop 2110C/D of a 271: one EB segment and what follows it.
type Benefit struct {
	Information           string    `json:"information" x12:"EB01"`             // 1 active coverage, 6 inactive, A co-insurance, B co-payment, C deductible, G out of pocket, L primary care provider...
	CoverageLevel         string    `json:"coverageLevel,omitempty" x12:"EB02"` // IND, FAM, EMP...
	ServiceTypes          []string  `json:"serviceTypes,omitempty" x12:"EB03"`  // repeating
	InsuranceType         string    `json:"insuranceType,omitempty" x12:"EB04"` // HM HMO, PR PPO, MB Medicare B...
	Plan                  string    `json:"plan,omitempty" x12:"EB05"`
	TimePeriod            string    `json:"timePeriod,omitempty" x12:"EB06"` // 23 calendar year, 27 visit, 29 remaining...
	Amount                *Money    `json:"amount,omitempty" x12:"EB07"`
	Percent               *Decimal  `json:"percent,omitempty" x12:"EB08"` // a fraction: .20 is 20%
	QuantityQualifier     string    `json:"quantityQualifier,omitempty" x12:"EB09"`
	Quantity              *Decimal  `json:"quantity,omitempty" x12:"EB10"`
	AuthorizationRequired string    `json:"authorizationRequired,omitempty" x12:"EB11"` // Y, N, U
	InNetwork             string    `json:"inNetwork,omitempty" x12:"EB12"`             // Y, N, U, W
	Procedure             Procedure `json:"procedure,omitzero" x12:"EB13"`
	Refs                  []Ref     `json:"refs,omitempty" x12:"2110/REF"`
	Dates                 []DateRef `json:"dates,omitempty" x12:"2110/DTP"`
	Messages              []string  `json:"messages,omitempty" x12:"2110/MSG01"`
	RelatedEntities       []Party   `json:"relatedEntities,omitempty" x12:"2120"` // between LS and LE
}

// Each27x builds the eligibility inquiries (270) or responses (271) of a
// transaction set, one per subscriber without dependents and one per
// dependent, and calls fn with each in document order. Like [Each837],
// it builds what the loops hold despite the transaction's own errors and
// fails only on values it cannot represent.
func Each27x(tx *x12.Transaction, fn func(*Eligibility) error) error {
	if tx == nil || tx.Root == nil || tx.Guide != x12.Guide270 && tx.Guide != x12.Guide271 {
		return txErr(tx)
	}
	var b builder
	root := tx.Root
	hdr := Eligibility{SetID: tx.SetID, ControlNumber: tx.ControlNumber}
	if bht, ok := root.Segment("BHT", ""); ok {
		hdr.Purpose = bht.Value(2)
		hdr.Reference = bht.Value(3)
		hdr.Created = b.d8(root, bht, 4)
		hdr.Created = b.withTime(root, bht, 5, hdr.Created)
	}
	if b.err != nil {
		return b.err
	}
	for _, a := range root.ChildrenOf("2000A") {
		src := hdr
		src.SourceErrors = validations(a)
		n := a.Child("2100A")
		src.Source = party(n)
		src.SourceErrors = append(src.SourceErrors, validations(n)...)
		for _, bl := range a.ChildrenOf("2000B") {
			rcv := src
			n := bl.Child("2100B")
			rcv.Receiver = party(n)
			rcv.ReceiverErrors = validations(n)
			for _, cl := range bl.ChildrenOf("2000C") {
				sub := rcv
				sub.Subscriber = b.eligibilityPerson(cl, "2100C", "2110C")
				deps := cl.ChildrenOf("2000D")
				if b.err != nil {
					return b.err
				}
				if len(deps) == 0 {
					if err := fn(&sub); err != nil {
						return err
					}
				}
				for _, dl := range deps {
					dep := sub
					p := b.eligibilityPerson(dl, "2100D", "2110D")
					dep.Dependent = &p
					if b.err != nil {
						return b.err
					}
					if err := fn(&dep); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// Parse27x returns every eligibility inquiry or response of a 270 or 271
// transaction set; see [Each27x].
func Parse27x(tx *x12.Transaction) ([]Eligibility, error) {
	var out []Eligibility
	err := Each27x(tx, func(e *Eligibility) error {
		out = append(out, *e)
		return nil
	})
	return out, err
}

func validations(l *x12.Loop) []Validation {
	var out []Validation
	for _, s := range l.SegmentsOf("AAA", "") {
		out = append(out, Validation{Valid: s.Value(1), Reason: s.Value(3), FollowUp: s.Value(4)})
	}
	return out
}

func (b *builder) eligibilityPerson(l *x12.Loop, nameID, infoID string) EligibilityPerson {
	var p EligibilityPerson
	for _, s := range l.SegmentsOf("TRN", "") {
		p.Traces = append(p.Traces, Trace{Type: s.Value(1), Number: s.Value(2), Originator: s.Value(3)})
	}
	n := l.Child(nameID)
	if n == nil {
		return p
	}
	p.Person = party(n)
	for _, s := range n.Segments {
		switch string(s.IDBytes()) {
		case "DMG":
			p.Demographics = b.dmg(n, s)
		case "INS":
			p.Relationship = s.Value(2)
		case "DTP":
			p.Dates = append(p.Dates, b.dtp(n, s))
		case "AAA":
			p.Errors = append(p.Errors, Validation{Valid: s.Value(1), Reason: s.Value(3), FollowUp: s.Value(4)})
		}
	}
	for _, il := range n.ChildrenOf(infoID) {
		first := il.First()
		switch string(first.IDBytes()) {
		case "EQ":
			q := Inquiry{ServiceTypes: repeats(first, 1), Procedure: procedure(first, 2), CoverageLevel: first.Value(3), Dates: b.dates(il)}
			p.Inquiries = append(p.Inquiries, q)
		case "EB":
			p.Benefits = append(p.Benefits, b.benefit(il, first))
		}
	}
	return p
}

func repeats(s x12.Segment, elem int) []string {
	var out []string
	for r := 1; r <= s.Repetitions(elem); r++ {
		if v := s.Repetition(elem, r); len(v) > 0 {
			out = append(out, string(v))
		}
	}
	return out
}

func (b *builder) benefit(l *x12.Loop, eb x12.Segment) Benefit {
	e := Benefit{
		Information:           eb.Value(1),
		CoverageLevel:         eb.Value(2),
		ServiceTypes:          repeats(eb, 3),
		InsuranceType:         eb.Value(4),
		Plan:                  eb.Value(5),
		TimePeriod:            eb.Value(6),
		Amount:                b.optMoney(l, eb, 7),
		Percent:               b.optDecimal(l, eb, 8),
		QuantityQualifier:     eb.Value(9),
		Quantity:              b.optDecimal(l, eb, 10),
		AuthorizationRequired: eb.Value(11),
		InNetwork:             eb.Value(12),
		Procedure:             procedure(eb, 13),
	}
	e.Refs = refs(l)
	e.Dates = b.dates(l)
	for _, s := range l.SegmentsOf("MSG", "") {
		e.Messages = append(e.Messages, s.Value(1))
	}
	for _, rl := range l.ChildrenOf("2120C") {
		e.RelatedEntities = append(e.RelatedEntities, party(rl))
	}
	for _, rl := range l.ChildrenOf("2120D") {
		e.RelatedEntities = append(e.RelatedEntities, party(rl))
	}
	return e
}
