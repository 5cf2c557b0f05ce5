package x12

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tributary-health/tributary/adapters"
	edi "github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/event"
)

// Defaults of [Config].
const (
	DefaultSource = "x12"
	// DefaultMaxInterchangeSize keeps an interchange, with its headers,
	// under the 1 MB that Kafka brokers and clients accept per record by
	// default.
	DefaultMaxInterchangeSize = 960 << 10
	DefaultDuplicateWindow    = 24 * time.Hour
	DefaultDuplicateLimit     = 100_000
	DefaultEmitTimeout        = time.Minute
)

// Config configures an [Intake]. The zero value of each field means its
// documented default.
type Config struct {
	// Source names the intake in envelopes' source header; default
	// [DefaultSource]. It labels logs, so it is a name, not a path.
	Source string
	// MaxInterchangeSize is the largest interchange stored, in bytes;
	// default [DefaultMaxInterchangeSize], at most
	// [edi.DefaultMaxSegment]. An input holding a larger one is refused
	// whole.
	MaxInterchangeSize int
	// DuplicateWindow is how long an interchange control number is
	// remembered per sender, to answer a resend with TA1 note 025;
	// default [DefaultDuplicateWindow], negative to turn the check off.
	DuplicateWindow time.Duration
	// DuplicateLimit bounds how many control numbers are remembered
	// (about 150 bytes each); past it the oldest are forgotten before
	// their window ends. Default [DefaultDuplicateLimit].
	DuplicateLimit int
	// EmitTimeout bounds the wait for Kafka to acknowledge one
	// interchange; default [DefaultEmitTimeout]. Past it the input is not
	// answered (an [*EmitError]), though the interchange may still be
	// stored later: an idempotent producer cannot take back a record
	// that reached a broker which then went silent.
	EmitTimeout time.Duration
	// Ack is the responder's side of every acknowledgment: its ids
	// (empty ones mirror the interchange answered), delimiters and
	// Newline. Control numbers and time are set per acknowledgment.
	Ack edi.AckConfig
	// ControlNumber returns the next interchange control number of an
	// acknowledgment (1 to 999999999), unique per trading partner. The
	// default is a sequence in memory that starts from the clock (see
	// the package documentation); set it to use a persistent one. It
	// must be safe for concurrent use.
	ControlNumber func() int
	// Logger receives progress, never content; nil discards it.
	Logger *slog.Logger
	// Now returns the time of receipt; default time.Now.
	Now func() time.Time
}

// An Intake splits X12 input into interchanges, checks each, stores each
// as one envelope and builds its acknowledgments once Kafka has it. The
// drop directory ([Watcher]), the HTTP endpoint ([NewHandler]) and the
// one-shot file command share one Intake, hence one duplicate window. It
// is safe for concurrent use.
type Intake struct {
	cfg  Config
	log  *slog.Logger
	seen *window
}

// New validates cfg and returns an Intake.
func New(cfg Config) (*Intake, error) {
	if cfg.MaxInterchangeSize < 0 || cfg.MaxInterchangeSize > edi.DefaultMaxSegment {
		return nil, fmt.Errorf("x12: config: MaxInterchangeSize must be between 0 and %d", edi.DefaultMaxSegment)
	}
	if cfg.DuplicateLimit < 0 {
		return nil, errors.New("x12: config: DuplicateLimit is negative")
	}
	if cfg.Source == "" {
		cfg.Source = DefaultSource
	}
	if cfg.MaxInterchangeSize == 0 {
		cfg.MaxInterchangeSize = DefaultMaxInterchangeSize
	}
	if cfg.DuplicateWindow == 0 {
		cfg.DuplicateWindow = DefaultDuplicateWindow
	}
	if cfg.DuplicateLimit == 0 {
		cfg.DuplicateLimit = DefaultDuplicateLimit
	}
	if cfg.EmitTimeout <= 0 {
		cfg.EmitTimeout = DefaultEmitTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ControlNumber == nil {
		cfg.ControlNumber = newSequence(cfg.Now())
	}
	in := &Intake{cfg: cfg, log: cfg.Logger.With(slog.String("source", cfg.Source))}
	if cfg.DuplicateWindow > 0 {
		in.seen = newWindow(cfg.DuplicateWindow, cfg.DuplicateLimit)
	}
	return in, nil
}

// newSequence returns control numbers counting up from one derived from
// the clock in hundredths of a second, so that a restart does not
// repeat the numbers of the run before unless that run issued more than
// 100 a second on average; it wraps after 999999999.
func newSequence(now time.Time) func() int {
	const limit = 999_999_999
	var n atomic.Int64
	n.Store(now.UnixMilli() / 10 % limit)
	return func() int { return int(n.Add(1)-1)%limit + 1 }
}

// An Origin says where an input came from, for the envelopes' headers.
type Origin struct {
	File   string // the path of the file (attr-file, attr-offset); or
	Remote string // the address of the HTTP client (attr-remote)
}

// A Result is what became of one input.
type Result struct {
	Interchanges []*Interchange
}

// An Interchange is one interchange of an input: where it was, its
// envelope as checked, the envelope it was stored as, and its answers.
type Interchange struct {
	Span
	// Header is the interchange as [edi.Parser] checked it, with its
	// offsets and errors relative to the input (not to the span).
	Header     *edi.Interchange
	EnvelopeID string
	Kind       string
	// Status is "A" when nothing is wrong with the interchange, "R" when
	// it is rejected (TA1 R) or none of its transaction sets is
	// accepted, "P" in between.
	Status string
	// TA1 is an interchange holding the TA1, when the envelope has errors
	// or ISA-14 asked for one; nil otherwise.
	TA1 []byte
	// FA is an interchange holding a 999 per functional group, unless the
	// interchange is rejected or has no groups; nil otherwise.
	FA []byte
}

// Ack returns the answer to the interchange: its TA1 then its 999s.
func (ic *Interchange) Ack() []byte { return append(append([]byte(nil), ic.TA1...), ic.FA...) }

// Errors returns every error found in the interchange, outside in:
// interchange, groups, transaction sets in order.
func (ic *Interchange) Errors() []*edi.Error {
	h := ic.Header
	errs := append([]*edi.Error(nil), h.Errors...)
	for _, g := range h.Groups {
		errs = append(errs, g.Errors...)
		for _, t := range g.Transactions {
			errs = append(errs, t.Errors...)
		}
	}
	return errs
}

// Accepted reports whether every interchange of the input is accepted
// without errors.
func (r *Result) Accepted() bool {
	for _, ic := range r.Interchanges {
		if ic.Status != "A" {
			return false
		}
	}
	return true
}

// Ack returns the answers to every interchange, in order.
func (r *Result) Ack() []byte {
	var b []byte
	for _, ic := range r.Interchanges {
		b = append(b, ic.TA1...)
		b = append(b, ic.FA...)
	}
	return b
}

// TA1 returns the TA1 interchanges of the input, in order.
func (r *Result) TA1() []byte {
	var b []byte
	for _, ic := range r.Interchanges {
		b = append(b, ic.TA1...)
	}
	return b
}

// FA returns the 999 interchanges of the input, in order.
func (r *Result) FA() []byte {
	var b []byte
	for _, ic := range r.Interchanges {
		b = append(b, ic.FA...)
	}
	return b
}

// An EmitError says that an interchange was not stored: Kafka did not
// acknowledge it (or the context ended). Interchanges before it in the
// input may be stored; the input as a whole is not answered and should
// be retried, so at least once.
type EmitError struct {
	Interchange int // 1-based
	Err         error
}

// Error returns e.g. "x12: interchange 2: not stored: ...".
func (e *EmitError) Error() string {
	return "x12: interchange " + strconv.Itoa(e.Interchange) + ": not stored: " + e.Err.Error()
}

// Unwrap returns Err.
func (e *EmitError) Unwrap() error { return e.Err }

// ErrAck is wrapped by the error of [Intake.Ingest] when an interchange
// was stored but its acknowledgment could not be built (a bug, or an
// [Config.Ack] with unusable delimiters).
var ErrAck = errors.New("x12: acknowledgment not built")

// Ingest reads one input — a file, an HTTP body — whole: it splits it
// into interchanges ([Split]; a [*SplitError] if it cannot, and then
// nothing is stored), checks each interchange's envelopes and
// transaction sets with [edi.Parser] and the duplicate window, emits each
// as an envelope in order, and builds the acknowledgments of each once
// emit returned nil. An emit error stops it with an [*EmitError]. src is
// read twice (to split, then each interchange by its span).
func (in *Intake) Ingest(ctx context.Context, emit adapters.Emit, src io.ReaderAt, size int64, origin Origin) (*Result, error) {
	spans, err := Split(io.NewSectionReader(src, 0, size), int64(in.cfg.MaxInterchangeSize))
	if err != nil {
		return nil, err
	}
	res := &Result{}
	var reserved []string // duplicate-window keys of this input, committed once all is stored
	ok := false
	defer func() {
		if !ok {
			in.seen.release(reserved)
		}
	}()
	for i, sp := range spans {
		if err := ctx.Err(); err != nil {
			return nil, &EmitError{Interchange: i + 1, Err: err}
		}
		payload := make([]byte, sp.Size)
		if n, err := src.ReadAt(payload, sp.Offset); n < len(payload) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF // the input shrank between the two reads
			}
			return nil, &SplitError{Interchange: i + 1, Offset: sp.Offset, Err: err}
		}
		now := in.cfg.Now()
		ic := check(payload, sp)
		if h := ic.Header; in.seen != nil && len(h.Errors) == 0 {
			// Only interchanges with a sound envelope are remembered: a
			// rejected one may be corrected and sent again with its number.
			key := h.SenderQualifier + "/" + h.SenderID + "/" + h.ControlNumber
			if in.seen.reserve(key, now) {
				reserved = append(reserved, key)
			} else {
				h.Errors = append(h.Errors, &edi.Error{Level: edi.LevelInterchange, Code: "025",
					Segment: "ISA", Element: 13, Offset: h.Offset, Err: edi.ErrDuplicate})
			}
		}
		ic.Status = status(ic.Header)
		env := in.envelope(ic, payload, now, origin)
		if err := in.emit(ctx, emit, env); err != nil {
			return nil, &EmitError{Interchange: i + 1, Err: err}
		}
		ic.EnvelopeID = env.ID
		// Stored: from here on the interchange may be answered.
		if err := in.acknowledge(ic); err != nil {
			in.log.LogAttrs(ctx, slog.LevelError, "x12 acknowledgment not built", slog.String("envelope_id", env.ID), slog.String("err", err.Error()))
			return nil, fmt.Errorf("%w: interchange %d: %w", ErrAck, i+1, err)
		}
		res.Interchanges = append(res.Interchanges, ic)
		in.log.LogAttrs(ctx, slog.LevelDebug, "x12 interchange stored", slog.String("envelope_id", env.ID),
			slog.String("kind", ic.Kind), slog.String("status", ic.Status), slog.Int("errors", len(ic.Errors())))
	}
	ok = true
	in.seen.commit(reserved, in.cfg.Now())
	return res, nil
}

// emit calls emit with a deadline, and returns when the deadline passes
// or ctx ends even if emit has not: the producer keeps an idempotent
// record that reached a broker until the broker answers, and the sender
// must not wait for that. The call left behind ends when the producer
// resolves the record (or is closed).
func (in *Intake) emit(ctx context.Context, emit adapters.Emit, env event.Envelope) error {
	ctx, cancel := context.WithTimeout(ctx, in.cfg.EmitTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- emit(ctx, env) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// IngestBytes is [Intake.Ingest] for an input in memory.
func (in *Intake) IngestBytes(ctx context.Context, emit adapters.Emit, data []byte, origin Origin) (*Result, error) {
	return in.Ingest(ctx, emit, bytes.NewReader(data), int64(len(data)), origin)
}

// check parses one interchange and shifts its offsets to the input's.
func check(payload []byte, sp Span) *Interchange {
	p := edi.NewParser(bytes.NewReader(payload))
	var kinds []string
	for {
		tx, err := p.Next()
		if err != nil {
			// io.EOF; a syntax error cannot happen after Split, and is
			// in the interchange's errors anyway (a missing trailer).
			break
		}
		if tx.SetID != "" && !contains(kinds, tx.SetID) {
			kinds = append(kinds, tx.SetID)
		}
	}
	ics := p.Interchanges()
	var h *edi.Interchange
	if len(ics) > 0 {
		h = ics[0]
	} else {
		h = &edi.Interchange{Errors: []*edi.Error{{Level: edi.LevelInterchange, Code: "024", Segment: "ISA", Err: edi.ErrISA}}}
	}
	shift(h, sp.Offset)
	return &Interchange{Span: sp, Header: h, Kind: strings.Join(kinds, ",")}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// shift adds off to every offset of h, which the parser counted from the
// start of the span.
func shift(h *edi.Interchange, off int64) {
	h.Offset += off
	for _, e := range h.Errors {
		e.Offset += off
	}
	for _, g := range h.Groups {
		g.Offset += off
		for _, e := range g.Errors {
			e.Offset += off
		}
		for _, t := range g.Transactions {
			t.Offset += off
			for _, e := range t.Errors {
				e.Offset += off
			}
		}
	}
}

// status is "A", "P" or "R" for the interchange as a whole, as its
// TA1 and AK901s say.
func status(h *edi.Interchange) string {
	if len(h.Errors) > 0 {
		return "R"
	}
	var acc, rej int
	for _, g := range h.Groups {
		switch groupStatus(g) {
		case "A":
			acc++
		case "P":
			return "P"
		default:
			rej++
		}
	}
	switch {
	case rej == 0:
		return "A"
	case acc == 0:
		return "R"
	}
	return "P"
}

// groupStatus is AK901 as [edi.New999] writes it.
func groupStatus(g *edi.Group) string {
	accepted := 0
	for _, t := range g.Transactions {
		if t.Accepted() {
			accepted++
		}
	}
	switch {
	case len(g.Errors) > 0 || accepted == 0 && len(g.Transactions) > 0:
		return "R"
	case accepted < len(g.Transactions):
		return "P"
	}
	return "A"
}

// envelope builds the envelope of one interchange. The attributes hold
// control numbers, ids of trading partners and the verdict, never claim
// data.
func (in *Intake) envelope(ic *Interchange, payload []byte, now time.Time, origin Origin) event.Envelope {
	h := ic.Header
	attrs := map[string]string{
		"isa13":    h.ControlNumber,
		"isa15":    h.Usage,
		"sender":   h.SenderQualifier + ":" + h.SenderID,
		"receiver": h.ReceiverQualifier + ":" + h.ReceiverID,
		"ack":      ic.Status,
	}
	if _, note := edi.TA1Status(h); note != "000" {
		attrs["ta105"] = note
	}
	var gs []string
	for _, g := range h.Groups {
		gs = append(gs, g.ControlNumber)
	}
	if len(gs) > 0 {
		attrs["gs06"] = strings.Join(gs, ",")
	}
	switch {
	case origin.File != "":
		attrs["file"] = origin.File
		attrs["offset"] = strconv.FormatInt(ic.Offset, 10)
	case origin.Remote != "":
		attrs["remote"] = origin.Remote
	}
	return event.Envelope{
		ID:       event.NewID(now),
		Format:   event.FormatX12,
		Kind:     ic.Kind,
		Received: now.UTC(),
		Source:   in.cfg.Source,
		Key:      h.SenderID,
		Attrs:    attrs,
		Payload:  payload,
	}
}

// acknowledge builds the TA1 and the 999s of a stored interchange.
func (in *Intake) acknowledge(ic *Interchange) error {
	h := ic.Header
	now := in.cfg.Now()
	cfg := in.cfg.Ack
	cfg.Time = now
	if h.AckRequested == "1" || len(h.Errors) > 0 {
		cfg.InterchangeControlNumber = in.cfg.ControlNumber()
		b, err := edi.NewTA1(h, cfg)
		if err != nil {
			return err
		}
		ic.TA1 = b
	}
	if len(h.Errors) == 0 && len(h.Groups) > 0 {
		n := in.cfg.ControlNumber()
		cfg.InterchangeControlNumber, cfg.GroupControlNumber, cfg.TransactionControlNumber = n, n, 1
		b, err := edi.New999(h, cfg)
		if err != nil {
			return err
		}
		ic.FA = b
	}
	return nil
}
