package pipeline

import (
	"context"
	"fmt"

	ppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/patient_go_proto"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/identity"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/stream"
)

// Identity places Patients in persons: the master patient index the
// normalizer consults for every Patient it converts (see package
// identity).
type Identity interface {
	// Resolve places the Patient r describes in a person.
	Resolve(ctx context.Context, r identity.Record) (identity.Outcome, error)
	// PersonOf returns the person of each Patient the index holds.
	PersonOf(ctx context.Context, patientIDs []string) (map[string]string, error)
}

// StoreIdentity is the index kept in PostgreSQL.
type StoreIdentity struct {
	Store   *store.Store
	Matcher *identity.Matcher
}

// Resolve implements [Identity]. An unchanged Patient, most of an ADT
// feed, is answered by one query; the rest take a transaction.
func (s StoreIdentity) Resolve(ctx context.Context, r identity.Record) (identity.Outcome, error) {
	if p, ok, err := s.Store.CurrentPerson(ctx, r.PatientID, r.Hash()); err != nil || ok {
		return identity.Outcome{PersonID: p.ID, Persons: []identity.Person{p}}, err
	}
	var out identity.Outcome
	err := s.Store.Identity(ctx, func(tx identity.Tx) error {
		var err error
		out, err = s.Matcher.ResolveLocked(ctx, tx, r)
		return err
	})
	return out, err
}

// PersonOf implements [Identity].
func (s StoreIdentity) PersonOf(ctx context.Context, patientIDs []string) (map[string]string, error) {
	return s.Store.PersonOf(ctx, patientIDs)
}

// resolve keys every resource of c by its Patient's person and adds the
// Person resources the resolution touched. Without an index each Patient
// is its own person. Errors are worth retrying: the index is a database.
func (n *Normalizer) resolve(ctx context.Context, c *Conversion) error {
	persons := map[string]string{} // patient id → person id
	touched := map[string]identity.Person{}
	var order []string // touched person ids, first seen first
	if n.cfg.Identity != nil {
		for _, cr := range c.Resources {
			p, ok := cr.Resource.(*ppb.Patient)
			if !ok {
				continue
			}
			out, err := n.cfg.Identity.Resolve(ctx, identity.FromPatient(p))
			if err != nil {
				return fmt.Errorf("pipeline: identity: %w", err)
			}
			persons[p.GetId().GetValue()] = out.PersonID
			for _, ps := range out.Persons {
				if _, seen := touched[ps.ID]; !seen {
					order = append(order, ps.ID)
				}
				touched[ps.ID] = ps
			}
		}
		var unknown []string
		for _, cr := range c.Resources {
			if cr.Patient != "" {
				if _, ok := persons[cr.Patient]; !ok {
					unknown = append(unknown, cr.Patient)
					persons[cr.Patient] = ""
				}
			}
		}
		if len(unknown) > 0 {
			known, err := n.cfg.Identity.PersonOf(ctx, unknown)
			if err != nil {
				return fmt.Errorf("pipeline: identity: %w", err)
			}
			for _, id := range unknown {
				persons[id] = known[id]
			}
		}
	}
	for i := range c.Resources {
		cr := &c.Resources[i]
		if cr.Patient == "" {
			continue
		}
		if cr.person = persons[cr.Patient]; cr.person == "" {
			// Not in the index (yet): the person it would found.
			cr.person = identity.PersonID(cr.Patient, 0)
		}
	}
	ps := make([]identity.Person, len(order))
	for i, id := range order {
		ps[i] = touched[id]
	}
	appendPersons(c, ps)
	return nil
}

// appendPersons adds the Person resources of ps to c, keyed by their own
// ids and ordered by when the index changed them; a person merged away
// or emptied is deleted.
func appendPersons(c *Conversion, ps []identity.Person) {
	for _, p := range ps {
		if p.Deleted {
			c.Resources = append(c.Resources, Converted{Delete: true, Type: "Person", ID: p.ID, person: p.ID, sourceTime: p.Updated})
			continue
		}
		c.Resources = append(c.Resources, Converted{Resource: identity.PersonResource(p), person: p.ID, sourceTime: p.Updated})
	}
}

// PersonRecords returns the fhir.v1 records of the Person resources an
// index change outside the normalizer made (a reviewer's link, unlink or
// distinction), so that the store and every consumer learn of it.
// envelopeID names the change in the records' source-envelope-id header.
func PersonRecords(cfg stream.Config, out identity.Outcome, envelopeID string) ([]stream.Record, error) {
	var c Conversion
	appendPersons(&c, out.Persons)
	n := &Normalizer{cfg: NormalizerConfig{Stream: cfg}}
	return n.resourceRecords(event.Envelope{ID: envelopeID, Kind: "identity"}, c)
}
