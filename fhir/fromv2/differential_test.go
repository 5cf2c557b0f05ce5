package fromv2

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

// differentialDoc compares Tributary's output with Microsoft
// FHIR-Converter's expected outputs in the corpus. The numbers are
// generated; the explanations are in testdata/differential-notes.md.
const differentialDoc = "../../docs/hl7v2-differential.md"

// keyFields are the fields compared per resource type: each a path of
// JSON keys, list elements flattened, values compared as sets.
var keyFields = map[string][]string{
	"Patient":            {"identifier.value", "name.family", "name.given", "birthDate", "gender", "address.city", "address.postalCode", "telecom.value", "maritalStatus.coding.code"},
	"Encounter":          {"class.code", "status", "identifier.value", "period.start", "period.end", "hospitalization.dischargeDisposition.coding.code"},
	"Observation":        {"code.coding.code", "status", "valueQuantity.value", "valueQuantity.unit", "valueString", "valueCodeableConcept.coding.code", "effectiveDateTime", "interpretation.coding.code"},
	"DiagnosticReport":   {"code.coding.code", "status", "effectiveDateTime", "issued"},
	"ServiceRequest":     {"code.coding.code", "status", "intent", "identifier.value"},
	"Specimen":           {"type.coding.code", "collection.collectedDateTime", "identifier.value"},
	"Immunization":       {"vaccineCode.coding.code", "status", "occurrenceDateTime", "lotNumber", "doseQuantity.value"},
	"Appointment":        {"status", "start", "end", "minutesDuration", "identifier.value"},
	"DocumentReference":  {"status", "type.coding.code", "docStatus", "identifier.value", "content.attachment.contentType"},
	"Condition":          {"code.coding.code", "onsetDateTime"},
	"AllergyIntolerance": {"code.coding.code", "criticality", "reaction.manifestation.text"},
	"Procedure":          {"code.coding.code", "status", "performedDateTime"},
	"Coverage":           {"status", "subscriberId", "period.start"},
	"RelatedPerson":      {"name.family", "relationship.coding.code"},
	"Practitioner":       {"identifier.value", "name.family"},
	"Organization":       {"name", "identifier.value"},
	"Location":           {"name"},
	"MessageHeader":      {"eventCoding.code", "source.name"},
}

// collect returns the string forms of the values at path in v.
func collect(v any, path []string) []string {
	switch x := v.(type) {
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, collect(e, path)...)
		}
		return out
	case map[string]any:
		if len(path) == 0 {
			return nil
		}
		return collect(x[path[0]], path[1:])
	case nil:
		return nil
	default:
		if len(path) > 0 {
			return nil
		}
		return []string{normalizeValue(fmt.Sprint(x))}
	}
}

// normalizeValue writes a dateTime with an offset as its UTC instant:
// FHIR-Converter renders times in its configured zone, Tributary in the
// sender's offset; the same instant must compare equal.
func normalizeValue(s string) string {
	if len(s) > 10 && s[10] == 'T' {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC().Format(time.RFC3339Nano)
		}
	}
	return s
}

type fieldCmp struct{ agree, onlyOurs, onlyTheirs int }

func compareSets(ours, theirs []string) fieldCmp {
	var c fieldCmp
	for _, v := range dedup(ours) {
		if slices.Contains(theirs, v) {
			c.agree++
		} else {
			c.onlyOurs++
		}
	}
	for _, v := range dedup(theirs) {
		if !slices.Contains(ours, v) {
			c.onlyTheirs++
		}
	}
	return c
}

func dedup(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// TestDifferentialFHIRConverter regenerates (with -update) or checks the
// differential report; the assertion that can fail is that each of our
// Bundles is valid FHIR and that we agree with FHIR-Converter on the
// Patient's identifiers, names, birth date and gender wherever both map
// them.
func TestDifferentialFHIRConverter(t *testing.T) {
	dir := "../../../shared/corpus/hl7v2/microsoft-FHIR-Converter"
	inputs, _ := filepath.Glob(filepath.Join(dir, "*.hl7"))
	if len(inputs) == 0 {
		t.Skip("../shared/corpus not present")
	}
	m := newMapper(t)
	var doc bytes.Buffer
	notes, err := os.ReadFile("testdata/differential-notes.md")
	if err != nil {
		t.Fatal(err)
	}
	doc.Write(notes)
	doc.WriteString("\n## Per message (generated)\n\n")
	doc.WriteString("Counts are resources per type (FHIR-Converter / Tributary). For each key field the values of all\n")
	doc.WriteString("resources of the type are compared as sets: *agree* values both produce, *only ours* and\n")
	doc.WriteString("*only theirs* the rest. Regenerate with `go test ./fhir/fromv2 -run TestDifferentialFHIRConverter -update`.\n")
	total := map[string]*fieldCmp{}
	for _, in := range inputs {
		base := strings.TrimSuffix(filepath.Base(in), ".hl7")
		expFile := filepath.Join(dir, base+".expected-fhir.json")
		exp, err := os.ReadFile(expFile)
		if err != nil {
			continue
		}
		var theirs struct {
			Entry []struct{ Resource map[string]any }
		}
		if err := json.Unmarshal(exp, &theirs); err != nil {
			t.Fatal(err)
		}
		byType := map[string][]any{}
		for _, e := range theirs.Entry {
			typ, _ := e.Resource["resourceType"].(string)
			byType[typ] = append(byType[typ], e.Resource)
		}
		data, _ := os.ReadFile(in)
		ours := map[string][]any{}
		status := "converted"
		msg, err := hl7v2.Parse(data)
		if err == nil {
			var res Result
			res, err = m.Convert(msg)
			for _, e := range res.Entries {
				b, merr := fhir.Marshal(e.Resource)
				if merr != nil {
					t.Fatal(merr)
				}
				if verr := fhir.Validate(b); verr != nil {
					t.Errorf("%s: our output is invalid: %v", base, verr)
				}
				var v map[string]any
				_ = json.Unmarshal(b, &v)
				ours[fhir.TypeOf(e.Resource)] = append(ours[fhir.TypeOf(e.Resource)], v)
			}
		}
		if err != nil {
			status = "not converted: " + locatedOrText(err)
		}
		fmt.Fprintf(&doc, "\n### %s (%s)\n\n", base, status)
		doc.WriteString("| resource | theirs | ours | key fields: agree / only ours / only theirs |\n|---|---|---|---|\n")
		types := map[string]bool{}
		for k := range byType {
			types[k] = true
		}
		for k := range ours {
			types[k] = true
		}
		for _, typ := range sortedKeys(types) {
			var cells []string
			for _, f := range keyFields[typ] {
				p := strings.Split(f, ".")
				var o, th []string
				for _, r := range ours[typ] {
					o = append(o, collect(r, p)...)
				}
				for _, r := range byType[typ] {
					th = append(th, collect(r, p)...)
				}
				if len(o) == 0 && len(th) == 0 {
					continue
				}
				c := compareSets(o, th)
				cells = append(cells, fmt.Sprintf("%s %d/%d/%d", f, c.agree, c.onlyOurs, c.onlyTheirs))
				key := typ + "." + f
				if total[key] == nil {
					total[key] = &fieldCmp{}
				}
				total[key].agree += c.agree
				total[key].onlyOurs += c.onlyOurs
				total[key].onlyTheirs += c.onlyTheirs
				if typ == "Patient" && len(o) > 0 && len(th) > 0 && c.agree == 0 && slices.Contains([]string{"identifier.value", "name.family", "birthDate", "gender"}, f) {
					t.Errorf("%s: Patient.%s: no value in common with FHIR-Converter", base, f)
				}
			}
			fmt.Fprintf(&doc, "| %s | %d | %d | %s |\n", typ, len(byType[typ]), len(ours[typ]), strings.Join(cells, "; "))
		}
	}
	doc.WriteString("\n## All messages (generated)\n\n| field | agree | only ours | only theirs |\n|---|---|---|---|\n")
	for _, k := range sortedKeys(total) {
		c := total[k]
		fmt.Fprintf(&doc, "| %s | %d | %d | %d |\n", k, c.agree, c.onlyOurs, c.onlyTheirs)
	}
	if *update {
		if err := os.WriteFile(differentialDoc, doc.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(differentialDoc)
	if err != nil || !bytes.Equal(want, doc.Bytes()) {
		t.Errorf("%s is out of date: run go test ./fhir/fromv2 -run TestDifferentialFHIRConverter -update", differentialDoc)
	}
}

func locatedOrText(err error) string {
	if he, ok := hl7v2.AsError(err); ok {
		return he.Location.String() + ": " + he.Text()
	}
	return err.Error()
}
