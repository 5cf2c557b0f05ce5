package claims

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/claims/x12/x12test"
)

// FuzzParse837 feeds any bytes through the x12 parser and every builder:
// none may panic, and every error must be a located *Error (or the
// callback's own).
func FuzzParse837(f *testing.F) {
	var buf bytes.Buffer
	if _, err := x12test.Write837P(&buf, x12test.Options{Claims: 3, Lines: 2}); err == nil {
		f.Add(buf.Bytes())
	}
	for _, name := range goldens {
		if data, err := os.ReadFile(filepath.Join("testdata", name+".x12")); err == nil {
			f.Add(data)
		}
	}
	if files, err := filepath.Glob("x12/testdata/corpus/*/*"); err == nil {
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := x12.NewParser(bytes.NewReader(data))
		for range 100 {
			tx, err := p.Next()
			if err != nil {
				if errors.Is(err, io.EOF) {
					return
				}
				return // a syntax error ends the stream
			}
			var e *Error
			err = Each837(tx, func(c *Claim) error {
				if c == nil {
					t.Fatal("nil claim")
				}
				return nil
			})
			if err != nil && !errors.As(err, &e) {
				t.Fatalf("Each837: %v is not an *Error", err)
			}
			if r, err := Parse835(tx); err != nil && !errors.As(err, &e) || err == nil && r == nil {
				t.Fatalf("Parse835: %v, %v", r, err)
			}
			if m, err := Parse834(tx); err != nil && !errors.As(err, &e) || err == nil && m == nil {
				t.Fatalf("Parse834: %v, %v", m, err)
			}
			if _, err := Parse27x(tx); err != nil && !errors.As(err, &e) {
				t.Fatalf("Parse27x: %v", err)
			}
		}
	})
}
