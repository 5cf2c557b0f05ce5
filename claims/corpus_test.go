package claims

import (
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
	"github.com/tributary-health/tributary/claims/x12"
)

var update = flag.Bool("update", false, "update golden files")

// The public corpus beside the repository (see its SOURCES.md) and the
// copy of part of it that claims/x12 keeps, so the test stands alone.
var corpusDirs = []string{"../../shared/corpus/x12", "x12/testdata/corpus"}

// build builds the models of one transaction set with the builder its
// guide calls for; it reports false for sets this package has no
// builder for.
func build(tx *x12.Transaction) (any, bool, error) {
	switch tx.Guide {
	case x12.Guide837P, x12.Guide837I, x12.Guide837D:
		c, err := Parse837(tx)
		return c, true, err
	case x12.Guide835:
		r, err := Parse835(tx)
		return r, true, err
	case x12.Guide834:
		e, err := Parse834(tx)
		return e, true, err
	case x12.Guide270, x12.Guide271:
		e, err := Parse27x(tx)
		return e, true, err
	}
	return nil, false, nil
}

// TestCorpus builds the models of every 837, 835, 834, 270 and 271
// transaction set in the corpus that claims/x12 reads without a fatal
// error, whatever errors the set itself has: the builders must cope with
// what the loop builder produced.
func TestCorpus(t *testing.T) {
	t.Parallel()
	seen := map[string]int{}
	shared := true
	for _, dir := range corpusDirs {
		if _, err := os.Stat(dir); err != nil {
			t.Logf("skipping %s: %v", dir, err)
			shared = false
			continue
		}
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.Contains(path, ".expected-staedi.") || strings.HasSuffix(path, ".md") {
				return err
			}
			t.Run(strings.TrimPrefix(path, dir+"/"), func(t *testing.T) {
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				p := x12.NewParser(f)
				for {
					tx, err := p.Next()
					if errors.Is(err, io.EOF) {
						return
					}
					if err != nil {
						t.Skipf("x12: %v", err) // fatal to the reader: nothing to build
					}
					if tx.Root == nil {
						continue
					}
					v, ok, err := build(tx)
					if !ok {
						continue
					}
					seen[tx.SetID]++
					if err != nil {
						t.Errorf("ST-02 %s: %v", tx.ControlNumber, err)
						continue
					}
					if _, err := json.Marshal(v); err != nil {
						t.Errorf("ST-02 %s: json: %v", tx.ControlNumber, err)
					}
				}
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("transaction sets built: %v", seen)
	want := []string{"837", "835", "834", "270"} // the copies in testdata have these
	if shared {
		want = append(want, "271")
	}
	for _, id := range want {
		if seen[id] == 0 {
			t.Errorf("no %s transaction set built: is the corpus there?", id)
		}
	}
}

// goldens are representative files of the public corpus, copied to
// testdata/<name>.x12 (see testdata/README.md) so the test never skips;
// their models are kept as testdata/<name>.json.
var goldens = []string{
	"837P_cob", "837P_patient", "837P_drug", "837I", "837D",
	"835", "835_lines", "834", "834_ls_le", "270", "271",
}

// TestGolden compares the models of representative files with
// testdata/<name>.json; go test -update rewrites them.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, name := range goldens {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", name+".x12"))
			if err != nil {
				t.Fatal(err)
			}
			var models []any
			for _, tx := range transactions(t, string(data)) {
				v, ok, err := build(tx)
				if !ok {
					t.Fatalf("no builder for %s %s", tx.SetID, tx.Version)
				}
				if err != nil {
					t.Fatal(err)
				}
				models = append(models, v)
			}
			got, err := json.MarshalIndent(models, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", name+".json")
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
				t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
			}
		})
	}
}
