package fromx12

import (
	"strings"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	crpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/claim_response_go_proto"
	eobpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/explanation_of_benefit_go_proto"
	prcpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/payment_reconciliation_go_proto"

	"github.com/tributary-health/tributary/claims"
	"github.com/tributary-health/tributary/fhir"
)

// EOBID is the id of the ExplanationOfBenefit of a claim payment: from
// the payer id and the payer's claim control number (CLP07), as
// DESIGN.md says. The ClaimResponse of the same claim payment has the
// same derivation with type ClaimResponse.
func EOBID(payerID, payerClaimControl string) string {
	return fhir.ID("ExplanationOfBenefit", payerClaimSystem(payerID), payerClaimControl)
}

// eobKind is which CARIN profile an 835 claim payment follows.
type eobKind struct {
	typ, subType, profile string
}

var (
	kindProfessional = eobKind{"professional", "", profileProfessional}
	kindInpatient    = eobKind{"institutional", "inpatient", profileInpatient}
	kindOutpatient   = eobKind{"institutional", "outpatient", profileOutpatient}
	kindOral         = eobKind{"oral", "", profileOral}
)

// classify picks the CARIN profile. CLP08 alone cannot: a professional
// claim's place of service and an institutional claim's facility type
// are both two digits. A dental code (SVC01 AD) makes it oral; MIA
// (inpatient adjudication), a DRG (CLP11) or a revenue code on any line
// (SVC04, SVC01 NU), Medicare Part A (CLP06 MA) or a provider summary
// (TS3/TS2, sent for facility claims only) in the claim's 2000 header
// loop make it institutional,
// inpatient when MIA or a DRG is there or the type of bill
// classification (CLP08's second digit) is 1 or 2 for a hospital,
// skilled nursing or religious facility (first digit 1, 2 or 4), else
// outpatient. Anything else is professional.
func classify(p *claims.ClaimPayment, facilitySummary bool) eobKind {
	inst := p.Inpatient != nil || p.DRG != "" || p.FilingIndicator == "MA" || facilitySummary
	for _, l := range p.Lines {
		switch {
		case l.Procedure.Qualifier == "AD":
			return kindOral
		case l.RevenueCode != "" || l.Procedure.Qualifier == "NU":
			inst = true
		}
	}
	if !inst {
		return kindProfessional
	}
	if p.Inpatient != nil || p.DRG != "" {
		return kindInpatient
	}
	if f := p.FacilityType; len(f) == 2 && strings.ContainsRune("124", rune(f[0])) && (f[1] == '1' || f[1] == '2') {
		return kindInpatient
	}
	return kindOutpatient
}

// claimPayment maps one 835 claim payment (2100) to an
// ExplanationOfBenefit following the CARIN Blue Button profile its kind
// calls for, and a ClaimResponse. Patient and Coverage are referenced
// by their derived ids but not emitted: the 835 names the patient
// without demographics, and an upsert of that Patient would erase what
// the 834 and 837 said.
func (c *conv) claimPayment(rem *claims.Remittance, p *claims.ClaimPayment) error {
	payerID := remittancePayer(rem)
	if payerID == "" {
		return missing("1000A", "N1", 4)
	}
	currency := "USD"
	if rem.Currency != "" {
		currency = rem.Currency
	}
	ctl := p.PayerControlNumber
	if ctl == "" {
		return missing("2100", "CLP", 7)
	}
	payer := c.payer(&rem.Payer, payerID)
	payee := c.provider(&rem.Payee)
	if payee == nil {
		return missing("1000B", "N1", 4)
	}

	// The patient: the insured's member id, with the patient named as a
	// dependent when NM1*IL is there (the insured is someone else).
	var patID, memberKey, subscriberID string
	if p.Insured != nil && p.Insured.ID != "" {
		subscriberID = p.Insured.ID
		memberKey = dependentKey(subscriberID, &p.Patient)
	} else {
		subscriberID = p.Patient.ID
		memberKey = subscriberID
	}
	if memberKey == "" {
		return missing("2100", "NM1", 9)
	}
	patID = c.patientID(payerID, memberKey)
	patRef := ref("Patient", patID)
	group := refValue(p.Refs, "1L")
	covRef := ref("Coverage", c.coverageID(payerID, memberKey, group))

	kind := classify(p, c.facilityHeader(p.HeaderNumber))
	created := dateTime(rem.ProductionDate, c.loc)
	if created == nil {
		created = dateTime(rem.PaymentDate, c.loc)
	}
	if created == nil {
		created = c.groupDate()
	}
	if created == nil {
		return missing("", "BPR", 16)
	}
	bp := eobBillablePeriod(p, c)
	ident := identifier(payerClaimSystem(payerID), ctl)
	ident.Type = concept(sysC4BBIdentifierType, "uc", "Unique Claim ID")

	e := &eobpb.ExplanationOfBenefit{
		Id:             id(EOBID(payerID, ctl)),
		Meta:           &dtpb.Meta{Profile: []*dtpb.Canonical{{Value: kind.profile}}},
		Identifier:     []*dtpb.Identifier{ident},
		Status:         &eobpb.ExplanationOfBenefit_StatusCode{Value: cpb.ExplanationOfBenefitStatusCode_ACTIVE},
		Type:           concept(sysClaimType, kind.typ, ""),
		Use:            &eobpb.ExplanationOfBenefit_UseCode{Value: cpb.UseCode_CLAIM},
		Patient:        patRef,
		BillablePeriod: bp,
		Created:        created,
		Insurer:        payer,
		Provider:       payee,
		Payee:          &eobpb.ExplanationOfBenefit_Payee{Type: concept(sysC4BBPayeeType, "provider", ""), Party: payee},
		Outcome:        &eobpb.ExplanationOfBenefit_OutcomeCode{Value: outcome(p.Status)},
		Insurance:      []*eobpb.ExplanationOfBenefit_Insurance{{Focal: boolean(true), Coverage: covRef}},
	}
	if kind.subType != "" {
		e.SubType = concept(sysC4BBInstSubType, kind.subType, "")
	}
	crID := fhir.ID("ClaimResponse", payerClaimSystem(payerID), ctl)
	e.ClaimResponse = ref("ClaimResponse", crID)
	var claimRef *dtpb.Reference
	if sub, ok := c.m.cfg.Submitters[rem.Payee.ID]; ok && sub != "" && p.PatientControlNumber != "" {
		claimRef = ref("Claim", ClaimID(sub, p.PatientControlNumber))
		e.Claim = claimRef
	}
	if orig := refValue(p.Refs, "F8"); orig != "" && (p.Frequency == "7" || p.Frequency == "8") {
		e.Related = []*eobpb.ExplanationOfBenefit_RelatedClaim{{
			Relationship: concept(sysRelatedClaim, "prior", ""),
			Reference:    identifier(payerClaimSystem(payerID), orig),
		}}
	}
	if p.Rendering != nil {
		if r := c.provider(p.Rendering); r != nil {
			e.CareTeam = []*eobpb.ExplanationOfBenefit_CareTeam{{Sequence: posInt(1), Provider: r, Role: concept(sysC4BBCareTeamRole, "rendering", "")}}
		}
	}

	info := func(cat string, fill func(*eobpb.ExplanationOfBenefit_SupportingInformation)) {
		si := &eobpb.ExplanationOfBenefit_SupportingInformation{Sequence: posInt(len(e.SupportingInfo) + 1), Category: concept(sysC4BBInfoType, cat, "")}
		fill(si)
		e.SupportingInfo = append(e.SupportingInfo, si)
	}
	if p.Received.HasDate() {
		info("clmrecvddate", func(si *eobpb.ExplanationOfBenefit_SupportingInformation) {
			si.Timing = &eobpb.ExplanationOfBenefit_SupportingInformation_TimingX{Choice: &eobpb.ExplanationOfBenefit_SupportingInformation_TimingX_Date{Date: date(p.Received)}}
		})
	}
	if p.PatientControlNumber != "" {
		info("patientaccountnumber", func(si *eobpb.ExplanationOfBenefit_SupportingInformation) {
			si.Value = &eobpb.ExplanationOfBenefit_SupportingInformation_ValueX{Choice: &eobpb.ExplanationOfBenefit_SupportingInformation_ValueX_StringValue{StringValue: str(p.PatientControlNumber)}}
		})
	}
	if mrn := refValue(p.Refs, "EA"); mrn != "" {
		info("medicalrecordnumber", func(si *eobpb.ExplanationOfBenefit_SupportingInformation) {
			si.Value = &eobpb.ExplanationOfBenefit_SupportingInformation_ValueX{Choice: &eobpb.ExplanationOfBenefit_SupportingInformation_ValueX_StringValue{StringValue: str(mrn)}}
		})
	}
	if kind.typ == "institutional" && p.FacilityType != "" {
		tob := "0" + p.FacilityType + p.Frequency
		info("typeofbill", func(si *eobpb.ExplanationOfBenefit_SupportingInformation) { si.Code = concept(sysTypeOfBill, tob, "") })
	}
	if p.DRG != "" {
		info("drg", func(si *eobpb.ExplanationOfBenefit_SupportingInformation) { si.Code = concept(sysDRG, p.DRG, "") })
	}

	// Lines. A professional line with no place of its own takes CLP08,
	// and one with no date the claim's statement period: CARIN requires
	// both on every item.
	var pos *dtpb.CodeableConcept
	if kind == kindProfessional || kind == kindOral {
		pos = concept(sysPOS, p.FacilityType, "")
	}
	cr := &crpb.ClaimResponse{
		Id:         id(crID),
		Identifier: []*dtpb.Identifier{identifier(payerClaimSystem(payerID), ctl)},
		Status:     &crpb.ClaimResponse_StatusCode{Value: cpb.FinancialResourceStatusCode_ACTIVE},
		Type:       concept(sysClaimType, kind.typ, ""),
		SubType:    e.SubType,
		Use:        &crpb.ClaimResponse_UseCode{Value: cpb.UseCode_CLAIM},
		Patient:    patRef,
		Created:    created,
		Insurer:    payer,
		Requestor:  payee,
		Request:    claimRef,
		Outcome:    &crpb.ClaimResponse_OutcomeCode{Value: outcome(p.Status)},
		PayeeType:  concept(sysPayeeType, "provider", ""),
		Insurance:  []*crpb.ClaimResponse_Insurance{{Sequence: posInt(1), Focal: boolean(true), Coverage: covRef}},
	}
	for i := range p.Lines {
		l := &p.Lines[i]
		it := &eobpb.ExplanationOfBenefit_Item{Sequence: posInt(i + 1)}
		if l.RevenueCode != "" {
			it.Revenue = concept(sysRevenue, l.RevenueCode, "")
		}
		switch l.Procedure.Qualifier {
		case "NU":
			if it.Revenue == nil {
				it.Revenue = concept(sysRevenue, l.Procedure.Code, "")
			}
		default:
			it.ProductOrService = productOrService(l.Procedure)
			it.Modifier = modifiers(l.Procedure)
		}
		if it.ProductOrService == nil {
			it.ProductOrService = concept(sysDataAbsent, "not-applicable", "")
		}
		sd := l.ServiceDate
		if sd.IsZero() {
			sd = p.StatementPeriod
		}
		switch {
		case sd.IsZero():
		case sd.Single() || sd.End.IsZero():
			it.Serviced = &eobpb.ExplanationOfBenefit_Item_ServicedX{Choice: &eobpb.ExplanationOfBenefit_Item_ServicedX_Date{Date: date(sd.Start)}}
		default:
			it.Serviced = &eobpb.ExplanationOfBenefit_Item_ServicedX{Choice: &eobpb.ExplanationOfBenefit_Item_ServicedX_Period{Period: period(sd, c.loc)}}
		}
		if pos != nil {
			it.Location = &eobpb.ExplanationOfBenefit_Item_LocationX{Choice: &eobpb.ExplanationOfBenefit_Item_LocationX_CodeableConcept{CodeableConcept: pos}}
		}
		units := claims.Decimal{Units: 1}
		if l.Units != nil {
			units = *l.Units
		}
		it.Quantity = &dtpb.SimpleQuantity{Value: decimal(units)}
		it.Net = money(l.Charge, currency)
		adj := []*eobpb.ExplanationOfBenefit_Item_Adjudication{amountAdj(sysAdjudication, "submitted", l.Charge, currency)}
		if a := l.Allowed(); a != nil {
			adj = append(adj, amountAdj(sysAdjudication, "eligible", *a, currency))
		}
		adj = append(adj, amountAdj(sysAdjudication, "benefit", l.Paid, currency))
		adj = append(adj, casAdjudications(l.Adjustments, currency)...)
		for _, rm := range l.Remarks {
			if rm.Code != "" {
				adj = append(adj, remarkAdj(rm.Code))
			}
		}
		it.Adjudication = adj
		e.Item = append(e.Item, it)
		cr.Item = append(cr.Item, &crpb.ClaimResponse_Item{ItemSequence: posInt(i + 1), Adjudication: toCRAdjudications(adj)})
	}

	// Claim level: CAS and remark codes, totals and the payment.
	e.Adjudication = casAdjudications(p.Adjustments, currency)
	var remarks []string
	if p.Inpatient != nil {
		remarks = p.Inpatient.RemarkCodes
	}
	if p.Outpatient != nil {
		remarks = append(remarks, p.Outpatient.RemarkCodes...)
	}
	for _, rm := range remarks {
		e.Adjudication = append(e.Adjudication, remarkAdj(rm))
	}
	e.Total = []*eobpb.ExplanationOfBenefit_Total{
		{Category: concept(sysAdjudication, "submitted", ""), Amount: money(p.Charge, currency)},
		{Category: concept(sysAdjudication, "benefit", ""), Amount: money(p.Paid, currency)},
	}
	if a := p.CoverageAmount(); a != nil {
		e.Total = append(e.Total, &eobpb.ExplanationOfBenefit_Total{Category: concept(sysAdjudication, "eligible", ""), Amount: money(*a, currency)})
	}
	if p.PatientResponsibility != nil {
		e.Total = append(e.Total, &eobpb.ExplanationOfBenefit_Total{Category: concept(sysC4BBAdjudication, "memberliability", ""), Amount: money(*p.PatientResponsibility, currency)})
	}
	status := "paid"
	if p.Status == "4" {
		status = "denied"
	}
	e.Payment = &eobpb.ExplanationOfBenefit_Payment{
		Type:   concept(sysC4BBPaymentStatus, status, ""),
		Date:   date(rem.PaymentDate),
		Amount: money(p.Paid, currency),
	}
	if rem.TraceNumber != "" {
		e.Payment.Identifier = identifier(payerClaimSystem(payerID)+":payment", rem.TraceNumber)
	}
	cr.Adjudication = toCRAdjudications(e.Adjudication)
	for _, t := range e.Total {
		cr.Total = append(cr.Total, &crpb.ClaimResponse_Total{Category: t.Category, Amount: t.Amount})
	}
	if rem.PaymentDate.HasDate() {
		cr.Payment = &crpb.ClaimResponse_Payment{
			Type:       concept(sysPaymentType, "complete", ""),
			Date:       date(rem.PaymentDate),
			Amount:     money(p.Paid, currency),
			Identifier: e.Payment.Identifier,
		}
	}
	c.add(e, patID)
	c.add(cr, patID)
	return nil
}

// outcome maps CLP02: 23 (not our claim, forwarded) is an error; every
// other status is the payer's complete adjudication, a denial included.
func outcome(status string) cpb.ClaimProcessingCode_Value {
	if status == "23" {
		return cpb.ClaimProcessingCode_ERROR
	}
	return cpb.ClaimProcessingCode_COMPLETE
}

// eobBillablePeriod is the statement period (DTM*232/233), else the span
// of the line dates, else the received date: CARIN requires a start.
func eobBillablePeriod(p *claims.ClaimPayment, c *conv) *dtpb.Period {
	if !p.StatementPeriod.IsZero() {
		sp := p.StatementPeriod
		if sp.Start.IsZero() {
			sp.Start = sp.End
		}
		return period(sp, c.loc)
	}
	var lo, hi claims.Date
	for _, l := range p.Lines {
		s, e := l.ServiceDate.Start, l.ServiceDate.End
		if s.IsZero() {
			s = e
		}
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
	if lo.IsZero() {
		lo = p.Received
	}
	return period(claims.Period{Start: lo, End: hi}, c.loc)
}

func amountAdj(system, cat string, m claims.Money, currency string) *eobpb.ExplanationOfBenefit_Item_Adjudication {
	return &eobpb.ExplanationOfBenefit_Item_Adjudication{Category: concept(system, cat, ""), Amount: money(m, currency)}
}

// casAdjudications maps CAS triplets: the amount type from the group and
// reason (adjustmentCategories), the CARC as the reason, the group code
// in an extension (FHIR has no element for it).
func casAdjudications(as []claims.Adjustment, currency string) []*eobpb.ExplanationOfBenefit_Item_Adjudication {
	var out []*eobpb.ExplanationOfBenefit_Item_Adjudication
	for _, a := range as {
		sys, cat := adjustmentCategory(a.Group, a.Reason)
		ad := &eobpb.ExplanationOfBenefit_Item_Adjudication{
			Category: concept(sys, cat, ""),
			Reason:   concept(sysCARC, a.Reason, ""),
			Amount:   money(a.Amount, currency),
		}
		if a.Quantity != nil {
			ad.Value = decimal(*a.Quantity)
		}
		if a.Group != "" {
			ad.Extension = []*dtpb.Extension{{Url: uri(extCASGroup),
				Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_Coding{Coding: coding(sysCASGroup, a.Group, "")}}}}
		}
		out = append(out, ad)
	}
	return out
}

// remarkAdj is a remittance advice remark code (LQ*HE, MIA, MOA) as a
// CARIN adjustment reason.
func remarkAdj(rarc string) *eobpb.ExplanationOfBenefit_Item_Adjudication {
	return &eobpb.ExplanationOfBenefit_Item_Adjudication{
		Category: concept(sysC4BBDiscriminator, "adjustmentreason", ""),
		Reason:   concept(sysRARC, rarc, ""),
	}
}

func toCRAdjudications(in []*eobpb.ExplanationOfBenefit_Item_Adjudication) []*crpb.ClaimResponse_Item_Adjudication {
	out := make([]*crpb.ClaimResponse_Item_Adjudication, 0, len(in))
	for _, a := range in {
		out = append(out, &crpb.ClaimResponse_Item_Adjudication{Extension: a.Extension, Category: a.Category, Reason: a.Reason, Amount: a.Amount, Value: a.Value})
	}
	return out
}

func refValue(refs []claims.Ref, q string) string {
	for _, r := range refs {
		if r.Qualifier == q {
			return r.Value
		}
	}
	return ""
}

// remittance maps the 835 header to a PaymentReconciliation: the payment
// (BPR, TRN) and the provider-level adjustments (PLB), which belong to
// no claim. Its id derives from the payer and the trace number (TRN02,
// the check or EFT number).
func (c *conv) remittance(rem *claims.Remittance) error {
	payerID := remittancePayer(rem)
	if payerID == "" {
		return missing("1000A", "N1", 4)
	}
	trace := rem.TraceNumber
	if trace == "" {
		return missing("", "TRN", 2)
	}
	currency := "USD"
	if rem.Currency != "" {
		currency = rem.Currency
	}
	created := dateTime(rem.ProductionDate, c.loc)
	if created == nil {
		created = dateTime(rem.PaymentDate, c.loc)
	}
	if created == nil {
		created = c.groupDate()
	}
	pd := date(rem.PaymentDate)
	if pd == nil && created != nil {
		pd = &dtpb.Date{ValueUs: created.ValueUs, Timezone: created.Timezone, Precision: dtpb.Date_DAY}
	}
	if pd == nil {
		return missing("", "BPR", 16)
	}
	payer := c.payer(&rem.Payer, payerID)
	amount := rem.PaymentAmount
	if rem.CreditDebit == "D" {
		amount = -amount
	}
	pr := &prcpb.PaymentReconciliation{
		Id:                id(fhir.ID("PaymentReconciliation", payerClaimSystem(payerID)+":payment", trace)),
		Identifier:        []*dtpb.Identifier{identifier(payerClaimSystem(payerID)+":payment", trace)},
		Status:            &prcpb.PaymentReconciliation_StatusCode{Value: cpb.FinancialResourceStatusCode_ACTIVE},
		Created:           created,
		PaymentIssuer:     payer,
		Requestor:         c.provider(&rem.Payee),
		Outcome:           &prcpb.PaymentReconciliation_OutcomeCode{Value: cpb.ClaimProcessingCode_COMPLETE},
		PaymentDate:       pd,
		PaymentAmount:     money(amount, currency),
		PaymentIdentifier: identifier(payerClaimSystem(payerID)+":payment", trace),
	}
	for _, a := range rem.ProviderAdjustments {
		for _, it := range a.Items {
			// A positive PLB amount decreases the payment. The detail type
			// binding is an example one: the PLB reason code says more
			// than "adjustment".
			d := &prcpb.PaymentReconciliation_Details{
				Type:   concept(sysPLBReason, it.Reason, ""),
				Amount: money(-it.Amount, currency),
				Date:   date(a.FiscalPeriodEnd),
			}
			if d.Type == nil {
				d.Type = concept(sysPaymentKind, "adjustment", "")
			}
			if it.Reference != "" {
				d.Identifier = identifier(payerClaimSystem(payerID)+":plb-reference", it.Reference)
			}
			if a.Provider != "" {
				d.Payee = c.providerByID(a.Provider)
			}
			pr.Detail = append(pr.Detail, d)
		}
	}
	c.add(pr, "")
	return nil
}

// remittancePayer is the payer id of an 835: REF*2U or N1-04 of 1000A,
// else TRN03, which the guide defines as the payer's identifier (1 and
// its tax id) and every 835 carries.
func remittancePayer(rem *claims.Remittance) string {
	if id := rem.PayerID(); id != "" {
		return id
	}
	return rem.OriginatorID
}

// facilityHeader reports whether the 2000 header loop numbered lx holds
// a provider summary (TS3 or TS2), which the 835 guide uses only for
// facility (institutional) claims.
func (c *conv) facilityHeader(lx string) bool {
	if c.facility == nil {
		c.facility = map[string]bool{}
		for _, h := range c.tx.Root.ChildrenOf("2000") {
			_, ts3 := h.Segment("TS3", "")
			_, ts2 := h.Segment("TS2", "")
			if ts3 || ts2 {
				if s, ok := h.Segment("LX", ""); ok {
					c.facility[s.Value(1)] = true
				}
			}
		}
	}
	return c.facility[lx]
}
