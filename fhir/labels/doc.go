// Package labels adds sensitivity labels to FHIR resources whose codes fall
// in sensitive categories: substance use disorder (42 CFR Part 2), HIV,
// psychiatric disorders, sexual and reproductive health, sexually
// transmitted disease and genetic information.
//
// A [Labeler] walks every Coding of a resource (except those in meta),
// matches its system and code against code lists kept as CSV data files
// (codelists/*.csv, built from public-domain ICD-10-CM, ICD-9-CM and
// RxNorm, each row citing its source), and adds to meta.security the
// matching HL7 v3 ActCode sensitivity codes plus the v3 Confidentiality
// code R (restricted). See docs/sensitivity-labels.md.
package labels
