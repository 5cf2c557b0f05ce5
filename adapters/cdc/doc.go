// Package cdc brings change data capture into the pipeline: Debezium
// change events from existing Kafka topics, and mainframe records laid
// out by COBOL copybooks (package copybook) made into change events of
// the same shape. Both land on raw.cdc.v1 with their source position, so
// that later stages can order the changes of each row, ignore duplicates
// and refuse stale events. See docs/cdc.md for the operator's view.
//
// # Debezium events
//
// [Parse] reads one Kafka record of a Debezium topic as the JSON
// converter writes it, with or without the schema wrapper
// ({"schema": ..., "payload": ...}): data change events (ops c, u, d, r,
// t and PostgreSQL's m), tombstones (a null value after a delete: only
// the key), transaction metadata records (BEGIN and END, with event
// counts per table) and schema change events. The row images Before and
// After keep their columns in order, and every [Value] keeps the exact
// bytes it was written with; numbers are never read into float64.
//
// When the event carries its schema, logical types are decoded so that a
// mapping gets real values: Connect Decimal (base64 of the unscaled
// two's complement integer, scale in the schema) and Debezium's
// VariableScaleDecimal become exact decimal text; io.debezium.time.Date
// and Connect Date (days since the epoch) become dates;
// Time/MicroTime/NanoTime times of day; Timestamp/MicroTimestamp/
// NanoTimestamp (and Connect Timestamp) wall-clock timestamps without a
// zone, which [Value.In] places in the source's zone; ZonedTimestamp and
// ZonedTime keep their offset. The fraction keeps the unit's digits
// (micro: six), so precision is not lost. Decimals in
// decimal.handling.mode=string are plain strings (the schema says only
// "string"), and in double mode plain numbers, as written. Without a
// schema nothing can tell a date from a number: values stay as the JSON
// has them.
//
// Parsing is strict: the value must be exactly one JSON object, so the
// documentation excerpts with "{ ... }" placeholders, trailing commas
// or two objects in one record are refused. Errors are [*ParseError]s
// that say where — a JSON path such as value.payload.after.AMOUNT, or a
// byte offset with line and column for syntax errors — and never quote
// the record: the package uses its own small JSON reader so that even
// syntax errors name no input character.
//
// # Positions
//
// Each change event gets a [Position] from its source block, per
// connector: PostgreSQL's lsn; MySQL's binlog file, pos and row; Oracle's
// commit_scn and scn; SQL Server's and Db2's commit_lsn, change_lsn and
// event_serial_no; MongoDB's ts_ms and ord; and for copybook records the
// file name and record number. [Position.Compare] orders two events of
// the same connector and server, and says when they cannot be compared;
// the database serializes the changes of one row, so positions order
// the changes of each key even where they do not order a whole log.
// Equal positions mean a redelivery.
//
// # Intake
//
// A [Relay] consumes existing CDC topics (through a [Batches], the
// stream package's consumer in production) and writes each record to
// raw.cdc.v1 unmodified, as an envelope whose key is
// "<source topic>/<digest of the record key>" (see [PartitionKey]: one
// row's changes keep their partition and order, and no identifier
// appears in a Kafka key) and whose attributes carry the source topic,
// partition and offset and the parsed position. A batch's offsets are
// committed only after Kafka acknowledged every envelope of it, so
// delivery is at least once. A record that does not parse is relayed all
// the same, with its located error in an attribute, for the normalizer
// to dead-letter. A tombstone's value is empty, so its envelope's
// payload is the record key (attribute payload=key).
//
// A [FileReader] reads copybook-defined records (an unload, or a change
// file) and makes each a Debezium-shaped change event: op r for an
// unload (the final record snapshot "last"), or the op a configured
// field's value maps to; before/after as Debezium has them for that op;
// a source block with connector "copybook", the table, the file name and
// the record number (its position); and the record's bytes, base64, in
// "raw", since the raw topic is the system of record. The partition key
// is "<table>/<digest of the key fields>", computed as for Debezium keys.
//
// # What this package does not do
//
// IBM InfoSphere Data Replication (IIDR) and Precisely formats are not
// read: no specification of their Kafka records was found (IBM's sample
// KcopJsonFormatIntegrated writes Avro-JSON row images with no op and no
// log position, and documents no record schema). Avro and Protobuf
// converters are not read either: the relay passes such records on,
// marked invalid.
package cdc
