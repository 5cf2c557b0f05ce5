package x12

// The eligibility (270/271, 005010X279A1) and claim status (276/277,
// 005010X212) guides. Both are HL hierarchies: information source (20),
// information receiver (21), for 276/277 the service provider (19), then
// subscriber (22) and dependent (23).

// Guides for eligibility and claim status.
var (
	Guide270 = register("270", "005010X279A1", "Eligibility, Coverage or Benefit Inquiry",
		seg("BHT", req, 1),
		loop("2000A", "Information Source Level", req, 0,
			seg("HL***20", req, 1),
			loop("2100A", "Information Source Name", req, 1,
				seg("NM1*2B|36|GP|P5|PR", req, 1)),
			loop("2000B", "Information Receiver Level", req, 0,
				seg("HL***21", req, 1),
				loop("2100B", "Information Receiver Name", req, 1,
					seg("NM1*1P|2B|36|80|FA|GP|P5|PR", req, 1),
					seg("REF", sit, 9),
					seg("N3", sit, 1),
					seg("N4", sit, 1),
					seg("PRV", sit, 1)),
				loop("2000C", "Subscriber Level", req, 0,
					seg("HL***22", req, 1),
					seg("TRN", sit, 2),
					member270("2100C", "2110C", "IL"),
					loop("2000D", "Dependent Level", sit, 0,
						seg("HL***23", req, 1),
						seg("TRN", sit, 2),
						member270("2100D", "2110D", "03"))))))

	Guide271 = register("271", "005010X279A1", "Eligibility, Coverage or Benefit Information",
		seg("BHT", req, 1),
		loop("2000A", "Information Source Level", req, 0,
			seg("HL***20", req, 1),
			seg("AAA", sit, 9),
			loop("2100A", "Information Source Name", req, 1,
				seg("NM1*2B|36|GP|P5|PR", req, 1),
				seg("PER", sit, 3),
				seg("AAA", sit, 9)),
			loop("2000B", "Information Receiver Level", sit, 0,
				seg("HL***21", req, 1),
				loop("2100B", "Information Receiver Name", req, 1,
					seg("NM1*1P|2B|36|80|FA|GP|P5|PR", req, 1),
					seg("REF", sit, 9),
					seg("AAA", sit, 9),
					seg("PRV", sit, 1)),
				loop("2000C", "Subscriber Level", sit, 0,
					seg("HL***22", req, 1),
					seg("TRN", sit, 3),
					member271("2100C", "2110C", "2115C", "2120C", "IL"),
					loop("2000D", "Dependent Level", sit, 0,
						seg("HL***23", req, 1),
						seg("TRN", sit, 3),
						member271("2100D", "2110D", "2115D", "2120D", "03"))))))

	Guide276 = register("276", "005010X212", "Health Care Claim Status Request",
		seg("BHT", req, 1),
		statusLevels(false))

	Guide277 = register("277", "005010X212", "Health Care Claim Status Response",
		seg("BHT", req, 1),
		statusLevels(true))
)

// member270 returns a 270 subscriber or dependent name loop.
func member270(nameID, inquiryID, nm1 string) *LoopRule {
	return loop(nameID, "Name", req, 1,
		seg("NM1*"+nm1, req, 1),
		seg("REF", sit, 9),
		seg("N3", sit, 1),
		seg("N4", sit, 1),
		seg("PRV", sit, 1),
		seg("DMG", sit, 1),
		seg("INS", sit, 1),
		seg("HI", sit, 1),
		seg("DTP", sit, 2),
		loop(inquiryID, "Eligibility or Benefit Inquiry", sit, 99,
			seg("EQ", req, 1),
			seg("AMT", sit, 2),
			seg("III", sit, 10),
			seg("REF", sit, 1),
			seg("DTP", sit, 1)))
}

// member271 returns a 271 subscriber or dependent name loop.
func member271(nameID, benefitID, addID, relatedID, nm1 string) *LoopRule {
	return loop(nameID, "Name", req, 1,
		seg("NM1*"+nm1, req, 1),
		seg("REF", sit, 9),
		seg("N3", sit, 1),
		seg("N4", sit, 1),
		seg("AAA", sit, 9),
		seg("PRV", sit, 1),
		seg("DMG", sit, 1),
		seg("INS", sit, 1),
		seg("HI", sit, 1),
		seg("DTP", sit, 9),
		seg("MPI", sit, 9),
		loop(benefitID, "Eligibility or Benefit Information", sit, 0,
			seg("EB", req, 1),
			seg("HSD", sit, 9),
			seg("REF", sit, 9),
			seg("DTP", sit, 20),
			seg("AAA", sit, 9),
			seg("MSG", sit, 10),
			loop(addID, "Eligibility or Benefit Additional Information", sit, 10,
				seg("III", req, 1)),
			seg("LS", sit, 1),
			loop(relatedID, "Benefit Related Entity Name", sit, 23,
				seg("NM1", req, 1),
				seg("N3", sit, 1),
				seg("N4", sit, 1),
				seg("PER", sit, 3),
				seg("PRV", sit, 1)),
			seg("LE", sit, 1)))
}

// statusLevels returns the 276 or 277 hierarchy.
func statusLevels(response bool) *LoopRule {
	claim := func(claimID, lineID string) *LoopRule {
		if !response {
			return loop(claimID, "Claim Status Tracking Number", sit, 0,
				seg("TRN*1", req, 1),
				seg("REF", sit, 4),
				seg("AMT*T3", sit, 1),
				seg("DTP*472", sit, 1),
				loop(lineID, "Service Line Information", sit, 0,
					seg("SVC", req, 1),
					seg("REF*FJ", sit, 1),
					seg("DTP*472", sit, 1)))
		}
		return loop(claimID, "Claim Status Tracking Number", sit, 0,
			seg("TRN*2", req, 1),
			seg("STC", sit, 0),
			seg("REF", sit, 4),
			seg("DTP*472", sit, 1),
			loop(lineID, "Service Line Information", sit, 0,
				seg("SVC", req, 1),
				seg("STC", req, 0),
				seg("REF*FJ", sit, 1),
				seg("DTP*472", sit, 1)))
	}
	lineD, lineE := "2210D", "2210E"
	if response {
		lineD, lineE = "2220D", "2220E"
	}
	var sourcePER []any
	if response {
		sourcePER = []any{seg("PER*IC", sit, 1)}
	}
	return loop("2000A", "Information Source Level", req, 0,
		seg("HL***20", req, 1),
		loop("2100A", "Payer Name", req, 1, seg("NM1*PR", req, 1), sourcePER),
		loop("2000B", "Information Receiver Level", req, 0,
			seg("HL***21", req, 1),
			loop("2100B", "Information Receiver Name", req, 1, seg("NM1*41", req, 1)),
			loop("2000C", "Service Provider Level", req, 0,
				seg("HL***19", req, 1),
				loop("2100C", "Provider Name", req, 1, seg("NM1*1P", req, 1)),
				loop("2000D", "Subscriber Level", req, 0,
					seg("HL***22", req, 1),
					seg("DMG", sit, 1),
					loop("2100D", "Subscriber Name", req, 1, seg("NM1*IL", req, 1)),
					claim("2200D", lineD),
					loop("2000E", "Dependent Level", sit, 0,
						seg("HL***23", req, 1),
						seg("DMG", sit, 1),
						loop("2100E", "Dependent Name", req, 1, seg("NM1*QC", req, 1)),
						claim("2200E", lineE))))))
}
