package x12

// The 837 guides: Professional (005010X222A1), Institutional
// (005010X223A2) and Dental (005010X224A2). They share their header and
// HL levels and differ in the claim (2300) and service line (2400) loops
// and in the provider loops' qualifiers. Segments used with many
// qualifiers in one place (DTP, REF, AMT in 2300/2400) are listed once,
// without a qualifier and with no maximum, after the required uses (DTP*472
// in the 837P's 2400, DTP*434 in the 837I's 2300): the guide's own counts
// per qualifier are not checked there.

// Guides for the 837s.
var (
	Guide837P = register("837", "005010X222A1", "Health Care Claim: Professional", header837(), hl837(claim837P()))
	Guide837I = register("837", "005010X223A2", "Health Care Claim: Institutional", header837(), hl837(claim837I()))
	Guide837D = register("837", "005010X224A2", "Health Care Claim: Dental", header837(), hl837(claim837D()))
)

// header837 returns the submitter and receiver loops after BHT.
func header837() []any {
	return []any{
		seg("BHT", req, 1),
		loop("1000A", "Submitter Name", req, 1,
			seg("NM1*41", req, 1),
			seg("PER*IC", req, 2)),
		loop("1000B", "Receiver Name", req, 1,
			seg("NM1*40", req, 1)),
	}
}

// hl837 returns the billing provider (2000A), subscriber (2000B) and
// patient (2000C) levels, with the claim loop under 2000B and 2000C.
func hl837(claim func() *LoopRule) *LoopRule {
	patient := loop("2000C", "Patient Hierarchical Level", sit, 0,
		seg("HL***23", req, 1),
		seg("PAT", req, 1),
		loop("2010CA", "Patient Name", req, 1,
			seg("NM1*QC", req, 1),
			seg("N3", req, 1),
			seg("N4", req, 1),
			seg("DMG", req, 1),
			seg("REF*Y4|1W|SY", sit, 2),
			seg("PER*IC", sit, 1)),
		claim())
	subscriber := loop("2000B", "Subscriber Hierarchical Level", req, 0,
		seg("HL***22", req, 1),
		seg("SBR", req, 1),
		seg("PAT", sit, 1),
		loop("2010BA", "Subscriber Name", req, 1,
			seg("NM1*IL", req, 1),
			seg("N3", sit, 1),
			seg("N4", sit, 1),
			seg("DMG", sit, 1),
			seg("REF*SY|Y4", sit, 2),
			seg("PER*IC", sit, 1)),
		loop("2010BB", "Payer Name", req, 1,
			seg("NM1*PR", req, 1),
			seg("N3", sit, 1),
			seg("N4", sit, 1),
			seg("REF*2U|EI|FY|NF|G2|LU", sit, 5)),
		claim(),
		patient)
	return loop("2000A", "Billing Provider Hierarchical Level", req, 0,
		seg("HL***20", req, 1),
		seg("PRV*BI", sit, 1),
		seg("CUR*85", sit, 1),
		loop("2010AA", "Billing Provider Name", req, 1,
			seg("NM1*85", req, 1),
			seg("N3", req, 1),
			seg("N4", req, 1),
			seg("REF*EI|SY", req, 1),
			seg("REF*0B|1G|LU", sit, 2),
			seg("PER*IC", sit, 2)),
		loop("2010AB", "Pay-to Address Name", sit, 1,
			seg("NM1*87", req, 1),
			seg("N3", req, 1),
			seg("N4", req, 1)),
		loop("2010AC", "Pay-to Plan Name", sit, 1,
			seg("NM1*PE", req, 1),
			seg("N3", req, 1),
			seg("N4", req, 1),
			seg("REF*2U|FY|NF", sit, 1),
			seg("REF*EI", req, 1)),
		subscriber)
}

// otherSubscriber returns loop 2320 with the other payer's loops; each
// provider is an NM1 qualifier and its loop id, in the guide's order.
func otherSubscriber(providers ...string) *LoopRule {
	members := []any{
		seg("SBR", req, 1),
		seg("CAS", sit, 5),
		seg("AMT*D|A8|EAF", sit, 3),
		seg("OI", req, 1),
		seg("MIA", sit, 1),
		seg("MOA", sit, 1),
		loop("2330A", "Other Subscriber Name", req, 1,
			seg("NM1*IL", req, 1),
			seg("N3", sit, 1),
			seg("N4", sit, 1),
			seg("REF*SY", sit, 1)),
		loop("2330B", "Other Payer Name", req, 1,
			seg("NM1*PR", req, 1),
			seg("N3", sit, 1),
			seg("N4", sit, 1),
			seg("DTP*573", sit, 1),
			seg("REF", sit, 0)),
	}
	for i := 0; i+1 < len(providers); i += 2 {
		members = append(members, loop(providers[i+1], "Other Payer Provider", sit, 2,
			seg("NM1*"+providers[i], req, 1),
			seg("REF", req, 3)))
	}
	return loop("2320", "Other Subscriber Information", sit, 10, members...)
}

// lineAdjudication returns loop 2430.
func lineAdjudication() *LoopRule {
	return loop("2430", "Line Adjudication Information", sit, 15,
		seg("SVD", req, 1),
		seg("CAS", sit, 5),
		seg("DTP*573", req, 1),
		seg("AMT*EAF", sit, 1))
}

// drug returns loop 2410.
func drug() *LoopRule {
	return loop("2410", "Drug Identification", sit, 1,
		seg("LIN", req, 1),
		seg("CTP", req, 1),
		seg("REF*XZ|VY", sit, 1))
}

// provider returns a name loop with secondary identification.
func provider(id, name, nm1 string, max int, extra ...*SegmentRule) *LoopRule {
	members := []any{seg("NM1*"+nm1, req, 1)}
	for _, e := range extra {
		members = append(members, e)
	}
	members = append(members, seg("REF", sit, 20))
	return loop(id, name, sit, max, members...)
}

// place returns a name loop with a required address.
func place(id, name, nm1 string) *LoopRule {
	return loop(id, name, sit, 1,
		seg("NM1*"+nm1, req, 1),
		seg("N3", req, 1),
		seg("N4", req, 1),
		seg("REF", sit, 3),
		seg("PER", sit, 1))
}

func claim837P() func() *LoopRule {
	return func() *LoopRule {
		return loop("2300", "Claim Information", sit, 100,
			seg("CLM", req, 1),
			seg("DTP", sit, 0),
			seg("PWK", sit, 10),
			seg("CN1", sit, 1),
			seg("AMT*F5|MA|NE", sit, 1),
			seg("REF", sit, 0),
			seg("K3", sit, 10),
			seg("NTE", sit, 1),
			seg("CR1", sit, 1),
			seg("CR2", sit, 1),
			seg("CRC", sit, 8),
			seg("HI", req, 4),
			seg("HCP", sit, 1),
			provider("2310A", "Referring Provider Name", "DN|P3", 2),
			provider("2310B", "Rendering Provider Name", "82", 1, seg("PRV*PE", sit, 1)),
			place("2310C", "Service Facility Location Name", "77"),
			provider("2310D", "Supervising Provider Name", "DQ", 1),
			place("2310E", "Ambulance Pick-up Location", "PW"),
			place("2310F", "Ambulance Drop-off Location", "45"),
			otherSubscriber("DN|P3", "2330C", "82", "2330D", "77", "2330E", "DQ", "2330F", "85", "2330G"),
			loop("2400", "Service Line Number", req, 50,
				seg("LX", req, 1),
				seg("SV1", req, 1),
				seg("SV5", sit, 1),
				seg("PWK", sit, 11),
				seg("CR1", sit, 1),
				seg("CR3", sit, 1),
				seg("CRC", sit, 5),
				seg("DTP*472", req, 1),
				seg("DTP", sit, 0),
				seg("QTY*PT|FL", sit, 2),
				seg("MEA", sit, 20),
				seg("CN1", sit, 1),
				seg("REF", sit, 0),
				seg("AMT*T|F4", sit, 2),
				seg("K3", sit, 10),
				seg("NTE*ADD|DCP|TPO", sit, 2),
				seg("PS1", sit, 1),
				seg("HCP", sit, 1),
				drug(),
				provider("2420A", "Rendering Provider Name", "82", 1, seg("PRV*PE", sit, 1)),
				provider("2420B", "Purchased Service Provider Name", "QB", 1),
				place("2420C", "Service Facility Location Name", "77"),
				provider("2420D", "Supervising Provider Name", "DQ", 1),
				loop("2420E", "Ordering Provider Name", sit, 1,
					seg("NM1*DK", req, 1),
					seg("N3", sit, 1),
					seg("N4", sit, 1),
					seg("REF", sit, 20),
					seg("PER*IC", sit, 1)),
				provider("2420F", "Referring Provider Name", "DN|P3", 2),
				place("2420G", "Ambulance Pick-up Location", "PW"),
				place("2420H", "Ambulance Drop-off Location", "45"),
				lineAdjudication(),
				loop("2440", "Form Identification Code", sit, 0,
					seg("LQ", req, 1),
					seg("FRM", req, 99))))
	}
}

func claim837I() func() *LoopRule {
	return func() *LoopRule {
		return loop("2300", "Claim Information", sit, 100,
			seg("CLM", req, 1),
			seg("DTP*434", req, 1),
			seg("DTP", sit, 0),
			seg("CL1", sit, 1),
			seg("PWK", sit, 10),
			seg("CN1", sit, 1),
			seg("AMT*F3", sit, 1),
			seg("REF", sit, 0),
			seg("K3", sit, 10),
			seg("NTE", sit, 10),
			seg("CR6", sit, 1),
			seg("CRC", sit, 1),
			seg("HI", req, 0),
			seg("HCP", sit, 1),
			provider("2310A", "Attending Provider Name", "71", 1, seg("PRV*AT", sit, 1)),
			provider("2310B", "Operating Physician Name", "72", 1),
			provider("2310C", "Other Operating Physician Name", "ZZ", 1),
			provider("2310D", "Rendering Provider Name", "82", 1),
			place("2310E", "Service Facility Location Name", "77"),
			provider("2310F", "Referring Provider Name", "DN", 1),
			otherSubscriber("71", "2330C", "72", "2330D", "ZZ", "2330E", "77", "2330F", "82", "2330G", "DN", "2330H", "85", "2330I"),
			loop("2400", "Service Line Number", req, 999,
				seg("LX", req, 1),
				seg("SV2", req, 1),
				seg("PWK", sit, 10),
				seg("DTP*472", sit, 1),
				seg("REF", sit, 0),
				seg("AMT*GT|N8", sit, 2),
				seg("NTE*TPO", sit, 1),
				seg("HCP", sit, 1),
				drug(),
				provider("2420A", "Operating Physician Name", "72", 1),
				provider("2420B", "Other Operating Physician Name", "ZZ", 1),
				provider("2420C", "Rendering Provider Name", "82", 1),
				provider("2420D", "Referring Provider Name", "DN", 1),
				lineAdjudication()))
	}
}

func claim837D() func() *LoopRule {
	return func() *LoopRule {
		return loop("2300", "Claim Information", sit, 100,
			seg("CLM", req, 1),
			seg("DTP", sit, 0),
			seg("DN1", sit, 1),
			seg("DN2", sit, 35),
			seg("PWK", sit, 10),
			seg("CN1", sit, 1),
			seg("AMT*F5", sit, 1),
			seg("REF", sit, 0),
			seg("NTE", sit, 1),
			seg("HI", sit, 2),
			seg("HCP", sit, 1),
			provider("2310A", "Referring Provider Name", "DN|P3", 2, seg("PRV*RF", sit, 1)),
			provider("2310B", "Rendering Provider Name", "82", 1, seg("PRV*PE", sit, 1)),
			place("2310C", "Service Facility Location Name", "77"),
			provider("2310D", "Assistant Surgeon Name", "DD", 1, seg("PRV*AS", sit, 1)),
			provider("2310E", "Supervising Provider Name", "DQ", 1),
			otherSubscriber("DN|P3", "2330C", "82", "2330D", "DD", "2330E", "DQ", "2330F", "77", "2330G", "85", "2330H"),
			loop("2400", "Service Line Number", req, 50,
				seg("LX", req, 1),
				seg("SV3", req, 1),
				seg("TOO", sit, 32),
				seg("DTP", sit, 0),
				seg("QTY", sit, 5),
				seg("REF", sit, 0),
				seg("AMT", sit, 2),
				seg("NTE", sit, 1),
				seg("HCP", sit, 1),
				drug(),
				provider("2420A", "Rendering Provider Name", "82", 1, seg("PRV*PE", sit, 1)),
				provider("2420B", "Assistant Surgeon Name", "DD", 1, seg("PRV*AS", sit, 1)),
				provider("2420C", "Supervising Provider Name", "DQ", 1),
				place("2420D", "Service Facility Location Name", "77"),
				lineAdjudication()))
	}
}
