package fromx12

import "github.com/tributary-health/tributary/claims"

// Code systems. X12 internal code lists that have no published FHIR URI
// (claim filing indicator, insurance line, relationship, AAA reject
// reasons…) use urn:tributary:x12:<data element number>, so a code is
// never sent without saying which list it is from.
const (
	sysClaimType          = "http://terminology.hl7.org/CodeSystem/claim-type"
	sysProcessPriority    = "http://terminology.hl7.org/CodeSystem/processpriority"
	sysPayeeType          = "http://terminology.hl7.org/CodeSystem/payeetype"
	sysRelatedClaim       = "http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship"
	sysDiagnosisType      = "http://terminology.hl7.org/CodeSystem/ex-diagnosistype"
	sysDiagnosisOnAdmit   = "http://terminology.hl7.org/CodeSystem/ex-diagnosis-on-admission"
	sysProcedureType      = "http://terminology.hl7.org/CodeSystem/ex-procedure-type"
	sysCareTeamRole       = "http://terminology.hl7.org/CodeSystem/claimcareteamrole"
	sysInfoCategory       = "http://terminology.hl7.org/CodeSystem/claiminformationcategory"
	sysAdjudication       = "http://terminology.hl7.org/CodeSystem/adjudication"
	sysPaymentType        = "http://terminology.hl7.org/CodeSystem/ex-paymenttype"
	sysPaymentKind        = "http://terminology.hl7.org/CodeSystem/payment-type"
	sysCoverageClass      = "http://terminology.hl7.org/CodeSystem/coverage-class"
	sysSubscriberRel      = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
	sysRoleCode           = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
	sysIdentifierType     = "http://terminology.hl7.org/CodeSystem/v2-0203"
	sysOrgType            = "http://terminology.hl7.org/CodeSystem/organization-type"
	sysMarital            = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
	sysActCode            = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	sysDataAbsent         = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
	sysBenefitType        = "http://terminology.hl7.org/CodeSystem/benefit-type"
	sysBenefitNetwork     = "http://terminology.hl7.org/CodeSystem/benefit-network"
	sysBenefitUnit        = "http://terminology.hl7.org/CodeSystem/benefit-unit"
	sysBenefitTerm        = "http://terminology.hl7.org/CodeSystem/benefit-term"
	sysLanguage           = "urn:ietf:bcp:47"
	sysICD10CM            = "http://hl7.org/fhir/sid/icd-10-cm"
	sysICD9CM             = "http://hl7.org/fhir/sid/icd-9-cm"
	sysICD10PCS           = "http://www.cms.gov/Medicare/Coding/ICD10"
	sysCPT                = "http://www.ama-assn.org/go/cpt"
	sysHCPCS              = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
	sysCDT                = "http://www.ada.org/cdt"
	sysNDC                = "http://hl7.org/fhir/sid/ndc"
	sysPOS                = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
	sysRevenue            = "https://www.nubc.org/CodeSystem/RevenueCodes"
	sysTypeOfBill         = "https://www.nubc.org/CodeSystem/TypeOfBill"
	sysAdmitType          = "https://www.nubc.org/CodeSystem/PriorityTypeOfAdmitOrVisit"
	sysPointOfOrigin      = "https://www.nubc.org/CodeSystem/PointOfOrigin"
	sysDischargeStatus    = "https://www.nubc.org/CodeSystem/PatDischargeStatus"
	sysConditionCodes     = "https://www.nubc.org/CodeSystem/ConditionCodes"
	sysOccurrenceCodes    = "https://www.nubc.org/CodeSystem/OccurrenceCodes"
	sysOccurrenceSpan     = "https://www.nubc.org/CodeSystem/OccurrenceSpanCodes"
	sysValueCodes         = "https://www.nubc.org/CodeSystem/ValueCodes"
	sysDRG                = "https://www.cms.gov/Medicare/Medicare-Fee-for-Service-Payment/AcuteInpatientPPS/MS-DRG-Classifications-and-Software"
	sysTooth              = "http://terminology.hl7.org/CodeSystem/ADAUniversalToothDesignation"
	sysToothSurface       = "http://terminology.hl7.org/CodeSystem/FDI-surface"
	sysOralArea           = "http://terminology.hl7.org/CodeSystem/ADAAreaOralCavitySystem"
	sysTaxonomy           = "http://nucc.org/provider-taxonomy"
	sysEIN                = "urn:oid:2.16.840.1.113883.4.4"
	sysCARC               = "https://x12.org/codes/claim-adjustment-reason-codes"
	sysRARC               = "https://x12.org/codes/remittance-advice-remark-codes"
	sysCASGroup           = "https://x12.org/codes/claim-adjustment-group-codes"
	sysServiceType        = "https://x12.org/codes/service-type-codes"
	sysPLBReason          = "urn:tributary:x12:426"  // adjustment reason code (PLB03-1)
	sysFilingIndicator    = "urn:tributary:x12:1032" // claim filing indicator code (SBR-09, CLP06)
	sysInsuranceLine      = "urn:tributary:x12:1205" // insurance line code (HD03)
	sysIndividualRel      = "urn:tributary:x12:1069" // individual relationship code (INS02, PAT01)
	sysRejectReason       = "urn:tributary:x12:901"  // reject reason code (AAA03)
	sysEligibilityInfo    = "urn:tributary:x12:1390" // eligibility or benefit information code (EB01)
	sysClaimStatus        = "urn:tributary:x12:1029" // claim status code (CLP02)
	sysC4BBIdentifierType = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType"
	sysC4BBInfoType       = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBSupportingInfoType"
	sysC4BBAdjudication   = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication"
	sysC4BBDiscriminator  = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudicationDiscriminator"
	sysC4BBCareTeamRole   = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimCareTeamRole"
	sysC4BBDiagnosisType  = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimDiagnosisType"
	sysC4BBInstSubType    = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBInstitutionalClaimSubType"
	sysC4BBPayeeType      = sysPayeeType
	sysC4BBPaymentStatus  = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBPayerClaimPaymentStatusCode"

	// Tributary extensions, for X12 data FHIR has no element for.
	extCASGroup = "https://tributary.health/fhir/StructureDefinition/x12-cas-group"
	extTooth    = "https://tributary.health/fhir/StructureDefinition/x12-additional-tooth"
)

// CARIN Blue Button 2.0.0 ExplanationOfBenefit profiles.
const (
	profileProfessional = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Professional-NonClinician"
	profileInpatient    = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Inpatient-Institutional"
	profileOutpatient   = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Outpatient-Institutional"
	profileOral         = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Oral"
)

// A codeMap translates one X12 code list into FHIR codes. The tables
// below drive the mapping and are printed into docs/x12-to-fhir.md, so
// the document is the code.
type codeMap struct {
	Name   string // what it maps, for the document
	Source string // X12 element(s)
	Target string // FHIR element
	System string // FHIR code system of the codes
	Codes  []codePair
}

type codePair struct{ X12, FHIR string }

func (m *codeMap) lookup(x string) (string, bool) {
	for _, p := range m.Codes {
		if p.X12 == x {
			return p.FHIR, true
		}
	}
	return "", false
}

var claimTypes = codeMap{
	Name: "Claim type", Source: "837 implementation guide (ST-03); 835 CLP08/SVC01 (see ExplanationOfBenefit type)", Target: "Claim.type, ExplanationOfBenefit.type", System: sysClaimType,
	Codes: []codePair{{string(claims.Professional), "professional"}, {string(claims.Institutional), "institutional"}, {string(claims.Dental), "oral"}},
}

// careTeamRoles maps a provider's NM1-01 role to a CARIN care team role
// (C4BBClaimCareTeamRole); the supervisor is the base code system's.
var careTeamRoles = codeMap{
	Name: "Care team role", Source: "2310x/2420x NM1-01 (835: 2100 NM1*82)", Target: "careTeam.role", System: sysC4BBCareTeamRole + " (supervisor, assist, other: " + sysCareTeamRole + ")",
	Codes: []codePair{
		{string(claims.RoleRendering), "rendering"}, {string(claims.RoleAttending), "attending"},
		{string(claims.RoleOperating), "operating"}, {string(claims.RoleOtherOperating), "otheroperating"},
		{string(claims.RoleReferring), "referring"}, {string(claims.RolePrimaryCare), "referring"},
		{string(claims.RoleSupervising), "supervisor"}, {string(claims.RoleAssistant), "assist"},
		{string(claims.RolePurchased), "purchasedservice"}, {string(claims.RoleOrdering), "other"},
	},
}

func careTeamRole(r claims.Role) (system, c string, ok bool) {
	v, ok := careTeamRoles.lookup(string(r))
	if !ok {
		return "", "", false
	}
	switch v {
	case "supervisor", "assist", "other":
		return sysCareTeamRole, v, true
	}
	return sysC4BBCareTeamRole, v, true
}

// diagnosisTypes maps the HI qualifier's role. The CARIN diagnosis type
// code system has principal, other, patientreasonforvisit and
// externalcauseofinjury; admitting is the base code system's.
var diagnosisTypes = codeMap{
	Name: "Diagnosis type", Source: "2300/HI01-1 qualifier (ABK/BK principal, ABF/BF other, ABJ/BJ admitting, APR/PR reason for visit, ABN/BN external cause)", Target: "diagnosis.type", System: sysC4BBDiagnosisType + " (admitting: " + sysDiagnosisType + ")",
	Codes: []codePair{
		{string(claims.DiagnosisPrincipal), "principal"}, {string(claims.DiagnosisOther), "other"},
		{string(claims.DiagnosisAdmitting), "admitting"}, {string(claims.DiagnosisReasonForVisit), "patientreasonforvisit"},
		{string(claims.DiagnosisExternalCause), "externalcauseofinjury"},
	},
}

// subscriberRelationships maps SBR-02, PAT-01 and INS02 (individual
// relationship codes) to Coverage.relationship.
var subscriberRelationships = codeMap{
	Name: "Relationship to the subscriber", Source: "2000B/SBR-02, 2000C/PAT-01, 834 INS02, 271 INS02", Target: "Coverage.relationship", System: sysSubscriberRel,
	Codes: []codePair{
		{"18", "self"}, {"01", "spouse"}, {"53", "common"}, {"19", "child"}, {"09", "child"}, {"10", "child"},
		{"17", "child"}, {"15", "child"}, {"20", "other"}, {"21", "other"}, {"G8", "other"}, {"39", "other"}, {"40", "other"},
	},
}

// relatedPersonRoles maps INS02 to the RelatedPerson's relationship to
// the subscriber (what the dependent is to the subscriber).
var relatedPersonRoles = codeMap{
	Name: "Dependent's relationship", Source: "834 2000/INS02", Target: "RelatedPerson.relationship", System: sysRoleCode,
	Codes: []codePair{
		{"01", "SPS"}, {"53", "DOMPART"}, {"19", "CHILD"}, {"09", "CHLDADOPT"}, {"10", "CHLDFOST"},
		{"17", "STPCHLD"}, {"15", "WARD"}, {"04", "GRNDCHILD"}, {"05", "GRNDCHILD"}, {"07", "NEPHEW"}, {"38", "NEPHEW"},
	},
}

// adjustmentCategories maps a CAS group and reason to the CARIN
// adjudication amount type (C4BBAdjudication, or the base adjudication
// code system for deductible and copay). The first row whose group
// matches and whose reason matches (or is "*") wins.
var adjustmentCategories = codeMap{
	Name: "Adjustment amount type", Source: "CAS-01 group + CAS-02 reason (2100, 2110)", Target: "adjudication.category (with reason = the CARC)", System: sysC4BBAdjudication + " (deductible, copay: " + sysAdjudication + ")",
	Codes: []codePair{
		{"PR 1", "deductible"}, {"PR 2", "coinsurance"}, {"PR 3", "copay"}, {"PR *", "memberliability"},
		{"CO 45", "discount"}, {"CO *", "noncovered"}, {"PI *", "noncovered"}, {"OA 23", "priorpayerpaid"},
		{"OA *", "noncovered"}, {"CR *", "noncovered"},
	},
}

func adjustmentCategory(group, reason string) (system, c string) {
	v := "noncovered"
	for _, p := range adjustmentCategories.Codes {
		g, r := p.X12[:2], p.X12[3:]
		if g == group && (r == reason || r == "*") {
			v = p.FHIR
			break
		}
	}
	switch v {
	case "deductible", "copay":
		return sysAdjudication, v
	}
	return sysC4BBAdjudication, v
}

// coverageStatus maps the maintenance type code (HD01, else INS03).
var coverageStatus = codeMap{
	Name: "Coverage status", Source: "834 2300/HD01 (else 2000/INS03)", Target: "Coverage.status", System: "http://hl7.org/fhir/fm-status",
	Codes: []codePair{{"001", "active"}, {"021", "active"}, {"025", "active"}, {"030", "active"}, {"032", "active"}, {"024", "cancelled"}},
}

// benefitTypes maps EB01 to a benefit type.
var benefitTypes = codeMap{
	Name: "Benefit type", Source: "271 2110C/EB01", Target: "CoverageEligibilityResponse.insurance.item.benefit.type", System: sysBenefitType,
	Codes: []codePair{{"C", "deductible"}, {"B", "copay"}, {"A", "copay-percent"}, {"G", "benefit"}, {"F", "benefit"}, {"J", "benefit"}, {"Y", "benefit"}},
}

var benefitTerms = codeMap{
	Name: "Benefit term", Source: "271 EB06 time period qualifier", Target: "CoverageEligibilityResponse.insurance.item.term", System: sysBenefitTerm,
	Codes: []codePair{{"21", "annual"}, {"22", "annual"}, {"23", "annual"}, {"24", "annual"}, {"25", "annual"}, {"7", "day"}, {"32", "lifetime"}, {"33", "lifetime"}},
}

var benefitUnits = codeMap{
	Name: "Benefit unit", Source: "271 EB02 coverage level", Target: "CoverageEligibilityResponse.insurance.item.unit", System: sysBenefitUnit,
	Codes: []codePair{{"IND", "individual"}, {"EMP", "individual"}, {"FAM", "family"}, {"ESP", "family"}, {"ECH", "family"}, {"CHD", "family"}, {"SPC", "family"}},
}

var maritalStatus = codeMap{
	Name: "Marital status", Source: "834 2100A/DMG04", Target: "Patient.maritalStatus", System: sysMarital,
	Codes: []codePair{{"M", "M"}, {"S", "S"}, {"D", "D"}, {"W", "W"}, {"I", "S"}, {"B", "T"}, {"R", "T"}, {"X", "L"}, {"U", "UNK"}},
}

// accidentTypes maps CLM11 related causes to v3 ActIncidentCode.
var accidentTypes = codeMap{
	Name: "Accident type", Source: "2300/CLM11-1", Target: "Claim.accident.type", System: sysActCode,
	Codes: []codePair{{"AA", "MVA"}, {"EM", "WPA"}},
}

// codeMaps lists every table, for the document.
var codeMaps = []*codeMap{
	&claimTypes, &careTeamRoles, &diagnosisTypes, &subscriberRelationships, &relatedPersonRoles,
	&adjustmentCategories, &coverageStatus, &benefitTypes, &benefitTerms, &benefitUnits, &maritalStatus, &accidentTypes,
}
