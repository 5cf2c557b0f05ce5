// Package stream is Tributary's only franz-go importer: it produces
// envelopes to the raw topics, runs consume-transform-produce loops in Kafka
// transactions, runs consumer loops whose offsets live in an external store,
// creates the topics of the contract, and starts the embedded broker.
//
// The rest of the pipeline sees [Record] values, never kgo types, so the same
// code runs against the embedded broker and a production Kafka cluster.
package stream
