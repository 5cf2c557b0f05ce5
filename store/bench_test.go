package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/store/storetest"
)

// benchPatient is a synthetic Patient of about 1 KB, the size of a mapped
// ADT^A01 Patient.
func benchPatient(mrn string, n int) []byte {
	return fmt.Appendf(nil, `{"resourceType":"Patient","id":%q,"meta":{"source":"urn:tributary:mllp","security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"N"}]},`+
		`"identifier":[{"use":"usual","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},"system":%q,"value":%q},`+
		`{"system":"urn:tributary:payer:60054:member","value":"W%s"}],"active":true,`+
		`"name":[{"use":"official","family":"Testperson%d","given":["Alex","Jordan"]}],`+
		`"telecom":[{"system":"phone","value":"555-0100","use":"home"}],"gender":"unknown","birthDate":"1980-01-02",`+
		`"address":[{"use":"home","line":["1 Example Street","Apt %d"],"city":"Springfield","state":"IL","postalCode":"62701","country":"US"}],`+
		`"maritalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus","code":"S"}]},`+
		`"communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"en"}]},"preferred":true}]}`,
		fhir.ID("Patient", mrnSys, mrn), mrnSys, mrn, mrn, n, n)
}

// BenchmarkApply applies batches of Patients, each batch in one
// transaction with its offsets: new resources ("create"), new versions of
// existing ones ("update"; their identifiers do not change, as in most
// ADT^A08s), and creates by two appliers of two partitions at once, as a
// materializer may run them ("create-2partitions").
//
//	go test ./store -run '^$' -bench Apply -benchtime 100x
func BenchmarkApply(b *testing.B) {
	for _, size := range []int{100, 500} {
		for _, mode := range []string{"create", "update", "create-2partitions"} {
			b.Run(fmt.Sprintf("%s/batch=%d", mode, size), func(b *testing.B) {
				benchmarkApply(b, mode, size)
			})
		}
	}
}

func benchmarkApply(b *testing.B, mode string, size int) {
	s := storetest.Open(b)
	partitions := 1
	if mode == "create-2partitions" {
		partitions = 2
	}
	// batches[p][i] is the i-th batch of partition p.
	batches := func(rev int) [][][]store.Change {
		all := make([][][]store.Change, partitions)
		for p := range all {
			all[p] = make([][]store.Change, b.N)
			var offset int64
			for i := range all[p] {
				changes := make([]store.Change, size)
				for j := range changes {
					mrn := fmt.Sprintf("B%d-%d", p, i*size+j)
					changes[j] = store.Change{Topic: topic, Partition: int32(p), Offset: offset, Op: event.OpUpsert, Type: "Patient",
						ID: fhir.ID("Patient", mrnSys, mrn), SourceTime: time.Now(), EnvelopeID: "env",
						Resource: benchPatient(mrn, rev)}
					offset++
				}
				all[p][i] = changes
			}
		}
		return all
	}
	run := func(all [][][]store.Change) {
		var wg sync.WaitGroup
		for _, part := range all {
			wg.Go(func() {
				for _, changes := range part {
					res, err := s.Apply(context.Background(), group, changes)
					if err != nil {
						b.Error(err)
						return
					}
					if res.Created+res.Updated != len(changes) {
						b.Errorf("ApplyResult %+v", res)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	if mode == "update" {
		run(batches(0))
	}
	all := batches(1)
	if mode == "update" {
		// The same resources at later offsets.
		for _, part := range all {
			for _, changes := range part {
				for j := range changes {
					changes[j].Offset += int64(b.N * size)
				}
			}
		}
	}
	b.ResetTimer()
	run(all)
	b.ReportMetric(float64(b.N*size*partitions)/b.Elapsed().Seconds(), "resources/s")
}
