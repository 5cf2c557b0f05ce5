package pipeline

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir/fromv2"
	"github.com/tributary-health/tributary/stream"
)

// fixable rejects every envelope permanently until fixed, as a mapping
// with a bug would, then converts with the real mapping.
type fixable struct {
	fixed atomic.Bool
	next  Converter
}

func (f *fixable) Convert(ctx context.Context, env event.Envelope) (Conversion, error) {
	if !f.fixed.Load() {
		return Conversion{}, permanentError{errors.New("test: mapping bug at PID-3"), "test.bug", "PID-3"}
	}
	return f.next.Convert(ctx, env)
}

// The normalizer dead-letters envelopes; after a fix, RetryDeadLetters
// puts them back on the raw topic and the normalizer converts them; the
// retried ones are marked so they are not selected again.
func TestDLQRetryThroughTheNormalizer(t *testing.T) {
	t.Parallel()
	mapper, err := fromv2.New(fromv2.Config{})
	if err != nil {
		t.Fatal(err)
	}
	conv := &fixable{next: HL7v2{Mapper: mapper}}
	e := newEnvWith(t, map[event.Format]Converter{event.FormatHL7v2: conv})
	cfg := e.cfg
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { _ = e.norm.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	ids := map[string]bool{e.emit(t, adt("2001", "Delta", "R1")): true, e.emit(t, adt("2002", "Echo", "R2")): true}

	var dls []DeadLetter
	eventually(t, "two dead letters", func() bool {
		dls, err = ReadDeadLetters(t.Context(), cfg)
		return err == nil && len(dls) == 2
	})
	groups := GroupDeadLetters(dls)
	if len(groups) != 1 || groups[0].Code != "test.bug" || groups[0].Location != "PID-3" || groups[0].Count != 2 || groups[0].Pending != 2 || !ids[groups[0].Example] {
		t.Fatalf("groups %+v", groups)
	}

	conv.fixed.Store(true)
	done, err := RetryDeadLetters(t.Context(), cfg, dls)
	if err != nil || len(done) != 2 {
		t.Fatalf("retried %d: %v", len(done), err)
	}
	eventually(t, "the retried envelopes' resources", func() bool {
		recs, err := stream.ReadAll(t.Context(), cfg, cfg.Topics.FHIR())
		seen := map[string]bool{}
		for _, r := range recs {
			seen[r.Header(event.HeaderSourceEnvelope)] = true
		}
		return err == nil && len(seen) == 2 && seen[dls[0].EnvelopeID] && seen[dls[1].EnvelopeID]
	})
	again, err := ReadDeadLetters(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 2 || !again[0].Retried || !again[1].Retried {
		t.Errorf("after retry: %d dead letters, retried %v", len(again), []bool{again[0].Retried, again[1].Retried})
	}
	if g := GroupDeadLetters(again); len(g) != 1 || g[0].Pending != 0 {
		t.Errorf("groups after retry %+v", g)
	}
	// Nothing new was dead-lettered by the fixed mapping.
	time.Sleep(200 * time.Millisecond)
	if n, _ := ReadDeadLetters(t.Context(), cfg); len(n) != 2 {
		t.Errorf("%d dead letters after the fix, want the 2 old ones", len(n))
	}
}

// A dead letter written by deadLetter turns back into its original
// record, without dlq-* headers.
func TestDLQRetryRecordOfDeadLetter(t *testing.T) {
	t.Parallel()
	topics := event.NewTopics("")
	in := stream.EnvelopeRecord(topics, event.Envelope{ID: "e1", Format: event.FormatHL7v2, Key: "FAC", Payload: []byte("MSH|x"), Attrs: map[string]string{"msh-10": "C1"}})
	in.Partition, in.Offset = 1, 42
	dl := deadLetter(topics, in, StageNormalize, permanentError{errors.New("x"), "c", "PID-7"})
	dl.Partition, dl.Offset = 0, 5
	r, err := RetryRecord(DeadLetter{Record: dl, Topic: dl.Header(event.HeaderDLQTopic), Offset: dl.Header(event.HeaderDLQOffset)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Topic != in.Topic || string(r.Key) != "FAC" || string(r.Value) != "MSH|x" {
		t.Errorf("retry record %+v", r)
	}
	if len(r.Headers) != len(in.Headers)+2 {
		t.Errorf("retry record headers %d, want the original %d plus 2", len(r.Headers), len(in.Headers))
	}
	for i, h := range in.Headers {
		if r.Headers[i].Key != h.Key || string(r.Headers[i].Value) != string(h.Value) {
			t.Errorf("header %d: %s=%s, want %s=%s", i, r.Headers[i].Key, r.Headers[i].Value, h.Key, h.Value)
		}
	}
	if r.Header(HeaderRetryOf) != "5@0" || r.Header(HeaderRetryCount) != "1" {
		t.Errorf("retry headers %s=%q %s=%q", HeaderRetryOf, r.Header(HeaderRetryOf), HeaderRetryCount, r.Header(HeaderRetryCount))
	}
}
