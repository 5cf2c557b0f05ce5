// Package store is Tributary's PostgreSQL view of the fhir.v1 topic: the
// current version of every resource (JSONB), every version (history), a
// search index kept in the same transaction, and the materializer's consumer
// offsets, so that the sink is exactly once. It is the only package that
// imports pgx.
//
// It also holds the master patient index ([Store.Identity] runs an
// [github.com/tributary-health/tributary/identity.Tx] in a transaction), and two views Apply keeps with the
// resources: which Patients each Person resource links (read by
// [Store.LinkedPatients]) and the Patient compartment of each resource
// ([Change.Compartment], read by [Store.Compartment]).
//
// The view can be dropped and rebuilt by replaying Kafka. Its schema lives
// in the PostgreSQL schema "tributary" and is created and migrated by
// [Open] from SQL files embedded in the binary.
//
// A [*Store] is safe for concurrent use. Errors name resource types,
// parameters and partitions, never resource content.
package store
