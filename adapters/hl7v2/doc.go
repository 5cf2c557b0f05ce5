// Package hl7v2 reads and writes HL7 version 2 messages: delimiters,
// escapes, character sets, segments, batches, timestamps and
// acknowledgments. It knows the syntax of v2 and the little of MSH, MSA and
// ERR that every receiver needs; what a PID or an OBX means is for the
// mappers built on it.
//
// # Model
//
// [Parse] returns a [*Message]: [Delimiters] and [Segment]s, each a list of
// [Field]s, each a list of [Repetition]s of [Component]s of subcomponent
// strings. Everything is numbered as the standard numbers it, from 1:
// MSH-1 is the field separator and MSH-2 the encoding characters, so
// [Segment.Field](9) of MSH is the message type. Paths such as
// "PID-3[2].1" or "OBX[2]-5" address values ([Message.Get],
// [ParseLocation]); absent parts read as "".
//
// # Values are text
//
// Values are unescaped after splitting and decoded from the character set
// of MSH-18 to UTF-8 (ASCII, ISO IR6, 8859/1 to 8859/9, 8859/15, UNICODE
// UTF-8; an empty MSH-18 means ASCII, but since senders often send UTF-8
// without saying so, valid UTF-8 is accepted and other 8-bit bytes are read
// as windows-1252, with a warning). Each escape sequence becomes:
//
//	\F\ \S\ \T\ \R\ \E\ \P\   the delimiter it names, as a character
//	\Xhhhh\                    its bytes, in the message's character set
//	                          (binary in the UTF-8 family is kept as bytes)
//	\H\ \N\                    markup, kept as "\H\" and "\N\"
//	\.br\ \.sp n\ \.in n\ ...  markup, kept as "\.br\", "\.sp n\", ...
//	\Zxxx\                     markup, kept as "\Zxxx\"
//	\Cxxyy\ \Mxxyyzz\          markup, kept as is (character set switches
//	                          are not interpreted)
//	anything else             kept as written, with a warning
//
// Markup is kept in the text with a backslash as escape character,
// whatever the message's escape character is, so a consumer finds
// formatting in one form; [PlainText] renders it for a reader (line breaks
// and spaces, the rest dropped). A value that holds a backslash followed by
// markup-looking text and another backslash therefore reads as markup:
// text has no way to tell them apart, and this is the trade-off for values
// that are plain strings. Malformed and unknown escapes (such as an
// escape character without its closing one) are kept literally and listed
// in [Message.Warnings]; nothing is dropped.
//
// # Round trip
//
// [Encode] writes text back: delimiters as \F\ \S\ \T\ \R\ \E\ (and \P\ for
// the truncation character), markup with the message's escape character,
// CR, LF and other control characters (but TAB) and bytes that are not
// valid UTF-8 as \Xhh\. Parse gives every empty field, repetition and
// component as nil and keeps trailing empty fields and components, so for
// every message m that Parse returns, Parse(Encode(m)) returns the same
// delimiters and segments. Encode(Parse(b)) is not b in general: it
// normalizes segment terminators to CR, drops a byte-order mark and blank
// lines, and may choose other (equivalent) escapes; keep the original
// bytes where they matter (the raw Kafka topic does).
//
// # Errors
//
// Parse errors are [*ParseError]s: a [Location], the segment's position
// and the byte offset, never the value. An application that rejects a
// message returns an [*Error] (a location, a table 0357 [ErrorCode] and a
// PHI-free text); [AsError] gives both in those terms, and [NewACK] turns
// them into ERR segments.
package hl7v2
