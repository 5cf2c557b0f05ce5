package fromv2

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

// Every order, result, immunization, scheduling and document message of
// the public corpus converts to valid FHIR, or fails with a located error
// where the sample is deliberately malformed.
func TestCorpusOrders(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	files, _ := filepath.Glob("../../../shared/corpus/hl7v2/*/*.hl7")
	if len(files) == 0 {
		t.Skip("../shared/corpus not present")
	}
	// Samples that must be rejected, and where.
	rejected := map[string]string{
		"ORM-O01-v251-malformed-DTM-datatype.hl7": "OBX-5", // "February 2 2024" as a DTM
	}
	// Errors in the segments the ADT mappings own are TestCorpusADT's.
	theirs := map[string]bool{"MSH": true, "PID": true, "PD1": true, "PV1": true, "PV2": true, "NK1": true, "IN1": true, "AL1": true, "DG1": true, "EVN": true}
	kinds := []string{"ORU", "VXU", "ORM", "OML", "SIU", "MDM"}
	converted := 0
	for _, f := range files {
		base := filepath.Base(f)
		b, _ := os.ReadFile(f)
		var msgs []*hl7v2.Message
		if file, err := hl7v2.ParseBatch(b); err == nil {
			for _, e := range file.Messages() {
				if e.Message != nil {
					msgs = append(msgs, e.Message)
				}
			}
		}
		for _, msg := range msgs {
			typ := msg.Type().Code
			if !contains(kinds, typ) {
				continue
			}
			res, err := m.Convert(msg)
			var he *hl7v2.Error
			switch {
			case err == nil:
			case errors.As(err, &he) && (he.Code == hl7v2.CodeUnsupportedMessageType || he.Code == hl7v2.CodeUnsupportedEventCode):
				continue
			case errors.As(err, &he) && rejected[base] != "" && rejected[base] == he.Location.String():
				continue
			case errors.As(err, &he) && theirs[he.Location.Segment] && he.Location.Field > 0:
				t.Logf("%s: not ours: %v", base, err)
				continue
			default:
				t.Errorf("%s: %v", base, err)
				continue
			}
			if want := rejected[base]; want != "" {
				t.Errorf("%s: converted, want an error at %s", base, want)
			}
			for _, e := range res.Entries {
				out, err := fhir.Marshal(e.Resource)
				if err != nil {
					t.Fatal(err)
				}
				if err := fhir.Validate(out); err != nil {
					t.Errorf("%s: invalid %s: %v", base, fhir.TypeOf(e.Resource), err)
				}
			}
			t.Logf("%s: %s, %d resources, unmapped %v", base, typ, len(res.Entries), res.Unmapped)
			converted++
		}
	}
	if converted < 8 {
		t.Errorf("only %d corpus messages converted", converted)
	}
}
