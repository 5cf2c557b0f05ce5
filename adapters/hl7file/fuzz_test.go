package hl7file

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tributary-health/tributary/adapters/hl7v2"
)

// FuzzReader reads arbitrary file content: no panic; every emitted
// payload is the file's bytes at the offset it names, starting with MSH;
// every report names the file.
func FuzzReader(f *testing.F) {
	f.Add([]byte(msg("A", "\r") + msg("B", "\n")))
	f.Add([]byte("FHS|^~\\&\rBHS|^~\\&\r" + msg("C", "\r\n") + "BTS|1\rFTS|1\r"))
	f.Add([]byte("\xEF\xBB\xBF" + msg("D", "\r") + "pid|x\r" + msg("E", "\r")))
	f.Add([]byte("BHS|^~\\&\r" + msg("F", "\r") + "BTS|7\r"))
	f.Add([]byte("MSH#^~\\&#A#B\rPID#1\r"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "in.hl7")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		r, err := New(Config{Paths: []string{path}, MaxMessageSize: 1 << 10, Check: func(m *hl7v2.Message) error {
			if m == nil {
				t.Fatal("Check got a nil message")
			}
			return nil
		}, Report: func(e *InputError) {
			if s := e.Error(); !strings.HasPrefix(s, path+": ") || len(s) <= len(path)+2 {
				t.Errorf("report %q does not name the file", s)
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		_ = r.Run(t.Context(), rec.emit)
		for _, e := range rec.envs {
			off, err := strconv.Atoi(e.Attrs["offset"])
			if err != nil || off < 0 || off > len(data) || !bytes.HasPrefix(data[off:], e.Payload) || !bytes.HasPrefix(e.Payload, []byte("MSH")) {
				t.Fatalf("payload %q is not the file's bytes at %s", e.Payload, e.Attrs["offset"])
			}
		}
		if st := r.Stats(); st.Emitted != len(rec.envs) || st.Emitted > st.Messages {
			t.Fatalf("stats %+v, %d emitted", st, len(rec.envs))
		}
	})
}
