package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/stream"
)

// The hospital's ADT: John Doe with MRN XF-1, his SSN in PID-19, a visit
// and a diagnosis (the clinical data).
const crossFeedADT = "MSH|^~\\&|ADT|GHH|TRIB|TRIB|20261126093000-0500||ADT^A01^ADT_A01|XFEED-1|P|2.5.1\r" +
	"EVN|A01|20261126093000-0500\r" +
	"PID|1||XF-1^^^GHH^MR||DOE^JOHN^P||19770816|M|||12 Elm St^^State College^PA^16801^USA^H||^PRN^PH^^1^814^5550199||||||103229876\r" +
	"PV1|1|I|W1^1^1||||||||||||||||V-XF-1\r" +
	"DG1|1||E11.9^Type 2 diabetes mellitus without complications^I10||20261126|A\r"

// The mainframe's member master with the SSN column the shipped mapping
// reads (MEMBER.SSN).
const memberSSNCopybook = `       01  MEMBER-REC.
           05  MEMBER-ID         PIC X(10).
           05  LAST-NM           PIC X(12).
           05  FIRST-NM          PIC X(10).
           05  BIRTH-DT          PIC 9(8).
           05  SEX-CD            PIC X.
           05  REC-STAT          PIC X.
           05  SSN               PIC X(9).
`

// The cross-feed test: one person arrives as an HL7 ADT (MRN),
// an X12 834 member (payer member id) and a mainframe MEMBER row (member
// key). The three Patients keep their own ids and become one person:
// the store's compartment query returns the clinical and the claims data
// together, fhir.v1 keys them all by that person, and the API shows the
// links.
func TestCrossFeedIdentity(t *testing.T) {
	t.Parallel()
	a := startPipeline(t, "--cdc-mapping="+cdcMappingFile)
	ctx, cfg := t.Context(), a.scfg

	// 1. HL7 v2 over MLLP.
	msg, err := hl7v2.Parse([]byte(crossFeedADT))
	if err != nil || msg.Get("PID-19") != "103229876" {
		t.Fatalf("the test message is wrong: PID-19 %q, %v", msg.Get("PID-19"), err)
	}
	if ack := send(t, dialMLLP(t, a), []byte(crossFeedADT)); ack.Get("MSA-1") != "AA" {
		t.Fatalf("ADT: MSA-1 = %q", ack.Get("MSA-1"))
	}
	// 2. The payer's 834 over POST /x12: subscriber 123456789, the same
	// SSN and birth date.
	body, err := os.ReadFile("../../fhir/fromx12/testdata/834.x12")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(a.httpURL()+"/x12", "application/edi-x12", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /x12: %d", resp.StatusCode)
	}
	// 3. The mainframe unload: member key M77.
	dir := t.TempDir()
	cb, data := filepath.Join(dir, "MEMBER.cpy"), filepath.Join(dir, "MEMBER.UNLOAD")
	rec, err := charmap.CodePage037.NewEncoder().Bytes(fmt.Appendf(nil, "%-10s%-12s%-10s%8s%s%s%s", "M77", "DOE", "JOHN", "19770816", "M", "A", "103229876"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cb, []byte(memberSSNCopybook), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, rec, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runMain(t, nil, "ingest", "copybook", "--brokers="+cfg.Brokers[0], "--topic-prefix="+cfg.Topics.Prefix,
		"--log-level=warn", "--copybook", cb, "--table", "MEMBER", "--key", "MEMBER-ID", "--encoding", "cp037", data); code != 0 {
		t.Fatalf("ingest copybook: exit %d\n%s", code, stderr)
	}
	waitCaughtUp(t, cfg, a.store, event.FormatHL7v2, event.FormatX12, event.FormatCDC)

	recs, err := stream.ReadAll(ctx, cfg, cfg.Topics.FHIR())
	if err != nil {
		t.Fatal(err)
	}
	// The 834's member is a dependent (INS01 N): its id derives from the
	// subscriber's id and its own name, so take it from the feed.
	var member string
	for _, r := range recs {
		if r.Header(event.HeaderFormat) == "x12" && r.Header(event.HeaderResourceType) == "Patient" {
			if member != "" && member != r.Header(event.HeaderResourceID) {
				t.Fatalf("the 834 made two Patients")
			}
			member = r.Header(event.HeaderResourceID)
		}
	}
	hospital := fhir.ID("Patient", "urn:tributary:aa:GHH", "XF-1")
	mainframe := fhir.ID("Patient", cdcMemberSys, "M77")
	patients := []string{hospital, member, mainframe}

	// One person, three Patients.
	persons, err := a.store.PersonOf(ctx, patients)
	if err != nil {
		t.Fatal(err)
	}
	person := persons[hospital]
	if person == "" || persons[member] != person || persons[mainframe] != person {
		t.Fatalf("the three Patients are not one person in the index: %v", persons)
	}
	got, others, err := a.store.LinkedPatients(ctx, mainframe)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{hospital, member}; got != person || !sameSet(others, want) {
		t.Errorf("store links of the mainframe Patient: person %s others %v, want %s %v", got, others, person, want)
	}

	// The compartment: clinical and claims data in one query.
	res, err := a.store.Compartment(ctx, hospital)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	var ids []string
	for _, r := range res {
		types[r.Type]++
		if r.Type == "Patient" {
			ids = append(ids, r.ID)
		}
	}
	if !sameSet(ids, patients) {
		t.Errorf("compartment Patients = %v, want %v", ids, patients)
	}
	for _, typ := range []string{"Encounter", "Condition", "Coverage", "Provenance"} {
		if types[typ] == 0 {
			t.Errorf("the compartment has no %s: %v", typ, types)
		}
	}
	if types["Provenance"] < 3 {
		t.Errorf("the compartment has %d Provenance, want one per feed's message at least", types["Provenance"])
	}

	// fhir.v1: every record of the three Patients' compartments is keyed
	// by the person, from the moment each Patient was linked; the Person
	// resource lists the three.
	var personRec *stream.Record
	for i, r := range recs {
		if r.Header(event.HeaderResourceType) == "Person" && r.Header(event.HeaderResourceID) == person {
			personRec = &recs[i]
		}
		if r.Header(event.HeaderResourceType) == "Patient" && slices.Contains(patients, r.Header(event.HeaderResourceID)) {
			if string(r.Key) != person {
				t.Errorf("Patient %s went to fhir.v1 keyed %s, not by its person %s", r.Header(event.HeaderResourceID), r.Key, person)
			}
			if r.Header(event.HeaderPatient) != r.Header(event.HeaderResourceID) {
				t.Errorf("Patient record's patient header = %q", r.Header(event.HeaderPatient))
			}
		}
	}
	if personRec == nil {
		t.Fatal("no Person record on fhir.v1")
	}
	// Written by three feeds, the Person must not carry one feed's mapping
	// version: it would change version with each.
	if strings.Contains(string(personRec.Value), "mapping-version") {
		t.Errorf("the Person carries a mapping version tag: %s", personRec.Value)
	}
	for _, id := range patients {
		if !strings.Contains(string(personRec.Value), `"Patient/`+id+`"`) {
			t.Errorf("the last Person record does not link Patient/%s: %s", id, personRec.Value)
		}
	}

	// The API shows the links on each Patient.
	for _, id := range patients {
		code, p := getJSON(t, a.httpURL()+"/fhir/Patient/"+id)
		if code != http.StatusOK {
			t.Fatalf("GET Patient/%s: %d", id, code)
		}
		var linked []string
		links, _ := p["link"].([]any)
		for _, l := range links {
			ref, _ := lookup(l, "other.reference").(string)
			if lookup(l, "type") == "seealso" && strings.HasPrefix(ref, "Patient/") {
				linked = append(linked, strings.TrimPrefix(ref, "Patient/"))
			}
		}
		var want []string
		for _, o := range patients {
			if o != id {
				want = append(want, o)
			}
		}
		if !sameSet(linked, want) {
			t.Errorf("GET Patient/%s links %v, want %v", id, linked, want)
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// A reviewer works the queue: two Patients from two hospitals whose
// birth dates differ by a digit swap score in the review band; `identity
// review` lists the pair without patient data, `link` makes them one
// person in the store and on the API, `unlink` separates them again for
// good, and `distinct` settles an item.
func TestIdentityReviewCommands(t *testing.T) {
	t.Parallel()
	a := startPipeline(t)
	ctx := t.Context()
	c := dialMLLP(t, a)
	adt := func(fac, mrn, birth, street, ctrl string) []byte {
		return fmt.Appendf(nil, "MSH|^~\\&|ADT|%s|TRIB|TRIB|20261126093000-0500||ADT^A04^ADT_A01|%s|P|2.5.1\r"+
			"EVN|A04|20261126093000-0500\r"+
			"PID|1||%s^^^%s^MR||SMITH^JOHN||%s|M|||%s^^Lansing^MI^489%s^USA^H\r"+
			"PV1|1|O\r", fac, ctrl, mrn, fac, birth, street, ctrl[len(ctrl)-2:])
	}
	for _, m := range [][]byte{
		adt("HOSPA", "A-1", "19800101", "1 Main St", "RV-01"),
		adt("HOSPB", "B-1", "19800110", "9 Oak Ave", "RV-02"),
	} {
		if ack := send(t, c, m); ack.Get("MSA-1") != "AA" {
			t.Fatalf("MSA-1 = %q", ack.Get("MSA-1"))
		}
	}
	waitCaughtUp(t, a.scfg, a.store)
	pa, pb := fhir.ID("Patient", "urn:tributary:aa:HOSPA", "A-1"), fhir.ID("Patient", "urn:tributary:aa:HOSPB", "B-1")
	base := []string{"--database-url=" + a.opts.databaseURL, "--log-level=warn"}
	kafka := append([]string{"--brokers=" + a.opts.brokers[0], "--topic-prefix=" + a.scfg.Topics.Prefix}, base...)

	code, out, stderr := runMain(t, nil, append([]string{"identity", "review"}, base...)...)
	if code != 0 {
		t.Fatalf("identity review: exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, pa) || !strings.Contains(out, pb) || !strings.Contains(out, "birthDate=typo") {
		t.Fatalf("the review queue lacks the pair or its birth date typo:\n%s", out)
	}
	for _, phi := range []string{"SMITH", "JOHN", "1980", "Main"} {
		if strings.Contains(out, phi) {
			t.Errorf("identity review prints patient data (%s):\n%s", phi, out)
		}
	}
	if _, others, _ := a.store.LinkedPatients(ctx, pa); len(others) != 0 {
		t.Fatalf("a pair in review is already linked: %v", others)
	}

	linkedTo := func(id string) []string {
		_, others, err := a.store.LinkedPatients(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return others
	}
	if code, out, stderr := runMain(t, nil, append(append([]string{"identity", "link"}, kafka...), pa, pb)...); code != 0 {
		t.Fatalf("identity link: exit %d: %s%s", code, out, stderr)
	}
	eventually(t, "the link in the store", func() bool { return sameSet(linkedTo(pa), []string{pb}) })
	code2, p := getJSON(t, a.httpURL()+"/fhir/Patient/"+pb)
	if code2 != http.StatusOK || lookup(p, "link.0.other.reference") != "Patient/"+pa || lookup(p, "link.0.type") != "seealso" {
		t.Errorf("GET Patient/%s after link: %d %v", pb, code2, p["link"])
	}
	if code, out, _ := runMain(t, nil, append([]string{"identity", "review"}, base...)...); code != 0 || !strings.Contains(out, "no open review items") {
		t.Errorf("the link did not close the review item:\n%s", out)
	}

	if code, out, stderr := runMain(t, nil, append(append([]string{"identity", "unlink"}, kafka...), pb)...); code != 0 {
		t.Fatalf("identity unlink: exit %d: %s%s", code, out, stderr)
	}
	eventually(t, "the unlink in the store", func() bool { return len(linkedTo(pa)) == 0 && len(linkedTo(pb)) == 0 })
	code, out, _ = runMain(t, nil, append(append([]string{"identity", "show"}, base...), pb)...)
	if code != 0 || !strings.Contains(out, pb) || strings.Contains(out, pa) {
		t.Errorf("identity show after unlink: exit %d\n%s", code, out)
	}
	// Resending B (changed) must not link it back: the reviewer said distinct.
	if ack := send(t, c, adt("HOSPB", "B-1", "19800110", "1 Main St", "RV-03")); ack.Get("MSA-1") != "AA" {
		t.Fatal("resend not accepted")
	}
	waitCaughtUp(t, a.scfg, a.store)
	if got := linkedTo(pb); len(got) != 0 {
		t.Errorf("an unlinked Patient was linked back automatically: %v", got)
	}

	// Usage errors: unknown Patient, wrong argument count.
	if code, _, stderr := runMain(t, nil, append(append([]string{"identity", "link"}, kafka...), pa, fhir.ID("Patient", "x", "y"))...); code != 1 || !strings.Contains(stderr, "not in the identity index") {
		t.Errorf("link with an unknown Patient: exit %d: %s", code, stderr)
	}
	if code, _, _ := runMain(t, nil, append(append([]string{"identity", "link"}, kafka...), pa)...); code != 2 {
		t.Errorf("link with one id: exit %d, want 2", code)
	}
}
