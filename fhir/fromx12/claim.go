package fromx12

import (
	"strings"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	clpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/claim_go_proto"

	"github.com/tributary-health/tributary/claims"
	"github.com/tributary-health/tributary/fhir"
)

// ClaimID is the id of the Claim of an 837: from the submitter (1000A
// NM1-09) and the patient control number (CLM01), as DESIGN.md says. An
// 835's CLP01 is the same CLM01, so the remittance can reference it when
// the submitter is known ([Config.Submitters]).
func ClaimID(submitterID, patientControlNumber string) string {
	return fhir.ID("Claim", fhir.ClaimControl(submitterID), patientControlNumber)
}

// claim maps one 837 claim: the Claim and the Patient(s), Coverage(s),
// payer Organization(s) and provider Practitioners/Organizations it names.
func (c *conv) claim(cl *claims.Claim) error {
	submitter := cl.Submitter.ID
	if submitter == "" {
		return missing("1000A", "NM1", 9)
	}
	if cl.PatientControlNumber == "" {
		return missing("2300", "CLM", 1)
	}
	payerID := cl.Subscriber.Payer.ID
	if payerID == "" {
		return missing("2010BB", "NM1", 9)
	}
	currency := "USD"
	if cl.Currency != "" {
		currency = cl.Currency
	}
	sub := &cl.Subscriber
	memberID := sub.MemberID()
	if memberID == "" {
		memberID = sub.Insured.ID // a member id sent with another qualifier is still the one we have
	}
	if memberID == "" {
		return missing("2010BA", "NM1", 9)
	}
	payer := c.payer(&sub.Payer, payerID)
	billing := c.provider(&cl.BillingProvider)
	if billing == nil {
		return missing("2010AA", "NM1", 9)
	}

	// The subscriber is a Patient whether or not they are the patient:
	// the Coverage names them.
	subID := c.patientID(payerID, memberID)
	subRef := c.patient(subID, person{party: &sub.Insured, demo: sub.Demographics, memberID: memberID, payerID: payerID})
	patID, patRef, memberKey, rel := subID, subRef, memberID, "18"
	if cl.Patient != nil {
		memberKey = dependentKey(memberID, &cl.Patient.Person)
		patID = c.patientID(payerID, memberKey)
		patRef = c.patient(patID, person{party: &cl.Patient.Person, demo: cl.Patient.Demographics, payerID: payerID})
		rel = cl.Patient.Relationship
	} else if sub.Relationship != "" {
		rel = sub.Relationship
	}
	cov := c.coverage(coverage{
		payerID: payerID, payer: payer, memberKey: memberKey, subscriberID: memberID,
		plan: sub.GroupNumber, groupName: sub.GroupName,
		beneficiary: patRef, subscriber: subRef, relationship: rel,
		order: payerOrder(sub.PayerResponsibility), typ: concept(sysFilingIndicator, sub.ClaimFilingIndicator, ""),
		patient: patID,
	})

	typ, _ := claimTypes.lookup(string(cl.Kind))
	r := &clpb.Claim{
		Id:         id(ClaimID(submitter, cl.PatientControlNumber)),
		Identifier: []*dtpb.Identifier{identifier(fhir.ClaimControl(submitter), cl.PatientControlNumber)},
		Status:     &clpb.Claim_StatusCode{Value: cpb.FinancialResourceStatusCode_ACTIVE},
		Type:       concept(sysClaimType, typ, ""),
		Use:        &clpb.Claim_UseCode{Value: cpb.UseCode_CLAIM},
		Patient:    patRef,
		Insurer:    payer,
		Provider:   billing,
		Priority:   concept(sysProcessPriority, "normal", ""),
		Total:      money(cl.TotalCharge, currency),
	}
	r.Identifier[0].Type = concept(sysIdentifierType, "FILL", "Filler Identifier")
	r.Created = dateTime(cl.Created, c.loc)
	if r.Created == nil {
		r.Created = c.groupDate()
	}
	if r.Created == nil {
		return missing("", "BHT", 4)
	}
	r.BillablePeriod = billablePeriod(cl, c)

	// Payee: the provider when benefits are assigned (CLM08 Y), else
	// the subscriber.
	if cl.BenefitsAssigned == "N" {
		r.Payee = &clpb.Claim_Payee{Type: concept(sysPayeeType, "subscriber", ""), Party: subRef}
	} else {
		r.Payee = &clpb.Claim_Payee{Type: concept(sysPayeeType, "provider", ""), Party: billing}
	}
	if orig := cl.OriginalReference(); orig != "" && (cl.FrequencyCode == "7" || cl.FrequencyCode == "8") {
		r.Related = []*clpb.Claim_RelatedClaim{{
			Relationship: concept(sysRelatedClaim, "prior", ""),
			Reference:    identifier(payerClaimSystem(payerID), orig),
		}}
	}

	// Care team: claim-level providers (2310x), then line-level (2420x)
	// ones not already named.
	team := map[string]int{} // "role|reference" → sequence
	addTeam := func(p *claims.Provider) int {
		sys, role, ok := careTeamRole(p.Role)
		if !ok {
			return 0
		}
		ref := c.provider(&p.Party)
		if ref == nil {
			return 0
		}
		k := role + "|" + ref.GetUri().GetValue()
		if n, ok := team[k]; ok {
			return n
		}
		n := len(r.CareTeam) + 1
		team[k] = n
		ct := &clpb.Claim_CareTeam{Sequence: posInt(n), Provider: ref, Role: concept(sys, role, "")}
		if p.Party.Taxonomy != "" {
			ct.Qualification = concept(sysTaxonomy, p.Party.Taxonomy, "")
		}
		r.CareTeam = append(r.CareTeam, ct)
		return n
	}
	for i := range cl.Providers {
		p := &cl.Providers[i]
		if p.Role == claims.RoleServiceFacility {
			if ref := c.provider(&p.Party); ref != nil {
				c.info(r, sysC4BBInfoType, "servicefacility", func(si *clpb.Claim_SupportingInformation) {
					si.Value = &clpb.Claim_SupportingInformation_ValueX{Choice: &clpb.Claim_SupportingInformation_ValueX_Reference{Reference: ref}}
				})
			}
			continue
		}
		addTeam(p)
	}

	c.supportingInfo(r, cl)
	c.diagnoses(r, cl)
	c.procedures(r, cl)

	// Insurance: this payer's coverage is focal; other payers (2320) follow.
	ins := &clpb.Claim_Insurance{Sequence: posInt(1), Focal: boolean(true), Coverage: cov}
	if pa := cl.PriorAuthorization(); pa != "" {
		ins.PreAuthRef = []*dtpb.String{str(pa)}
	}
	r.Insurance = []*clpb.Claim_Insurance{ins}
	for i := range cl.OtherSubscribers {
		o := &cl.OtherSubscribers[i]
		oid := o.Payer.ID
		omember := o.Insured.ID
		if oid == "" || omember == "" {
			continue
		}
		oref := c.payer(&o.Payer, oid)
		orel := o.Relationship
		okey := omember
		var osub *dtpb.Reference
		if orel == "18" {
			osub = patRef
		}
		if orel != "18" && cl.Patient == nil && orel != "" {
			// The other policy is someone else's (a spouse's): the patient
			// is a dependent there, named by that subscriber's id.
			okey = dependentKey(omember, &sub.Insured)
		}
		ocov := c.coverage(coverage{
			payerID: oid, payer: oref, memberKey: okey, subscriberID: omember,
			plan: o.GroupNumber, groupName: o.GroupName, beneficiary: patRef, subscriber: osub,
			relationship: orel, order: payerOrder(o.PayerResponsibility),
			typ: concept(sysFilingIndicator, o.ClaimFilingIndicator, ""), patient: patID,
		})
		r.Insurance = append(r.Insurance, &clpb.Claim_Insurance{Sequence: posInt(len(r.Insurance) + 1), Focal: boolean(false), Coverage: ocov})
	}

	if at, ok := accidentTypes.lookup(first(cl.RelatedCauses)); ok || cl.Accident.HasDate() {
		if d := date(cl.Accident); d != nil {
			r.Accident = &clpb.Claim_Accident{Date: d}
			if ok {
				r.Accident.Type = concept(sysActCode, at, "")
			}
		}
	}

	pos := cl.PlaceOfService()
	for i := range cl.Lines {
		l := &cl.Lines[i]
		it := &clpb.Claim_Item{Sequence: posInt(i + 1)}
		for j := range l.Providers {
			if n := addTeam(&l.Providers[j]); n > 0 {
				it.CareTeamSequence = append(it.CareTeamSequence, posInt(n))
			}
		}
		for _, p := range l.DiagnosisPointers {
			if p >= 1 && p <= len(cl.Diagnoses) {
				it.DiagnosisSequence = append(it.DiagnosisSequence, posInt(p))
			}
		}
		if l.RevenueCode != "" {
			it.Revenue = concept(sysRevenue, l.RevenueCode, "")
		}
		it.ProductOrService = productOrService(l.Procedure)
		if it.ProductOrService == nil && l.Drug != nil && l.Drug.NDC != "" {
			it.ProductOrService = concept(sysNDC, l.Drug.NDC, "")
		}
		if it.ProductOrService == nil {
			it.ProductOrService = concept(sysDataAbsent, "not-applicable", "")
		}
		it.Modifier = modifiers(l.Procedure)
		switch sd := l.ServiceDate; {
		case sd.IsZero():
		case sd.Single():
			it.Serviced = &clpb.Claim_Item_ServicedX{Choice: &clpb.Claim_Item_ServicedX_Date{Date: date(sd.Start)}}
		default:
			it.Serviced = &clpb.Claim_Item_ServicedX{Choice: &clpb.Claim_Item_ServicedX_Period{Period: period(sd, c.loc)}}
		}
		if p := firstNonEmpty(l.PlaceOfService, pos); p != "" {
			it.Location = &clpb.Claim_Item_LocationX{Choice: &clpb.Claim_Item_LocationX_CodeableConcept{CodeableConcept: concept(sysPOS, p, "")}}
		}
		if l.Units != nil {
			it.Quantity = &dtpb.SimpleQuantity{Value: decimal(*l.Units)}
			if u := unitName(l.UnitBasis); u != "" {
				it.Quantity.Unit = str(u)
			}
			// unitPrice only when it is exact: net = quantity × unitPrice.
			if n, ok := l.Units.Int(); ok && n > 0 && l.Charge.Cents()%n == 0 {
				it.UnitPrice = money(claims.Money(l.Charge.Cents()/n), currency)
			}
		}
		it.Net = money(l.Charge, currency)
		c.teeth(it, l)
		r.Item = append(r.Item, it)
	}
	c.add(r, patID)
	return nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// unitName names an SV1-03/SV2-04 unit basis code.
func unitName(u string) string {
	switch u {
	case "UN":
		return "units"
	case "MJ":
		return "minutes"
	case "DA":
		return "days"
	case "F2":
		return "international units"
	}
	return u
}

// groupDate is GS-04, the date the functional group was created: the
// claim's created date when the BHT has none.
func (c *conv) groupDate() *dtpb.DateTime {
	if c.tx == nil || c.tx.Group == nil {
		return nil
	}
	d, err := claims.ParseD8(c.tx.Group.Date)
	if err != nil {
		return nil
	}
	return dateTime(d, c.loc)
}

// billablePeriod is the statement period (837I DTP*434), else the span
// of the line service dates.
func billablePeriod(cl *claims.Claim, c *conv) *dtpb.Period {
	if !cl.StatementPeriod.IsZero() {
		return period(cl.StatementPeriod, c.loc)
	}
	var lo, hi claims.Date
	for _, l := range cl.Lines {
		s, e := l.ServiceDate.Start, l.ServiceDate.End
		if e.IsZero() {
			e = s
		}
		if s.HasDate() && (lo.IsZero() || before(s, lo)) {
			lo = s
		}
		if e.HasDate() && (hi.IsZero() || before(hi, e)) {
			hi = e
		}
	}
	return period(claims.Period{Start: lo, End: hi}, c.loc)
}

func before(a, b claims.Date) bool {
	if a.Year != b.Year {
		return a.Year < b.Year
	}
	if a.Month != b.Month {
		return a.Month < b.Month
	}
	if a.Day != b.Day {
		return a.Day < b.Day
	}
	return a.Hour*60+a.Minute < b.Hour*60+b.Minute
}

// productOrService maps a composite procedure identifier: HC is CPT
// when the code is a CPT code (five digits, or four and F/T/U), else
// HCPCS level II; AD is CDT; N4 an NDC.
func productOrService(p claims.Procedure) *dtpb.CodeableConcept {
	if p.Code == "" {
		return nil
	}
	cc := concept(procedureSystem(p.Qualifier, p.Code), p.Code, "")
	if p.Description != "" {
		cc.Text = str(p.Description)
	}
	return cc
}

func procedureSystem(q, code string) string {
	switch q {
	case "HC":
		if isCPT(code) {
			return sysCPT
		}
		return sysHCPCS
	case "AD":
		return sysCDT
	case "N4":
		return sysNDC
	case "NU":
		return sysRevenue
	}
	return "urn:tributary:x12:235:" + strings.ToLower(q) // product/service id qualifier
}

func isCPT(code string) bool {
	if len(code) != 5 {
		return false
	}
	for _, r := range code[:4] {
		if r < '0' || r > '9' {
			return false
		}
	}
	l := code[4]
	return l >= '0' && l <= '9' || l == 'F' || l == 'T' || l == 'U'
}

// modifiers maps procedure modifiers: two digits are CPT modifiers,
// anything else HCPCS level II modifiers.
func modifiers(p claims.Procedure) []*dtpb.CodeableConcept {
	var out []*dtpb.CodeableConcept
	for _, m := range p.Modifiers {
		sys := sysHCPCS
		if len(m) == 2 && m[0] >= '0' && m[0] <= '9' && m[1] >= '0' && m[1] <= '9' {
			sys = sysCPT
		}
		out = append(out, concept(sys, m, ""))
	}
	return out
}

// teeth maps the 837D TOO segments: the first tooth is item.bodySite
// with its surfaces as subSite; FHIR has one body site per item, so
// further teeth are kept in an extension rather than dropped. Without a
// tooth, an oral cavity area (SV3-04) is the body site.
func (c *conv) teeth(it *clpb.Claim_Item, l *claims.ServiceLine) {
	for i, t := range l.Teeth {
		cc := concept(sysTooth, t.Code, "")
		if cc == nil {
			continue
		}
		if it.BodySite == nil && i == 0 {
			it.BodySite = cc
			for _, s := range t.Surfaces {
				it.SubSite = append(it.SubSite, concept(sysToothSurface, s, ""))
			}
			continue
		}
		it.Extension = append(it.Extension, &dtpb.Extension{Url: uri(extTooth),
			Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_CodeableConcept{CodeableConcept: cc}}})
	}
	if it.BodySite == nil && len(l.OralCavity) > 0 {
		it.BodySite = concept(sysOralArea, l.OralCavity[0], "")
	}
}

// info appends a supportingInfo entry of category code in system and
// lets fill set its timing or value.
func (c *conv) info(r *clpb.Claim, system, cat string, fill func(*clpb.Claim_SupportingInformation)) {
	si := &clpb.Claim_SupportingInformation{Sequence: posInt(len(r.SupportingInfo) + 1), Category: concept(system, cat, "")}
	fill(si)
	r.SupportingInfo = append(r.SupportingInfo, si)
}

func infoCode(system, v string) func(*clpb.Claim_SupportingInformation) {
	return func(si *clpb.Claim_SupportingInformation) { si.Code = concept(system, v, "") }
}

func infoString(v string) func(*clpb.Claim_SupportingInformation) {
	return func(si *clpb.Claim_SupportingInformation) {
		si.Value = &clpb.Claim_SupportingInformation_ValueX{Choice: &clpb.Claim_SupportingInformation_ValueX_StringValue{StringValue: str(v)}}
	}
}

func infoDate(d claims.Date) func(*clpb.Claim_SupportingInformation) {
	return func(si *clpb.Claim_SupportingInformation) {
		si.Timing = &clpb.Claim_SupportingInformation_TimingX{Choice: &clpb.Claim_SupportingInformation_TimingX_Date{Date: date(d)}}
	}
}

// supportingInfo maps the 2300 facts that have no element of their own,
// with CARIN's supporting information categories where CARIN has one.
func (c *conv) supportingInfo(r *clpb.Claim, cl *claims.Claim) {
	c.info(r, sysC4BBInfoType, "patientaccountnumber", infoString(cl.PatientControlNumber))
	if mrn := cl.MedicalRecordNumber(); mrn != "" {
		c.info(r, sysC4BBInfoType, "medicalrecordnumber", infoString(mrn))
	}
	if tob := cl.TypeOfBill(); tob != "" {
		c.info(r, sysC4BBInfoType, "typeofbill", infoCode(sysTypeOfBill, tob))
	}
	if cl.Onset.HasDate() {
		c.info(r, sysInfoCategory, "onset", infoDate(cl.Onset))
	}
	if cl.Admission.HasDate() {
		p := claims.Period{Start: cl.Admission}
		if cl.Discharge.HasDate() {
			p.End = cl.Discharge
		}
		c.info(r, sysC4BBInfoType, "admissionperiod", func(si *clpb.Claim_SupportingInformation) {
			si.Timing = &clpb.Claim_SupportingInformation_TimingX{Choice: &clpb.Claim_SupportingInformation_TimingX_Period{Period: period(p, c.loc)}}
		})
	}
	if cl.AdmissionType != "" {
		c.info(r, sysC4BBInfoType, "admtype", infoCode(sysAdmitType, cl.AdmissionType))
	}
	if cl.AdmissionSource != "" {
		c.info(r, sysC4BBInfoType, "pointoforigin", infoCode(sysPointOfOrigin, cl.AdmissionSource))
	}
	if cl.PatientStatus != "" {
		c.info(r, sysC4BBInfoType, "discharge-status", infoCode(sysDischargeStatus, cl.PatientStatus))
	}
	if cl.DRG != "" {
		c.info(r, sysC4BBInfoType, "drg", infoCode(sysDRG, cl.DRG))
	}
	for _, h := range cl.ConditionCodes {
		c.info(r, sysInfoCategory, "info", infoCode(sysConditionCodes, h.Code))
	}
	for _, h := range cl.OccurrenceCodes {
		d := h.Period.Start
		c.info(r, sysInfoCategory, "info", func(si *clpb.Claim_SupportingInformation) {
			si.Code = concept(sysOccurrenceCodes, h.Code, "")
			if d.HasDate() {
				infoDate(d)(si)
			}
		})
	}
	for _, h := range cl.OccurrenceSpans {
		p := period(h.Period, c.loc)
		c.info(r, sysInfoCategory, "info", func(si *clpb.Claim_SupportingInformation) {
			si.Code = concept(sysOccurrenceSpan, h.Code, "")
			if p != nil {
				si.Timing = &clpb.Claim_SupportingInformation_TimingX{Choice: &clpb.Claim_SupportingInformation_TimingX_Period{Period: p}}
			}
		})
	}
	for _, h := range cl.ValueCodes {
		amt := h.Amount
		c.info(r, sysInfoCategory, "info", func(si *clpb.Claim_SupportingInformation) {
			si.Code = concept(sysValueCodes, h.Code, "")
			if amt != nil {
				// supportingInfo has no Money value: a Quantity in ISO 4217
				// dollars keeps the amount exact.
				si.Value = &clpb.Claim_SupportingInformation_ValueX{Choice: &clpb.Claim_SupportingInformation_ValueX_Quantity{Quantity: &dtpb.Quantity{
					Value: &dtpb.Decimal{Value: amt.String()}, System: uri("urn:iso:std:iso:4217"), Code: code("USD"), Unit: str("USD")}}}
			}
		})
	}
}

// diagnoses maps HI diagnoses, in the order (and so with the sequence)
// the service lines' pointers use. X12 sends ICD codes without their
// decimal point; FHIR's ICD-10-CM and ICD-9-CM systems use it.
func (c *conv) diagnoses(r *clpb.Claim, cl *claims.Claim) {
	for _, d := range cl.Diagnoses {
		sys, cd := diagnosisCode(d.System, d.Code)
		dx := &clpb.Claim_Diagnosis{
			Sequence:  posInt(d.Sequence),
			Diagnosis: &clpb.Claim_Diagnosis_DiagnosisX{Choice: &clpb.Claim_Diagnosis_DiagnosisX_CodeableConcept{CodeableConcept: concept(sys, cd, "")}},
		}
		if t, ok := diagnosisTypes.lookup(string(d.Role)); ok {
			s := sysC4BBDiagnosisType
			if t == "admitting" {
				s = sysDiagnosisType
			}
			dx.Type = []*dtpb.CodeableConcept{concept(s, t, "")}
		}
		if poa := strings.ToLower(d.PresentOnAdmission); poa != "" {
			dx.OnAdmission = concept(sysDiagnosisOnAdmit, poa, "")
		}
		r.Diagnosis = append(r.Diagnosis, dx)
	}
}

func diagnosisCode(system, c string) (string, string) {
	switch system {
	case claims.ICD10CM:
		return sysICD10CM, dotted(c, 3)
	case claims.ICD9CM:
		if strings.HasPrefix(c, "E") {
			return sysICD9CM, dotted(c, 4)
		}
		return sysICD9CM, dotted(c, 3)
	}
	return "urn:tributary:x12:1270", c // code list qualifier code
}

// dotted puts the decimal point after n characters, unless it is there.
func dotted(c string, n int) string {
	if len(c) <= n || strings.Contains(c, ".") {
		return c
	}
	return c[:n] + "." + c[n:]
}

// procedures maps 837I HI procedures (ICD-10-PCS, ICD-9-CM volume 3) and
// 837P anesthesia HCPCS codes; BBR/BR/BP are the principal procedure.
func (c *conv) procedures(r *clpb.Claim, cl *claims.Claim) {
	for _, h := range cl.Procedures {
		sys := sysICD10PCS
		switch h.System {
		case claims.ICD9CM:
			sys = sysICD9CM
		case claims.HCPCS:
			sys = procedureSystem("HC", h.Code)
		case claims.ICD10PCS:
		default:
			sys = "urn:tributary:x12:1270:" + strings.ToLower(h.Qualifier)
		}
		p := &clpb.Claim_Procedure{
			Sequence:  posInt(len(r.Procedure) + 1),
			Procedure: &clpb.Claim_Procedure_ProcedureX{Choice: &clpb.Claim_Procedure_ProcedureX_CodeableConcept{CodeableConcept: concept(sys, h.Code, "")}},
			Date:      dateTime(h.Period.Start, c.loc),
		}
		switch h.Qualifier {
		case "BBR", "BR", "BP":
			p.Type = []*dtpb.CodeableConcept{concept(sysProcedureType, "primary", "")}
		case "BBQ", "BQ", "BO":
			p.Type = []*dtpb.CodeableConcept{concept(sysProcedureType, "secondary", "")}
		}
		r.Procedure = append(r.Procedure, p)
	}
}
