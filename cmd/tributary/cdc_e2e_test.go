package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/identity"
	"github.com/tributary-health/tributary/stream"
)

const (
	cdcMappingFile = "../../fhir/fromcdc/examples/payer.mapping.json"
	cdcMemberSys   = "urn:tributary:payer:SYNPAYER:member"
)

// memberCopybook lays out a synthetic mainframe MEMBER unload: the
// columns of the shipped mapping's MEMBER table.
const memberCopybook = `      * MEMBER: a synthetic payer's member master, unloaded nightly.
       01  MEMBER-REC.
           05  MEMBER-ID         PIC X(10).
           05  LAST-NM           PIC X(12).
           05  FIRST-NM          PIC X(10).
           05  BIRTH-DT          PIC 9(8).
           05  SEX-CD            PIC X.
           05  REC-STAT          PIC X.
`

// memberRecord is one fixed-length MEMBER record in EBCDIC (cp037).
func memberRecord(t *testing.T, id, last, first, birth, sex string) []byte {
	t.Helper()
	text := fmt.Sprintf("%-10s%-12s%-10s%8s%s%s", id, last, first, birth, sex, "A")
	b, err := charmap.CodePage037.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dbzEvent is a schema-less Debezium DB2 change event; lsn orders it
// (commit_lsn and change_lsn, fixed-width hexadecimal as DB2 writes).
func dbzEvent(schema, table, op string, before, after map[string]any, lsn int, ts time.Time) []byte {
	img := func(m map[string]any) any {
		if m == nil {
			return nil
		}
		return m
	}
	b, _ := json.Marshal(map[string]any{
		"before": img(before),
		"after":  img(after),
		"source": map[string]any{
			"version": "2.7.3.Final", "connector": "db2", "name": "payerdb", "ts_ms": ts.UnixMilli(),
			"snapshot": "false", "db": "PAYERDB", "schema": schema, "table": table,
			"change_lsn": fmt.Sprintf("00000030:%08x:0002", lsn), "commit_lsn": fmt.Sprintf("00000030:%08x:0005", lsn),
		},
		"op":    op,
		"ts_ms": ts.UnixMilli() + 412,
	})
	return b
}

func member(id, last, first string) map[string]any {
	return map[string]any{"MEMBER_ID": id, "LAST_NM": last, "FIRST_NM": first, "BIRTH_DT": 19800214, "SEX_CD": "F", "REC_STAT": "A"}
}

// waitCDCCaughtUp waits until the normalizer has consumed every record
// of raw.cdc.v1 and the store has applied every committed fhir.v1 record.
func waitCDCCaughtUp(t *testing.T, a *app) {
	t.Helper()
	waitCaughtUp(t, a.scfg, a.store, event.FormatCDC)
}

// The end-to-end test for CDC: a copybook member file (ingested
// twice: a duplicate replay) and a Debezium stream relayed from source
// topics (creates, updates, a delete with its tombstone, an event older
// than one applied, and replays of applied events) go through ingest,
// the normalizer and the materializer into PostgreSQL, and the final
// state is checked through the FHIR API and the store.
func TestCDCEndToEnd(t *testing.T) {
	t.Parallel()
	a := startPipeline(t, "--cdc-mapping="+cdcMappingFile)
	brokers := a.opts.brokers[0]
	base := []string{"--brokers=" + brokers, "--topic-prefix=" + a.scfg.Topics.Prefix, "--partitions=3", "--log-level=warn"}
	pid := func(member string) string { return fhir.ID("Patient", cdcMemberSys, member) }

	// 1. The mainframe unload: members M1 and M2, as of 08:00 (the file's
	// time is the records' source time).
	dir := t.TempDir()
	cb, data := filepath.Join(dir, "MEMBER.cpy"), filepath.Join(dir, "MEMBER.UNLOAD.D20251126")
	unload := append(memberRecord(t, "M1", "ALPHA", "ANN", "19700101", "F"), memberRecord(t, "M2", "BRAVO", "BEN", "19750505", "M")...)
	if err := os.WriteFile(cb, []byte(memberCopybook), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, unload, 0o644); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 11, 26, 8, 0, 0, 0, time.UTC)
	if err := os.Chtimes(data, t0, t0); err != nil {
		t.Fatal(err)
	}
	copybookArgs := append([]string{"ingest", "copybook"}, append(base, "--copybook", cb, "--table", "MEMBER", "--key", "MEMBER-ID", "--encoding", "cp037", data)...)
	for range 2 { // the second run is a replay: same positions
		if code, _, stderr := runMain(t, nil, copybookArgs...); code != 0 {
			t.Fatalf("ingest copybook: exit %d\n%s", code, stderr)
		}
	}

	// 2. The Debezium topics, relayed by ingest cdc. The source topics
	// live on the same broker under another prefix (see TestIngestCDC).
	src := stream.Config{Brokers: a.scfg.Brokers, Topics: event.NewTopics("src" + randomName() + ".")}
	if err := stream.EnsureTopics(t.Context(), src, stream.TopicSpec{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	memberTopic, eligTopic, provTopic := src.Topics.Raw(event.FormatCDC), src.Topics.Raw(event.FormatX12), src.Topics.Raw(event.FormatHL7v2)
	sp, err := stream.NewProducer(src, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close(context.Background())
	t1 := time.Date(2025, 11, 26, 9, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t1.Add(time.Duration(min) * time.Minute) }
	key := func(k string) []byte { return []byte(`{"MEMBER_ID":"` + k + `"}`) }
	m3Update := dbzEvent("MBR", "MEMBER", "u", member("M3", "CHARLIE", "CY"), member("M3", "CHARLIE-UPD", "CY"), 0x11, at(2))
	m4New := dbzEvent("MBR", "MEMBER", "u", member("M4", "DELTA", "DI"), member("M4", "DELTA-NEW", "DI"), 0x14, at(4))
	recs := []stream.Record{
		{Topic: memberTopic, Key: key("M3"), Value: dbzEvent("MBR", "MEMBER", "c", nil, member("M3", "CHARLIE", "CY"), 0x10, at(1))},
		{Topic: memberTopic, Key: key("M3"), Value: m3Update},
		{Topic: memberTopic, Key: key("M4"), Value: dbzEvent("MBR", "MEMBER", "c", nil, member("M4", "DELTA", "DI"), 0x12, at(3))},
		{Topic: eligTopic, Key: key("M4"), Value: dbzEvent("MBR", "ELIGIBILITY", "c", nil, map[string]any{
			"MEMBER_ID": "M4", "SUBSCRIBER_ID": "M4", "REL_CD": "18", "PLAN_CD": "PPO500", "GROUP_NO": "G0042",
			"GROUP_NM": "EXAMPLE MANUFACTURING CO", "EFF_DT": 1250101, "TERM_DT": 99991231, "ELIG_STAT": "A"}, 0x12, at(3))},
		{Topic: provTopic, Key: []byte(`{"PROV_NPI":1234567893}`), Value: dbzEvent("PRV", "PROVIDER", "c", nil, map[string]any{
			"PROV_NPI": 1234567893, "PROV_TYPE": "I", "PROV_STAT": "A", "LAST_NM": "OKAFOR", "FIRST_NM": "ADAEZE",
			"TAXONOMY_CD": "207Q00000X", "CITY": "SPRINGFIELD", "STATE_CD": "IL"}, 0x12, at(3))},
		{Topic: memberTopic, Key: key("M4"), Value: m4New},
		// Out of order: an older position than the update before it, at
		// the same source time (one millisecond), which alone would
		// not order them.
		{Topic: memberTopic, Key: key("M4"), Value: dbzEvent("MBR", "MEMBER", "u", member("M4", "DELTA", "DI"), member("M4", "DELTA-OLD", "DI"), 0x13, at(4))},
		// The database updates the mainframe's member M1: another source,
		// compared by source time (later than the unload).
		{Topic: memberTopic, Key: key("M1"), Value: dbzEvent("MBR", "MEMBER", "u", nil, member("M1", "ALPHA-DB", "ANN"), 0x15, at(5))},
		{Topic: memberTopic, Key: key("M3"), Value: dbzEvent("MBR", "MEMBER", "d", map[string]any{"MEMBER_ID": "M3"}, nil, 0x16, at(6))},
		{Topic: memberTopic, Key: key("M3"), Value: nil}, // the tombstone
		// Replays (a connector restarted): the update of the deleted M3
		// must not bring it back; M4's update is a duplicate.
		{Topic: memberTopic, Key: key("M3"), Value: m3Update},
		{Topic: memberTopic, Key: key("M4"), Value: m4New},
	}
	// One at a time: each source topic partition keeps its order anyway,
	// and this keeps the test's story in order across topics too.
	for _, r := range recs {
		if err := sp.Produce(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	stop := startIngestCDC(t, append(base, "--source-brokers="+brokers, "--topics="+memberTopic+","+eligTopic+","+provTopic, "--group=relay-e2e")...)
	waitRawCDC(t, a.scfg, 4+len(recs))
	if code, _, stderr := stop(); code != 0 {
		t.Fatalf("ingest cdc: exit %d\n%s", code, stderr)
	}
	waitCDCCaughtUp(t, a)

	// 3. A claim: its header, then its lines (line 2 added and deleted),
	// then a header update, which keeps the lines. A line that arrived
	// before its header would be dead-lettered (cdc.no-parent), so the
	// header goes first and is waited for.
	claimTopic := src.Topics.FHIR()
	header := map[string]any{"CLM_NO": "2025011500017", "MEMBER_ID": "M4", "GROUP_NO": "G0042", "SUBMITTER_ID": "SUBMTR01",
		"PAT_CTRL_NO": "PCN7781", "BILL_NPI": 1999999976, "BILL_PROV_TYPE": "O", "CLM_TYPE": "P", "SVC_FROM_DT": 1250110,
		"SVC_TO_DT": 1250110, "ADJ_DT": 20250115, "PAID_DT": 20250117, "CLM_STAT": "P", "BILLED_AMT": "250.00",
		"ALLOWED_AMT": "180.40", "PAID_AMT": "144.32"}
	line := func(n int) map[string]any {
		return map[string]any{"CLM_NO": "2025011500017", "LINE_NO": n, "MEMBER_ID": "M4", "PROC_CD": "99214", "SVC_DT": 1250110,
			"POS_CD": "11", "UNITS": 1, "BILLED_AMT": "125.00", "ALLOWED_AMT": "90.20", "PAID_AMT": "72.16"}
	}
	headerKey, lineKey := []byte(`{"CLM_NO":"2025011500017"}`), func(n int) []byte { return fmt.Appendf(nil, `{"CLM_NO":"2025011500017","LINE_NO":%d}`, n) }
	updated := maps.Clone(header)
	updated["PAID_AMT"] = "150.00"
	eobID := fhir.ID("ExplanationOfBenefit", "urn:tributary:payer:SYNPAYER:claim", "2025011500017")
	relayed := 4 + len(recs)
	for i, batch := range [][]stream.Record{
		{{Topic: claimTopic, Key: headerKey, Value: dbzEvent("CLM", "CLAIM_HEADER", "c", nil, header, 0x20, at(10))}},
		{
			{Topic: claimTopic, Key: lineKey(1), Value: dbzEvent("CLM", "CLAIM_LINE", "c", nil, line(1), 0x21, at(11))},
			{Topic: claimTopic, Key: lineKey(2), Value: dbzEvent("CLM", "CLAIM_LINE", "c", nil, line(2), 0x21, at(11))},
			{Topic: claimTopic, Key: lineKey(2), Value: dbzEvent("CLM", "CLAIM_LINE", "d", line(2), nil, 0x22, at(12))},
			{Topic: claimTopic, Key: headerKey, Value: dbzEvent("CLM", "CLAIM_HEADER", "u", header, updated, 0x23, at(13))},
		},
	} {
		for _, r := range batch {
			if err := sp.Produce(t.Context(), r); err != nil {
				t.Fatal(err)
			}
		}
		stop := startIngestCDC(t, append(base, "--source-brokers="+brokers, "--topics="+claimTopic, "--group=relay-e2e-claims")...)
		relayed += len(batch)
		waitRawCDC(t, a.scfg, relayed)
		if code, _, stderr := stop(); code != 0 {
			t.Fatalf("ingest cdc (claims %d): exit %d\n%s", i, code, stderr)
		}
		waitCDCCaughtUp(t, a)
	}

	// 4. The final state, through the API.
	get := func(path string) (int, map[string]any) { return getJSON(t, a.httpURL()+"/fhir/"+path) }
	for _, tc := range []struct {
		member, family, version string
	}{
		{"M1", "ALPHA-DB", "2"}, // unload, replayed unload (duplicate), database update
		{"M2", "BRAVO", "1"},    // unload and its replay: one version
		{"M4", "DELTA-NEW", "2"},
	} {
		code, p := get("Patient/" + pid(tc.member))
		if code != http.StatusOK {
			t.Errorf("Patient %s: %d", tc.member, code)
			continue
		}
		if f, v := lookup(p, "name.0.family"), lookup(p, "meta.versionId"); f != tc.family || v != tc.version {
			t.Errorf("Patient %s: family %v version %v, want %s version %s", tc.member, f, v, tc.family, tc.version)
		}
	}
	if code, p := get("Patient/" + pid("M2")); code == http.StatusOK && lookup(p, "birthDate") != "1975-05-05" {
		t.Errorf("Patient M2 from the EBCDIC unload: birthDate %v", lookup(p, "birthDate"))
	}
	// M3: created, updated, deleted; the replayed update did not revive it.
	if code, o := get("Patient/" + pid("M3")); code != http.StatusGone {
		t.Errorf("deleted Patient M3: GET %d %v, want 410 Gone", code, o)
	}
	// The API has vread, not instance history: read each version.
	for v, want := range map[int]int{1: http.StatusOK, 2: http.StatusOK, 3: http.StatusGone, 4: http.StatusNotFound} {
		if code, _ := get(fmt.Sprintf("Patient/%s/_history/%d", pid("M3"), v)); code != want {
			t.Errorf("Patient M3 version %d: %d, want %d", v, code, want)
		}
	}
	if code, p := get("Patient/" + pid("M3") + "/_history/2"); code != http.StatusOK || lookup(p, "name.0.family") != "CHARLIE-UPD" {
		t.Errorf("Patient M3 version 2: %d family %v", code, lookup(p, "name.0.family"))
	}
	// The API serves only types with search parameters; Coverage and
	// Practitioner are checked in the store.
	read := func(typ, id string) map[string]any {
		t.Helper()
		r, err := a.store.Read(t.Context(), typ, id)
		if err != nil {
			t.Errorf("%s from the store: %v", typ, err)
			return nil
		}
		var m map[string]any
		if err := json.Unmarshal(r.JSON, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	coverageID := fhir.Systems{}.CoverageID("SYNPAYER", "M4", "G0042")
	if c := read("Coverage", coverageID); lookup(c, "beneficiary.reference") != "Patient/"+pid("M4") {
		t.Errorf("Coverage of M4: beneficiary %v", lookup(c, "beneficiary.reference"))
	}
	if p := read("Practitioner", fhir.ID("Practitioner", "http://hl7.org/fhir/sid/us-npi", "1234567893")); lookup(p, "name.0.family") != "OKAFOR" {
		t.Errorf("Practitioner: family %v", lookup(p, "name.0.family"))
	}

	// The claim: header, line 1, line 2, its removal, the header update
	// with line 1 kept.
	eob := read("ExplanationOfBenefit", eobID)
	if items, _ := eob["item"].([]any); len(items) != 1 || lookup(eob, "item.0.sequence") != float64(1) || lookup(eob, "payment.amount.value") != float64(150) {
		t.Errorf("ExplanationOfBenefit: items %v, payment %v; want line 1 only, 150.00", eob["item"], lookup(eob, "payment.amount.value"))
	}
	if h, err := a.store.History(t.Context(), "ExplanationOfBenefit", eobID); err != nil || len(h) != 5 {
		t.Errorf("ExplanationOfBenefit: %d versions (%v), want 5", len(h), err)
	}

	// The store: every version, and nothing else.
	hist, err := a.store.History(t.Context(), "Patient", pid("M4"))
	if err != nil || len(hist) != 2 {
		t.Errorf("Patient M4: %d versions (%v), want 2: the stale and the duplicate made none", len(hist), err)
	}
	counts, err := a.store.Counts(t.Context(), "Patient")
	if err != nil {
		t.Fatal(err)
	}
	// M1 2, M2 1, M3 3, M4 2 versions; M3 deleted.
	if counts.Current != 3 || counts.Versions != 8 {
		t.Errorf("Patient counts %+v, want 3 current and 8 versions", counts)
	}

	// fhir.v1 carries the delete as a tombstone with the source position.
	fv1, err := stream.ReadAll(t.Context(), a.scfg, a.scfg.Topics.FHIR())
	if err != nil {
		t.Fatal(err)
	}
	deletes := 0
	for _, r := range fv1 {
		if r.Header(event.HeaderResourceType) == "Person" {
			continue // ordered by the identity index's time, not a source position
		}
		if r.Header(event.HeaderSourcePosition) == "" || r.Header(event.HeaderSourceKey) == "" {
			t.Errorf("fhir.v1 %s/%s without a source position", r.Header(event.HeaderResourceType), r.Header(event.HeaderResourceID))
		}
		if r.Header(event.HeaderOp) == string(event.OpDelete) {
			deletes++
			if r.Header(event.HeaderResourceID) != pid("M3") || len(r.Value) != 0 || string(r.Key) != identity.PersonID(pid("M3"), 0) {
				t.Errorf("delete record: id %s, %d bytes, key %s", r.Header(event.HeaderResourceID), len(r.Value), r.Key)
			}
		}
	}
	if deletes != 1 {
		t.Errorf("%d deletes on fhir.v1, want 1", deletes)
	}

	// The materializer's counts: the stale and duplicate changes.
	resp, err := http.Get(a.httpURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`tributary_materializer_changes_total{result="stale"} 2`,     // M4's old update, M3's replayed update
		`tributary_materializer_changes_total{result="duplicate"} 3`, // the unload's two records again, M4's update again
		`tributary_materializer_changes_total{result="deleted"} 1`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		for _, l := range strings.Split(string(metrics), "\n") {
			if strings.HasPrefix(l, "tributary_materializer_changes_total") {
				t.Log(l)
			}
		}
	}
}
