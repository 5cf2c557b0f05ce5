package claims

import (
	"github.com/tributary-health/tributary/claims/x12"
)

// An Enrollment is an 834 transaction set: a sponsor's (employer's or
// state's) enrollment changes for its members, sent to a payer. The x12
// tag of each field names the loop and element it comes from.
type Enrollment struct {
	ControlNumber string    `json:"controlNumber,omitempty" x12:"ST-02"`
	Purpose       string    `json:"purpose" x12:"BGN01"`             // 00 original, 15 re-submission, 22 information copy
	Reference     string    `json:"reference,omitempty" x12:"BGN02"` // transaction set reference number
	Created       Date      `json:"created,omitzero" x12:"BGN03,BGN04"`
	Action        string    `json:"action,omitempty" x12:"BGN08"` // 2 change (update), 4 verify, RX replace
	MasterPolicy  string    `json:"masterPolicy,omitempty" x12:"REF*38"`
	Dates         []DateRef `json:"dates,omitempty" x12:"DTP"` // 007 effective, 303 maintenance effective...
	Sponsor       Party     `json:"sponsor" x12:"1000A/N1*P5"` // id in N1-04 (FI tax id, 94 code)
	Payer         Party     `json:"payer" x12:"1000B/N1*IN"`
	Brokers       []Party   `json:"brokers,omitempty" x12:"1000C/N1*BO|TV"`
	Members       []Member  `json:"members,omitempty" x12:"2000"`
}

// A Member is loop 2000 of an 834: one subscriber or dependent and the
// change to their enrollment.
type Member struct {
	Subscriber        bool   `json:"subscriber" x12:"2000/INS01"`                  // Y: the subscriber; N: a dependent
	Relationship      string `json:"relationship" x12:"2000/INS02"`                // 18 self, 01 spouse, 19 child...
	MaintenanceType   string `json:"maintenanceType" x12:"2000/INS03"`             // 001 change, 021 addition, 024 cancellation or termination, 025 reinstatement, 030 audit or compare
	MaintenanceReason string `json:"maintenanceReason,omitempty" x12:"2000/INS04"` // e.g. 07 termination of benefits, 28 initial enrollment, AI no reason given
	BenefitStatus     string `json:"benefitStatus,omitempty" x12:"2000/INS05"`     // A active, C COBRA, S surviving insured, T tax equity
	MedicarePlan      string `json:"medicarePlan,omitempty" x12:"2000/INS06-1"`    // A part A, B part B, C A and B, D Medicare, E no Medicare
	COBRAEvent        string `json:"cobraEvent,omitempty" x12:"2000/INS07"`
	EmploymentStatus  string `json:"employmentStatus,omitempty" x12:"2000/INS08"` // FT full time, RT retired, TE terminated...
	StudentStatus     string `json:"studentStatus,omitempty" x12:"2000/INS09"`
	Handicapped       string `json:"handicapped,omitempty" x12:"2000/INS10"` // Y, N
	Death             Date   `json:"death,omitzero" x12:"2000/INS12"`        // when INS11 is D8
	Confidentiality   string `json:"confidentiality,omitempty" x12:"2000/INS13"`
	BirthSequence     string `json:"birthSequence,omitempty" x12:"2000/INS17"`

	SubscriberID string `json:"subscriberId,omitempty" x12:"2000/REF*0F"`
	GroupNumber  string `json:"groupNumber,omitempty" x12:"2000/REF*1L"` // group or policy number
	Refs         []Ref  `json:"refs,omitempty" x12:"2000/REF"`           // every REF: 0F, 1L, 17 client reporting category, 23 client number, 3H case number, F6 HIC number, DX department, ZZ...

	Dates            []DateRef `json:"dates,omitempty" x12:"2000/DTP"`
	EligibilityBegin Date      `json:"eligibilityBegin,omitzero" x12:"2000/DTP*356"`
	EligibilityEnd   Date      `json:"eligibilityEnd,omitzero" x12:"2000/DTP*357"`

	Name           Party        `json:"name" x12:"2100A"` // NM1*IL (or 74, a correction); member id in NM1-09 (34 SSN, ZZ mutually defined); N3/N4 residence; PER contacts
	Demographics   Demographics `json:"demographics,omitzero" x12:"2100A/DMG"`
	Amounts        []Amount     `json:"amounts,omitempty" x12:"2100A/AMT"` // P3 premium, B9 co-insurance...
	Languages      []string     `json:"languages,omitempty" x12:"2100A/LUI-02"`
	IncorrectName  *Party       `json:"incorrectName,omitempty" x12:"2100B"`
	MailingAddress *Address     `json:"mailingAddress,omitempty" x12:"2100C/N3,N4"`
	Employers      []Party      `json:"employers,omitempty" x12:"2100D"`
	Schools        []Party      `json:"schools,omitempty" x12:"2100E"`
	Custodians     []Party      `json:"custodians,omitempty" x12:"2100F"`
	Responsible    []Party      `json:"responsible,omitempty" x12:"2100G"`

	Coverages           []Coverage          `json:"coverages,omitempty" x12:"2300"`
	ReportingCategories []ReportingCategory `json:"reportingCategories,omitempty" x12:"2700/2750"`
}

// A Coverage is loop 2300 of an 834: one health coverage of a member.
type Coverage struct {
	MaintenanceType string                   `json:"maintenanceType" x12:"2300/HD01"`          // 001 change, 021 addition, 024 cancellation, 030 audit
	InsuranceLine   string                   `json:"insuranceLine" x12:"2300/HD03"`            // HLT health, DEN dental, VIS vision, HMO, PDG prescription drug, MM major medical...
	Plan            string                   `json:"plan,omitempty" x12:"2300/HD04"`           // plan coverage description
	CoverageLevel   string                   `json:"coverageLevel,omitempty" x12:"2300/HD05"`  // EMP employee only, ESP employee and spouse, FAM family, IND individual, CHD children only...
	LateEnrollment  string                   `json:"lateEnrollment,omitempty" x12:"2300/HD09"` // Y, N
	Dates           []DateRef                `json:"dates,omitempty" x12:"2300/DTP"`
	Begin           Date                     `json:"begin,omitzero" x12:"2300/DTP*348"`
	End             Date                     `json:"end,omitzero" x12:"2300/DTP*349"`
	Amounts         []Amount                 `json:"amounts,omitempty" x12:"2300/AMT"`
	Refs            []Ref                    `json:"refs,omitempty" x12:"2300/REF"` // 1L group or policy, 17 client reporting, 9V payment category, CE class of contract, E8 service contract, M7 medical assistance category, ZX county code
	Providers       []Party                  `json:"providers,omitempty" x12:"2310"`
	Coordination    []CoordinationOfBenefits `json:"coordination,omitempty" x12:"2320"`
}

// ClassOfContract returns REF*CE of the coverage, or "".
func (c *Coverage) ClassOfContract() string { return refValue(c.Refs, "CE") }

// A CoordinationOfBenefits is loop 2320 of an 834: another coverage the
// member has.
type CoordinationOfBenefits struct {
	PayerResponsibility string    `json:"payerResponsibility" x12:"2320/COB01"` // P primary, S secondary, T tertiary, U unknown
	PolicyNumber        string    `json:"policyNumber,omitempty" x12:"2320/COB02"`
	Coverage            string    `json:"coverage,omitempty" x12:"2320/COB03"` // 1 coordination of benefits, 5 unknown, 6 no coverage
	ServiceTypes        []string  `json:"serviceTypes,omitempty" x12:"2320/COB04"`
	Refs                []Ref     `json:"refs,omitempty" x12:"2320/REF"`
	Dates               []DateRef `json:"dates,omitempty" x12:"2320/DTP"` // 344 begin, 345 end
	Parties             []Party   `json:"parties,omitempty" x12:"2330"`   // other insurer, employer, insured
}

// A ReportingCategory is loop 2750 of an 834 (inside 2700, between LS
// and LE): a sponsor-defined name and value.
type ReportingCategory struct {
	Name string `json:"name" x12:"2750/N1-02"`
	Refs []Ref  `json:"refs,omitempty" x12:"2750/REF"`
	Date Date   `json:"date,omitzero" x12:"2750/DTP*007"`
}

// Parse834 builds the enrollment of an 834 transaction set. Like
// [Each837], it builds what the loops hold despite the transaction's own
// errors and fails only on values it cannot represent, returning an
// [*Error] that locates the first.
func Parse834(tx *x12.Transaction) (*Enrollment, error) {
	return Each834(tx, nil)
}

// Each834 is [Parse834] that also calls fn with each member as it is
// built, for enrollment files too large to hold (a full-file audit may
// list every member of a plan); when fn is not nil the returned
// Enrollment has no Members. It stops at the first error fn returns and
// returns it.
func Each834(tx *x12.Transaction, fn func(*Enrollment, *Member) error) (*Enrollment, error) {
	if tx == nil || tx.Root == nil || tx.Guide != x12.Guide834 {
		return nil, txErr(tx)
	}
	var b builder
	root := tx.Root
	e := &Enrollment{ControlNumber: tx.ControlNumber}
	for _, s := range root.Segments {
		switch string(s.IDBytes()) {
		case "BGN":
			e.Purpose = s.Value(1)
			e.Reference = s.Value(2)
			e.Created = b.d8(root, s, 3)
			e.Created = b.withTime(root, s, 4, e.Created)
			e.Action = s.Value(8)
		case "REF":
			if s.Is(1, "38") {
				e.MasterPolicy = s.Value(2)
			}
		case "DTP":
			e.Dates = append(e.Dates, b.dtp(root, s))
		}
	}
	e.Sponsor = party(root.Child("1000A"))
	e.Payer = party(root.Child("1000B"))
	for _, l := range root.ChildrenOf("1000C") {
		e.Brokers = append(e.Brokers, party(l))
	}
	if b.err != nil {
		return nil, b.err
	}
	for _, l := range root.ChildrenOf("2000") {
		m := b.member(l)
		if b.err != nil {
			return nil, b.err
		}
		if fn == nil {
			e.Members = append(e.Members, *m)
		} else if err := fn(e, m); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (b *builder) member(l *x12.Loop) *Member {
	m := &Member{}
	for _, s := range l.Segments {
		switch string(s.IDBytes()) {
		case "INS":
			m.Subscriber = s.Is(1, "Y")
			m.Relationship = s.Value(2)
			m.MaintenanceType = s.Value(3)
			m.MaintenanceReason = s.Value(4)
			m.BenefitStatus = s.Value(5)
			m.MedicarePlan = string(s.Component(6, 1))
			m.COBRAEvent = s.Value(7)
			m.EmploymentStatus = s.Value(8)
			m.StudentStatus = s.Value(9)
			m.Handicapped = s.Value(10)
			if s.Is(11, "D8") {
				m.Death = b.d8(l, s, 12)
			}
			m.Confidentiality = s.Value(13)
			m.BirthSequence = s.Value(17)
		case "REF":
			r := Ref{Qualifier: s.Value(1), Value: s.Value(2)}
			m.Refs = append(m.Refs, r)
			switch r.Qualifier {
			case "0F":
				m.SubscriberID = r.Value
			case "1L":
				m.GroupNumber = r.Value
			}
		case "DTP":
			d := b.dtp(l, s)
			m.Dates = append(m.Dates, d)
			switch d.Qualifier {
			case "356":
				m.EligibilityBegin = d.Period.Start
			case "357":
				m.EligibilityEnd = d.Period.Start
			}
		}
	}
	for _, ch := range l.Children {
		switch ch.ID {
		case "2100A":
			m.Name = party(ch)
			for _, s := range ch.Segments {
				switch string(s.IDBytes()) {
				case "DMG":
					m.Demographics = b.dmg(ch, s)
				case "LUI":
					if v := s.Value(2); v != "" {
						m.Languages = append(m.Languages, v)
					}
				}
			}
			m.Amounts = b.amounts(ch)
		case "2100B":
			p := party(ch)
			m.IncorrectName = &p
		case "2100C":
			a := party(ch).Address
			m.MailingAddress = &a
		case "2100D":
			m.Employers = append(m.Employers, party(ch))
		case "2100E":
			m.Schools = append(m.Schools, party(ch))
		case "2100F":
			m.Custodians = append(m.Custodians, party(ch))
		case "2100G":
			m.Responsible = append(m.Responsible, party(ch))
		case "2300":
			m.Coverages = append(m.Coverages, b.coverage(ch))
		case "2700":
			for _, rc := range ch.ChildrenOf("2750") {
				r := ReportingCategory{Refs: refs(rc)}
				if n, ok := rc.Segment("N1", ""); ok {
					r.Name = n.Value(2)
				}
				if d, ok := rc.Segment("DTP", "007"); ok {
					r.Date = b.dtp(rc, d).Period.Start
				}
				m.ReportingCategories = append(m.ReportingCategories, r)
			}
		}
	}
	return m
}

func (b *builder) coverage(l *x12.Loop) Coverage {
	var c Coverage
	if hd, ok := l.Segment("HD", ""); ok {
		c.MaintenanceType = hd.Value(1)
		c.InsuranceLine = hd.Value(3)
		c.Plan = hd.Value(4)
		c.CoverageLevel = hd.Value(5)
		c.LateEnrollment = hd.Value(9)
	}
	c.Dates = b.dates(l)
	for _, d := range c.Dates {
		switch d.Qualifier {
		case "348":
			c.Begin = d.Period.Start
		case "349":
			c.End = d.Period.Start
		}
	}
	c.Amounts = b.amounts(l)
	c.Refs = refs(l)
	for _, ch := range l.Children {
		switch ch.ID {
		case "2310":
			// 2310 starts with LX; its NM1 is the second segment.
			var p Party
			for _, s := range ch.Segments {
				if string(s.IDBytes()) == "NM1" {
					nm1(&p, s)
				} else {
					addToParty(&p, s)
				}
			}
			c.Providers = append(c.Providers, p)
		case "2320":
			cob := CoordinationOfBenefits{Refs: refs(ch), Dates: b.dates(ch)}
			if s, ok := ch.Segment("COB", ""); ok {
				cob.PayerResponsibility = s.Value(1)
				cob.PolicyNumber = s.Value(2)
				cob.Coverage = s.Value(3)
				for r := 1; r <= s.Repetitions(4); r++ {
					cob.ServiceTypes = append(cob.ServiceTypes, string(s.Repetition(4, r)))
				}
			}
			for _, p := range ch.ChildrenOf("2330") {
				cob.Parties = append(cob.Parties, party(p))
			}
			c.Coordination = append(c.Coordination, cob)
		}
	}
	return c
}
