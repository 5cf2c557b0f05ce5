// Package x12 brings ASC X12 interchanges into the pipeline: from files
// dropped in a directory ([Watcher], `tributary ingest x12 --watch`),
// from files named on the command line, and from HTTP uploads
// ([NewHandler], POST /x12 on `tributary run` and `tributary ingest x12
// --http-addr`). Each answers with the TA1 and 999 acknowledgments of
// package claims/x12, and only once Kafka has the interchange.
//
// # The unit: an interchange
//
// [Intake.Ingest] takes one input (a file, a request body) whole. [Split]
// cuts it at every ISA segment, with the claims/x12 tokenizer, so
// interchanges with different delimiters may follow one another; an
// interchange runs from its ISA to the next ISA or the end of the input,
// so line breaks after its IEA are part of it. Each interchange is
// checked alone with [github.com/tributary-health/tributary/claims/x12.Parser] (envelopes, control numbers and
// counts, transaction sets against their implementation guides) and
// becomes one envelope on raw.x12.v1:
//
//	ID        event.NewID(now)
//	Format    event.FormatX12
//	Kind      the transaction set ids in it, in order, e.g. "837" or "837,835"; "" when none
//	Received  now, in UTC
//	Source    Config.Source ("x12")
//	Key       ISA-06 without its padding: one sender's interchanges stay in order
//	Attrs     isa13, isa15 (usage: P, T, I), sender and receiver ("ZZ:ID", ISA-05:ISA-06
//	          and ISA-07:ISA-08), gs06 (the group control numbers, comma-separated),
//	          ack (A, P or R: the verdict of the acknowledgments), ta105 (the TA1 note
//	          code when rejected); file and offset (of the ISA) for a file, remote for HTTP
//	Payload   the interchange's bytes in the input, unmodified
//
// Interchanges are emitted one at a time, in input order; an
// acknowledgment is built only after emit returned nil. An emit that
// fails, or does not return within [Config.EmitTimeout], ends the input
// with an [*EmitError] and nothing of it is answered: the sender (or the
// drop directory) tries again, so delivery is at least once. The wait is
// bounded because the producer is idempotent: a record sent to a broker
// that then went silent is neither failed nor confirmed until the broker
// is back.
//
// # Bad input
//
// As for HL7 v2, everything that can be delimited is stored, whether or
// not it is sound: the raw topic is the system of record, and the
// normalizer dead-letters what it cannot use (the ack attribute tells it
// what intake found). The sender learns exactly what is wrong from the
// acknowledgments:
//
//   - a TA1 (alone in an interchange) when the interchange envelope has an
//     error (TA104 R with the note code of the first one) or ISA-14 asks
//     for one (TA104 A);
//   - unless the interchange is rejected, a 999 per functional group
//     (alone in another interchange, GS-01 FA), with IK3/IK4 locating each
//     segment and element error, IK5 per transaction set and AK9 per group.
//
// An input that cannot be split — no ISA, an ISA whose delimiters cannot
// be read, a segment over the tokenizer's limit, an interchange over
// [Config.MaxInterchangeSize] — is refused whole with a [*SplitError]
// saying where, and nothing of it is stored: the file stays in error/,
// the HTTP client gets 400 or 413. Such input gets no TA1, since no
// envelope could be read to answer.
//
// MaxInterchangeSize defaults to just under the 1 MB Kafka takes per
// record by default; an interchange is never split across records.
//
// # Duplicates
//
// An interchange whose sender (ISA-05, ISA-06) and control number
// (ISA-13) were stored before within [Config.DuplicateWindow] (default 24
// hours), or earlier in the same input, is stored all the same and
// answered TA1 R with note 025. The numbers are kept in memory, at most
// [Config.DuplicateLimit] of them (default 100000, about 15 MB; past it
// the oldest go first), so the check does not survive a restart and is
// not shared between instances. Only interchanges with a sound envelope
// are remembered, so a rejected interchange may be corrected and sent
// again under its number; and they are remembered only once the whole
// input is stored, so a retry after a failure is not a duplicate. Two
// inputs in flight at once with the same number: the second is the
// duplicate, even if the first then fails to be stored.
//
// # Control numbers of the answers
//
// Each TA1 and 999 interchange takes an interchange control number from
// [Config.ControlNumber] (the 999's GS-06 is the same number, its ST-02
// 0001 and up). The default sequence starts from the clock in hundredths
// of a second and counts up in memory: a restart does not repeat numbers
// unless the run before issued more than 100 a second on average, and
// two instances may issue the same number. Set ControlNumber to a
// persistent sequence where trading partners check them.
//
// # The drop directory
//
// A [Watcher] lists its directory every Poll and takes each regular file
// not starting with a dot and not modified for MinAge (write under a dot
// name and rename into the directory when complete):
//
//  1. claim: rename into .processing/<UUIDv7>_<name>; rename is atomic,
//     so of several watchers (processes or hosts sharing the directory)
//     one wins and the others skip the file;
//  2. ingest it; the owner touches the claimed file while it works;
//  3. once Kafka has every interchange: move it to archive/<name> when
//     everything is accepted, else to error/<name>, with <name>.ta1 and
//     <name>.999 (the acknowledgments, each interchange's in order)
//     written beside it; a name already there gets a suffix (.1, .2, …);
//  4. a file that cannot be split or read goes to error/<name> with
//     <name>.err, the located reason; nothing of it is stored;
//  5. when Kafka does not take an interchange, the file is put back under
//     its name and tried again (interchanges before it are then stored
//     twice: at least once).
//
// A claimed file untouched for StaleAfter (default 5 minutes) belongs to
// a watcher that died; another takes it over and ingests it again.
//
// # HTTP
//
// See [NewHandler] for the status codes. The body is read whole, up to
// [HandlerConfig.MaxBodySize].
package x12
