package main

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"net"
	"sort"
	"strconv"
	"time"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/adapters/mllp"
)

//go:embed demo/*.hl7
var demoFiles embed.FS

// runDemo sends the embedded demo messages through the process's own MLLP
// listener — the same path an interface engine would use — waits until the
// Patients can be read, and prints what to try next.
func runDemo(ctx context.Context, a *app, out io.Writer) error {
	names, err := fs.Glob(demoFiles, "demo/*.hl7")
	if err != nil {
		return err
	}
	sort.Strings(names)
	addr := dialable(a.listener.Addr())
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	c, err := mllp.Dial(ctx, addr, nil)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer c.Close()

	fmt.Fprintf(out, "\nSending %d synthetic HL7 v2 messages to MLLP %s:\n", len(names), addr)
	var ids []string
	for _, n := range names {
		msg, _ := demoFiles.ReadFile(n)
		ack, err := c.Send(ctx, msg)
		if err != nil {
			return fmt.Errorf("demo: %s: %w", n, err)
		}
		code, detail := ackSummary(ack)
		fmt.Fprintf(out, "  %-28s → %s%s\n", n[len("demo/"):], code, detail)
		if code == "AA" {
			if m, err := hl7v2.Parse(msg); err == nil {
				ids = append(ids, patientIDOf(a, m))
			}
		}
	}
	// Wait until the accepted patients are readable through the store.
	for _, id := range uniq(ids) {
		for {
			if _, err := a.store.Read(ctx, "Patient", id); err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("demo: patients did not reach the store: %w", ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	// The clinic's record of the first patient (the last demo message)
	// is linked to the hospital's by the identity index; give the
	// materializer a moment to show it, but do not insist.
	linked := ""
	if a.opts.identity && len(ids) > 0 {
		for range 50 {
			if _, others, err := a.store.LinkedPatients(ctx, ids[0]); err == nil && len(others) > 0 {
				linked = fmt.Sprintf("  curl -s %s/fhir/Patient/%s   # \"link\": the clinic's record of the same person\n", a.httpURL(), ids[0])
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	base := a.httpURL()
	fmt.Fprintf(out, `
Tributary is running. Every message above went MLLP → Kafka → normalizer →
PostgreSQL; the API reads from PostgreSQL.

  FHIR API         %[1]s/fhir   (CapabilityStatement: %[1]s/fhir/metadata)
  MLLP             %[2]s   (send your own HL7 v2: tributary send FILE)
  Kafka            %[3]s   (topics %[4]sraw.hl7v2.v1, %[4]sfhir.v1, %[4]sdlq.v1)
  Metrics          %[1]s/metrics

Try:
  curl -s %[1]s/fhir/Patient/%[5]s
  curl -s '%[1]s/fhir/Patient?identifier=MRN10001'
  curl -s '%[1]s/fhir/Patient?identifier=urn:tributary:aa:TGH|MRN10002'
  curl -s %[1]s/fhir/Patient/%[5]s/_history/1
%[6]s
Press Ctrl-C to stop; data stays under --data-dir and in PostgreSQL.
`, base, addr, a.opts.brokers[0], a.opts.topicPrefix, ids[0], linked)
	return nil
}

// patientIDOf is the id the pipeline gives the message's Patient.
func patientIDOf(a *app, m *hl7v2.Message) string {
	res, err := a.mapper.Convert(m)
	if err != nil {
		return ""
	}
	return res.PatientID
}

// ackSummary returns MSA-1 and, for a negative ACK, where and why.
func ackSummary(ack []byte) (string, string) {
	m, err := hl7v2.Parse(ack)
	if err != nil {
		return "?", " (unreadable ACK)"
	}
	code := m.Get("MSA-1")
	if code == "AA" || code == "CA" {
		return code, ""
	}
	loc := hl7v2.Location{Segment: m.Get("ERR-2.1"), Field: atoi(m.Get("ERR-2.3")), Repetition: atoi(m.Get("ERR-2.4")), Component: atoi(m.Get("ERR-2.5"))}
	return code, fmt.Sprintf(" at %s: %s %s (the message is kept on the dead-letter topic)", loc, m.Get("ERR-3.1"), m.Get("ERR-8"))
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// dialable turns a listen address such as [::]:2575 into one a client can dial.
func dialable(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func uniq(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
