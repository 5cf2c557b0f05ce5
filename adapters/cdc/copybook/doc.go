// Package copybook reads COBOL copybooks and decodes the mainframe records
// they describe (EBCDIC or ASCII, zoned and packed decimal, binary and
// hexadecimal floating point, REDEFINES, OCCURS DEPENDING ON, RDW
// framing) into ordered values and JSON. It is the first layer of the CDC
// adapter: a VSAM or IMS unload, or a change file, becomes one JSON object
// per record. It imports only the standard library and
// golang.org/x/text (for the code pages).
//
// # Parsing
//
// [Parse] reads copybook source in the fixed reference format (columns
// 1-6 sequence area, column 7 indicator: '*' and '/' comments, '-'
// continuation, 'D' debugging lines skipped; program text in 8-72;
// 73-80 ignored) or free format ("*>" comments), detected per
// [FormatAuto]. It understands levels 01-49, 66 (RENAMES, kept as
// metadata in [Copybook.Renames]), 77 and 88 (condition names, kept in
// [Item.Conditions]); PICTURE X, A and 9 with S, V, P and repetition
// counts; the numeric-edited symbols Z, +, -, and an explicit '.'
// (enough for the edited numbers found in data files); USAGE DISPLAY,
// COMP/COMP-4/BINARY (and COMP-0), COMP-5, COMP-3/PACKED-DECIMAL, COMP-1
// and COMP-2, written on the item or inherited from its group; SIGN
// LEADING/TRAILING [SEPARATE [CHARACTER]]; OCCURS n and OCCURS m TO n
// DEPENDING ON (nested too; qualified names with OF/IN); REDEFINES;
// FILLER; VALUE, JUSTIFIED, BLANK WHEN ZERO, INDEXED BY and KEY clauses
// are parsed and ignored. SYNCHRONIZED is kept in [Item.Sync] but no
// slack bytes are inserted: unload files are written without them.
//
// Everything else is rejected with a [*ParseError] that names the line
// and column and says what is not supported: COPY and REPLACE (expand
// the copybook first), PICTURE N, G, U and E, the editing symbols B 0 /
// , * $ CR DB, and USAGE INDEX, POINTER, NATIONAL and COMP-6.
//
// A copybook without a level 01 (a fragment starting at level 05, say)
// gets an implicit record named RECORD. Several level-01 records are
// kept; [Config.Record] picks the one to decode.
//
// # Layout
//
// Parse computes every item's [Item.Offset] and [Item.Size] with each
// table at its maximum, which is how most unload tools write records and
// how Cobrix reads them by default. With [Config.VariableOccurs] an
// OCCURS DEPENDING ON table takes only its actual elements and the items
// after it move, as COBOL lays the record out in storage;
// [Decoder.Length] then gives a record's length from its counts, which
// lets a [Reader] split files of such records back to back.
//
// BINARY items take 2, 4 or 8 bytes for up to 4, 9 and 18 digits (IBM);
// beyond 18 digits, which IBM does not allow, they take the bytes of a
// two's complement integer of that many digits, as Cobrix computes it.
// COMP-3 takes digits/2+1 bytes; P positions take no storage.
//
// # Values and the JSON number choice
//
// [Decoder.AppendJSON] writes one JSON object per record: the items of
// the level-01 record as members in copybook order (the level-01 name is
// not repeated), groups as objects, tables as arrays of their actual
// elements, FILLER items and groups left out, and a REDEFINES
// alternative that [Config.Segments] does not select for the record's
// segment left out. [Decoder.Decode] returns the same content as a
// [Value] tree.
//
// Decimal numbers are exact: the decoder builds the decimal digits from
// the zoned, packed or binary data and writes them, with the point the
// PICTURE places, straight as a JSON number, never through float64. The
// PICTURE's scale is kept (PIC 9(3)V99 holding 1.5 is written 1.50) and P
// positions scale the value (PIC 9(2)PPP holding 12 is 12000; PIC PPP99
// holding 12 is 0.00012); a negative zero is written 0. JSON numbers of
// 38 digits are valid JSON but lose precision in a float64: consumers
// must read them with encoding/json's UseNumber (or [Value.Number]) or a
// decimal type. We chose JSON numbers rather than strings so that the
// output stays natural to read and to map, and the exactness sits in
// the text. COMP-1 and COMP-2 are floating point by nature: they are
// written as the shortest decimal that reads back as the same binary
// value (of the float32 for COMP-1, which converts exactly), in plain
// notation between 1e-6 and 1e21.
//
// Reading rules, where COBOL leaves a choice:
//
//   - A DISPLAY or COMP-3 item that is all spaces or all NULs (never
//     initialized) is null. Other blanks in a DISPLAY number are invalid
//     unless [Config.PaddedNumbers] is set.
//   - Zoned decimal accepts the sign zones C, A, E, F (positive) and D, B
//     (negative) on the sign position, also of an unsigned item: the sign
//     is kept, not dropped. Other positions need zone F. In ASCII the
//     overpunch letters '{' 'A'-'I' / '}' 'J'-'R' and Micro Focus's
//     'p'-'y' are accepted.
//   - COMP-3 accepts the sign nibbles A, C, E, F and B, D as IBM hardware
//     does; the pad nibble of an even digit count is read as a digit so
//     that nothing is silently dropped.
//   - BINARY (COMP, COMP-4) is truncated to its PICTURE digits, as a
//     program compiled with IBM's default TRUNC(STD) sees it: PIC 9(4)
//     COMP holding 12345 reads 2345. [BinaryFull] reads the whole value
//     (TRUNC(BIN), and Cobrix). COMP-5 is never truncated.
//   - COMP-1/COMP-2 are IBM hexadecimal floating point unless
//     [Config.Float] says IEEE 754.
//   - Items beyond the end of a short record (variable-length records
//     often omit them) are null; text cut by the end keeps its bytes; a
//     number cut by the end is invalid.
//
// Text is decoded through the code page ([CP037] by default, [CP1047],
// [CP1140], [ASCII]) to UTF-8 and trimmed of trailing spaces and NULs
// ([Config.Trim]); control characters are kept (JSON-escaped).
//
// # Errors
//
// Parse errors are [*ParseError]s: "copybook: line 12 col 30: invalid
// PICTURE: more than one decimal point". Decoding errors are
// [*DecodeError]s that give the record number (when known), the byte
// offset and the field, with subscripts inside tables: "copybook: record
// 12 offset 412 field CUSTOMER-ID: invalid packed decimal". They never
// hold the value: records carry PHI. With [InvalidNull] an invalid value
// is null instead, as Cobrix reads it.
//
// # Framing
//
// A [Reader] splits a file or stream into records: [Fixed] length,
// [Variable] (RECFM=V, each record after a 4-byte RDW) and
// [VariableBlocked] (RECFM=VB, blocks after a BDW, extended BDWs too).
// RDWs are IBM's by default ([RDWStandard]); [RDWLittleEndian] reads the
// variant that Cobrix reads by default. Multi-segment files name their
// segment id field in [Config.SegmentField] and map segment ids to the
// REDEFINES alternative holding each segment in [Config.Segments]
// (Cobrix's segment_field and redefine_segment_id_map);
// [Decoder.Segment] gives a record's segment id, from which a caller
// groups child segments under their root.
//
// # Concurrency and cost
//
// A [Copybook] and a [Decoder] are immutable and safe for concurrent use;
// a [Reader] is not. AppendJSON allocates nothing in the steady state
// (scratch space comes from a pool); see BenchmarkDecode.
//
// # Compatibility with Cobrix
//
// The tests decode every Cobrix test case in the shared corpus and
// compare with Cobrix's expected output; testdata/COBRIX.md lists the
// options used and the differences.
package copybook
