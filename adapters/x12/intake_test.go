package x12

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	edi "github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/event"
)

var pipes = edi.Delimiters{Element: '|', Repetition: '!', Component: '>', Segment: '\n'}

// A file of three interchanges with three sets of delimiters becomes
// three records on raw.x12.v1: the exact bytes of each, keyed by sender,
// with the contract's headers; each is answered after Kafka has it.
func TestIngestSplitsInterchanges(t *testing.T) {
	t.Parallel()
	_, cfg := broker(t)
	p := producer(t, cfg)
	in := newIntake(t, Config{})

	a := synth837P(t, edi.DefaultDelimiters, "SENDERA", "000000101", 3)
	b := synth837P(t, pipes, "SENDERB", "000000102", 2)
	c := readFile(t, filepath.Join(corpusCopy, "imsweb-x12-parser/837_5010__x12_valid_different_separators.txt"))
	bom := []byte("\xEF\xBB\xBF\r\n")
	parts := [][]byte{append(a, "\r\n"...), b, c}
	data := append(append([]byte(nil), bom...), bytes.Join(parts, nil)...)
	path := filepath.Join(t.TempDir(), "three.x12")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	var emitted []string
	emit := func(ctx context.Context, e event.Envelope) error {
		err := p.Emit(ctx, e)
		if err == nil {
			emitted = append(emitted, e.ID)
		}
		return err
	}
	res, err := in.Ingest(t.Context(), emit, f, int64(len(data)), Origin{File: path})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Interchanges) != 3 {
		t.Fatalf("%d interchanges, want 3", len(res.Interchanges))
	}

	envs := readRaw(t, cfg)
	if len(envs) != 3 {
		t.Fatalf("raw.x12.v1 has %d records, want 3", len(envs))
	}
	byID := map[string]event.Envelope{}
	for _, e := range envs {
		byID[e.ID] = e
	}
	off := int64(len(bom))
	for i, want := range []struct {
		payload          []byte
		key, isa13, kind string
		sender, receiver string
		status           string
	}{
		{parts[0], "SENDERA", "000000101", "837", "ZZ:SENDERA", "ZZ:RECEIVER01", "A"},
		{parts[1], "SENDERB", "000000102", "837", "ZZ:SENDERB", "ZZ:RECEIVER01", "A"},
		// The fixture's known defects (claims/x12/testdata/README.md).
		{parts[2], "SUBMITTERS.ID", "000000905", "837", "ZZ:SUBMITTERS.ID", "ZZ:RECEIVERS.ID", "R"},
	} {
		ic := res.Interchanges[i]
		e, ok := byID[ic.EnvelopeID]
		if !ok || emitted[i] != ic.EnvelopeID {
			t.Errorf("interchange %d: envelope %s not on the topic in order", i+1, ic.EnvelopeID)
			continue
		}
		if !bytes.Equal(e.Payload, want.payload) {
			t.Errorf("interchange %d: payload differs from the input's bytes", i+1)
		}
		if ic.Offset != off || !bytes.Equal(data[off:off+ic.Size], e.Payload) {
			t.Errorf("interchange %d: span %d+%d, want offset %d", i+1, ic.Offset, ic.Size, off)
		}
		wantAttrs := map[string]string{"isa13": want.isa13, "isa15": "T", "sender": want.sender, "receiver": want.receiver,
			"ack": want.status, "gs06": "1", "file": path, "offset": strconv.FormatInt(off, 10)}
		if _, note := edi.TA1Status(ic.Header); note != "000" {
			wantAttrs["ta105"] = note
		} else if _, ok := e.Attrs["ta105"]; ok {
			t.Errorf("interchange %d: attr-ta105 for a sound envelope", i+1)
		}
		if e.Format != event.FormatX12 || e.Key != want.key || e.Kind != want.kind || e.Source != DefaultSource || e.Received.IsZero() {
			t.Errorf("interchange %d: envelope %s/%q/%q/%q", i+1, e.Format, e.Key, e.Kind, e.Source)
		}
		for k, v := range wantAttrs {
			if e.Attrs[k] != v {
				t.Errorf("interchange %d: attr-%s = %q, want %q", i+1, k, e.Attrs[k], v)
			}
		}
		if ic.Status != want.status {
			t.Errorf("interchange %d: status %s, want %s (errors %v)", i+1, ic.Status, want.status, ic.Errors())
		}
		off += int64(len(want.payload))
	}
	// The sound ones get a 999 accepting their group, in their own
	// delimiters; no TA1, since ISA-14 is 0.
	for i, d := range []edi.Delimiters{edi.DefaultDelimiters, pipes} {
		ic := res.Interchanges[i]
		if ic.TA1 != nil || ic.FA == nil || ic.FA[3] != d.Element {
			t.Fatalf("interchange %d: TA1 %q, 999 %q", i+1, ic.TA1, ic.FA)
		}
		parseAck(t, ic.FA)
		if got := segments(t, ic.FA, "AK9"); !slices.Equal(got, []string{"AK9*A*1*1*1"}) {
			t.Errorf("interchange %d: AK9 %v", i+1, got)
		}
	}
	// The fixture asks for a TA1 (ISA-14 1) and has an envelope error.
	ic := res.Interchanges[2]
	if got := segments(t, ic.TA1, "TA1"); len(got) != 1 || !strings.HasPrefix(got[0], "TA1*000000905*030101*1253*") {
		t.Errorf("fixture TA1 = %v", got)
	}
	if got, want := res.Ack(), append(append(append([]byte(nil), res.Interchanges[0].Ack()...), res.Interchanges[1].Ack()...), ic.Ack()...); !bytes.Equal(got, want) {
		t.Error("Result.Ack is not the acknowledgments in order")
	}
	for _, e := range res.InputErrors(path) {
		s := e.Error()
		if !strings.HasPrefix(s, path+": interchange 3 (offset ") {
			t.Errorf("error not located in interchange 3: %s", s)
		}
		for _, phi := range []string{"ANGELASZEK", "SECRET", "3016809770"} {
			if strings.Contains(s, phi) {
				t.Errorf("error text holds input data: %s", s)
			}
		}
	}
}

// Malformed interchanges are stored all the same and answered with the
// codes that say what is wrong; an input that cannot be split stores
// nothing.
func TestIngestBadInput(t *testing.T) {
	t.Parallel()
	_, cfg := broker(t)
	p := producer(t, cfg)
	in := newIntake(t, Config{})
	ctx := t.Context()

	// No IEA: TA1 R 023, and no 999 for a rejected interchange.
	noIEA := readFile(t, filepath.Join(corpusCopy, "azoner-pyx12/4010-fail_no_IEA.txt"))
	res, err := in.IngestBytes(ctx, p.Emit, noIEA, Origin{Remote: "192.0.2.1:5000"})
	if err != nil {
		t.Fatal(err)
	}
	ic := res.Interchanges[0]
	if got := segments(t, ic.TA1, "TA1"); !slices.Equal(got, []string{"TA1*000010121*030828*1128*R*023"}) {
		t.Errorf("TA1 = %v, want pyx12's", got)
	}
	if ic.FA != nil || ic.Status != "R" {
		t.Errorf("rejected interchange: 999 %q, status %s", ic.FA, ic.Status)
	}
	parseAck(t, ic.TA1)

	// Missing elements: the interchange is sound (TA1 A, asked for), the
	// 999 locates each error: NM1-02 of 1000B, CLM-05.
	missing := readFile(t, filepath.Join(corpusCopy, "imsweb-x12-parser/837_5010__x12_missing_elements.txt"))
	res, err = in.IngestBytes(ctx, p.Emit, missing, Origin{})
	if err != nil {
		t.Fatal(err)
	}
	ic = res.Interchanges[0]
	if got := segments(t, ic.TA1, "TA1"); len(got) != 1 || !strings.HasSuffix(got[0], "*A*000") {
		t.Errorf("TA1 = %v, want accepted", got)
	}
	parseAck(t, ic.FA)
	ik4 := strings.Join(segments(t, ic.FA, "IK4"), " ")
	ik3 := strings.Join(segments(t, ic.FA, "IK3"), " ")
	if !strings.Contains(ik3, "IK3*NM1*") || !strings.Contains(ik3, "IK3*CLM*") || !strings.Contains(ik4, "*1") {
		t.Errorf("999 lacks the element errors: IK3 %s; IK4 %s", ik3, ik4)
	}
	if got := segments(t, ic.FA, "IK5"); len(got) != 1 || !strings.HasPrefix(got[0], "IK5*R") {
		t.Errorf("IK5 = %v", got)
	}
	if ic.Status != "R" {
		t.Errorf("status %s, want R", ic.Status)
	}

	envs := readRaw(t, cfg)
	if len(envs) != 2 || !bytes.Equal(envs[0].Payload, noIEA) && !bytes.Equal(envs[1].Payload, noIEA) {
		t.Fatalf("%d records, want both malformed interchanges stored", len(envs))
	}
	for _, e := range envs {
		if bytes.Equal(e.Payload, noIEA) && (e.Attrs["ack"] != "R" || e.Attrs["ta105"] != "023" || e.Attrs["remote"] != "192.0.2.1:5000") {
			t.Errorf("no-IEA attrs %v", e.Attrs)
		}
	}

	// Inputs that cannot be split: nothing stored, a located error.
	for name, tc := range map[string]struct {
		data []byte
		want string
		is   error
	}{
		"no ISA":         {readFile(t, filepath.Join(sharedOrCopy(t), "imsweb-x12-parser/837_5010__x12_no_isa_line.txt")), "offset 0: input does not start with an ISA segment", edi.ErrNoISA},
		"empty":          {[]byte("\r\n\r\n"), "offset 0: no interchange", ErrNoInterchange},
		"bad delimiters": {append(synth837P(t, edi.DefaultDelimiters, "S", "000000001", 1), "ISA*00*          *00*          *ZZ*X              *ZZ*Y              *260101*1200*^*00501*000000002*0*T*:A"...), "interchange 1 (offset ", edi.ErrDelimiters},
		"short ISA":      {[]byte("ISA*00*"), "offset 0: ISA segment too short", edi.ErrISA},
	} {
		_, err := in.IngestBytes(ctx, p.Emit, tc.data, Origin{})
		var se *SplitError
		if !errors.As(err, &se) || !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want a SplitError %q", name, err, tc.want)
		}
	}
	big := newIntake(t, Config{MaxInterchangeSize: 4096})
	_, err = big.IngestBytes(ctx, p.Emit, synth837P(t, edi.DefaultDelimiters, "S", "000000001", 20), Origin{})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "interchange 1 (offset 0)") {
		t.Errorf("oversized: err = %v", err)
	}
	if n := len(readRaw(t, cfg)); n != 2 {
		t.Errorf("%d records after refused inputs, want still 2", n)
	}
}

func sharedOrCopy(t testing.TB) string {
	if _, err := os.Stat(filepath.Join(sharedCorpus, "imsweb-x12-parser/837_5010__x12_no_isa_line.txt")); err == nil {
		return sharedCorpus
	}
	t.Skip("shared corpus not found")
	return ""
}

// A control number seen again from the same sender within the window —
// in a later input or the same one — is stored and answered TA1 R 025;
// after a failed emit, the retry is not a duplicate; past the window it
// is not either.
func TestIngestDuplicates(t *testing.T) {
	t.Parallel()
	_, cfg := broker(t)
	p := producer(t, cfg)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	in := newIntake(t, Config{DuplicateWindow: time.Hour, Now: func() time.Time { return now }})
	ctx := t.Context()
	x := synth837P(t, edi.DefaultDelimiters, "DUPSENDER", "000000777", 1)
	y := synth837P(t, pipes, "OTHER", "000000777", 1) // same number, another sender

	statuses := func(data []byte, emit func(context.Context, event.Envelope) error) ([]string, error) {
		res, err := in.IngestBytes(ctx, emit, data, Origin{})
		if err != nil {
			return nil, err
		}
		var out []string
		for _, ic := range res.Interchanges {
			s := ic.Status
			if _, note := edi.TA1Status(ic.Header); note != "000" {
				s += note
			}
			out = append(out, s)
		}
		return out, nil
	}
	if got, err := statuses(append(append([]byte(nil), x...), y...), p.Emit); err != nil || !slices.Equal(got, []string{"A", "A"}) {
		t.Fatalf("first: %v %v", got, err)
	}
	got, err := statuses(x, p.Emit)
	if err != nil || !slices.Equal(got, []string{"R025"}) {
		t.Fatalf("resend: %v %v, want R025", got, err)
	}
	// In one input.
	z := synth837P(t, edi.DefaultDelimiters, "DUPSENDER", "000000778", 1)
	if got, err := statuses(append(append([]byte(nil), z...), z...), p.Emit); err != nil || !slices.Equal(got, []string{"A", "R025"}) {
		t.Fatalf("twice in one input: %v %v", got, err)
	}
	// Kafka fails on the second interchange: nothing is remembered.
	w := synth837P(t, edi.DefaultDelimiters, "DUPSENDER", "000000779", 1)
	v := synth837P(t, edi.DefaultDelimiters, "DUPSENDER", "000000780", 1)
	n := 0
	failing := func(ctx context.Context, e event.Envelope) error {
		if n++; n == 2 {
			return errors.New("broker down")
		}
		return p.Emit(ctx, e)
	}
	_, err = statuses(append(append([]byte(nil), w...), v...), failing)
	var ee *EmitError
	if !errors.As(err, &ee) || ee.Interchange != 2 {
		t.Fatalf("failing emit: %v", err)
	}
	if got, err := statuses(append(append([]byte(nil), w...), v...), p.Emit); err != nil || !slices.Equal(got, []string{"A", "A"}) {
		t.Fatalf("retry after failure: %v %v", got, err)
	}
	// Past the window.
	now = now.Add(2 * time.Hour)
	if got, err := statuses(x, p.Emit); err != nil || !slices.Equal(got, []string{"A"}) {
		t.Fatalf("after the window: %v %v", got, err)
	}
	// The duplicate was stored: every receipt is on the topic.
	if n := len(readRaw(t, cfg)); n != 2+1+2+1+2+1 {
		t.Errorf("%d records, want 9", n)
	}
}

func TestWindowLimit(t *testing.T) {
	t.Parallel()
	w := newWindow(time.Hour, 3)
	now := time.Now()
	for i := range 5 {
		k := strconv.Itoa(i)
		if !w.reserve(k, now) {
			t.Fatalf("reserve %s", k)
		}
		w.commit([]string{k}, now)
	}
	// Over the limit the oldest are forgotten.
	if !w.reserve("0", now) || w.reserve("4", now) {
		t.Error("limit not applied oldest first")
	}
	w.release([]string{"0"})
	if !w.reserve("0", now) {
		t.Error("release did not forget a reservation")
	}
	if w.reserve("0", now) {
		t.Error("a reservation in flight is not a duplicate")
	}
	if got := len(w.keys); got > 4 {
		t.Errorf("%d keys kept, want at most the limit plus reservations", got)
	}
}
