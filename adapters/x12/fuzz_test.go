package x12

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	edi "github.com/tributary-health/tributary/claims/x12"
)

// FuzzSplit: random bytes never make the splitter panic; it either fails
// with a located *SplitError inside the input, or returns spans in
// order, each starting with an ISA, covering the input from the first
// one to the end and within the size limit. Checking each span (as
// Ingest does) does not panic either.
func FuzzSplit(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(corpusCopy, "*", "*"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(synth837P(f, edi.DefaultDelimiters, "F", "000000001", 1))
	f.Add(append(synth837P(f, pipes, "F", "000000001", 1), synth837P(f, edi.DefaultDelimiters, "G", "000000002", 1)...))
	f.Add([]byte("ISA*"))
	f.Add([]byte("\xEF\xBB\xBF\n\nISA|00|"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 4096
		spans, err := Split(bytes.NewReader(data), limit)
		if err != nil {
			var se *SplitError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > int64(len(data)) || se.Error() == "" {
				t.Fatalf("error %v not a located SplitError", err)
			}
			if len(spans) != 0 {
				t.Fatal("spans with an error")
			}
			return
		}
		if len(spans) == 0 {
			t.Fatal("no spans and no error")
		}
		end := spans[0].Offset
		for _, sp := range spans {
			if sp.Offset != end || sp.Size <= 0 || sp.Size > limit || !bytes.HasPrefix(data[sp.Offset:], []byte("ISA")) {
				t.Fatalf("bad span %+v (previous end %d)", sp, end)
			}
			end = sp.Offset + sp.Size
			ic := check(data[sp.Offset:end], sp)
			if ic.Header == nil {
				t.Fatal("no header")
			}
			_ = ic.Errors()
			_ = status(ic.Header)
		}
		if end != int64(len(data)) {
			t.Fatalf("spans end at %d of %d", end, len(data))
		}
	})
}
