package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributary-health/tributary/fhir"
)

func runMain(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(t.Context(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestHelpListsFlagsWithTheirEnvironmentVariables(t *testing.T) {
	t.Parallel()
	code, _, stderr := runMain(t, nil, "run", "--help")
	if code != 0 {
		t.Fatalf("run --help exited %d", code)
	}
	for _, want := range []string{"--database-url", "[TRIBUTARY_DATABASE_URL]", "--mllp-addr", "--demo", "--broker-addr"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("run --help lacks %q", want)
		}
	}
	for _, c := range commands {
		if c.name == "version" {
			continue
		}
		if code, _, _ := runMain(t, nil, c.name, "--help"); code != 0 {
			t.Errorf("%s --help exited %d", c.name, code)
		}
	}
	if code, _, _ := runMain(t, nil, "frobnicate"); code != 2 {
		t.Errorf("unknown command exited %d, want 2", code)
	}
}

// Flags win over TRIBUTARY_* variables, which win over defaults; a bad
// variable is an error naming it.
func TestEnvironmentConfiguration(t *testing.T) {
	t.Parallel()
	var o options
	fs := runFlags(&o, io.Discard)
	env := map[string]string{"TRIBUTARY_MLLP_ADDR": ":3000", "TRIBUTARY_HTTP_ADDR": ":4000", "TRIBUTARY_DEMO": "true"}
	if err := parseFlags(fs, []string{"--http-addr=:5000"}, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if o.mllpAddr != ":3000" || o.httpAddr != ":5000" || !o.demo || o.databaseURL != defaultDatabaseURL {
		t.Errorf("mllp %q http %q demo %v db %q", o.mllpAddr, o.httpAddr, o.demo, o.databaseURL)
	}
	fs = runFlags(&options{}, io.Discard)
	err := parseFlags(fs, nil, func(k string) string {
		if k == "TRIBUTARY_PARTITIONS" {
			return "many"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "TRIBUTARY_PARTITIONS") {
		t.Errorf("bad variable: %v", err)
	}
	if err := parseFlags(runFlags(&options{}, io.Discard), []string{"--nope"}, func(string) string { return "" }); err == nil || err == flag.ErrHelp {
		t.Errorf("unknown flag: %v", err)
	}
}

// convert needs no services: each input becomes a valid Bundle holding its
// Patient; a bad message is reported as FILE: LOCATION: message, without
// its value, with exit status 1, and the good messages of the same batch
// are still converted.
func TestConvert(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runMain(t, nil, "convert", "demo/01-admit-alvarez.hl7", "demo/02-register-okafor.hl7")
	if code != 0 {
		t.Fatalf("convert exited %d: %s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	var bundles []json.RawMessage
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		bundles = append(bundles, raw)
	}
	if len(bundles) != 2 {
		t.Fatalf("got %d bundles, want one per input", len(bundles))
	}
	want := fhir.ID("Patient", "urn:tributary:aa:TGH", "MRN10001")
	if !strings.Contains(string(bundles[0]), `"id": "`+want+`"`) {
		t.Errorf("first bundle lacks Patient/%s", want)
	}
	for i, b := range bundles {
		if err := fhir.Validate(b); err != nil {
			t.Errorf("bundle %d: %v", i, err)
		}
	}

	code, _, stderr = runMain(t, nil, "convert", "demo/05-bad-birth-date.hl7")
	if code != 1 || !strings.Contains(stderr, "demo/05-bad-birth-date.hl7: PID-7: ") || strings.Contains(stderr, "19901341") {
		t.Errorf("bad file: exit %d, stderr %q; want 1 and FILE: PID-7: without the value", code, stderr)
	}

	// A file of two messages, the second bad, written to --out.
	dir := t.TempDir()
	good, _ := os.ReadFile("demo/01-admit-alvarez.hl7")
	bad, _ := os.ReadFile("demo/05-bad-birth-date.hl7")
	in := filepath.Join(dir, "two.hl7")
	if err := os.WriteFile(in, append(append(good, '\r'), bad...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runMain(t, nil, "convert", "--out", filepath.Join(dir, "out"), in)
	if code != 1 || !strings.Contains(stderr, "two.hl7: message 2 (offset ") || !strings.Contains(stderr, "PID-7") {
		t.Errorf("batch: exit %d, stderr %q", code, stderr)
	}
	if stdout != "" {
		t.Errorf("--out wrote to stdout too")
	}
	b, err := os.ReadFile(filepath.Join(dir, "out", "two.fhir.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := fhir.Validate(b); err != nil || !strings.Contains(string(b), want) {
		t.Errorf("--out bundle: %v, holds the good message's Patient: %v", err, strings.Contains(string(b), want))
	}
}

// send is a working MLLP client: it reports AA for a good message, the
// location of a bad one, and exit status 1 when any was not accepted.
func TestSend(t *testing.T) {
	t.Parallel()
	a := startPipeline(t)
	to := "--to=" + dialable(a.listener.Addr())
	code, stdout, stderr := runMain(t, nil, "send", to, "demo/01-admit-alvarez.hl7")
	if code != 0 || !strings.Contains(stdout, "→ AA") {
		t.Errorf("good message: exit %d, %q %q", code, stdout, stderr)
	}
	code, stdout, _ = runMain(t, nil, "send", to, "demo/05-bad-birth-date.hl7")
	if code != 1 || !strings.Contains(stdout, "AE at PID-7: 102") {
		t.Errorf("bad message: exit %d, %q", code, stdout)
	}
}
