package mllp

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// chunkReader returns its chunks one Read at a time.
type chunkReader struct{ chunks [][]byte }

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.chunks) > 0 && len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	return n, nil
}

type frameResult struct {
	Msg string
	Err string
}

// readAll reads frames until an error other than ErrFrameTooLarge.
func readAll(f *Framer) ([]frameResult, error) {
	var out []frameResult
	for {
		msg, err := f.Next()
		switch {
		case errors.Is(err, ErrFrameTooLarge):
			out = append(out, frameResult{string(msg), "too large"})
		case err != nil:
			return out, err
		default:
			out = append(out, frameResult{Msg: string(msg)})
		}
	}
}

func TestFramer(t *testing.T) {
	t.Parallel()
	const vt, fs, cr = "\x0b", "\x1c", "\x0d"
	tests := []struct {
		name    string
		chunks  []string
		max     int
		want    []frameResult
		skipped int64
		err     error
	}{
		{"one frame", []string{vt + "MSH|a" + fs + cr}, 0, []frameResult{{Msg: "MSH|a"}}, 0, io.EOF},
		{"two frames in one read", []string{vt + "A" + fs + cr + vt + "B" + fs + cr}, 0, []frameResult{{Msg: "A"}, {Msg: "B"}}, 0, io.EOF},
		{"split everywhere", []string{vt, "A", "B", fs, cr + vt + "C", fs, cr}, 0, []frameResult{{Msg: "AB"}, {Msg: "C"}}, 0, io.EOF},
		{"split between FS and CR", []string{vt + "A" + fs, cr + vt + "B" + fs, cr}, 0, []frameResult{{Msg: "A"}, {Msg: "B"}}, 0, io.EOF},
		{"bytes before start", []string{"junk\r\n" + vt + "A" + fs + cr}, 0, []frameResult{{Msg: "A"}}, 6, io.EOF},
		{"newline between frames", []string{vt + "A" + fs + cr + "\n" + vt + "B" + fs + cr}, 0, []frameResult{{Msg: "A"}, {Msg: "B"}}, 1, io.EOF},
		{"no CR after FS", []string{vt + "A" + fs + vt + "B" + fs}, 0, []frameResult{{Msg: "A"}, {Msg: "B"}}, 0, io.EOF},
		{"start block restarts", []string{vt + "abandoned" + vt + "A" + fs + cr}, 0, []frameResult{{Msg: "A"}}, 10, io.EOF},
		{"empty frame", []string{vt + fs + cr}, 0, []frameResult{{Msg: ""}}, 0, io.EOF},
		{"message with CR and LF", []string{vt + "MSH|a\rPID|1\r\n" + fs + cr}, 0, []frameResult{{Msg: "MSH|a\rPID|1\r\n"}}, 0, io.EOF},
		{"EOF inside a frame", []string{vt + "A" + fs + cr + vt + "partial"}, 0, []frameResult{{Msg: "A"}}, 0, io.ErrUnexpectedEOF},
		{"exactly the maximum", []string{vt + "12345" + fs + cr}, 5, []frameResult{{Msg: "12345"}}, 0, io.EOF},
		{"too large, then the next", []string{vt + "123", "456789" + fs + cr + vt + "ok" + fs + cr}, 5,
			[]frameResult{{"12345", "too large"}, {Msg: "ok"}}, 10, io.EOF},
		{"too large at EOF", []string{vt + "123456789"}, 5, []frameResult{{"12345", "too large"}}, 9, io.ErrUnexpectedEOF},
		{"nothing", nil, 0, nil, 0, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var chunks [][]byte
			for _, c := range tt.chunks {
				chunks = append(chunks, []byte(c))
			}
			f := NewFramer(&chunkReader{chunks: chunks}, tt.max)
			got, err := readAll(f)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("frames (-want +got):\n%s", d)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("final error = %v, want %v", err, tt.err)
			}
			if f.Skipped() != tt.skipped {
				t.Errorf("Skipped = %d, want %d", f.Skipped(), tt.skipped)
			}
			// Byte by byte, the same frames.
			f = NewFramer(iotest.OneByteReader(bytes.NewReader([]byte(stringsJoin(tt.chunks)))), tt.max)
			got2, _ := readAll(f)
			if d := cmp.Diff(got, got2); d != "" {
				t.Errorf("one byte at a time differs (-chunked +bytewise):\n%s", d)
			}
		})
	}
}

func stringsJoin(ss []string) string {
	var b bytes.Buffer
	for _, s := range ss {
		b.WriteString(s)
	}
	return b.String()
}

func TestFramerErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	f := NewFramer(iotest.ErrReader(boom), 0)
	for range 2 {
		if _, err := f.Next(); !errors.Is(err, boom) {
			t.Errorf("Next = %v, want %v (sticky)", err, boom)
		}
	}
	// Data that arrives with an error is used first.
	f = NewFramer(iotest.DataErrReader(bytes.NewReader(AppendFrame(nil, []byte("A")))), 0)
	if msg, err := f.Next(); err != nil || string(msg) != "A" {
		t.Errorf("Next = %q, %v", msg, err)
	}
	if _, err := f.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("Next = %v, want EOF", err)
	}
	// A reader that returns nothing forever.
	f = NewFramer(zeroReader{}, 0)
	if _, err := f.Next(); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("Next = %v, want ErrNoProgress", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestFramerFrameIsOwned(t *testing.T) {
	t.Parallel()
	in := AppendFrame(AppendFrame(nil, []byte("first")), []byte("second"))
	f := NewFramer(bytes.NewReader(in), 0)
	a, _ := f.Next()
	b, _ := f.Next()
	if string(a) != "first" || string(b) != "second" {
		t.Fatalf("frames %q %q", a, b)
	}
	a = append(a, "-grown"...) // must not write into b or the buffer
	if string(b) != "second" || string(a) != "first-grown" {
		t.Errorf("appending to one frame changed another: %q", b)
	}
}

// refFrames is a byte-at-a-time model of the framer, to fuzz against.
func refFrames(in []byte, max int) (frames []frameResult, skipped int64, final error) {
	state := stateIdle
	var cur []byte
	trailer := false
	for _, c := range in {
		if trailer {
			trailer = false
			if c == CarriageReturn {
				continue
			}
		}
		switch state {
		case stateIdle:
			if c == StartBlock {
				state, cur = stateFrame, []byte{}
			} else {
				skipped++
			}
		case stateDiscarding:
			skipped++
			if c == EndBlock {
				state, trailer = stateIdle, true
			}
		case stateFrame:
			switch c {
			case StartBlock:
				skipped += int64(len(cur) + 1)
				cur = []byte{}
			case EndBlock:
				frames = append(frames, frameResult{Msg: string(cur)})
				state, trailer = stateIdle, true
			default:
				if len(cur) == max {
					frames = append(frames, frameResult{string(cur), "too large"})
					skipped += int64(len(cur)) + 1
					state = stateDiscarding
					continue
				}
				cur = append(cur, c)
			}
		}
	}
	if state != stateIdle {
		return frames, skipped, io.ErrUnexpectedEOF
	}
	return frames, skipped, io.EOF
}

// FuzzFramer checks the framer against the byte-at-a-time model, whatever
// the read sizes: same frames, same skipped count, same end.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("\x0bMSH|a\x1c\x0d\x0bB\x1c\x0d"), uint8(3), uint8(8))
	f.Add([]byte("junk\x0bab\x0bcd\x1cx\x0bef"), uint8(1), uint8(3))
	f.Add([]byte("\x0b0123456789\x1c\r\x0bok\x1c\r"), uint8(4), uint8(5))
	f.Fuzz(func(t *testing.T, in []byte, chunk, max uint8) {
		size := int(chunk%16) + 1
		limit := int(max%32) + 1
		var chunks [][]byte
		for i := 0; i < len(in); i += size {
			chunks = append(chunks, append([]byte(nil), in[i:min(i+size, len(in))]...))
		}
		fr := NewFramer(&chunkReader{chunks: chunks}, limit)
		got, err := readAll(fr)
		want, wantSkipped, wantErr := refFrames(in, limit)
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("frames differ from the model (-want +got):\n%s", d)
		}
		if !errors.Is(err, wantErr) {
			t.Fatalf("final error %v, want %v", err, wantErr)
		}
		if fr.Skipped() != wantSkipped {
			t.Fatalf("skipped %d, want %d", fr.Skipped(), wantSkipped)
		}
		for _, r := range got {
			if len(r.Msg) > limit || bytes.ContainsAny([]byte(r.Msg), "\x0b\x1c") {
				t.Fatalf("frame %q breaks the limit or holds framing bytes", r.Msg)
			}
		}
	})
}
