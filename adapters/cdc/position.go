package cdc

import (
	"errors"
	"net/url"
	"strings"
)

// A Position is where an event sits in its source's change log, in a
// form that orders events: the connector, the logical server name, and
// named parts from the most significant to the least, e.g. PostgreSQL's
// lsn, or SQL Server's commit_lsn, change_lsn and event_serial_no.
//
// Positions let the pipeline ignore duplicates (a restarted connector or
// relay delivers some events again: equal positions) and stale events
// (an older position than the state it has for the same key). They
// compare only within one connector and server; see [Position.Compare].
type Position struct {
	Connector string
	Server    string
	Parts     []PositionPart
}

// A PositionPart is one named component of a [Position]. Values made of
// decimal digits compare as numbers; others (file names, hexadecimal
// LSNs of fixed width) compare as text, and an empty value (a member the
// event left null) sorts first.
type PositionPart struct {
	Name, Value string
}

// IsZero reports whether p holds no position.
func (p Position) IsZero() bool { return len(p.Parts) == 0 }

// Compare orders p and q: -1 if p is earlier, 0 if equal, +1 if later.
// ok is false when they cannot be compared: either is zero, or they come
// from different connectors or servers, or their parts differ in name
// (a connector upgrade that changed what it writes). A caller that gets
// !ok must not drop the event.
func (p Position) Compare(q Position) (c int, ok bool) {
	if p.IsZero() || q.IsZero() || p.Connector != q.Connector || p.Server != q.Server || len(p.Parts) != len(q.Parts) {
		return 0, false
	}
	for i := range p.Parts {
		if p.Parts[i].Name != q.Parts[i].Name {
			return 0, false
		}
	}
	for i := range p.Parts {
		if c := comparePart(p.Parts[i].Value, q.Parts[i].Value); c != 0 {
			return c, true
		}
	}
	return 0, true
}

func comparePart(a, b string) int {
	if a == b {
		return 0
	}
	if a == "" {
		return -1
	}
	if b == "" {
		return 1
	}
	if digits(a) && digits(b) {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			if len(a) < len(b) {
				return -1
			}
			return 1
		}
	}
	return strings.Compare(a, b)
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String returns the position's text form, as carried in the
// attr-position header: "connector/server/name=value,name=value", each
// token with '%', '/', ',', '=' and non-printable bytes percent-encoded.
// "" for a zero position.
func (p Position) String() string {
	if p.IsZero() {
		return ""
	}
	var b strings.Builder
	b.WriteString(escapeToken(p.Connector))
	b.WriteByte('/')
	b.WriteString(escapeToken(p.Server))
	b.WriteByte('/')
	for i, part := range p.Parts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(escapeToken(part.Name))
		b.WriteByte('=')
		b.WriteString(escapeToken(part.Value))
	}
	return b.String()
}

// ErrPosition is returned by [ParsePosition] for text that is not a
// position.
var ErrPosition = errors.New("cdc: invalid position")

// ParsePosition is the inverse of [Position.String]; "" is the zero
// position.
func ParsePosition(s string) (Position, error) {
	if s == "" {
		return Position{}, nil
	}
	tok := strings.SplitN(s, "/", 3)
	if len(tok) != 3 || tok[2] == "" {
		return Position{}, ErrPosition
	}
	var p Position
	var err error
	if p.Connector, err = url.PathUnescape(tok[0]); err != nil {
		return Position{}, ErrPosition
	}
	if p.Server, err = url.PathUnescape(tok[1]); err != nil {
		return Position{}, ErrPosition
	}
	for part := range strings.SplitSeq(tok[2], ",") {
		n, v, ok := strings.Cut(part, "=")
		if !ok {
			return Position{}, ErrPosition
		}
		var pp PositionPart
		if pp.Name, err = url.PathUnescape(n); err != nil {
			return Position{}, ErrPosition
		}
		if pp.Value, err = url.PathUnescape(v); err != nil {
			return Position{}, ErrPosition
		}
		p.Parts = append(p.Parts, pp)
	}
	return p, nil
}

func escapeToken(s string) string {
	need := false
	for i := 0; i < len(s); i++ {
		if escapeByte(s[i]) {
			need = true
			break
		}
	}
	if !need {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if escapeByte(c) {
			b.WriteByte('%')
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&0xF])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func escapeByte(c byte) bool {
	return c <= ' ' || c >= 0x7f || c == '%' || c == '/' || c == ',' || c == '='
}

// positionOf derives the position of an event from its source block,
// per connector. Per key, the database serializes changes (a row lock
// is held until commit), so each scheme below orders the changes of one
// row even where it does not order a whole log:
//
//	postgresql       lsn
//	mysql, mariadb   file (binlog sequence number), pos, row
//	oracle           commit_scn (scn when absent: snapshots), scn
//	sqlserver, db2   commit_lsn, change_lsn, event_serial_no (hexadecimal LSNs compared as text)
//	mongodb          ts_ms, ord
//	copybook         file, record (this package's file intake)
//
// A connector without a scheme, or an event missing the members, gets
// the zero position: it is never taken for a duplicate.
func positionOf(s Source) Position {
	f := func(name string) string {
		v, ok := s.Fields.Get(name)
		if !ok || v.Kind == KindNull {
			return ""
		}
		switch v.Kind {
		case KindString, KindNumber:
			return v.Text
		}
		return ""
	}
	connector := strings.ToLower(s.Connector)
	if connector == "" {
		connector = guessConnector(f)
	}
	p := Position{Connector: connector, Server: s.Name}
	add := func(name, value string) { p.Parts = append(p.Parts, PositionPart{Name: name, Value: value}) }
	switch connector {
	case "postgresql":
		if f("lsn") == "" {
			return Position{}
		}
		add("lsn", f("lsn"))
	case "mysql", "mariadb":
		file, pos := f("file"), f("pos")
		if file == "" || pos == "" {
			return Position{}
		}
		add("file", binlogSeq(file))
		add("pos", pos)
		add("row", f("row"))
	case "oracle":
		scn := f("scn")
		if scn == "" {
			return Position{}
		}
		commit := f("commit_scn")
		if commit == "" {
			commit = scn
		}
		add("commit_scn", commit)
		add("scn", scn)
	case "sqlserver", "db2":
		commit, change := strings.ToLower(f("commit_lsn")), strings.ToLower(f("change_lsn"))
		if commit == "" && change == "" {
			return Position{}
		}
		add("commit_lsn", commit)
		add("change_lsn", change)
		add("event_serial_no", f("event_serial_no"))
	case "mongodb":
		if f("ts_ms") == "" {
			return Position{}
		}
		add("ts_ms", f("ts_ms"))
		add("ord", f("ord"))
	case ConnectorCopybook:
		if f("file") == "" || f("record") == "" {
			return Position{}
		}
		add("file", f("file"))
		add("record", f("record"))
	default:
		return Position{}
	}
	return p
}

// guessConnector names the connector of a source block that does not
// say, from the position members it has.
func guessConnector(f func(string) string) string {
	switch {
	case f("scn") != "":
		return "oracle"
	case f("lsn") != "":
		return "postgresql"
	case f("file") != "" && f("pos") != "":
		return "mysql"
	case f("commit_lsn") != "" || f("change_lsn") != "":
		return "sqlserver"
	}
	return ""
}

// binlogSeq returns the sequence number of a MySQL binlog file name
// ("mysql-bin.000003" → "000003"), which orders files even past the
// six-digit rollover; the whole name when it has none.
func binlogSeq(file string) string {
	if i := strings.LastIndexByte(file, '.'); i >= 0 && digits(file[i+1:]) {
		return file[i+1:]
	}
	return file
}

// Scope names the domain p compares in: "connector/server/name,name,..."
// (tokens escaped as in [Position.String]). Two non-zero positions
// compare (see [Position.Compare]) exactly when their scopes are equal.
// "" for a zero position.
func (p Position) Scope() string {
	if p.IsZero() {
		return ""
	}
	var b strings.Builder
	b.WriteString(escapeToken(p.Connector))
	b.WriteByte('/')
	b.WriteString(escapeToken(p.Server))
	b.WriteByte('/')
	for i, part := range p.Parts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(escapeToken(part.Name))
	}
	return b.String()
}

// Key returns the values of p in an order-preserving text encoding, for
// a store that compares positions as bytes: for positions of one
// [Position.Scope], strings.Compare(p.Key(), q.Key()) is p.Compare(q),
// as long as each part is of one kind in both (digits in both, or text
// in both; the connectors' schemes keep it so). Each part is encoded on
// its own, self-delimiting, in printable ASCII:
//
//	empty   "0"
//	digits  "1" + the digit count without leading zeros (4 hex digits, so up to 65,535) + those digits
//	text    "2" + the bytes in lower-case hex + "."
//
// "" for a zero position.
func (p Position) Key() string {
	if p.IsZero() {
		return ""
	}
	const hexDigits = "0123456789abcdef"
	var b strings.Builder
	for _, part := range p.Parts {
		v := part.Value
		switch {
		case v == "":
			b.WriteByte('0')
		case digits(v):
			v = strings.TrimLeft(v, "0")
			n := len(v)
			b.WriteByte('1')
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hexDigits[(n>>shift)&0xF])
			}
			b.WriteString(v)
		default:
			b.WriteByte('2')
			for i := 0; i < len(v); i++ {
				b.WriteByte(hexDigits[v[i]>>4])
				b.WriteByte(hexDigits[v[i]&0xF])
			}
			b.WriteByte('.')
		}
	}
	return b.String()
}
