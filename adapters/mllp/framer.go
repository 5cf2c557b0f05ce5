package mllp

import (
	"bytes"
	"errors"
	"io"
)

// The MLLP framing bytes: a frame is StartBlock, the message, EndBlock,
// CarriageReturn.
const (
	StartBlock     = 0x0B // VT
	EndBlock       = 0x1C // FS
	CarriageReturn = 0x0D // CR
)

// DefaultMaxFrameSize is the largest message accepted when no maximum is
// configured: 4 MiB, room for embedded documents.
const DefaultMaxFrameSize = 4 << 20

// ErrFrameTooLarge is returned by [Framer.Next] for a frame longer than
// the maximum.
var ErrFrameTooLarge = errors.New("mllp: frame exceeds the maximum size")

// AppendFrame appends msg framed for MLLP to dst.
func AppendFrame(dst, msg []byte) []byte {
	dst = append(dst, StartBlock)
	dst = append(dst, msg...)
	return append(dst, EndBlock, CarriageReturn)
}

type framerState uint8

const (
	stateIdle       framerState = iota // between frames
	stateFrame                         // inside a frame
	stateDiscarding                    // inside a frame that was too large
)

// A Framer reads MLLP frames from a stream. It takes frames split across
// reads and several frames in one read alike. Bytes outside frames are
// skipped and counted; a start block inside a frame abandons the partial
// frame (counted as skipped) and starts a new one, since a sender that
// starts over has given up on the first. The end block alone ends a frame;
// a carriage return after it is consumed if it comes, so a sender that
// omits it does not stall the receiver.
//
// A Framer is not safe for concurrent use.
type Framer struct {
	r          io.Reader
	max        int
	buf        []byte
	start, end int // unread bytes are buf[start:end]
	state      framerState
	trailer    bool // an end block was just read; a CR may follow
	frame      []byte
	skipped    int64
	err        error

	// onStart, when set, is called when a start block begins a frame
	// (the listener starts the frame's read deadline).
	onStart func()
}

// NewFramer returns a framer reading r, accepting frames of at most
// maxSize bytes ([DefaultMaxFrameSize] if maxSize <= 0).
func NewFramer(r io.Reader, maxSize int) *Framer {
	if maxSize <= 0 {
		maxSize = DefaultMaxFrameSize
	}
	return &Framer{r: r, max: maxSize, buf: make([]byte, 32<<10)}
}

// Skipped returns the number of bytes read outside frames so far.
func (f *Framer) Skipped() int64 { return f.skipped }

// Next returns the next frame's message: the bytes between the start and
// end blocks, in a new slice the caller owns.
//
// At the end of the stream between frames it returns [io.EOF], inside a
// frame [io.ErrUnexpectedEOF]. For a frame longer than the maximum it
// returns the frame's first maxSize bytes and [ErrFrameTooLarge]; the
// next call skips the rest of that frame. Other read errors are returned
// as they are, and again on every later call.
func (f *Framer) Next() ([]byte, error) {
	empty := 0
	for {
		for f.start < f.end {
			if msg, err, done := f.scan(); done {
				return msg, err
			}
		}
		if f.err != nil {
			return nil, f.err
		}
		f.start, f.end = 0, 0
		n, err := f.r.Read(f.buf)
		if n < 0 || n > len(f.buf) {
			n, err = 0, errors.New("mllp: invalid read count")
		}
		f.end = n
		switch {
		case err == io.EOF && f.state != stateIdle:
			f.err = io.ErrUnexpectedEOF
		case err != nil:
			f.err = err
		case n == 0:
			if empty++; empty >= 100 {
				f.err = io.ErrNoProgress
			}
		}
	}
}

// scan consumes buffered bytes; done reports that a frame or error is
// ready.
func (f *Framer) scan() (msg []byte, err error, done bool) {
	data := f.buf[f.start:f.end]
	if f.trailer {
		f.trailer = false
		if data[0] == CarriageReturn {
			f.start++
			return nil, nil, false
		}
	}
	switch f.state {
	case stateIdle:
		i := bytes.IndexByte(data, StartBlock)
		if i < 0 {
			f.skipped += int64(len(data))
			f.start = f.end
			return nil, nil, false
		}
		f.skipped += int64(i)
		f.start += i + 1
		f.begin()
		return nil, nil, false
	case stateDiscarding:
		i := bytes.IndexByte(data, EndBlock)
		if i < 0 {
			f.skipped += int64(len(data))
			f.start = f.end
			return nil, nil, false
		}
		f.skipped += int64(i + 1)
		f.start += i + 1
		f.state, f.trailer = stateIdle, true
		return nil, nil, false
	}
	i := bytes.IndexAny(data, "\x0b\x1c")
	if i < 0 {
		i = len(data)
	}
	if len(f.frame)+i > f.max {
		keep := f.max - len(f.frame)
		f.frame = append(f.frame, data[:keep]...)
		f.skipped += int64(len(f.frame)) // dropped, though we return the head
		f.start += keep
		f.state = stateDiscarding
		msg, f.frame = f.frame, nil
		return msg, ErrFrameTooLarge, true
	}
	switch {
	case i == len(data):
		f.frame = append(f.frame, data...)
		f.start = f.end
		return nil, nil, false
	case data[i] == StartBlock:
		f.skipped += int64(len(f.frame) + i + 1) // the abandoned frame and its start block
		f.start += i + 1
		f.begin()
		return nil, nil, false
	}
	if f.frame == nil {
		msg = bytes.Clone(data[:i]) // the whole frame was in one read
		if msg == nil {
			msg = []byte{}
		}
	} else {
		msg = append(f.frame, data[:i]...)
	}
	f.frame = nil
	f.start += i + 1
	f.state, f.trailer = stateIdle, true
	return msg, nil, true
}

// begin starts a frame after a start block.
func (f *Framer) begin() {
	f.state = stateFrame
	f.frame = nil
	if f.onStart != nil {
		f.onStart()
	}
}
