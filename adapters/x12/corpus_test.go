package x12

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	edi "github.com/tributary-health/tributary/claims/x12"
)

// The shared corpus, ingested file by file through the embedded broker:
// nothing panics; every file that can be split is stored interchange by
// interchange, byte for byte, and answered with acknowledgments that
// themselves parse; the one file without an ISA is refused whole.
func TestCorpus(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(sharedCorpus); err != nil {
		t.Skipf("shared corpus not found at %s", sharedCorpus)
	}
	_, cfg := broker(t)
	p := producer(t, cfg)
	in := newIntake(t, Config{})
	stored, files := 0, 0
	var total []byte
	err := filepath.WalkDir(sharedCorpus, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if strings.Contains(name, ".expected-staedi.") || strings.HasSuffix(name, ".md") || strings.HasSuffix(name, ".json") {
			return nil // renderings and notes, not X12
		}
		files++
		data := readFile(t, path)
		res, err := in.IngestBytes(t.Context(), p.Emit, data, Origin{File: path})
		if err != nil {
			var se *SplitError
			if !errors.As(err, &se) || !strings.HasSuffix(name, "no_isa_line.txt") || !errors.Is(err, edi.ErrNoISA) {
				t.Errorf("%s: %v", path, err)
			}
			return nil
		}
		var joined []byte
		for _, ic := range res.Interchanges {
			joined = append(joined, data[ic.Offset:ic.Offset+ic.Size]...)
			if len(ic.TA1) == 0 && len(ic.FA) == 0 && len(ic.Header.Groups) > 0 {
				t.Errorf("%s: interchange at %d has no answer", path, ic.Offset)
			}
			parseAck(t, ic.Ack())
			for _, e := range ic.Errors() {
				if e.Offset < ic.Offset || e.Offset > ic.Offset+ic.Size {
					t.Errorf("%s: error %v outside its interchange", path, e)
				}
			}
		}
		// The spans cover the input from the first ISA on.
		if first := bytes.Index(data, []byte("ISA")); !bytes.Equal(joined, data[first:]) {
			t.Errorf("%s: interchanges do not cover the input", path)
		}
		stored += len(res.Interchanges)
		total = append(total, joined...)
		for _, e := range res.InputErrors(path) {
			if !strings.HasPrefix(e.Error(), path+": interchange ") {
				t.Errorf("badly located: %s", e)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 60 || stored < files-1 {
		t.Errorf("%d interchanges from %d files", stored, files)
	}
	var onTopic []byte
	for _, e := range readRaw(t, cfg) {
		onTopic = append(onTopic, e.Payload...)
	}
	if len(onTopic) != len(total) {
		t.Errorf("raw topic holds %d bytes, the interchanges %d", len(onTopic), len(total))
	}
}
