// Package api serves Tributary's FHIR R4 REST API, and the health, readiness
// and metrics endpoints of the process. It is the only package that imports
// chi.
//
// Under /fhir it serves the CapabilityStatement (metadata), and for each
// resource type with search parameters (see package search): read, vread,
// and search by GET and by POST _search. Every response is
// application/fhir+json; every error is an OperationOutcome. The
// CapabilityStatement is built from the same definitions the handlers use,
// so it lists only what works.
//
// Logs and metrics name route patterns (/fhir/Patient/{id}), never paths or
// query strings, which hold ids and identifiers.
package api
