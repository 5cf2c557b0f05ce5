package fromx12

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-health/tributary/claims"
	"github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/fhir"
)

var update = flag.Bool("update", false, "rewrite the golden files and docs/x12-to-fhir.md")

func newMapper(t testing.TB) *Mapper {
	t.Helper()
	m, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// transactions reads every transaction set of an X12 stream.
func transactions(t testing.TB, r io.Reader) []*x12.Transaction {
	t.Helper()
	p := x12.NewParser(r)
	var out []*x12.Transaction
	for {
		tx, err := p.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("x12: %v", err)
		}
		out = append(out, tx)
	}
}

func readTransactions(t testing.TB, path string) []*x12.Transaction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return transactions(t, f)
}

// marshalValid marshals every entry and validates it with google/fhir/go.
func marshalValid(t testing.TB, res Result) [][]byte {
	t.Helper()
	var out [][]byte
	for _, e := range res.Entries {
		b, err := fhir.Marshal(e.Resource)
		if err != nil {
			t.Fatalf("marshal %s: %v", key(e.Resource), err)
		}
		if err := fhir.Validate(b); err != nil {
			t.Errorf("%s: invalid FHIR: %v", fhir.TypeOf(e.Resource), err)
		}
		out = append(out, b)
	}
	return out
}

// goldens are the golden inputs: testdata/<name>.x12 → <name>.fhir.json,
// a Bundle of every resource the file's transaction sets make.
var goldens = []string{
	"837P", "837P_cob", "837I", "837D", "835_professional", "835_institutional", "835_dental",
	"834", "834_ls_le", "270", "271",
}

func TestGolden(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	for _, name := range goldens {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var res Result
			for _, tx := range readTransactions(t, filepath.Join("testdata", name+".x12")) {
				r, err := m.Convert(tx)
				if err != nil {
					t.Fatalf("ST-02 %s: %v", tx.ControlNumber, err)
				}
				res.Entries = append(res.Entries, r.Entries...)
			}
			if len(res.Entries) == 0 {
				t.Fatal("no resources")
			}
			got := bundle(t, marshalValid(t, res))
			golden := filepath.Join("testdata", name+".fhir.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("mapping changed (-want +got):\n%s", diff)
			}
		})
	}
}

// bundle wraps resources in a collection Bundle, indented for review.
func bundle(t testing.TB, resources [][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(`{"resourceType":"Bundle","type":"collection","entry":[`)
	for i, r := range resources {
		if i > 0 {
			b.WriteByte(',')
		}
		var v map[string]any
		if err := json.Unmarshal(r, &v); err != nil {
			t.Fatal(err)
		}
		b.WriteString(`{"fullUrl":"urn:tributary:` + v["resourceType"].(string) + "/" + v["id"].(string) + `","resource":`)
		b.Write(r)
		b.WriteByte('}')
	}
	b.WriteString("]}")
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// The corpus beside the repository and the copies other packages keep.
var corpusDirs = []string{"../../../shared/corpus/x12", "../../claims/testdata", "../../claims/x12/testdata", "testdata"}

// buildable reports whether package claims builds tx's models (the
// corpus has deliberately broken files; those are claims' concern).
func buildable(tx *x12.Transaction) (bool, error) {
	switch tx.Guide {
	case x12.Guide837P, x12.Guide837I, x12.Guide837D:
		_, err := claims.Parse837(tx)
		return true, err
	case x12.Guide835:
		_, err := claims.Parse835(tx)
		return true, err
	case x12.Guide834:
		_, err := claims.Parse834(tx)
		return true, err
	case x12.Guide270, x12.Guide271:
		_, err := claims.Parse27x(tx)
		return true, err
	}
	return false, nil
}

// TestCorpus converts every 837, 835, 834, 270 and 271 transaction set
// of the corpus that package claims builds, and validates every resource
// with google/fhir/go.
func TestCorpus(t *testing.T) {
	m := newMapper(t)
	converted := map[string]int{}
	resources := 0
	files := map[[32]byte]bool{} // the same file in several copies counts once
	for _, dir := range corpusDirs {
		if _, err := os.Stat(dir); err != nil {
			t.Logf("skipping %s: %v", dir, err)
			continue
		}
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, ".md") || strings.HasSuffix(path, ".json") || strings.Contains(path, ".expected-") || strings.Contains(path, "/fuzz/") {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			if files[sum] {
				return nil
			}
			files[sum] = true
			p := x12.NewParser(bytes.NewReader(data))
			for {
				tx, err := p.Next()
				if err != nil {
					return nil // EOF, or fatal to the reader: nothing to convert
				}
				if tx.Root == nil {
					continue
				}
				ok, err := buildable(tx)
				if !ok || err != nil {
					continue
				}
				res, err := m.Convert(tx)
				if err != nil {
					var ce *claims.Error
					if errors.As(err, &ce) && errors.Is(err, ErrMissingIdentifier) {
						t.Logf("%s ST-02 %s: %v", path, tx.ControlNumber, err)
						converted["refused "+tx.SetID]++
						continue
					}
					t.Errorf("%s ST-02 %s: %v", path, tx.ControlNumber, err)
					continue
				}
				converted[tx.SetID]++
				for _, e := range res.Entries {
					b, err := fhir.Marshal(e.Resource)
					if err != nil {
						t.Errorf("%s: marshal: %v", path, err)
						continue
					}
					if err := fhir.Validate(b); err != nil {
						t.Errorf("%s ST-02 %s: %s: %v", path, tx.ControlNumber, fhir.TypeOf(e.Resource), err)
					}
					resources++
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d distinct files; transaction sets converted and validated: %v; resources: %d", len(files), converted, resources)
	for _, id := range []string{"837", "835", "834", "270", "271"} {
		if converted[id] == 0 {
			t.Errorf("no %s transaction set converted", id)
		}
	}
}
