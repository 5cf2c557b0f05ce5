// Package claims builds typed models of HIPAA X12 005010 transaction sets
// from the loops that package [x12] reads: [Claim] from an 837
// (professional, institutional, dental), [Remittance] from an 835,
// [Enrollment] from an 834 and [Eligibility] from a 270 or 271. The FHIR
// mappers (fhir/fromx12) read these models, not segments.
//
// # Where each field comes from
//
// Every field carries an x12 struct tag naming its loop and element in
// the notation of the implementation guides ("2300/CLM05-1",
// "2100/DTM*232", "P:SV1-04 I:SV2-05 D:SV3-06" where the 837s differ), so
// the mapping table in docs/ can cite the source of each FHIR element and
// a reader can check it against the guide. Code values (qualifiers,
// reason codes, relationship codes) are kept as sent: they are the X12
// external code lists that the mappers translate.
//
// # Streaming
//
// One transaction set may hold thousands of claims, and a file millions.
// [x12.Parser] yields one transaction set at a time; [Each837] then
// builds one claim at a time and hands it to a callback, which is the
// primary API ([Parse837] collects them for tests and small inputs).
// [Each835], [Each834] and [Each27x] do the same for claim payments,
// members and eligibility subjects.
//
// # Exact values
//
// [Money] is an int64 count of cents, parsed from X12 decimals without a
// float ("1234.5", "-12", ".75", "100.00"); an amount with non-zero
// digits past the cents is an error, not a rounding. [Decimal] holds
// quantities (units, days, percentages) as an integer and a scale. [Date]
// keeps the precision X12 sent (a D8 date stays a date; a DT date and
// time has no zone, which the mapper supplies), and [Period] holds D8 and
// RD8 values.
//
// # Errors
//
// The builders are lenient where package x12 already reported a problem
// (the transaction's Errors and its 999 tell the sender): a missing
// element gives a zero field. They fail only on a value the models
// cannot represent, with an [*Error] that locates it ("2300/CLM02") and,
// like every error in this repository, never holds the value.
//
// # Concurrency
//
// The builders keep no state between calls and may run concurrently on
// different transaction sets.
package claims
