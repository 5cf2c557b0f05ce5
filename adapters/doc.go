// Package adapters runs Sources that bring upstream systems into the pipeline.
//
// Every adapter follows one rule: it acknowledges upstream (an MLLP ACK, a
// 999, a CDC commit) only after [Emit] returned nil, that is after Kafka
// has the message. Delivery is therefore at least once; deterministic
// resource ids downstream make duplicates converge.
package adapters
