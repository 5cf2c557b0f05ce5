package claims

// A ClaimKind says which 837 implementation guide a [Claim] came from.
type ClaimKind string

// The 837 kinds.
const (
	Professional  ClaimKind = "professional"  // 837P, 005010X222
	Institutional ClaimKind = "institutional" // 837I, 005010X223
	Dental        ClaimKind = "dental"        // 837D, 005010X224
)

// A Claim is one CLM (loop 2300) of an 837 with everything that applies
// to it from the loops above: the transaction header, submitter and
// receiver, billing provider (2000A) and subscriber (2000B), and the
// patient (2000C) when the patient is not the subscriber. The x12 tag of
// each field names the loop and element it comes from, for the mapping
// table; where the 837P, 837I and 837D differ, the tag lists each
// (P:, I:, D:). Code values are kept as sent (X12 external code lists).
//
// Claims built from one transaction set share the slices of the header
// parties (submitter, billing provider, subscriber...): treat a Claim as
// read-only, or copy those slices before changing them.
type Claim struct {
	Kind ClaimKind `json:"kind"`

	// Transaction header.
	ControlNumber   string `json:"controlNumber,omitempty" x12:"ST-02"`
	Purpose         string `json:"purpose,omitempty" x12:"BHT-02"`   // 00 original, 18 reissue
	Reference       string `json:"reference,omitempty" x12:"BHT-03"` // originator's batch id
	Created         Date   `json:"created,omitzero" x12:"BHT-04,BHT-05"`
	TransactionType string `json:"transactionType,omitempty" x12:"BHT-06"` // CH chargeable, RP reporting (encounters), 31 subrogation demand
	Submitter       Party  `json:"submitter,omitzero" x12:"1000A"`
	Receiver        Party  `json:"receiver,omitzero" x12:"1000B"`

	// Billing provider level.
	BillingProvider Party  `json:"billingProvider" x12:"2010AA; taxonomy 2000A/PRV*BI"` // NPI in NM1-09 (XX), tax id in REF*EI or REF*SY
	Currency        string `json:"currency,omitempty" x12:"2000A/CUR-02"`               // only when not USD
	PayToAddress    *Party `json:"payToAddress,omitempty" x12:"2010AB"`
	PayToPlan       *Party `json:"payToPlan,omitempty" x12:"2010AC"`

	// Subscriber and patient.
	Subscriber Subscriber `json:"subscriber" x12:"2000B"`
	Patient    *Patient   `json:"patient,omitempty" x12:"2000C"` // nil: the patient is the subscriber

	// Claim (2300).
	PatientControlNumber string            `json:"patientControlNumber" x12:"2300/CLM01"`
	TotalCharge          Money             `json:"totalCharge" x12:"2300/CLM02"`
	FacilityCode         string            `json:"facilityCode,omitempty" x12:"2300/CLM05-1"`       // P, D: place of service; I: facility type code (type of bill digits 2-3)
	FacilityQualifier    string            `json:"facilityQualifier,omitempty" x12:"2300/CLM05-2"`  // B place of service, A uniform billing type of bill
	FrequencyCode        string            `json:"frequencyCode,omitempty" x12:"2300/CLM05-3"`      // 1 original, 7 replacement, 8 void
	ProviderSignature    string            `json:"providerSignature,omitempty" x12:"2300/CLM06"`    // Y, N
	Assignment           string            `json:"assignment,omitempty" x12:"2300/CLM07"`           // A, B, C: provider accepts assignment
	BenefitsAssigned     string            `json:"benefitsAssigned,omitempty" x12:"2300/CLM08"`     // Y, N, W
	ReleaseOfInformation string            `json:"releaseOfInformation,omitempty" x12:"2300/CLM09"` // I, Y
	PatientSignature     string            `json:"patientSignature,omitempty" x12:"2300/CLM10"`     // P
	RelatedCauses        []string          `json:"relatedCauses,omitempty" x12:"2300/CLM11-1..3"`   // AA auto accident, EM employment, OA other accident
	AccidentState        string            `json:"accidentState,omitempty" x12:"2300/CLM11-4"`
	AccidentCountry      string            `json:"accidentCountry,omitempty" x12:"2300/CLM11-5"`
	SpecialProgram       string            `json:"specialProgram,omitempty" x12:"2300/CLM12"`
	DelayReason          string            `json:"delayReason,omitempty" x12:"2300/CLM20"`
	Dates                []DateRef         `json:"dates,omitempty" x12:"2300/DTP"`    // every DTP; the common ones also below
	Onset                Date              `json:"onset,omitzero" x12:"2300/DTP*431"` // onset of current illness or symptom
	Accident             Date              `json:"accident,omitzero" x12:"2300/DTP*439"`
	Admission            Date              `json:"admission,omitzero" x12:"2300/DTP*435"`            // D8 or DT
	Discharge            Date              `json:"discharge,omitzero" x12:"2300/DTP*096"`            // P: date; I: hour (TM)
	StatementPeriod      Period            `json:"statementPeriod,omitzero" x12:"2300/DTP*434"`      // I: statement from-through (RD8)
	AdmissionType        string            `json:"admissionType,omitempty" x12:"I:2300/CL1-01"`      // priority (type) of admission
	AdmissionSource      string            `json:"admissionSource,omitempty" x12:"I:2300/CL1-02"`    // point of origin
	PatientStatus        string            `json:"patientStatus,omitempty" x12:"I:2300/CL1-03"`      // discharge status
	PatientPaid          *Money            `json:"patientPaid,omitempty" x12:"P,D:2300/AMT*F5"`      // patient amount paid
	EstimatedAmountDue   *Money            `json:"estimatedAmountDue,omitempty" x12:"I:2300/AMT*F3"` // patient estimated amount due
	Amounts              []Amount          `json:"amounts,omitempty" x12:"2300/AMT"`
	Refs                 []Ref             `json:"refs,omitempty" x12:"2300/REF"`      // G1 prior authorization, 9F referral, F8 payer claim control number, EA medical record number, D9 clearinghouse trace
	Diagnoses            []Diagnosis       `json:"diagnoses,omitempty" x12:"2300/HI"`  // ABK/ABF/ABJ/APR/ABN (ICD-10-CM), BK/BF/BJ/PR/BN (ICD-9-CM)
	Procedures           []HealthCode      `json:"procedures,omitempty" x12:"2300/HI"` // I: BBR/BBQ (ICD-10-PCS), BR/BQ (ICD-9-CM), CAH; P: BP/BO (anesthesia HCPCS)
	DRG                  string            `json:"drg,omitempty" x12:"I:2300/HI*DR-2"`
	ValueCodes           []HealthCode      `json:"valueCodes,omitempty" x12:"I:2300/HI*BE"` // code HI0n-2, amount HI0n-5
	ConditionCodes       []HealthCode      `json:"conditionCodes,omitempty" x12:"2300/HI*BG"`
	OccurrenceCodes      []HealthCode      `json:"occurrenceCodes,omitempty" x12:"I:2300/HI*BH"` // code and date (HI0n-4)
	OccurrenceSpans      []HealthCode      `json:"occurrenceSpans,omitempty" x12:"I:2300/HI*BI"` // code and period (HI0n-4, RD8)
	OtherCodes           []HealthCode      `json:"otherCodes,omitempty" x12:"2300/HI"`           // any other HI qualifier (TC treatment codes...)
	Providers            []Provider        `json:"providers,omitempty" x12:"2310A..2310F"`       // role from NM1-01
	OtherSubscribers     []OtherSubscriber `json:"otherSubscribers,omitempty" x12:"2320"`        // coordination of benefits
	Lines                []ServiceLine     `json:"lines,omitempty" x12:"2400"`
}

// PriorAuthorization returns REF*G1 of the claim, or "".
func (c *Claim) PriorAuthorization() string { return refValue(c.Refs, "G1") }

// OriginalReference returns the payer claim control number of the claim
// a replacement or void (CLM05-3 7 or 8) refers to: REF*F8, or "".
func (c *Claim) OriginalReference() string { return refValue(c.Refs, "F8") }

// MedicalRecordNumber returns REF*EA of the claim, or "".
func (c *Claim) MedicalRecordNumber() string { return refValue(c.Refs, "EA") }

// TypeOfBill returns the NUBC type of bill of an institutional claim with
// its leading zero, e.g. "0111": "0", the facility type code (CLM05-1)
// and the claim frequency code (CLM05-3). It returns "" when CLM05-2 is
// not A (a place of service, as in the 837P and 837D).
func (c *Claim) TypeOfBill() string {
	if c.FacilityQualifier != "A" || c.FacilityCode == "" {
		return ""
	}
	return "0" + c.FacilityCode + c.FrequencyCode
}

// PlaceOfService returns CLM05-1 when CLM05-2 is B (professional and
// dental claims), or "".
func (c *Claim) PlaceOfService() string {
	if c.FacilityQualifier != "B" {
		return ""
	}
	return c.FacilityCode
}

// Provider returns the first claim-level provider (2310x) with the given
// role, or nil.
func (c *Claim) Provider(role Role) *Provider { return providerOf(c.Providers, role) }

// PatientIsSubscriber reports whether the patient is the subscriber:
// the claim is in 2000B, with no 2000C level.
func (c *Claim) PatientIsSubscriber() bool { return c.Patient == nil }

// PatientPerson returns the patient's name loop and demographics: those
// of 2010CA when there is a 2000C level, else the subscriber's (2010BA).
func (c *Claim) PatientPerson() (*Party, Demographics) {
	if c.Patient != nil {
		return &c.Patient.Person, c.Patient.Demographics
	}
	return &c.Subscriber.Insured, c.Subscriber.Demographics
}

// Principal returns the principal diagnosis, or nil.
func (c *Claim) Principal() *Diagnosis {
	for i := range c.Diagnoses {
		if c.Diagnoses[i].Role == DiagnosisPrincipal {
			return &c.Diagnoses[i]
		}
	}
	return nil
}

// A Subscriber is the insured of loop 2000B: the SBR segment, the
// subscriber name loop (2010BA) and the payer (2010BB).
type Subscriber struct {
	PayerResponsibility  string       `json:"payerResponsibility,omitempty" x12:"2000B/SBR-01"` // P primary, S secondary, T tertiary, A-H payer 4-11, U unknown
	Relationship         string       `json:"relationship,omitempty" x12:"2000B/SBR-02"`        // 18 self (the patient is the subscriber); empty when 2000C follows
	GroupNumber          string       `json:"groupNumber,omitempty" x12:"2000B/SBR-03"`         // group or policy number
	GroupName            string       `json:"groupName,omitempty" x12:"2000B/SBR-04"`
	InsuranceType        string       `json:"insuranceType,omitempty" x12:"2000B/SBR-05"`        // Medicare secondary type
	ClaimFilingIndicator string       `json:"claimFilingIndicator,omitempty" x12:"2000B/SBR-09"` // CI commercial, MB Medicare B, MC Medicaid, BL Blue Cross...
	Insured              Party        `json:"insured" x12:"2010BA"`                              // NM1*IL; member id in NM1-09 (MI)
	Demographics         Demographics `json:"demographics,omitzero" x12:"2010BA/DMG"`
	Payer                Party        `json:"payer" x12:"2010BB"` // NM1*PR; payer id in NM1-09 (PI, XV)
}

// MemberID returns the subscriber's member id: NM1-09 of 2010BA when
// NM1-08 is MI (or II, a standard unique health identifier), or "".
func (s *Subscriber) MemberID() string {
	if q := s.Insured.IDQualifier; q == "MI" || q == "II" {
		return s.Insured.ID
	}
	return ""
}

// A Patient is loop 2000C: a patient who is not the subscriber.
type Patient struct {
	Relationship string       `json:"relationship" x12:"2000C/PAT-01"` // 01 spouse, 19 child, 20 employee, 21 unknown, 39 organ donor, 40 cadaver donor, 53 life partner, G8 other
	Person       Party        `json:"person" x12:"2010CA"`             // NM1*QC
	Demographics Demographics `json:"demographics,omitzero" x12:"2010CA/DMG"`
}

// A Role is what a provider does for a claim or line, from NM1-01 of its
// loop, whichever loop id the guide gives it.
type Role string

// Provider roles, by NM1-01.
const (
	RoleReferring       Role = "referring"         // DN
	RolePrimaryCare     Role = "primary-care"      // P3 (a referring primary care provider)
	RoleRendering       Role = "rendering"         // 82
	RoleServiceFacility Role = "service-facility"  // 77
	RoleSupervising     Role = "supervising"       // DQ
	RoleAttending       Role = "attending"         // 71
	RoleOperating       Role = "operating"         // 72
	RoleOtherOperating  Role = "other-operating"   // ZZ
	RoleAssistant       Role = "assistant-surgeon" // DD
	RolePickup          Role = "ambulance-pickup"  // PW
	RoleDropoff         Role = "ambulance-dropoff" // 45
	RolePurchased       Role = "purchased-service" // QB
	RoleOrdering        Role = "ordering"          // DK
	RoleBilling         Role = "billing"           // 85 (2330x of another payer)
)

var roles = map[string]Role{
	"DN": RoleReferring, "P3": RolePrimaryCare, "82": RoleRendering, "77": RoleServiceFacility,
	"DQ": RoleSupervising, "71": RoleAttending, "72": RoleOperating, "ZZ": RoleOtherOperating,
	"DD": RoleAssistant, "PW": RolePickup, "45": RoleDropoff, "QB": RolePurchased, "DK": RoleOrdering,
	"85": RoleBilling,
}

// A Provider is a provider named at claim level (2310x), line level
// (2420x) or for another payer (2330C-I): the party and its role.
type Provider struct {
	Role  Role   `json:"role" x12:"NM1-01"`
	Loop  string `json:"loop"` // e.g. 2310B
	Party Party  `json:"party"`
}

func providerOf(ps []Provider, role Role) *Provider {
	for i := range ps {
		if ps[i].Role == role {
			return &ps[i]
		}
	}
	return nil
}

// A DiagnosisRole says what a diagnosis is for the claim, from its HI
// qualifier.
type DiagnosisRole string

// Diagnosis roles.
const (
	DiagnosisPrincipal      DiagnosisRole = "principal"        // ABK, BK
	DiagnosisOther          DiagnosisRole = "other"            // ABF, BF
	DiagnosisAdmitting      DiagnosisRole = "admitting"        // ABJ, BJ
	DiagnosisReasonForVisit DiagnosisRole = "reason-for-visit" // APR, PR
	DiagnosisExternalCause  DiagnosisRole = "external-cause"   // ABN, BN
)

// Code systems of HI codes.
const (
	ICD10CM  = "ICD-10-CM"
	ICD9CM   = "ICD-9-CM"
	ICD10PCS = "ICD-10-PCS"
	HCPCS    = "HCPCS"
)

type hiKind struct {
	diag   DiagnosisRole
	system string
	list   int // where a non-diagnosis goes: listProcedure...
}

const (
	listDiagnosis = iota
	listProcedure
	listDRG
	listValue
	listCondition
	listOccurrence
	listSpan
)

// hiQualifiers classifies HI composite qualifiers (C022-01); anything
// else goes to Claim.OtherCodes.
var hiQualifiers = map[string]hiKind{
	"ABK": {DiagnosisPrincipal, ICD10CM, listDiagnosis}, "BK": {DiagnosisPrincipal, ICD9CM, listDiagnosis},
	"ABF": {DiagnosisOther, ICD10CM, listDiagnosis}, "BF": {DiagnosisOther, ICD9CM, listDiagnosis},
	"ABJ": {DiagnosisAdmitting, ICD10CM, listDiagnosis}, "BJ": {DiagnosisAdmitting, ICD9CM, listDiagnosis},
	"APR": {DiagnosisReasonForVisit, ICD10CM, listDiagnosis}, "PR": {DiagnosisReasonForVisit, ICD9CM, listDiagnosis},
	"ABN": {DiagnosisExternalCause, ICD10CM, listDiagnosis}, "BN": {DiagnosisExternalCause, ICD9CM, listDiagnosis},
	"BBR": {"", ICD10PCS, listProcedure}, "BBQ": {"", ICD10PCS, listProcedure},
	"BR": {"", ICD9CM, listProcedure}, "BQ": {"", ICD9CM, listProcedure},
	"CAH": {"", "", listProcedure}, // advanced billing concepts
	"BP":  {"", HCPCS, listProcedure}, "BO": {"", HCPCS, listProcedure},
	"DR": {"", "", listDRG},
	"BE": {"", "", listValue},
	"BG": {"", "", listCondition},
	"BH": {"", "", listOccurrence},
	"BI": {"", "", listSpan},
}

// A Diagnosis is one diagnosis composite of an HI segment.
type Diagnosis struct {
	Sequence           int           `json:"sequence"` // 1-based, in document order: what SV1-07 and SV3-11 point to
	Qualifier          string        `json:"qualifier" x12:"HI0n-1"`
	Code               string        `json:"code" x12:"HI0n-2"` // as sent, without a decimal point
	Role               DiagnosisRole `json:"role"`
	System             string        `json:"system"`                                      // ICD-10-CM or ICD-9-CM
	PresentOnAdmission string        `json:"presentOnAdmission,omitempty" x12:"I:HI0n-9"` // Y, N, U, W
}

// A HealthCode is any other HI composite: a procedure with its date, a
// value code with its amount, an occurrence code with its date or span.
type HealthCode struct {
	Qualifier string   `json:"qualifier" x12:"HI0n-1"`
	Code      string   `json:"code" x12:"HI0n-2"`
	System    string   `json:"system,omitempty"`                    // for procedures: ICD-10-PCS, ICD-9-CM, HCPCS
	Period    Period   `json:"period,omitzero" x12:"HI0n-3,HI0n-4"` // D8 or RD8
	Amount    *Money   `json:"amount,omitempty" x12:"HI0n-5"`
	Quantity  *Decimal `json:"quantity,omitempty" x12:"HI0n-6"`
}

// An OtherSubscriber is loop 2320 with its 2330x loops: another payer's
// coverage and, when that payer adjudicated first, what it paid. It is
// the same SBR segment id as 2000B's, one level down: the loop builder
// tells them apart, and so must every mapping.
type OtherSubscriber struct {
	PayerResponsibility  string       `json:"payerResponsibility,omitempty" x12:"2320/SBR-01"`
	Relationship         string       `json:"relationship,omitempty" x12:"2320/SBR-02"` // of the patient to this other subscriber
	GroupNumber          string       `json:"groupNumber,omitempty" x12:"2320/SBR-03"`
	GroupName            string       `json:"groupName,omitempty" x12:"2320/SBR-04"`
	InsuranceType        string       `json:"insuranceType,omitempty" x12:"2320/SBR-05"`
	ClaimFilingIndicator string       `json:"claimFilingIndicator,omitempty" x12:"2320/SBR-09"`
	Adjustments          []Adjustment `json:"adjustments,omitempty" x12:"2320/CAS"` // claim-level adjustments by the other payer
	PayerPaid            *Money       `json:"payerPaid,omitempty" x12:"2320/AMT*D"`
	NonCovered           *Money       `json:"nonCovered,omitempty" x12:"2320/AMT*A8"`
	RemainingLiability   *Money       `json:"remainingLiability,omitempty" x12:"2320/AMT*EAF"` // remaining patient liability
	BenefitsAssigned     string       `json:"benefitsAssigned,omitempty" x12:"2320/OI-03"`
	ReleaseOfInformation string       `json:"releaseOfInformation,omitempty" x12:"2320/OI-06"`
	Insured              Party        `json:"insured" x12:"2330A"` // NM1*IL
	Payer                Party        `json:"payer" x12:"2330B"`   // NM1*PR; REF*F8 there is the other payer's claim control number
	AdjudicationDate     Date         `json:"adjudicationDate,omitzero" x12:"2330B/DTP*573"`
	Providers            []Provider   `json:"providers,omitempty" x12:"2330C..2330I"` // the other payer's ids for the claim's providers
}

// A ServiceLine is loop 2400 of an 837: SV1 (professional), SV2
// (institutional) or SV3 (dental) with its dates, references, providers
// and prior adjudications.
type ServiceLine struct {
	Number            int                `json:"number" x12:"2400/LX-01"`
	Procedure         Procedure          `json:"procedure,omitzero" x12:"P:SV1-01 I:SV2-02 D:SV3-01"`
	RevenueCode       string             `json:"revenueCode,omitempty" x12:"I:SV2-01"`
	Charge            Money              `json:"charge" x12:"P:SV1-02 I:SV2-03 D:SV3-02"`
	UnitBasis         string             `json:"unitBasis,omitempty" x12:"P:SV1-03 I:SV2-04"` // UN units, MJ minutes, DA days, F2 international units
	Units             *Decimal           `json:"units,omitempty" x12:"P:SV1-04 I:SV2-05 D:SV3-06"`
	PlaceOfService    string             `json:"placeOfService,omitempty" x12:"P:SV1-05 D:SV3-03"`    // when it differs from CLM05-1
	DiagnosisPointers []int              `json:"diagnosisPointers,omitempty" x12:"P:SV1-07 D:SV3-11"` // Diagnosis.Sequence values
	Emergency         string             `json:"emergency,omitempty" x12:"P:SV1-09"`
	EPSDT             string             `json:"epsdt,omitempty" x12:"P:SV1-11"`
	FamilyPlanning    string             `json:"familyPlanning,omitempty" x12:"P:SV1-12"`
	NonCoveredCharge  *Money             `json:"nonCoveredCharge,omitempty" x12:"I:SV2-07"`
	OralCavity        []string           `json:"oralCavity,omitempty" x12:"D:SV3-04"` // oral cavity designation codes
	Prosthesis        string             `json:"prosthesis,omitempty" x12:"D:SV3-05"` // I initial, R replacement
	Teeth             []Tooth            `json:"teeth,omitempty" x12:"D:2400/TOO"`
	ServiceDate       Period             `json:"serviceDate,omitzero" x12:"2400/DTP*472"` // D8 or RD8
	Dates             []DateRef          `json:"dates,omitempty" x12:"2400/DTP"`
	Refs              []Ref              `json:"refs,omitempty" x12:"2400/REF"` // 6R line item control number, G1 prior authorization...
	Amounts           []Amount           `json:"amounts,omitempty" x12:"2400/AMT"`
	Drug              *Drug              `json:"drug,omitempty" x12:"2410"`
	Providers         []Provider         `json:"providers,omitempty" x12:"2420A..2420H"` // role from NM1-01 (P, D 2420A and I 2420C are the rendering provider)
	Adjudications     []LineAdjudication `json:"adjudications,omitempty" x12:"2430"`
}

// ControlNumber returns the line item control number (REF*6R), or "".
func (l *ServiceLine) ControlNumber() string { return refValue(l.Refs, "6R") }

// Provider returns the first line-level provider (2420x) with the given
// role, or nil.
func (l *ServiceLine) Provider(role Role) *Provider { return providerOf(l.Providers, role) }

// A Tooth is a TOO segment of an 837D line.
type Tooth struct {
	Code     string   `json:"code" x12:"TOO-02"`                    // tooth number (TOO-01 JP: universal national tooth designation)
	Surfaces []string `json:"surfaces,omitempty" x12:"TOO-03-1..5"` // M, O, D, B, L...
}

// A Drug is loop 2410: the national drug code of a line.
type Drug struct {
	NDC                string   `json:"ndc,omitempty" x12:"2410/LIN-03"` // when LIN-02 is N4
	Quantity           *Decimal `json:"quantity,omitempty" x12:"2410/CTP-04"`
	Unit               string   `json:"unit,omitempty" x12:"2410/CTP-05-1"` // F2, GR, ME, ML, UN
	PrescriptionNumber string   `json:"prescriptionNumber,omitempty" x12:"2410/REF*XZ"`
}

// A LineAdjudication is loop 2430: what another payer did with the line.
type LineAdjudication struct {
	PayerID            string       `json:"payerId" x12:"2430/SVD-01"` // matches 2330B NM1-09
	Paid               Money        `json:"paid" x12:"2430/SVD-02"`
	Procedure          Procedure    `json:"procedure,omitzero" x12:"2430/SVD-03"`
	RevenueCode        string       `json:"revenueCode,omitempty" x12:"2430/SVD-04"`
	Units              *Decimal     `json:"units,omitempty" x12:"2430/SVD-05"`
	BundledLine        string       `json:"bundledLine,omitempty" x12:"2430/SVD-06"`
	Adjustments        []Adjustment `json:"adjustments,omitempty" x12:"2430/CAS"`
	AdjudicationDate   Date         `json:"adjudicationDate,omitzero" x12:"2430/DTP*573"`
	RemainingLiability *Money       `json:"remainingLiability,omitempty" x12:"2430/AMT*EAF"`
}
