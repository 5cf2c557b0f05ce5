package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/pipeline"
	"github.com/tributary-health/tributary/stream"
)

// TestDLQListShowRetry writes dead letters as the normalizer does (the
// original raw record plus dlq-* headers), then lists, shows and retries
// them with `tributary dlq`.
func TestDLQListShowRetry(t *testing.T) {
	t.Parallel()
	addr, cfg := embeddedBroker(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	if err := stream.EnsureTopics(ctx, cfg, stream.TopicSpec{Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	p, err := stream.NewProducer(cfg, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())

	// Four raw envelopes: three bad birth dates, one bad message type.
	const secret = "Secretwoman"
	type bad struct{ ctrl, code, loc string }
	bads := []bad{
		{"DLQ-1", "hl7v2.102", "PID-7"},
		{"DLQ-2", "hl7v2.102", "PID-7"},
		{"DLQ-3", "hl7v2.102", "PID-7"},
		{"DLQ-4", "hl7v2.207", "MSH-9.2"},
	}
	for i, b := range bads {
		err := p.Emit(ctx, event.Envelope{
			ID: "env-" + b.ctrl, Format: event.FormatHL7v2, Kind: "ADT^A01", Received: time.Now().UTC(),
			Source: "test", Key: "GHH", Attrs: map[string]string{"msh-10": b.ctrl},
			Payload: adtA01("MRN-"+strconv.Itoa(i), secret, "19801345", b.ctrl),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rawTopic := cfg.Topics.Raw(event.FormatHL7v2)
	raws := readTopic(t, cfg, rawTopic)
	if len(raws) != 4 {
		t.Fatalf("raw topic has %d records, want 4", len(raws))
	}
	byCtrl := map[string]stream.Record{}
	var dead []stream.Record
	for _, r := range raws {
		ctrl := r.Header("attr-msh-10")
		byCtrl[ctrl] = r
		i := slices.IndexFunc(bads, func(b bad) bool { return b.ctrl == ctrl })
		d := stream.Record{Topic: cfg.Topics.DLQ(), Key: r.Key, Value: r.Value, Headers: slices.Clone(r.Headers)}
		d.SetHeader(event.HeaderDLQStage, pipeline.StageNormalize)
		d.SetHeader(event.HeaderDLQCode, bads[i].code)
		d.SetHeader(event.HeaderDLQLocation, bads[i].loc)
		d.SetHeader(event.HeaderDLQReason, "hl7v2: "+bads[i].loc+": invalid value")
		d.SetHeader(event.HeaderDLQAttempt, "1")
		d.SetHeader(event.HeaderDLQTopic, r.Topic)
		d.SetHeader(event.HeaderDLQOffset, strconv.FormatInt(r.Offset, 10)+"@"+strconv.Itoa(int(r.Partition)))
		dead = append(dead, d)
		if ctrl == "DLQ-1" {
			dead = append(dead, d) // written twice, as after a crash
		}
	}
	if err := p.Produce(ctx, dead...); err != nil {
		t.Fatal(err)
	}
	dlqArgs := func(sub string, extra ...string) []string {
		return append([]string{"dlq", sub, "--brokers=" + addr, "--topic-prefix=" + cfg.Topics.Prefix, "--log-level=warn"}, extra...)
	}
	noPHI := func(what, s string) {
		t.Helper()
		if strings.Contains(s, secret) || strings.Contains(s, "MRN-") || strings.Contains(s, "19801345") {
			t.Errorf("%s holds patient data:\n%s", what, s)
		}
	}

	// list: grouped by stage, code and location, no payload.
	code, stdout, stderr := runMain(t, nil, dlqArgs("list")...)
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, stderr)
	}
	t.Logf("dlq list:\n%s", stdout)
	noPHI("list", stdout+stderr)
	lines := strings.Split(stdout, "\n")
	if !strings.HasPrefix(lines[0], "STAGE") || !strings.Contains(stdout, "5 dead letters in 2 groups") {
		t.Errorf("list:\n%s", stdout)
	}
	if f := strings.Fields(lines[1]); len(f) < 8 || f[0] != "normalize" || f[1] != "hl7v2.102" || f[2] != "PID-7" || f[3] != "4" || f[4] != "4" {
		t.Errorf("list first group: %q", lines[1])
	}
	if f := strings.Fields(lines[2]); len(f) < 8 || f[1] != "hl7v2.207" || f[2] != "MSH-9.2" || f[3] != "1" || f[7] != "env-DLQ-4" {
		t.Errorf("list second group: %q", lines[2])
	}
	listJSON := func(extra ...string) []pipeline.DeadLetterGroup {
		t.Helper()
		code, stdout, stderr := runMain(t, nil, dlqArgs("list", append([]string{"--json"}, extra...)...)...)
		if code != 0 {
			t.Fatalf("list --json: exit %d: %s", code, stderr)
		}
		noPHI("list --json", stdout)
		var gs []pipeline.DeadLetterGroup
		if err := json.Unmarshal([]byte(stdout), &gs); err != nil {
			t.Fatalf("list --json: %v\n%s", err, stdout)
		}
		return gs
	}
	if gs := listJSON("--code=hl7v2.207"); len(gs) != 1 || gs[0].Count != 1 || gs[0].Example != "env-DLQ-4" || gs[0].First.IsZero() {
		t.Errorf("list --code: %+v", gs)
	}
	if gs := listJSON("--since=2000-01-01", "--stage=materialize"); len(gs) != 0 {
		t.Errorf("list --stage=materialize: %+v", gs)
	}
	if gs := listJSON("--since=2999-01-01"); len(gs) != 0 {
		t.Errorf("list --since in the future: %+v", gs)
	}

	// show: headers, no payload unless asked.
	code, stdout, stderr = runMain(t, nil, dlqArgs("show", "env-DLQ-4")...)
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, stderr)
	}
	noPHI("show", stdout+stderr)
	for _, want := range []string{"dlq-code: hl7v2.207", "dlq-location: MSH-9.2", "envelope-id: env-DLQ-4", "attr-msh-10: DLQ-4", "retried: false", "key: GHH", "dlq-topic: " + rawTopic} {
		if !strings.Contains(stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, stdout)
		}
	}
	// By offset, with the payload after the flag and id order mixed.
	var part, off string
	for _, l := range strings.Split(stdout, "\n") {
		if rest, ok := strings.CutPrefix(l, "dead letter "); ok {
			pos := strings.Fields(rest)[0]
			part, off, _ = strings.Cut(pos, ":")
		}
	}
	code, stdout, stderr = runMain(t, nil, dlqArgs("show", "--payload", "--offset="+part+":"+off)...)
	if code != 0 || !strings.Contains(stdout, secret) || !strings.Contains(stdout, "envelope-id: env-DLQ-4") || !strings.Contains(stderr, "PHI") {
		t.Errorf("show --payload --offset: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if code, _, _ := runMain(t, nil, dlqArgs("show", "env-nothing")...); code != 1 {
		t.Errorf("show of an unknown envelope: exit %d, want 1", code)
	}
	if code, _, _ := runMain(t, nil, dlqArgs("show")...); code != 2 {
		t.Errorf("show without an id: exit %d, want 2", code)
	}

	// retry --dry-run writes nothing.
	code, stdout, stderr = runMain(t, nil, dlqArgs("retry", "--dry-run", "--code=hl7v2.102")...)
	if code != 0 || !strings.Contains(stdout, "would retry env-DLQ-2") || !strings.Contains(stdout, "3 dead letters would be retried") {
		t.Fatalf("retry --dry-run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	noPHI("retry --dry-run", stdout+stderr)
	if n := len(readTopic(t, cfg, rawTopic)); n != 4 {
		t.Errorf("after --dry-run the raw topic has %d records, want 4", n)
	}
	if n := len(readTopic(t, cfg, cfg.Topics.DLQ())); n != 5 {
		t.Errorf("after --dry-run dlq.v1 has %d records, want 5", n)
	}

	// retry: the originals are back on the raw topic, once each.
	code, stdout, stderr = runMain(t, nil, dlqArgs("retry", "--code=hl7v2.102", "--location", "PID-7")...)
	if code != 0 || !strings.Contains(stdout, "3 dead letters retried; 0 retried before skipped") {
		t.Fatalf("retry: exit %d\n%s\n%s", code, stdout, stderr)
	}
	noPHI("retry", stdout+stderr)
	after := readTopic(t, cfg, rawTopic)
	if len(after) != 7 {
		t.Fatalf("after retry the raw topic has %d records, want 4+3", len(after))
	}
	for _, r := range after {
		if r.Header(pipeline.HeaderRetryCount) == "" {
			continue
		}
		ctrl := r.Header("attr-msh-10")
		orig := byCtrl[ctrl]
		if ctrl == "DLQ-4" || !bytes.Equal(r.Key, orig.Key) || !bytes.Equal(r.Value, orig.Value) {
			t.Errorf("retried %s: key %q, value differs: %t", ctrl, r.Key, !bytes.Equal(r.Value, orig.Value))
		}
		var extra []string
		for _, h := range r.Headers {
			if strings.HasPrefix(h.Key, "dlq-") {
				t.Errorf("retried %s has header %s", ctrl, h.Key)
			}
			if orig.Header(h.Key) != string(h.Value) {
				extra = append(extra, h.Key)
			}
		}
		if want := []string{pipeline.HeaderRetryOf, pipeline.HeaderRetryCount}; !slices.Equal(extra, want) || r.Header(pipeline.HeaderRetryCount) != "1" {
			t.Errorf("retried %s: headers beyond the original's %v, want %v", ctrl, extra, want)
		}
		if e, err := stream.Envelope(r); err != nil || e.ID != "env-"+ctrl {
			t.Errorf("retried %s: envelope %q, %v", ctrl, e.ID, err)
		}
	}
	if gs := listJSON("--code=hl7v2.102"); len(gs) != 1 || gs[0].Count != 4 || gs[0].Pending != 0 {
		t.Errorf("list after retry: %+v", gs)
	}

	// A second retry sends nothing; --again does.
	code, stdout, _ = runMain(t, nil, dlqArgs("retry", "--code=hl7v2.102")...)
	if code != 0 || !strings.Contains(stdout, "0 dead letters retried; 4 retried before skipped") {
		t.Errorf("second retry: exit %d\n%s", code, stdout)
	}
	if n := len(readTopic(t, cfg, rawTopic)); n != 7 {
		t.Errorf("after a second retry the raw topic has %d records, want 7", n)
	}
	code, stdout, _ = runMain(t, nil, dlqArgs("retry", "--envelope=env-DLQ-2", "--again")...)
	if code != 0 || !strings.Contains(stdout, "1 dead letters retried") {
		t.Errorf("retry --again: exit %d\n%s", code, stdout)
	}
	if n := len(readTopic(t, cfg, rawTopic)); n != 8 {
		t.Errorf("after retry --again the raw topic has %d records, want 8", n)
	}
}

// A retried record that fails again carries its retry count into its new
// dead letter, and the next retry counts on.
func TestDLQRetryRecordCounts(t *testing.T) {
	t.Parallel()
	d := pipeline.DeadLetter{
		Record: stream.Record{Partition: 2, Offset: 7, Key: []byte("GHH"), Value: []byte("MSH|"), Headers: []stream.Header{
			{Key: event.HeaderEnvelopeID, Value: []byte("e1")},
			{Key: pipeline.HeaderRetryCount, Value: []byte("2")},
			{Key: event.HeaderDLQCode, Value: []byte("x")},
		}},
		Topic: "t.raw.hl7v2.v1", Offset: "3@1",
	}
	r, err := pipeline.RetryRecord(d)
	if err != nil {
		t.Fatal(err)
	}
	if r.Topic != d.Topic || r.Header(pipeline.HeaderRetryCount) != "3" || r.Header(pipeline.HeaderRetryOf) != "7@2" || r.Header(event.HeaderDLQCode) != "" {
		t.Errorf("retry record %+v", r)
	}
	d.Topic = ""
	if _, err := pipeline.RetryRecord(d); err == nil {
		t.Error("a dead letter without dlq-topic was retried")
	}
}

func readTopic(t *testing.T, cfg stream.Config, topic string) []stream.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	recs, err := stream.ReadAll(ctx, cfg, topic)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}
