// Package x12 reads ASC X12 005010 interchanges: a streaming tokenizer,
// envelope checks, loops built from implementation-guide tables, located
// errors and the TA1 and 999 acknowledgments that answer them. It knows
// X12 syntax and the loop structure of the HIPAA guides; what a CLM or an
// SVC means is for package claims, built on the loops.
//
// # Layers
//
// [Reader] splits a stream into [Segment]s. It takes the delimiters from
// every ISA (the element separator is the byte after "ISA", ISA-11 the
// repetition separator from 00501 on, ISA-16 the component separator and
// the byte after it the segment terminator), so one stream may hold
// interchanges with different delimiters. It skips line breaks, spaces
// and tabs between segments (unless they are delimiters), empty segments
// and a leading byte-order mark, and nothing else, so segments written
// back with [Segment.AppendTo] reproduce the input without those bytes.
// Its buffer is bounded (64 KiB, growing only for a longer segment, up to
// [DefaultMaxSegment]); a segment it returns is a view valid until the
// next call ([Segment.Clone] copies it). The hot path allocates nothing per
// segment.
//
// [Parser] checks the envelopes as it reads: ISA element widths and code
// values, ISA-13 = IEA-02, IEA-01 = number of groups, GS-06 = GE-02, GE-01 =
// number of transaction sets, ST-02 = SE-02, SE-01 = number of segments,
// missing trailers, duplicate interchange control numbers in the stream,
// duplicate group control numbers in an interchange and duplicate
// transaction set control numbers in a group, segments outside their
// envelope, GS-01 against ST-01, and the version: a group whose GS-08 (or
// a transaction set whose ST-03) does not start with 005010 is answered
// with "unsupported version" ([ErrUnsupportedVersion]; AK905 2, IK502 1
// or I6) and its transaction sets get no loops. It returns one
// [Transaction] at a time (its segments owned, in one buffer), so memory
// is bounded by the largest transaction set, not by the stream; what the
// acknowledgments need of each is kept as a small [Summary].
//
// Loops are built with a [Guide]: the implementation guide's loop tree as
// Go tables (guide_837.go, guide_835_834.go, guide_27x.go), written in X12
// notation — seg("NM1*85", req, 1) is the NM1 whose NM1-01 is 85, required,
// used once; loop("2010AA", ..., members...) a loop started by its first
// member. Supported: 837P 005010X222A1, 837I 005010X223A2, 837D
// 005010X224A2, 835 005010X221A1, 834 005010X220A1, 270/271 005010X279A1
// and 276/277 005010X212 (later addenda of the same guide, such as X222A2,
// use the same tables). See loops.go for how a segment finds its loop:
// the nearest open loop first, forward in the guide's order, child loops
// by their first segment and qualifier (so SBR inside 2300 opens 2320, NM1*82
// after CLM is 2310B and after LX is 2420A), HL levels by HL-03 under the
// HL that HL-02 names. The result is a tree of [Loop]s from
// [Transaction.Root], each holding its segments with their position in the
// transaction set and byte offset; [Loop.Child], [Loop.SegmentsOf],
// [Segment.Element], [Segment.Component] and [Segment.Repetition] address
// it by id, qualifier and 1-based position.
//
// # What is checked
//
// Per segment, against the guide: unrecognized segment ids (IK304 1),
// unexpected segments (2), segments the guide does not use (6), required
// segments and loops missing (3), loops over their maximum repeat (4),
// segments over their maximum use (5), segments out of sequence (7), and
// qualifiers the guide does not list where it lists them — NM1-01 of
// the NM1 that starts a name loop, HL-03, REF-01, DTP-01, PER-01 where a
// table gives values (IK403 7 on the qualifier).
// HL-01 must be unique and HL-02 must name an open HL of a level that may
// hold this one. Per element, for the segments in the element dictionary
// (elements.go: ST, SE, BHT, BGN, NM1, N1, N3, N4, REF, PER, DTP, DTM, HL,
// SBR, PAT, DMG, CLM, LX, SV1, SV2, SV3, HI, CLP, SVC, CAS, BPR, TRN, AMT,
// QTY, INS, HD, EQ, EB, OI, PRV, SVD, NTE, PLB, STC): required elements and
// components (IK403 1), too many elements (3), length (4, 5), numeric
// format (6), dates and times (8, 9, including DTP-03 against DTP-02), too
// many repetitions (12) and components (13). Not checked: code values
// other than the loop qualifiers, situational rules between elements,
// and most per-qualifier counts inside a loop (DTP, REF and AMT in 2300
// and 2400 are listed once, unbounded).
//
// # Errors
//
// Every problem is an [*Error]: its [Level] (which acknowledgment segment
// reports it), its code in that segment's code list, the loop id, segment
// id, position in the transaction set, element, component and repetition,
// the data element reference number and the byte offset — never a value
// from the input: an id that is not a valid segment id is not echoed
// either. [Error.Location] gives the notation X12 people use, such as
// "2300/CLM05-1". A missing segment is reported at the position of the
// first segment after where it belonged.
//
// # Acknowledgments
//
// [NewTA1], [New999] and [Acknowledge] answer an [Interchange] with the
// responder's envelope and control numbers from an [AckConfig]: a TA1 with
// TA104 A or R and the TA105 note code of the first interchange error, and
// one 999 per functional group (AK1, AK2 per transaction set, IK3/IK4 per
// segment/element error with the loop id, IK5, AK9). The 999 omits IK4-04
// and CTX, which would copy data from the claim. IK501 and AK901 are A, R
// or P: this layer reports no warnings (so no E), and M, W and X concern
// security features X12 HIPAA exchanges do not use. The implementation
// codes (IK304 I4-I9, IK403 I10-I13) are not produced: the tables do not
// mark "not used" segments and elements.
package x12
