// Package search holds the FHIR R4 search parameters Tributary supports,
// extracts their index values from resources, and parses search queries
// with FHIR semantics.
//
// The store indexes what [Extract] returns in the transaction that writes a
// resource, answers a [Query] from that index, and the API builds its
// CapabilityStatement from [Params], so the three cannot drift apart.
//
// Parameters are data. Supporting another parameter of an existing type is
// one more entry in the definitions table (its name, type, base resource,
// canonical URL and FHIRPath expression copied from the SearchParameter
// resource of the specification, plus the element path to follow), and a
// copy of that SearchParameter in testdata, which the tests check the entry
// against. A new parameter type (string, date, reference) adds a slice to
// [Index], a match type to [Clause], its value syntax to [Parse], and an
// index table in the store.
//
// Values never appear in errors: a query's values are often identifiers of
// patients.
package search
