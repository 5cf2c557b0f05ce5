// Package hl7file reads HL7 v2 messages from files and directories and
// hands each to the pipeline, as the MLLP listener does for messages on
// the wire: `tributary ingest hl7v2 FILE|DIR...`.
//
// # What is read
//
// A path named in [Config.Paths] that is a file is read whatever its
// name. A directory is walked recursively, in lexical order, for regular
// files whose name ends in one of [Config.Extensions] (default .hl7 and
// .txt, case-insensitive; "*" takes every regular file); names starting
// with a dot (".git", editor swap files) are skipped, symbolic links to
// files are followed and links to directories are not (no cycles). Each
// file is read whole.
//
// A file holds one message, several (each starting with MSH), or a batch
// file: [FHS] { [BHS] { MSH ... } [BTS] } [FTS], with or without
// trailers; counts in BTS-1 and FTS-1 are checked when present. Segments
// may end in CR, LF or CRLF, mixed; a UTF-8 byte-order mark is skipped.
// The file is split with [hl7v2.ParseBatch] into one message per
// envelope; batch headers and trailers are not part of any message.
//
// # Envelopes
//
// Each message becomes an envelope exactly as an MLLP one does (see
// package mllp), so the normalizer cannot tell them apart:
//
//	ID        event.NewID(now)
//	Format    event.FormatHL7v2
//	Kind      "ADT^A01" from MSH-9, "" when unknown
//	Received  now, in UTC
//	Source    Config.Source ("hl7file"): it labels metrics, so it is a name, not a path
//	Key       MSH-4 (namespace id, else universal id), else MSH-3, else ""
//	Attrs     msh-9, msh-10, msh-12; file (the path as given or found) and
//	          offset (of the message's MSH in the file) in place of remote
//	Payload   the message's bytes in the file, unmodified (terminators included)
//
// # Bad input
//
// Bad input follows the MLLP path: every message that can be delimited is
// emitted, whether or not it parses, because the raw topic is the system
// of record and the normalizer sends what it cannot use to the
// dead-letter topic with its location. What MLLP would answer AR or AE —
// a message that does not parse, or that [Config.Check] rejects — is
// reported to [Config.Report] as an [*InputError]:
//
//	FILE: message N (offset X): LOCATION: text
//
// with the offset of the message's MSH in the file, and the location and
// text of the error (never a value from the message); for a parse error
// the text ends with the byte offset of the problem in the file, and a
// location given as "segment N" counts from the message's MSH. Two things are not
// emitted, only reported: a file that cannot be split into messages (no
// MSH, a segment before the first MSH, batch segments out of order, a
// trailer count that does not match), reported as "FILE: offset X:
// LOCATION: text" — the file stays where it is, to be fixed and ingested
// again; and a message over [Config.MaxMessageSize], as MLLP rejects an
// oversized frame. [Reader.Run] goes on after bad input and returns an
// error wrapping [ErrInput] at the end.
//
// # Delivery
//
// Messages are emitted one at a time, in file order, each only after the
// previous one was acknowledged by Kafka, so Run returns nil only when
// Kafka has every message. An emit error stops Run at once. Ingesting a
// file again stores its messages again, as new envelopes (the raw topic
// keeps every receipt); downstream, deterministic resource ids make the
// duplicates converge on the same FHIR resources (an identical
// re-delivery makes no new version).
package hl7file
