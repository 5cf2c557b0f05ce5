// Package event defines the [Envelope] that every pipeline stage passes on,
// the Kafka topic names of the contract in DESIGN.md, and the record header
// names. It imports only the standard library, so every other package may
// depend on it.
package event
