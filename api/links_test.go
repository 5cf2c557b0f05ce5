package api

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAddLinks(t *testing.T) {
	// A merged Patient's own link (replaces) stays; a link already there
	// is not repeated; members keep their order, new ones go last.
	in := `{"resourceType":"Patient","id":"a","meta":{"versionId":"2"},"link":[{"other":{"reference":"Patient/old"},"type":"replaces"},{"other":{"reference":"Patient/b"},"type":"seealso"}],"active":true}`
	out, err := addLinks([]byte(in), []string{"b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), `{"resourceType":"Patient","id":"a","meta":`) {
		t.Errorf("member order changed: %s", out)
	}
	var p struct {
		Link []struct {
			Other struct{ Reference string }
			Type  string
		}
		Active bool
	}
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range p.Link {
		got = append(got, l.Type+" "+l.Other.Reference)
	}
	want := []string{"replaces Patient/old", "seealso Patient/b", "seealso Patient/c"}
	if strings.Join(got, ",") != strings.Join(want, ",") || !p.Active {
		t.Errorf("links = %v, want %v (active %v)", got, want, p.Active)
	}

	out, err = addLinks([]byte(`{"resourceType":"Patient","id":"a"}`), []string{"z"})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"resourceType":"Patient","id":"a","link":[{"other":{"reference":"Patient/z"},"type":"seealso"}]}` {
		t.Errorf("added to a Patient without links: %s", out)
	}
	if _, err := addLinks([]byte(`[1]`), []string{"z"}); err == nil {
		t.Error("a JSON array was taken for a Patient")
	}
}
