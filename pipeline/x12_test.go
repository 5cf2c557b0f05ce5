package pipeline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/fromv2"
	"github.com/tributary-health/tributary/fhir/fromx12"
	"github.com/tributary-health/tributary/stream"
)

func x12Converter(t *testing.T) X12 {
	t.Helper()
	m, err := fromx12.New(fromx12.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return X12{Mapper: m}
}

// newX12Env is newEnv with the X12 converter beside the HL7 v2 one.
func newX12Env(t *testing.T) *env {
	t.Helper()
	v2, err := fromv2.New(fromv2.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, map[event.Format]Converter{
		event.FormatHL7v2: HL7v2{Mapper: v2},
		event.FormatX12:   x12Converter(t),
	})
}

func (e *env) emitX12(t *testing.T, kind string, payload []byte) string {
	t.Helper()
	id := event.NewID(time.Now())
	if err := e.prod.Emit(t.Context(), event.Envelope{
		ID: id, Format: event.FormatX12, Kind: kind, Received: time.Now().UTC(),
		Source: "test", Key: "SENDER", Payload: payload,
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

func readX12(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../fhir/fromx12/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// malformed837 is the 837P with an impossible service date (2400 DTP-03):
// the 999 rejects its only transaction set.
func malformed837(t *testing.T) []byte {
	return bytes.Replace(readX12(t, "837P.x12"), []byte("DTP*472*D8*20061003"), []byte("DTP*472*D8*20061303"), 1)
}

// partial837 is the 837P's group with a second transaction set (another
// claim) that the 999 rejects: the first one converts.
func partial837(t *testing.T) []byte {
	claim := readX12(t, "837P.x12")
	second := bytes.Replace(bytes.Replace(bytes.Replace(claim,
		[]byte("ST*837*0021"), []byte("ST*837*0022"), 1),
		[]byte("SE*40*0021"), []byte("SE*40*0022"), 1),
		[]byte("CLM*26463774"), []byte("CLM*26463775"), 1)
	second = bytes.Replace(second[bytes.Index(second, []byte("ST*837")):bytes.Index(second, []byte("GE*1*1"))],
		[]byte("DTP*472*D8*20061003"), []byte("DTP*472*D8*20061303"), 1)
	ge := bytes.Index(claim, []byte("GE*1*1"))
	return append(append(append([]byte{}, claim[:ge]...), second...), []byte("GE*2*1~\nIEA*1*000000907~\n")...)
}

// typeIDs converts payload alone and returns "Type/id" of each resource.
func typeIDs(t *testing.T, payload []byte) []string {
	t.Helper()
	c, err := x12Converter(t).Convert(t.Context(), event.Envelope{Format: event.FormatX12, Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range c.Resources {
		out = append(out, fhir.TypeOf(r.Resource)+"/"+resourceID(r.Resource))
	}
	return out
}

// An 837P and an 835 on raw.x12.v1 become Claim, Patient, Coverage and
// ExplanationOfBenefit in the store, with the ids the mapping derives; a
// malformed interchange goes to dlq.v1 with its code and location and
// holds nothing up.
func TestX12NormalizeAndMaterialize(t *testing.T) {
	t.Parallel()
	e := newX12Env(t)
	e.run(t)
	claim, remit := readX12(t, "837P.x12"), readX12(t, "835_professional.x12")
	e.emitX12(t, "837", claim)
	badID := e.emitX12(t, "837", malformed837(t))
	e.emitX12(t, "835", remit)
	partialID := e.emitX12(t, "837", partial837(t))

	want := append(typeIDs(t, claim), typeIDs(t, remit)...)
	seen := map[string]bool{}
	for _, k := range want {
		seen[strings.SplitN(k, "/", 2)[0]] = true
	}
	for _, typ := range []string{"Claim", "Patient", "Coverage", "ExplanationOfBenefit", "ClaimResponse", "Organization"} {
		if !seen[typ] {
			t.Errorf("the conversions hold no %s: %v", typ, want)
		}
	}
	claimID := "Claim/" + fromx12.ClaimID("TGJ23", "26463774")
	if !slices.Contains(want, claimID) {
		t.Errorf("the 837P's Claim is not %s: %v", claimID, want)
	}
	eventually(t, "every resource in the store", func() bool {
		for _, k := range want {
			typ, id, _ := strings.Cut(k, "/")
			if _, err := e.store.Read(t.Context(), typ, id); err != nil {
				return false
			}
		}
		return true
	})
	r, err := e.store.Read(t.Context(), "Claim", strings.TrimPrefix(claimID, "Claim/"))
	if err != nil {
		t.Fatal(err)
	}
	if err := fhir.Validate(r.JSON); err != nil {
		t.Errorf("stored Claim: %v", err)
	}

	// The bad interchange, and the one whose second transaction set was
	// rejected (its first converted: the same Claim as the good one).
	var dlq []stream.Record
	eventually(t, "the dead letters", func() bool {
		dlq, err = stream.ReadAll(t.Context(), e.cfg, e.cfg.Topics.DLQ())
		return err == nil && len(dlq) == 2
	})
	byID := map[string]stream.Record{}
	for _, r := range dlq {
		byID[r.Header(event.HeaderEnvelopeID)] = r
	}
	if p, ok := byID[partialID]; !ok || p.Header(event.HeaderDLQLocation) != "2400/DTP03" {
		t.Errorf("no dead letter for the partly rejected interchange at 2400/DTP03: %v", p.Headers)
	}
	if id := fromx12.ClaimID("TGJ23", "26463775"); func() bool { _, err := e.store.Read(t.Context(), "Claim", id); return err == nil }() {
		t.Error("the rejected transaction set's Claim is in the store")
	}
	d := byID[badID]
	for h, want := range map[string]string{
		event.HeaderEnvelopeID:  badID,
		event.HeaderDLQStage:    StageNormalize,
		event.HeaderDLQCode:     "x12.IK403.8",
		event.HeaderDLQLocation: "2400/DTP03",
		event.HeaderDLQTopic:    e.cfg.Topics.Raw(event.FormatX12),
	} {
		if got := d.Header(h); got != want {
			t.Errorf("dead letter header %s = %q, want %q", h, got, want)
		}
	}
	if !bytes.Equal(d.Value, malformed837(t)) {
		t.Error("the dead letter does not hold the original interchange")
	}
	if reason := d.Header(event.HeaderDLQReason); strings.Contains(reason, "20061303") {
		t.Errorf("the reason holds the value: %q", reason)
	}
}

// Converting an interchange again gives the same records, and applying
// its fhir.v1 records twice changes nothing the second time.
func TestX12RedeliveryIsNoop(t *testing.T) {
	t.Parallel()
	e := newX12Env(t)
	claim := readX12(t, "837P.x12")
	want := typeIDs(t, claim)
	if again := typeIDs(t, claim); strings.Join(again, " ") != strings.Join(want, " ") {
		t.Fatalf("re-conversion differs:\n%v\n%v", want, again)
	}
	e.emitX12(t, "837", claim)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { _ = e.norm.Run(ctx) })
	var recs []stream.Record
	eventually(t, "normalized records", func() bool {
		var err error
		recs, err = stream.ReadAll(t.Context(), e.cfg, e.cfg.Topics.FHIR())
		// The normalizer adds the envelope's Provenance.
		return err == nil && len(recs) == len(want)+1
	})
	cancel()
	wg.Wait()
	provs := 0
	for _, r := range recs {
		if r.Header(event.HeaderResourceType) == "Provenance" {
			provs++
		}
	}
	if provs != 1 {
		t.Errorf("%d Provenance records, want the envelope's one", provs)
	}
	for _, r := range recs {
		if r.Header(event.HeaderSourceTime) != "2006-10-15T10:23:00Z" {
			t.Errorf("%s source time = %q, want BHT-04/05", r.Header(event.HeaderResourceType), r.Header(event.HeaderSourceTime))
		}
	}

	if err := e.mat.apply(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	before := map[string]int64{}
	for _, k := range want {
		typ, id, _ := strings.Cut(k, "/")
		r, err := e.store.Read(t.Context(), typ, id)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		before[k] = r.VersionID
	}
	if err := e.mat.apply(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	for _, k := range want {
		typ, id, _ := strings.Cut(k, "/")
		r, _ := e.store.Read(t.Context(), typ, id)
		if r.VersionID != before[k] {
			t.Errorf("re-delivery changed %s: version %d→%d", k, before[k], r.VersionID)
		}
	}
}

// What the acknowledgments reject does not convert, located and coded
// for the dead-letter headers; what they accept does.
func TestX12ConvertErrors(t *testing.T) {
	t.Parallel()
	x := x12Converter(t)
	claim := readX12(t, "837P.x12")
	partial := partial837(t)

	for _, tc := range []struct {
		name, code, loc string
		payload         []byte
		attrs           map[string]string
		converted       bool // resources despite the error
	}{
		{name: "IEA control number", code: "x12.TA105.001", loc: "IEA02",
			payload: bytes.Replace(claim, []byte("IEA*1*000000907"), []byte("IEA*1*000000908"), 1)},
		{name: "GE count", code: "x12.AK905.5", loc: "GE",
			payload: bytes.Replace(claim, []byte("GE*1*1"), []byte("GE*2*1"), 1)},
		{name: "element", code: "x12.IK403.8", loc: "2400/DTP03", payload: malformed837(t)},
		{name: "not X12", code: "x12.syntax", loc: "ISA", payload: []byte("MSH|^~\\&|A\r")},
		{name: "birth date", code: "x12.mapping.date", loc: "2010CA/DMG02",
			payload: bytes.Replace(claim, []byte("DMG*D8*19730501"), []byte("DMG*D8*19731345"), 1)},
		{name: "mapping", code: "x12.mapping.precision", loc: "2300/CLM02",
			payload: bytes.Replace(claim, []byte("CLM*26463774*100.00"), []byte("CLM*26463774*100.001"), 1)},
		{name: "duplicate at intake", code: "x12.TA105.025", loc: "ISA13", payload: claim, attrs: map[string]string{"ta105": "025"}},
		{name: "one set of two rejected", code: "x12.IK403.8", loc: "2400/DTP03", payload: partial, converted: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := x.Convert(t.Context(), event.Envelope{Format: event.FormatX12, Payload: tc.payload, Attrs: tc.attrs})
			if tc.converted {
				if err != nil {
					t.Fatalf("err = %v, want resources and Rejected", err)
				}
				if len(c.Resources) == 0 {
					t.Fatal("no resources from the accepted set")
				}
				err = c.Rejected
			} else if len(c.Resources) > 0 {
				t.Errorf("%d resources from a rejected interchange", len(c.Resources))
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !permanent(err) {
				t.Errorf("%v is not permanent", err)
			}
			if got := errorCode(err); got != tc.code {
				t.Errorf("code = %q, want %q (%v)", got, tc.code, err)
			}
			if got := errorLocation(err); got != tc.loc {
				t.Errorf("location = %q, want %q (%v)", got, tc.loc, err)
			}
		})
	}

	// A retryable cause stays retryable.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := x.Convert(ctx, event.Envelope{Payload: claim}); !errors.Is(err, context.Canceled) || permanent(err) {
		t.Errorf("cancelled: err = %v", err)
	}
}
