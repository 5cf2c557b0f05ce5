package fhir

import (
	"crypto/sha256"
	"encoding/base32"
	"net/url"
	"regexp"
	"strings"
)

// Identifier systems with national meaning (DESIGN.md).
const (
	SystemNPI = "http://hl7.org/fhir/sid/us-npi"
	SystemSSN = "http://hl7.org/fhir/sid/us-ssn"
	SystemMBI = "http://hl7.org/fhir/sid/us-mbi"
)

var idEncoding = base32.HexEncoding.WithPadding(base32.NoPadding)

// ID returns the resource id derived from the business identifier that
// defines a resource:
//
//	base32hex(sha256(resourceType + "|" + system + "|" + value))[:32], lower case
//
// Replays and duplicate feeds therefore land on the same id. The id is 32
// characters of [0-9a-v], a valid FHIR id, and reveals nothing of the value.
// Ids are persisted everywhere: this function must never change.
func ID(resourceType, system, value string) string {
	sum := sha256.Sum256([]byte(resourceType + "|" + system + "|" + value))
	return strings.ToLower(idEncoding.EncodeToString(sum[:])[:32])
}

var validID = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)

// ValidID reports whether id is a syntactically valid FHIR resource id.
func ValidID(id string) bool { return validID.MatchString(id) }

var oid = regexp.MustCompile(`^[0-2](\.(0|[1-9][0-9]*))+$`)

// IsOID reports whether s is an ISO object identifier such as 2.16.840.1.113883.19.5.
func IsOID(s string) bool { return oid.MatchString(s) }

// Systems maps local names to identifier system URIs. It is configuration:
// the one place a deployment says which URI an assigning authority or a
// payer's member ids use. The zero value maps nothing, and every lookup falls
// back to a stable urn:tributary: form.
type Systems struct {
	// AssigningAuthorities maps an HL7 v2 assigning authority, by namespace
	// id or by universal id, to a system URI.
	AssigningAuthorities map[string]string
	// Payers maps a payer id to the system URI of its member ids.
	Payers map[string]string
}

// AssigningAuthority returns the identifier system of an HL7 v2 assigning
// authority (an HD: namespace id, universal id, universal id type):
// urn:oid:<OID> when the universal id is an OID; else the configured URI for
// the namespace id or universal id; else a universal id of type URI as is;
// else urn:tributary:aa:<namespace-id>. It returns "" when the authority is
// empty.
func (s Systems) AssigningAuthority(namespaceID, universalID, universalIDType string) string {
	if IsOID(universalID) && (universalIDType == "" || strings.EqualFold(universalIDType, "ISO")) {
		return "urn:oid:" + universalID
	}
	if u, ok := s.AssigningAuthorities[namespaceID]; ok && namespaceID != "" {
		return u
	}
	if u, ok := s.AssigningAuthorities[universalID]; ok && universalID != "" {
		return u
	}
	if universalID != "" && strings.EqualFold(universalIDType, "URI") {
		return universalID
	}
	if namespaceID != "" {
		return "urn:tributary:aa:" + url.PathEscape(namespaceID)
	}
	if universalID != "" {
		return "urn:tributary:aa:" + url.PathEscape(universalID)
	}
	return ""
}

// PayerMember returns the identifier system of a payer's member ids: the
// configured URI, else urn:tributary:payer:<payer-id>:member.
func (s Systems) PayerMember(payerID string) string {
	if u, ok := s.Payers[payerID]; ok {
		return u
	}
	return "urn:tributary:payer:" + url.PathEscape(payerID) + ":member"
}

// ClaimControl returns the identifier system of a submitter's claim control
// numbers.
func ClaimControl(submitterID string) string {
	return "urn:tributary:submitter:" + url.PathEscape(submitterID) + ":claim"
}

// SystemPayer is the identifier system of payer ids (an X12 payer id, an
// HL7 v2 IN1-3 insurance company id) on payer Organizations.
const SystemPayer = "urn:tributary:payer"

// PayerOrganizationID is the id of the Organization of a payer, the same
// from every feed that names the payer by its id.
func PayerOrganizationID(payerID string) string { return ID("Organization", SystemPayer, payerID) }

// CoverageID is the id of the Coverage of a member under a payer's plan:
// payer + member id + plan, so an 834 enrollment, an 837's subscriber and
// an HL7 IN1 for the same member and plan converge. planID may be empty.
func (s Systems) CoverageID(payerID, memberID, planID string) string {
	return ID("Coverage", s.PayerMember(payerID), memberID+"|"+planID)
}
