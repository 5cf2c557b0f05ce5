package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/fromv2"
	"github.com/tributary-health/tributary/pipeline"
	"github.com/tributary-health/tributary/stream"
)

// The exactly-once requirement: the normalizer is killed with
// SIGKILL at 20 random points of a 10,000-message run and restarted at
// once each time. Afterwards fhir.v1 holds, for every envelope, exactly
// the records a crash-free conversion of it gives, and the store holds
// exactly the resources those records name. TRIBUTARY_CRASH_SEED=n
// replays the run's messages and kill points.
func TestNormalizerKilled20Times(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	t.Parallel()
	const (
		total      = 10000
		patients   = 2500
		facilities = 5
		kills      = 20
		// Production comes in chunks of total/chunks messages: one at
		// the start, one released as each kill's wait begins, and the
		// last after the last kill, so the kills spread over the run, one
		// per chunk. A chunk goes out in batches with a pause after each,
		// so its last batch leaves at least lastBatch after its release:
		// after the kill.
		chunks    = kills + 2
		batch     = 40
		pause     = 120 * time.Millisecond
		lastBatch = (total / chunks / batch) * pause
		// Each kill waits minWait to maxWait after the normalizer's
		// progress, then up to busyWait more for it to have input it has
		// not committed (so the kill lands mid-batch, not between two).
		minWait  = 100 * time.Millisecond
		maxWait  = 600 * time.Millisecond
		busyWait = 200 * time.Millisecond
	)
	if lastBatch < maxWait+busyWait+500*time.Millisecond {
		t.Fatalf("a chunk's last batch leaves %v after its release: too close to the kill", lastBatch)
	}
	seed := crashSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0))
	ctx := t.Context()
	envs := killRunMessages(rng, total, patients, facilities)
	ref := referenceConversions(t, envs)
	records := map[string]int{}
	for _, types := range ref.types {
		for typ, n := range types {
			records[typ] += n
		}
	}
	t.Logf("a crash-free run makes these fhir.v1 records (and Persons with the identity index): %v", records)

	e := newCrashEnv(t, 4)
	cfg, st := e.cfg, e.st
	norm := startProc(t, "normalizer", e.stageArgs("normalize", "kill-n")...)
	startProc(t, "materializer", e.stageArgs("materialize", "kill-m")...)

	prod, err := stream.NewProducer(cfg, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close(context.Background())
	var produced atomic.Int64
	release := make(chan struct{}, chunks)
	produceErr := make(chan error, 1)
	go func() {
		defer close(produceErr)
		err := func() error {
			for c := range chunks {
				select {
				case <-release:
				case <-ctx.Done():
					return ctx.Err()
				}
				chunk := envs[c*total/chunks : (c+1)*total/chunks]
				for b := range slices.Chunk(chunk, batch) {
					recs := make([]stream.Record, len(b))
					for i, env := range b {
						recs[i] = stream.EnvelopeRecord(cfg.Topics, env)
					}
					if err := prod.Produce(ctx, recs...); err != nil {
						return err
					}
					produced.Add(int64(len(b)))
					time.Sleep(pause)
				}
			}
			return nil
		}()
		if err != nil {
			t.Errorf("producer: %v", err) // the kill loop times out
			produceErr <- err
		}
	}()

	raw, group := cfg.Topics.Raw(event.FormatHL7v2), cfg.Topics.Prefix+"normalize"
	// progress returns how many raw records the normalizer has committed
	// and how many there are; it waits for the group to exist.
	progress := func() (done, end int64) {
		eventually(t, "the normalizer's offsets", func() bool {
			ends, err := stream.EndOffsets(ctx, cfg, raw)
			if err != nil {
				return false
			}
			committed, err := stream.CommittedOffsets(ctx, cfg, group, raw)
			if err != nil {
				return false
			}
			done, end = 0, 0
			for p, e := range ends {
				done, end = done+committed[p], end+e
			}
			return true
		})
		return done, end
	}
	start := time.Now()
	release <- struct{}{}
	var before int64 // committed when the last normalizer died
	for k := 1; k <= kills; k++ {
		eventually(t, fmt.Sprintf("the normalizer to make progress before kill %d", k), func() bool {
			done, _ := progress()
			return done > before
		})
		// Chunk k goes out during kill k's wait, once chunk k-1 is out,
		// so the kills spread over the run.
		eventually(t, fmt.Sprintf("chunk %d to be produced", k-1), func() bool {
			return produced.Load() >= int64(k*total/chunks)
		})
		release <- struct{}{}
		wait := minWait + time.Duration(rng.Int64N(int64(maxWait-minWait)+1))
		time.Sleep(wait)
		var done, end int64
		for busy := time.Now().Add(busyWait); ; {
			if done, end = progress(); done < end || time.Now().After(busy) {
				break
			}
		}
		sent := produced.Load()
		norm.crash()
		if producing := sent < int64((k+1)*total/chunks); !producing && done >= end {
			t.Errorf("kill %d fell between chunks, with nothing to normalize: it proves nothing", k)
		}
		t.Logf("kill %2d at %5.1fs, %3dms after progress: normalizer had committed %5d (+%4d since its start) of %5d raw records (%3d behind), producer at %5d of %d",
			k, time.Since(start).Seconds(), wait.Milliseconds(), done, done-before, end, end-done, sent, total)
		before, _ = progress()
	}
	release <- struct{}{}
	if err := <-produceErr; err != nil {
		t.FailNow()
	}
	t.Logf("kills done and %d messages produced after %.1fs", total, time.Since(start).Seconds())
	// Waiting also checks that the normalizer's offsets reach the end of
	// the raw topic and the materializer's (in the store) the last
	// committed fhir.v1 record of every partition.
	waitCaughtUp(t, cfg, st)
	t.Logf("caught up after %.1fs", time.Since(start).Seconds())

	// Kafka: per envelope, exactly the records of its crash-free conversion.
	recs, err := stream.ReadAll(ctx, cfg, cfg.Topics.FHIR())
	if err != nil {
		t.Fatal(err)
	}
	got := typesByEnvelope(recs)
	errs := 0
	report := func(format string, args ...any) {
		if errs++; errs <= 20 {
			t.Errorf(format, args...)
		}
	}
	persons := map[int]int{} // Person records per envelope with a Patient → envelopes
	for _, env := range envs {
		want, have := ref.types[env.ID], got[env.ID]
		if have == nil {
			report("envelope %s (%s): no records on fhir.v1", env.ID, env.Kind)
			continue
		}
		for typ := range unionKeys(want, have) {
			if typ != "Person" && have[typ] != want[typ] {
				report("envelope %s (%s): %d %s records, want %d", env.ID, env.Kind, have[typ], typ, want[typ])
			}
		}
		if want["Patient"] > 0 {
			persons[have["Person"]]++
		}
		delete(got, env.ID)
	}
	for id := range got {
		report("fhir.v1 holds records of envelope %q, which was never sent", id)
	}
	// The identity index adds its Person to an envelope with a Patient:
	// to all of them or, without the index, to none.
	for n := range persons {
		if len(persons) > 1 || n > 1 {
			report("Person records per envelope with a Patient: %v (records → envelopes); want the same, 0 or 1, for all", persons)
			break
		}
	}
	if errs > 20 {
		t.Errorf("... and %d more differences", errs-20)
	}

	// The store: each resource the conversions name, once; a Provenance
	// per envelope, with a single version.
	if n := len(ref.ids["Provenance"]); n != total {
		t.Errorf("the conversions name %d Provenances, want one per envelope: %d", n, total)
	}
	for _, typ := range slices.Sorted(maps.Keys(ref.ids)) {
		want := len(ref.ids[typ])
		c, err := st.Counts(ctx, typ)
		if err != nil {
			t.Fatal(err)
		}
		if c.Current != want || c.Deleted != 0 {
			t.Errorf("store: %d %s resources (%d deleted), want %d", c.Current, typ, c.Deleted, want)
		}
		if typ == "Provenance" && c.Versions != total {
			t.Errorf("store: %d Provenance versions, want one per envelope: %d", c.Versions, total)
		}
	}
	if n := len(ref.ids["Patient"]); n != patients {
		t.Errorf("the messages name %d Patients, want %d", n, patients)
	}
	if cs, err, ok := storeChecksum(ctx, st); ok && err != nil {
		t.Errorf("store checksum: %v", err)
	} else if ok {
		t.Logf("store checksum: %v", cs)
	}
	dlq, err := stream.ReadAll(ctx, cfg, cfg.Topics.DLQ())
	if err != nil || len(dlq) != 0 {
		t.Errorf("dead letters: %d, %v; want none", len(dlq), err)
	}
	t.Logf("seed %d: %d envelopes, %d fhir.v1 records, %d kills, %.1fs", seed, total, len(recs), kills, time.Since(start).Seconds())
}

// crashSeed returns the seed of a randomized crash test: from
// TRIBUTARY_CRASH_SEED to replay a run, else a new one. It logs it.
func crashSeed(t *testing.T) uint64 {
	t.Helper()
	if s := os.Getenv("TRIBUTARY_CRASH_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("TRIBUTARY_CRASH_SEED: %v", err)
		}
		t.Logf("seed %d (from TRIBUTARY_CRASH_SEED)", seed)
		return seed
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d (replay with TRIBUTARY_CRASH_SEED=%d)", seed, seed)
	return seed
}

// killRunMessages returns n synthetic HL7 v2 envelopes about patients
// patients, each at one of facilities facilities, round robin: mostly
// ADT^A08 updates, and one in five an ORU^R01 with one to three results.
// Names and birth dates differ between patients. The key is the
// Patient's id.
func killRunMessages(rng *rand.Rand, n, patients, facilities int) []event.Envelope {
	base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	envs := make([]event.Envelope, n)
	for i := range envs {
		p := i % patients
		fac := fmt.Sprintf("FAC%d", p%facilities)
		ts := base.Add(time.Duration(i) * time.Second).Format("20060102150405")
		birth := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, p*7).Format("20060102")
		sex := [...]string{"F", "M"}[p%2]
		pid := fmt.Sprintf("PID|1||P%d^^^%s^MR||Fam%d^Given%d||%s|%s\r", p, fac, p, i%7, birth, sex)
		kind := "ADT^A08"
		var msg string
		if rng.IntN(5) == 0 {
			kind = "ORU^R01"
			msg = fmt.Sprintf("MSH|^~\\&|LAB|%s|TRIB|TRIB|%s||ORU^R01^ORU_R01|K%05d|P|2.5.1\r%s", fac, ts, i, pid) +
				fmt.Sprintf("OBR|1|ORD%d^EHR|LAB%d^%s|24323-8^Metabolic panel^LN|||%s|||||||||||||||%s||CH|F\r", i, i, fac, ts, ts)
			tests := [...]string{"2345-7^Glucose^LN", "2160-0^Creatinine^LN", "2951-2^Sodium^LN"}
			for j := range 1 + rng.IntN(len(tests)) {
				msg += fmt.Sprintf("OBX|%d|NM|%s||%d|mg/dL^mg/dL^UCUM|||||F|||%s\r", j+1, tests[j], 1+rng.IntN(200), ts)
			}
		} else {
			msg = fmt.Sprintf("MSH|^~\\&|ADT|%s|TRIB|TRIB|%s||ADT^A08^ADT_A01|K%05d|P|2.5.1\rEVN|A08|%s\r%s", fac, ts, i, ts, pid)
		}
		now := time.Now().UTC()
		envs[i] = event.Envelope{
			ID: event.NewID(now), Format: event.FormatHL7v2, Kind: kind, Received: now, Source: "test",
			Key: fhir.ID("Patient", "urn:tributary:aa:"+fac, fmt.Sprintf("P%d", p)), Payload: []byte(msg),
		}
	}
	return envs
}

// A reference is what a crash-free normalizer makes of a run.
type reference struct {
	types map[string]map[string]int  // envelope id → resource type → records
	ids   map[string]map[string]bool // resource type → ids (Provenance: the converter's only)
}

// referenceConversions converts envs in this process with the HL7 v2
// converter the normalizer builds from its default flags. Like the
// normalizer, it counts a Provenance for an envelope whose conversion
// has none.
func referenceConversions(t *testing.T, envs []event.Envelope) reference {
	t.Helper()
	var o options
	o.mappingFlags(flag.NewFlagSet("reference", flag.ContinueOnError))
	mcfg, err := o.mapperConfig()
	if err != nil {
		t.Fatal(err)
	}
	m, err := fromv2.New(mcfg)
	if err != nil {
		t.Fatal(err)
	}
	h := pipeline.HL7v2{Mapper: m}
	ref := reference{types: map[string]map[string]int{}, ids: map[string]map[string]bool{}}
	for _, env := range envs {
		c, err := h.Convert(t.Context(), env)
		if err != nil {
			t.Fatalf("reference conversion of %s: %v", env.Kind, err)
		}
		types := map[string]int{}
		for _, r := range c.Resources {
			typ, id := r.Type, r.ID
			if r.Resource != nil {
				b, err := fhir.Marshal(r.Resource)
				if err != nil {
					t.Fatal(err)
				}
				var v struct{ ID string }
				if err := json.Unmarshal(b, &v); err != nil {
					t.Fatal(err)
				}
				typ, id = fhir.TypeOf(r.Resource), v.ID
			}
			types[typ]++
			if ref.ids[typ] == nil {
				ref.ids[typ] = map[string]bool{}
			}
			ref.ids[typ][id] = true
		}
		if types["Provenance"] == 0 {
			// The normalizer's, whose id derives from the envelope's.
			types["Provenance"] = 1
			if ref.ids["Provenance"] == nil {
				ref.ids["Provenance"] = map[string]bool{}
			}
			ref.ids["Provenance"]["envelope "+env.ID] = true
		}
		ref.types[env.ID] = types
	}
	return ref
}

// unionKeys returns the keys of a and b.
func unionKeys[V any](a, b map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// storeChecksum calls st.Checksum(ctx) when the store has one (it is
// coming), so that this test neither waits for it nor breaks when it lands.
func storeChecksum(ctx context.Context, st any) (sum any, err error, ok bool) {
	m := reflect.ValueOf(st).MethodByName("Checksum")
	if !m.IsValid() || m.Type().NumIn() != 1 || m.Type().NumOut() != 2 {
		return nil, nil, false
	}
	out := m.Call([]reflect.Value{reflect.ValueOf(ctx)})
	err, _ = out[1].Interface().(error)
	return out[0].Interface(), err, true
}
