// Package consent will decide, for every read, search and disclosure,
// whether a FHIR resource may be released: Consent policies, security
// labels, and Decide(ctx, Request) Decision.
//
// It is empty until the consent issue lands; the directory exists so the
// layout of DESIGN.md is in place from the start. Until then the API serves
// only to clients on the loopback interface (see SECURITY.md).
package consent
