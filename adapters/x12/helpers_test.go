package x12

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	edi "github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/claims/x12/x12test"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/stream"
)

// The corpus copy of claims/x12 and the shared corpus beside the
// repository.
const (
	corpusCopy   = "../../claims/x12/testdata/corpus"
	sharedCorpus = "../../../shared/corpus/x12"
)

// broker starts an embedded broker of the test's own, with the topics of
// a fresh prefix, and returns it with a producer's config.
func broker(t testing.TB) (*stream.Embedded, stream.Config) {
	t.Helper()
	e, err := stream.StartEmbedded(stream.EmbeddedConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	var b [6]byte
	_, _ = rand.Read(b[:])
	cfg := stream.Config{Brokers: e.Addrs(), Topics: event.NewTopics("t" + hex.EncodeToString(b[:]) + "."), DeliveryTimeout: 3 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := stream.EnsureTopics(ctx, cfg, stream.TopicSpec{Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	return e, cfg
}

func producer(t testing.TB, cfg stream.Config) *stream.Producer {
	t.Helper()
	p, err := stream.NewProducer(cfg, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		p.Close(ctx)
		cancel()
	})
	return p
}

// readRaw returns the records on raw.x12.v1 as envelopes (checking their
// sha256), in offset order per partition.
func readRaw(t testing.TB, cfg stream.Config) []event.Envelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	recs, err := stream.ReadAll(ctx, cfg, cfg.Topics.Raw(event.FormatX12))
	if err != nil {
		t.Fatal(err)
	}
	var out []event.Envelope
	for _, r := range recs {
		e, err := stream.Envelope(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func newIntake(t testing.TB, cfg Config) *Intake {
	t.Helper()
	in, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// synth837P returns a valid 837P interchange from x12test with the
// given delimiters, sender and control number, and claims made-up
// claims.
func synth837P(t testing.TB, d edi.Delimiters, sender, ctrl string, claims int) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := x12test.Write837P(&b, x12test.Options{Claims: claims}); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	s = strings.Replace(s, "SUBMITTER01    ", (sender + "               ")[:15], 1)
	s = strings.ReplaceAll(s, "000000001", ctrl)
	s = strings.NewReplacer("*", string(d.Element), "^", string(d.Repetition), ":", string(d.Component), "~", string(d.Segment)).Replace(s)
	return []byte(s)
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parseAck parses an acknowledgment and returns its interchanges; it
// fails the test if the acknowledgment itself is not sound.
func parseAck(t testing.TB, ack []byte) []*edi.Interchange {
	t.Helper()
	p := edi.NewParser(bytes.NewReader(ack))
	for {
		_, err := p.Next()
		if err != nil {
			break
		}
	}
	for _, ic := range p.Interchanges() {
		if len(ic.Errors) > 0 {
			t.Errorf("acknowledgment has envelope errors: %v\n%s", ic.Errors, ack)
		}
	}
	return p.Interchanges()
}

// segments returns the segments with id of an acknowledgment, as
// strings with '*' separators whatever the delimiters.
func segments(t testing.TB, ack []byte, id string) []string {
	t.Helper()
	rd := edi.NewReader(bytes.NewReader(ack))
	var out []string
	for {
		s, err := rd.Next()
		if err != nil {
			break
		}
		if s.ID() != id {
			continue
		}
		parts := []string{s.ID()}
		for i := 1; i <= s.Len(); i++ {
			parts = append(parts, s.Value(i))
		}
		out = append(out, strings.Join(parts, "*"))
	}
	return out
}
