package x12

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	edi "github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/event"
)

func post(t *testing.T, url string, body []byte) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ContentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// POST /x12 over real HTTP answers with the 999 only once the interchange
// is readable from Kafka; input that cannot be split is a 400 with its
// location; size limits are 413s.
func TestHTTPAnswersAfterKafka(t *testing.T) {
	t.Parallel()
	_, cfg := broker(t)
	p := producer(t, cfg)
	in := newIntake(t, Config{MaxInterchangeSize: 64 << 10})
	stored := make(chan struct{}, 1)
	release := make(chan struct{})
	emit := func(ctx context.Context, e event.Envelope) error {
		if err := p.Emit(ctx, e); err != nil {
			return err
		}
		stored <- struct{}{}
		<-release
		return nil
	}
	srv := httptest.NewServer(NewHandler(in, emit, HandlerConfig{MaxBodySize: 256 << 10}))
	defer srv.Close()

	body := synth837P(t, edi.DefaultDelimiters, "HTTPSENDER", "000000501", 2)
	type answer struct {
		resp *http.Response
		body string
	}
	done := make(chan answer, 1)
	go func() {
		resp, b := post(t, srv.URL+"/x12", body)
		done <- answer{resp, b}
	}()
	<-stored
	envs := readRaw(t, cfg)
	if len(envs) != 1 || !bytes.Equal(envs[0].Payload, body) || envs[0].Key != "HTTPSENDER" || !strings.HasPrefix(envs[0].Attrs["remote"], "127.0.0.1:") {
		t.Fatalf("on Kafka before the answer: %d records", len(envs))
	}
	select {
	case <-done:
		t.Fatal("answered before emit returned")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	a := <-done
	if a.resp.StatusCode != http.StatusOK || a.resp.Header.Get("Content-Type") != ContentType {
		t.Fatalf("status %d %s: %s", a.resp.StatusCode, a.resp.Header.Get("Content-Type"), a.body)
	}
	parseAck(t, []byte(a.body))
	if got := segments(t, []byte(a.body), "AK9"); len(got) != 1 || got[0] != "AK9*A*1*1*1" {
		t.Errorf("AK9 %v", got)
	}
	if got := segments(t, []byte(a.body), "ISA"); len(got) != 1 || !strings.Contains(got[0], "*HTTPSENDER     *") {
		t.Errorf("ISA of the answer %v: not addressed to the sender", got)
	}

	stored = make(chan struct{}, 8) // no more waiting below
	for _, tc := range []struct {
		name string
		body []byte
		code int
		want string
	}{
		{"garbage", []byte("hello"), 400, "offset 0: input does not start with an ISA segment; nothing stored\n"},
		{"empty", nil, 400, "offset 0: no interchange (ISA segment) in the input; nothing stored\n"},
		{"body too large", bytes.Repeat([]byte("x"), 300<<10), 413, "body exceeds 262144 bytes\n"},
		{"interchange too large", synth837P(t, edi.DefaultDelimiters, "S", "000000502", 200), 413, "interchange 1 (offset 0): interchange exceeds the maximum size of 65536 bytes; nothing stored\n"},
	} {
		resp, got := post(t, srv.URL+"/x12", tc.body)
		if resp.StatusCode != tc.code || got != tc.want || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("%s: %d %q, want %d %q", tc.name, resp.StatusCode, got, tc.code, tc.want)
		}
	}
	resp, err := http.Get(srv.URL + "/x12")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	if n := len(readRaw(t, cfg)); n != 1 {
		t.Errorf("%d records after refused bodies, want 1", n)
	}
}

// With the broker stopped, POST /x12 answers 503 and Retry-After: the
// sender must send again.
func TestHTTPBrokerDown(t *testing.T) {
	t.Parallel()
	e, cfg := broker(t)
	p := producer(t, cfg)
	in := newIntake(t, Config{EmitTimeout: 3 * time.Second})
	srv := httptest.NewServer(NewHandler(in, p.Emit, HandlerConfig{}))
	defer srv.Close()
	body := synth837P(t, edi.DefaultDelimiters, "DOWN", "000000601", 1)
	if resp, _ := post(t, srv.URL, body); resp.StatusCode != http.StatusOK {
		t.Fatalf("with the broker up: %d", resp.StatusCode)
	}
	e.Close()
	start := time.Now()
	resp, got := post(t, srv.URL, synth837P(t, edi.DefaultDelimiters, "DOWN", "000000602", 1))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" || got != "interchange 1 not stored; send the body again\n" {
		t.Errorf("broker down: %d %q", resp.StatusCode, got)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("503 after %v: the delivery timeout should bound it", d)
	}
	// Not remembered: the same interchange sent again later is no duplicate.
	if !in.seen.reserve("ZZ/DOWN/000000602", time.Now()) {
		t.Error("a failed upload's control number was remembered")
	}
}
