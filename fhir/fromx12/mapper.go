package fromx12

import (
	"errors"
	"fmt"
	"time"

	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"

	"github.com/tributary-health/tributary/claims"
	"github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/fhir"
)

// MappingVersion names the version of this package's X12 to FHIR
// mapping. The pipeline records it in every resource's meta.tag, so a
// replay after a mapping fix is visible. Bump it whenever the output for
// some input changes.
const MappingVersion = "1"

// Config configures a [Mapper]. The zero value is usable.
type Config struct {
	// Systems maps payer ids to the identifier systems of their member
	// ids (see [fhir.Systems.PayerMember]).
	Systems fhir.Systems
	// Location is the zone of X12 times (BHT-05, BGN04, DTP DT values),
	// which carry none. Nil means UTC. A date without a time stays a date.
	Location *time.Location
	// SenderLocations overrides Location per sender, keyed by GS-02
	// (application sender's code).
	SenderLocations map[string]*time.Location
	// Submitters names, for an 835, the 837 submitter (1000A NM1-09) of
	// a payee, keyed by the payee's id in 1000B N1-04 (an NPI or tax
	// id). The 835 does not say who submitted the claim; with it,
	// ClaimResponse.request and ExplanationOfBenefit.claim reference the
	// Claim the 837 mapping made (same id). Without it they are left out.
	Submitters map[string]string
}

// A Mapper converts X12 005010 transaction sets (837P/I/D, 835, 834, 270,
// 271) to FHIR R4 resources. It is safe for concurrent use.
type Mapper struct {
	cfg Config
}

// New returns a Mapper for cfg.
func New(cfg Config) (*Mapper, error) {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	return &Mapper{cfg: cfg}, nil
}

// An Entry is one resource of a [Result].
type Entry struct {
	Resource fhir.Resource
	// Patient is the id of the Patient the resource belongs to (its own
	// id for a Patient); empty for resources shared across patients
	// (Practitioner, Organization, PaymentReconciliation).
	Patient string
}

// A Result is what a transaction set (from [Mapper.Convert]) or one unit
// of it (from [Mapper.Each]) becomes.
type Result struct {
	// Entries in the order they should be applied: the resources others
	// reference come first. A resource appears once per Result.
	Entries []Entry
}

// Errors.
var (
	// ErrUnsupported: the transaction set is not one this package maps
	// (a 276, a 999), or it has no loops (unsupported version).
	ErrUnsupported = errors.New("fromx12: transaction set not mapped")
	// ErrMissingIdentifier: an element the resource id derives from is
	// empty (CLM01, the submitter id, the payer id), so no deterministic
	// id can be made. It is the Err of a located [*claims.Error].
	ErrMissingIdentifier = errors.New("identifier needed for a resource id is missing")
)

// missing returns a located error for an empty identifier element.
func missing(loop, seg string, elem int) error {
	return &claims.Error{Loop: loop, Segment: seg, Element: elem, Err: ErrMissingIdentifier}
}

// Convert maps every unit of tx (claims, claim payments, members,
// eligibility subjects) into one Result; a resource shared by several
// units (the billing provider, the payer) appears once. Use [Mapper.Each]
// for large transaction sets.
//
// Errors are located and hold no value: a [*claims.Error] (for example
// "2300/CLM02 … more than 2 decimal places", or [ErrMissingIdentifier]
// at "2300/CLM01"), or an error wrapping [ErrUnsupported].
func (m *Mapper) Convert(tx *x12.Transaction) (Result, error) {
	var res Result
	seen := map[string]bool{}
	err := m.each(tx, func(r Result) error {
		for _, e := range r.Entries {
			// Shared resources come once already; a Patient or Coverage
			// named by several claims comes with each.
			if e.Patient != "" {
				k := key(e.Resource)
				if seen[k] {
					continue
				}
				seen[k] = true
			}
			res.Entries = append(res.Entries, e)
		}
		return nil
	}, map[string]bool{})
	return res, err
}

// sharedLimit bounds the set of shared resources [Mapper.Each] remembers
// having emitted, so memory stays bounded on any input.
const sharedLimit = 4096

// Each maps tx one unit at a time — one claim of an 837, one claim
// payment of an 835 (plus a last unit with the PaymentReconciliation),
// one member of an 834, one subject of a 270/271 — and calls fn with
// each unit's resources, so a transaction set of any size converts in
// memory bounded by its largest claim. Resources shared across patients
// (Organization, Practitioner) are passed once per transaction set as
// long as fewer than a few thousand distinct ones were seen; after that
// they may repeat, which is harmless since their ids are derived. fn owns
// the Result. Each stops at the first error, from the mapping or from fn
// (returned as is).
func (m *Mapper) Each(tx *x12.Transaction, fn func(Result) error) error {
	seen := map[string]bool{}
	return m.each(tx, fn, seen)
}

func (m *Mapper) each(tx *x12.Transaction, fn func(Result) error, shared map[string]bool) error {
	if tx == nil || tx.Root == nil || tx.Guide == nil {
		return fmt.Errorf("%w (no loops)", ErrUnsupported)
	}
	c := &conv{m: m, tx: tx, loc: m.location(tx), shared: shared, known: map[string]string{}}
	switch tx.Guide {
	case x12.Guide837P, x12.Guide837I, x12.Guide837D:
		return claims.Each837(tx, func(cl *claims.Claim) error {
			c.reset()
			if err := c.claim(cl); err != nil {
				return err
			}
			return fn(c.result())
		})
	case x12.Guide835:
		r, err := claims.Each835(tx, func(r *claims.Remittance, p *claims.ClaimPayment) error {
			c.reset()
			if err := c.claimPayment(r, p); err != nil {
				return err
			}
			return fn(c.result())
		})
		if err != nil {
			return err
		}
		c.reset()
		if err := c.remittance(r); err != nil {
			return err
		}
		return fn(c.result())
	case x12.Guide834:
		_, err := claims.Each834(tx, func(e *claims.Enrollment, mb *claims.Member) error {
			c.reset()
			if err := c.member(e, mb); err != nil {
				return err
			}
			return fn(c.result())
		})
		return err
	case x12.Guide270, x12.Guide271:
		n := 0
		return claims.Each27x(tx, func(e *claims.Eligibility) error {
			n++
			c.reset()
			if err := c.eligibility(e, n); err != nil {
				return err
			}
			return fn(c.result())
		})
	}
	return fmt.Errorf("%w: %s %s", ErrUnsupported, tx.SetID, tx.Guide.Reference)
}

// location returns the zone of the transaction's sender.
func (m *Mapper) location(tx *x12.Transaction) *time.Location {
	if tx.Group != nil {
		if l, ok := m.cfg.SenderLocations[tx.Group.SenderCode]; ok && l != nil {
			return l
		}
	}
	return m.cfg.Location
}

// conv is the state of one unit's conversion.
type conv struct {
	m      *Mapper
	tx     *x12.Transaction
	loc    *time.Location
	shared map[string]bool // shared resources already emitted by Each

	facility map[string]bool // 835: header loops (LX01) with a TS3/TS2
	// known maps what defines a shared resource (a payer id, a provider's
	// NPI and name) to its "Type/id", so one already emitted is not built
	// again for every claim.
	known map[string]string

	entries []Entry
	index   map[string]int
}

func (c *conv) reset() {
	c.entries = nil
	c.index = map[string]int{}
}

func (c *conv) result() Result {
	if c.shared != nil {
		if len(c.shared) > sharedLimit {
			clear(c.shared)
			clear(c.known)
		}
		out := c.entries[:0:0]
		for _, e := range c.entries {
			if e.Patient == "" {
				k := key(e.Resource)
				if c.shared[k] {
					continue
				}
				c.shared[k] = true
			}
			out = append(out, e)
		}
		return Result{Entries: out}
	}
	return Result{Entries: c.entries}
}

// add appends r (owned by patient, "" for shared resources) unless a
// resource of the same type and id is there already, and returns a
// reference to it.
func (c *conv) add(r fhir.Resource, patient string) *dtpb.Reference {
	k := key(r)
	if _, ok := c.index[k]; !ok {
		c.index[k] = len(c.entries)
		c.entries = append(c.entries, Entry{Resource: r, Patient: patient})
	}
	return &dtpb.Reference{Reference: &dtpb.Reference_Uri{Uri: &dtpb.String{Value: k}}}
}

// sharedRef returns a reference to the shared resource that ck defines,
// building it with build (nil: no resource) unless it was built for this
// unit or emitted earlier in the transaction set.
func (c *conv) sharedRef(ck string, build func() fhir.Resource) *dtpb.Reference {
	if k, ok := c.known[ck]; ok {
		if _, here := c.index[k]; here || c.shared[k] {
			return &dtpb.Reference{Reference: &dtpb.Reference_Uri{Uri: &dtpb.String{Value: k}}}
		}
	}
	r := build()
	if r == nil {
		return nil
	}
	ref := c.add(r, "")
	c.known[ck] = ref.GetUri().GetValue()
	return ref
}

// key is "Type/id" of a resource built here (every one has an id).
func key(r fhir.Resource) string {
	return fhir.TypeOf(r) + "/" + idOf(r)
}

// idOf reads the id of a resource built by this package.
func idOf(r fhir.Resource) string {
	type ider interface{ GetId() *dtpb.Id }
	if x, ok := r.(ider); ok {
		return x.GetId().GetValue()
	}
	return ""
}

func id(v string) *dtpb.Id { return &dtpb.Id{Value: v} }
