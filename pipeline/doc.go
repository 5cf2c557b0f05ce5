// Package pipeline composes the stages of Tributary from the packages
// below it: the normalizer (raw topics → FHIR resources on fhir.v1, exactly
// once, in Kafka transactions) and the materializer (fhir.v1 → PostgreSQL,
// with the consumer offsets in the same database transaction).
//
// Bad input never blocks a partition: what cannot be converted goes to the
// dead-letter topic with its reason in headers (stage, code, location) and
// the stage moves on. Errors and logs name where, never the value.
package pipeline
