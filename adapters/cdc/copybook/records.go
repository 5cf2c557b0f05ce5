package copybook

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// RecordFormat is how records are framed in a file or stream.
type RecordFormat uint8

// The record formats.
const (
	// Fixed records all have ReaderConfig.Length bytes; with a Length
	// function (see [ReaderConfig]) each record is as long as its
	// OCCURS DEPENDING ON counts make it.
	Fixed RecordFormat = iota
	// Variable records (RECFM=V) each start with a 4-byte record
	// descriptor word (RDW) giving their length.
	Variable
	// VariableBlocked records (RECFM=VB) come in blocks, each starting
	// with a 4-byte block descriptor word (BDW) and holding
	// RDW-prefixed records.
	VariableBlocked
)

// ParseRecordFormat parses "F" (also "FB"), "V" or "VB".
func ParseRecordFormat(s string) (RecordFormat, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "F", "FB":
		return Fixed, nil
	case "V":
		return Variable, nil
	case "VB":
		return VariableBlocked, nil
	}
	return 0, fmt.Errorf("copybook: unknown record format %q (want F, V or VB)", s)
}

// RDW is the layout of record descriptor words.
type RDW uint8

// The RDW layouts.
const (
	// RDWStandard is IBM's: a big-endian length in bytes 0-1 that
	// counts the 4 RDW bytes, and zero in bytes 2-3 (non-zero there
	// marks a spanned segment, which is not supported).
	RDWStandard RDW = iota
	// RDWLittleEndian has a little-endian length in bytes 2-3 that does
	// not count the RDW, as Cobrix reads RDWs by default and as its
	// test files are written.
	RDWLittleEndian
)

// ReaderConfig configures a [Reader].
type ReaderConfig struct {
	Format RecordFormat
	// Length is the record length of Fixed records; it is required
	// unless LengthOf is set, and is the most a record may have then.
	Length int
	// LengthOf, for Fixed records, returns the length of the record at
	// the start of data (which holds up to Length bytes, fewer at the
	// end of the input); [Decoder.Length] with Config.VariableOccurs.
	LengthOf func(data []byte) (int, error)
	RDW      RDW
}

// maxBuffered bounds a fixed record length so a bad configuration cannot
// make the reader allocate without limit.
const maxBuffered = maxRecordSize

// A Reader splits an input into records. It is not safe for concurrent
// use.
type Reader struct {
	cfg    ReaderConfig
	r      *bufio.Reader
	buf    []byte
	n      int   // records returned
	off    int64 // input offset of the next byte
	recOff int64 // input offset of the last record's data
	block  int   // bytes left in the current VB block
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader, cfg ReaderConfig) (*Reader, error) {
	if cfg.Format > VariableBlocked {
		return nil, fmt.Errorf("copybook: unknown record format %d", cfg.Format)
	}
	if cfg.Format == Fixed && (cfg.Length <= 0 || cfg.Length > maxBuffered) {
		return nil, fmt.Errorf("copybook: fixed-length records need a length between 1 and %d", maxBuffered)
	}
	size := 64 << 10
	if cfg.Length > size {
		size = cfg.Length
	}
	return &Reader{cfg: cfg, r: bufio.NewReaderSize(r, size)}, nil
}

// Next returns the next record, valid until the next call, or io.EOF
// after the last. Framing errors are [*DecodeError]s with the record
// number and the input offset.
func (r *Reader) Next() ([]byte, error) {
	var rec []byte
	var err error
	switch r.cfg.Format {
	case Fixed:
		rec, err = r.fixed()
	case Variable:
		rec, err = r.variable(false)
	default:
		rec, err = r.variable(true)
	}
	if err != nil {
		return nil, err
	}
	r.n++
	return rec, nil
}

// Record returns the number of the last record Next returned, from 1.
func (r *Reader) Record() int { return r.n }

// Offset returns the input offset of the last record's data.
func (r *Reader) Offset() int64 { return r.recOff }

func (r *Reader) fail(err error) error {
	return &DecodeError{Record: r.n + 1, Offset: r.off, Err: err}
}

func (r *Reader) fixed() ([]byte, error) {
	n := r.cfg.Length
	if r.cfg.LengthOf != nil {
		data, err := r.r.Peek(n)
		if len(data) == 0 {
			if err == io.EOF || err == nil {
				return nil, io.EOF
			}
			return nil, err
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		l, lerr := r.cfg.LengthOf(data)
		if lerr != nil {
			var de *DecodeError
			if errors.As(lerr, &de) {
				de.Record = r.n + 1
			}
			return nil, lerr
		}
		if l <= 0 || l > len(data) {
			return nil, r.fail(ErrTruncated)
		}
		n = l
	}
	return r.read(n)
}

// read reads the next n bytes as a record.
func (r *Reader) read(n int) ([]byte, error) {
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	buf := r.buf[:n]
	k, err := io.ReadFull(r.r, buf)
	if err == io.EOF {
		return nil, io.EOF
	}
	if err == io.ErrUnexpectedEOF {
		r.off += int64(k)
		return nil, r.fail(ErrTruncated)
	}
	if err != nil {
		return nil, err
	}
	r.recOff = r.off
	r.off += int64(n)
	return buf, nil
}

func (r *Reader) variable(blocked bool) ([]byte, error) {
	var h [4]byte
	if blocked && r.block == 0 {
		if _, err := io.ReadFull(r.r, h[:]); err != nil {
			if err == io.EOF {
				return nil, io.EOF
			}
			return nil, r.fail(ErrTruncated)
		}
		var l int
		if h[0]&0x80 != 0 {
			// Extended BDW: a 31-bit length in all four bytes.
			l = int(h[0]&0x7F)<<24 | int(h[1])<<16 | int(h[2])<<8 | int(h[3])
		} else {
			l = int(h[0])<<8 | int(h[1])
			if h[2] != 0 || h[3] != 0 {
				return nil, r.fail(ErrBlockLen)
			}
		}
		if l <= 8 || l > maxBuffered {
			return nil, r.fail(ErrBlockLen)
		}
		r.off += 4
		r.block = l - 4
	}
	if _, err := io.ReadFull(r.r, h[:]); err != nil {
		if err == io.EOF && !(blocked && r.block > 0) {
			return nil, io.EOF
		}
		return nil, r.fail(ErrTruncated)
	}
	var l int
	if r.cfg.RDW == RDWLittleEndian {
		l = int(h[2]) | int(h[3])<<8
	} else {
		l = int(h[0])<<8 | int(h[1]) - 4
		if h[2] != 0 || h[3] != 0 {
			return nil, r.fail(ErrRecordLen)
		}
	}
	if l <= 0 {
		return nil, r.fail(ErrRecordLen)
	}
	if blocked {
		if l+4 > r.block {
			return nil, r.fail(ErrBlockLen)
		}
		r.block -= l + 4
	}
	r.off += 4
	rec, err := r.read(l)
	if err == io.EOF {
		return nil, r.fail(ErrTruncated)
	}
	return rec, err
}
