package fromx12

import (
	"net/url"
	"strings"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	cerqpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/coverage_eligibility_request_go_proto"
	cerspb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/coverage_eligibility_response_go_proto"

	"google.golang.org/protobuf/proto"

	"github.com/tributary-health/tributary/claims"
	"github.com/tributary-health/tributary/fhir"
)

// eligibility maps one subject of a 270 (CoverageEligibilityRequest) or
// 271 (CoverageEligibilityResponse). Both derive their ids from the
// subject's trace number (TRN02 with its originator TRN03), which the
// 271 echoes from the 270, so the response's request reference lands on
// the request's id. Patient and Coverage are referenced, not emitted.
func (c *conv) eligibility(e *claims.Eligibility, n int) error {
	payerID := e.Source.ID
	if payerID == "" {
		return missing("2100A", "NM1", 9)
	}
	subj := &e.Subscriber
	memberID := subj.Person.ID
	if memberID == "" {
		return missing("2100C", "NM1", 9)
	}
	memberKey := memberID
	if e.Dependent != nil {
		memberKey = dependentKey(memberID, &e.Dependent.Person)
		subj = e.Dependent
	}
	payer := c.payer(&e.Source, payerID)
	provider := c.provider(&e.Receiver)
	patRef := ref("Patient", c.patientID(payerID, memberKey))
	patID := c.patientID(payerID, memberKey)
	group := firstNonEmpty(refValue(e.Subscriber.Person.Refs, "6P"), refValue(e.Subscriber.Person.Refs, "1L"))
	covRef := ref("Coverage", c.coverageID(payerID, memberKey, group))

	// The trace: the subject's own, else the subscriber's, else the
	// transaction reference (BHT03) and the subject's position.
	sys, val := "", ""
	for _, tr := range append(append([]claims.Trace(nil), subj.Traces...), e.Subscriber.Traces...) {
		if tr.Number != "" {
			sys, val = "urn:tributary:x12:trace:"+url.PathEscape(tr.Originator), tr.Number
			break
		}
	}
	if val == "" {
		if e.Reference == "" {
			return missing("2000C", "TRN", 2)
		}
		sys, val = "urn:tributary:x12:eligibility:"+url.PathEscape(payerID), e.Reference+"|"+itoa(n)
	}
	created := dateTime(e.Created, c.loc)
	if created == nil {
		created = c.groupDate()
	}
	if created == nil {
		return missing("", "BHT", 4)
	}
	serviced := eligibilityPeriod(subj.Dates, c)
	reqID := fhir.ID("CoverageEligibilityRequest", sys, val)

	if e.SetID == "270" {
		r := &cerqpb.CoverageEligibilityRequest{
			Id:         id(reqID),
			Identifier: []*dtpb.Identifier{identifier(sys, val)},
			Status:     &cerqpb.CoverageEligibilityRequest_StatusCode{Value: cpb.FinancialResourceStatusCode_ACTIVE},
			Patient:    patRef,
			Created:    created,
			Provider:   provider,
			Insurer:    payer,
			Insurance:  []*cerqpb.CoverageEligibilityRequest_Insurance{{Focal: boolean(true), Coverage: covRef}},
		}
		if serviced != nil {
			r.Serviced = &cerqpb.CoverageEligibilityRequest_ServicedX{Choice: &cerqpb.CoverageEligibilityRequest_ServicedX_Period{Period: serviced}}
		}
		purpose := cpb.EligibilityRequestPurposeCode_VALIDATION
		for _, q := range subj.Inquiries {
			for _, st := range q.ServiceTypes {
				r.Item = append(r.Item, &cerqpb.CoverageEligibilityRequest_Details{Category: concept(sysServiceType, st, ""), ProductOrService: productOrService(q.Procedure), Modifier: modifiers(q.Procedure)})
			}
			if len(q.ServiceTypes) == 0 && !q.Procedure.IsZero() {
				r.Item = append(r.Item, &cerqpb.CoverageEligibilityRequest_Details{ProductOrService: productOrService(q.Procedure), Modifier: modifiers(q.Procedure)})
			}
		}
		if len(r.Item) > 0 {
			// Asking about service types is asking for benefits; a 270
			// without EQ only validates the coverage.
			purpose = cpb.EligibilityRequestPurposeCode_BENEFITS
		}
		r.Purpose = []*cerqpb.CoverageEligibilityRequest_PurposeCode{{Value: purpose}}
		c.add(r, patID)
		return nil
	}

	r := &cerspb.CoverageEligibilityResponse{
		Id:         id(fhir.ID("CoverageEligibilityResponse", sys, val)),
		Identifier: []*dtpb.Identifier{identifier(sys, val)},
		Status:     &cerspb.CoverageEligibilityResponse_StatusCode{Value: cpb.FinancialResourceStatusCode_ACTIVE},
		Purpose:    []*cerspb.CoverageEligibilityResponse_PurposeCode{{Value: cpb.EligibilityResponsePurposeCode_BENEFITS}},
		Patient:    patRef,
		Created:    created,
		Requestor:  provider,
		Request:    ref("CoverageEligibilityRequest", reqID),
		Outcome:    &cerspb.CoverageEligibilityResponse_OutcomeCode{Value: cpb.ClaimProcessingCode_COMPLETE},
		Insurer:    payer,
	}
	if serviced != nil {
		r.Serviced = &cerspb.CoverageEligibilityResponse_ServicedX{Choice: &cerspb.CoverageEligibilityResponse_ServicedX_Period{Period: serviced}}
	}
	var errs []claims.Validation
	errs = append(append(append(append(errs, e.SourceErrors...), e.ReceiverErrors...), e.Subscriber.Errors...), depErrors(e)...)
	for _, v := range errs {
		if v.Reason != "" {
			r.Error = append(r.Error, &cerspb.CoverageEligibilityResponse_Errors{Code: concept(sysRejectReason, v.Reason, "")})
		}
	}
	if len(r.Error) > 0 {
		r.Outcome.Value = cpb.ClaimProcessingCode_ERROR
	}
	ins := &cerspb.CoverageEligibilityResponse_Insurance{Coverage: covRef, BenefitPeriod: serviced}
	for i := range subj.Benefits {
		b := &subj.Benefits[i]
		switch b.Information {
		case "1", "2", "3", "4", "5":
			ins.Inforce = boolean(true)
		case "6", "7", "8":
			ins.Inforce = boolean(false)
		}
		types := b.ServiceTypes
		if len(types) == 0 {
			types = []string{""}
		}
		for _, st := range types {
			if it := benefitItem(b, st); !proto.Equal(it, &cerspb.CoverageEligibilityResponse_Insurance_Items{}) {
				ins.Item = append(ins.Item, it)
			}
		}
	}
	r.Insurance = []*cerspb.CoverageEligibilityResponse_Insurance{ins}
	c.add(r, patID)
	return nil
}

func depErrors(e *claims.Eligibility) []claims.Validation {
	if e.Dependent == nil {
		return nil
	}
	return e.Dependent.Errors
}

// benefitItem maps one EB for one service type (EB03 repeats).
func benefitItem(b *claims.Benefit, serviceType string) *cerspb.CoverageEligibilityResponse_Insurance_Items {
	it := &cerspb.CoverageEligibilityResponse_Insurance_Items{
		Category:         concept(sysServiceType, serviceType, ""),
		ProductOrService: productOrService(b.Procedure),
		Modifier:         modifiers(b.Procedure),
		Name:             str(strings.TrimSpace(b.Plan)),
	}
	if b.Information == "I" {
		it.Excluded = boolean(true) // non-covered
	}
	switch b.InNetwork {
	case "Y":
		it.Network = concept(sysBenefitNetwork, "in", "")
	case "N":
		it.Network = concept(sysBenefitNetwork, "out", "")
	}
	if u, ok := benefitUnits.lookup(b.CoverageLevel); ok {
		it.Unit = concept(sysBenefitUnit, u, "")
	}
	if t, ok := benefitTerms.lookup(b.TimePeriod); ok {
		it.Term = concept(sysBenefitTerm, t, "")
	}
	switch b.AuthorizationRequired {
	case "Y":
		it.AuthorizationRequired = boolean(true)
	case "N":
		it.AuthorizationRequired = boolean(false)
	}
	if len(b.Messages) > 0 {
		it.Description = str(strings.Join(b.Messages, "\n"))
	}
	typ := concept(sysEligibilityInfo, b.Information, "")
	if t, ok := benefitTypes.lookup(b.Information); ok {
		typ = concept(sysBenefitType, t, "")
	}
	if b.Amount != nil {
		it.Benefit = append(it.Benefit, &cerspb.CoverageEligibilityResponse_Insurance_Items_Benefit{Type: typ,
			Allowed: &cerspb.CoverageEligibilityResponse_Insurance_Items_Benefit_AllowedX{Choice: &cerspb.CoverageEligibilityResponse_Insurance_Items_Benefit_AllowedX_Money{Money: money(*b.Amount, "USD")}}})
	}
	if b.Percent != nil {
		// EB08 is a fraction (.20); FHIR's copay-percent is a percentage:
		// shift the decimal point two places, exactly.
		pct := percent(*b.Percent)
		it.Benefit = append(it.Benefit, &cerspb.CoverageEligibilityResponse_Insurance_Items_Benefit{Type: typ,
			Allowed: &cerspb.CoverageEligibilityResponse_Insurance_Items_Benefit_AllowedX{Choice: &cerspb.CoverageEligibilityResponse_Insurance_Items_Benefit_AllowedX_StringValue{StringValue: str(pct)}}})
	}
	if b.Quantity != nil {
		if n, ok := b.Quantity.Int(); ok && n >= 0 && n <= 1<<31 {
			it.Benefit = append(it.Benefit, &cerspb.CoverageEligibilityResponse_Insurance_Items_Benefit{Type: concept(sysBenefitType, "visit", ""),
				Allowed: &cerspb.CoverageEligibilityResponse_Insurance_Items_Benefit_AllowedX{Choice: &cerspb.CoverageEligibilityResponse_Insurance_Items_Benefit_AllowedX_UnsignedInt{UnsignedInt: &dtpb.UnsignedInt{Value: uint32(n)}}}})
		}
	}
	return it
}

// percent turns a fraction into a percentage string without a float.
func percent(d claims.Decimal) string {
	if d.Scale >= 2 {
		d.Scale -= 2
	} else {
		for d.Scale < 2 {
			d.Units *= 10
			d.Scale++
		}
		d.Scale = 0
	}
	return d.String()
}

// eligibilityPeriod is the plan or eligibility date or range (DTP*291,
// 307, 346-347).
func eligibilityPeriod(ds []claims.DateRef, c *conv) *dtpb.Period {
	var p claims.Period
	for _, d := range ds {
		switch d.Qualifier {
		case "291", "307", "472":
			if p.IsZero() {
				p = d.Period
			}
		case "346":
			p.Start = d.Period.Start
		case "347":
			p.End = d.Period.Start
		}
	}
	return period(p, c.loc)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
