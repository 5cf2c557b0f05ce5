package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-health/tributary/adapters/cdc"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/stream"
)

// readRawCDC returns the envelopes on raw.cdc.v1.
func readRawCDC(t *testing.T, cfg stream.Config) []event.Envelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	recs, err := stream.ReadAll(ctx, cfg, cfg.Topics.Raw(event.FormatCDC))
	if err != nil {
		t.Fatal(err)
	}
	var out []event.Envelope
	for _, r := range recs {
		e, err := stream.Envelope(r) // checks the sha256 header too
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// waitRawCDC polls raw.cdc.v1 until it holds n envelopes (the topic may
// not exist yet: the command creates it).
func waitRawCDC(t *testing.T, cfg stream.Config, n int) []event.Envelope {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		recs, err := stream.ReadAll(ctx, cfg, cfg.Topics.Raw(event.FormatCDC))
		cancel()
		if err == nil && len(recs) >= n || time.Now().After(deadline) {
			if len(recs) != n {
				t.Fatalf("raw.cdc.v1 holds %d envelopes, want %d (last error: %v)", len(recs), n, err)
			}
			return readRawCDC(t, cfg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startIngestCDC runs `tributary ingest cdc` until the returned stop is
// called; stop returns its exit code and output.
func startIngestCDC(t *testing.T, args ...string) (stop func() (int, string, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, append([]string{"ingest", "cdc"}, args...), &out, &errb, func(string) string { return "" })
	}()
	return func() (int, string, string) {
		cancel()
		select {
		case code := <-done:
			return code, out.String(), errb.String()
		case <-time.After(30 * time.Second):
			t.Fatal("ingest cdc did not stop")
			return 0, "", ""
		}
	}
}

func debeziumMember(op string, id, lsn int, name string) []byte {
	img := `{"member_id":` + strconv.Itoa(id) + `,"name":"` + name + `"}`
	before, after := "null", img
	if op == "d" {
		before, after = img, "null"
	}
	return []byte(`{"schema":null,"payload":{"op":"` + op + `","before":` + before + `,"after":` + after +
		`,"source":{"version":"2.7.0.Final","connector":"postgresql","name":"payer","db":"payer","schema":"public","table":"member","lsn":` +
		strconv.Itoa(lsn) + `,"txId":9,"ts_ms":1764152499000,"snapshot":"false"},"ts_ms":1764152499100}}`)
}

// tributary ingest cdc relays a Debezium table topic and its transaction
// topic to raw.cdc.v1: payloads unmodified, one row's changes on one
// partition in order, source position in headers; a restart resumes
// after what was committed, so only new records are relayed.
func TestIngestCDC(t *testing.T) {
	t.Parallel()
	addr, cfg := embeddedBroker(t)
	// The source topics live on the same broker. The stream package
	// creates only the contract's topics, so the source "connector"
	// writes to the contract topics of another prefix: its raw.cdc.v1
	// stands for a table topic, its raw.x12.v1 for the transaction topic.
	src := stream.Config{Brokers: cfg.Brokers, Topics: event.NewTopics("src" + randomName() + ".")}
	if err := stream.EnsureTopics(t.Context(), src, stream.TopicSpec{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	tableTopic, txTopic := src.Topics.Raw(event.FormatCDC), src.Topics.Raw(event.FormatX12)
	sp, err := stream.NewProducer(src, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close(context.Background())
	key := func(id int) []byte {
		return []byte(`{"schema":{"type":"struct","fields":[{"type":"int32","field":"member_id"}]},"payload":{"member_id":` + strconv.Itoa(id) + `}}`)
	}
	recs := []stream.Record{
		{Topic: txTopic, Key: []byte(`{"id":"9"}`), Value: []byte(`{"status":"BEGIN","id":"9","ts_ms":1764152499000,"event_count":null,"data_collections":null}`)},
		{Topic: tableTopic, Key: key(1), Value: debeziumMember("c", 1, 100, "Ann")},
		{Topic: tableTopic, Key: key(2), Value: debeziumMember("c", 2, 110, "Bo")},
		{Topic: tableTopic, Key: key(1), Value: debeziumMember("u", 1, 120, "Anne")},
		{Topic: tableTopic, Key: key(1), Value: debeziumMember("d", 1, 130, "Anne")},
		{Topic: tableTopic, Key: key(1), Value: nil}, // the tombstone
		{Topic: txTopic, Key: []byte(`{"id":"9"}`), Value: []byte(`{"status":"END","id":"9","ts_ms":1764152499200,"event_count":4,"data_collections":[{"data_collection":"payer.public.member","event_count":4}]}`)},
		{Topic: tableTopic, Key: key(3), Value: []byte(`{"schema": { ... }, "payload": {"name": "Cy"}}`)},
	}
	if err := sp.Produce(t.Context(), recs...); err != nil {
		t.Fatal(err)
	}
	args := []string{"--brokers=" + addr, "--source-brokers=" + addr, "--topic-prefix=" + cfg.Topics.Prefix, "--partitions=3",
		"--log-level=warn", "--topics=" + tableTopic + "," + txTopic, "--group=relay-test"}
	stop := startIngestCDC(t, args...)
	envs := waitRawCDC(t, cfg, len(recs))
	code, stdout, stderr := stop()
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "8 records relayed to "+cfg.Topics.Raw(event.FormatCDC)+" (1 did not parse)") {
		t.Errorf("stdout %q", stdout)
	}
	if !strings.Contains(stderr, "cdc record did not parse") || strings.Contains(stderr, "Cy") {
		t.Errorf("stderr does not report the bad record, or holds its data:\n%s", stderr)
	}

	partitionOf := map[string]bool{}
	for _, e := range envs {
		if e.Format != event.FormatCDC || e.Source != "cdc" || e.Attrs[cdc.AttrSourceTopic] == "" || e.Attrs[cdc.AttrSourceOffset] == "" {
			t.Errorf("envelope %+v", e)
		}
	}
	// The payload is the source value, byte for byte; member 1's create,
	// update, delete and tombstone share a partition key.
	type want struct {
		kind, op, position string
	}
	for i, r := range recs {
		var found *event.Envelope
		for j := range envs {
			if envs[j].Attrs[cdc.AttrSourceTopic] == r.Topic && (bytes.Equal(envs[j].Payload, r.Value) && r.Value != nil ||
				r.Value == nil && envs[j].Attrs[cdc.AttrPayload] == "key") {
				found = &envs[j]
				break
			}
		}
		if found == nil {
			t.Errorf("record %d not relayed unmodified", i)
			continue
		}
		w := []want{
			{"TRANSACTION.BEGIN", "begin", ""},
			{"member.CREATE", "c", "postgresql/payer/lsn=100"},
			{"member.CREATE", "c", "postgresql/payer/lsn=110"},
			{"member.UPDATE", "u", "postgresql/payer/lsn=120"},
			{"member.DELETE", "d", "postgresql/payer/lsn=130"},
			{"v1.TOMBSTONE", "tombstone", ""},
			{"TRANSACTION.END", "end", ""},
			{"INVALID", "", ""},
		}[i]
		if found.Kind != w.kind || found.Attrs[cdc.AttrOp] != w.op || found.Attrs[cdc.AttrPosition] != w.position {
			t.Errorf("record %d: kind %q op %q position %q; want %+v", i, found.Kind, found.Attrs[cdc.AttrOp], found.Attrs[cdc.AttrPosition], w)
		}
		if r.Topic == tableTopic && i != 5 && i != 7 && found.Attrs[cdc.AttrTable] != "payer.public.member" {
			t.Errorf("record %d: table %q", i, found.Attrs[cdc.AttrTable])
		}
		if i == 5 && !bytes.Equal(found.Payload, key(1)) {
			t.Errorf("tombstone payload is not its key")
		}
		if i == 1 || i == 3 || i == 4 || i == 5 {
			partitionOf[found.Key] = true
		}
	}
	if len(partitionOf) != 1 {
		t.Errorf("member 1's changes have %d partition keys", len(partitionOf))
	}
	for k := range partitionOf {
		if !strings.HasPrefix(k, tableTopic+"/") || strings.Contains(k, "member_id") {
			t.Errorf("partition key %q", k)
		}
	}
	// In the raw topic, member 1's records are in source order.
	var order []string
	for _, e := range envs {
		if partitionOf[e.Key] {
			order = append(order, e.Attrs[cdc.AttrOp])
		}
	}
	if got := strings.Join(order, ","); got != "c,u,d,tombstone" {
		t.Errorf("member 1 on raw.cdc.v1 in order %s", got)
	}

	// Restart: the committed offsets hold, so only the new record comes.
	if err := sp.Produce(t.Context(), stream.Record{Topic: tableTopic, Key: key(4), Value: debeziumMember("c", 4, 140, "Di")}); err != nil {
		t.Fatal(err)
	}
	stop = startIngestCDC(t, args...)
	waitRawCDC(t, cfg, len(recs)+1)
	time.Sleep(500 * time.Millisecond) // a redelivery would come now
	code, stdout, stderr = stop()
	if code != 0 {
		t.Fatalf("restart exit %d; stderr:\n%s", code, stderr)
	}
	if n := len(readRawCDC(t, cfg)); n != len(recs)+1 {
		t.Errorf("after the restart raw.cdc.v1 holds %d envelopes, want %d: committed offsets were not honoured", n, len(recs)+1)
	}
	if !strings.HasPrefix(stdout, "1 records relayed") {
		t.Errorf("restart stdout %q", stdout)
	}

	// Usage errors exit 2.
	if code, _, _ := runMain(t, nil, "ingest", "cdc", "--brokers="+addr); code != 2 {
		t.Errorf("without --topics: exit %d, want 2", code)
	}
}

// tributary ingest copybook stores each record of the Cobrix fixed-length
// file as a snapshot read on raw.cdc.v1, and a change file with its ops.
func TestIngestCDCCopybook(t *testing.T) {
	t.Parallel()
	const dir = "../../../shared/corpus/copybook/AbsaOSS-cobrix/"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not found at %s", dir)
	}
	addr, cfg := embeddedBroker(t)
	base := []string{"ingest", "copybook", "--brokers=" + addr, "--topic-prefix=" + cfg.Topics.Prefix, "--partitions=3", "--log-level=warn"}
	code, stdout, stderr := runMain(t, nil, append(base, "--copybook", dir+"test1_odo_comp3_redefines.cob", "--table", "COMPANY", "--key", "ID",
		"--name", "zos1", dir+"test1_odo_comp3_redefines.ebcdic.bin")...)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	m := regexp.MustCompile(`^(\d+) records from 1 files stored on `).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("stdout %q", stdout)
	}
	n, _ := strconv.Atoi(m[1])
	envs := readRawCDC(t, cfg)
	if n < 5 || len(envs) != n {
		t.Fatalf("%d envelopes, stdout says %d", len(envs), n)
	}
	ids := map[string]bool{}
	lasts := 0
	for _, e := range envs {
		ev, err := cdc.Parse(nil, e.Payload)
		if err != nil {
			t.Fatalf("record %s: %v", e.Attrs[cdc.AttrRecord], err)
		}
		id, _ := ev.After.Get("ID")
		ids[string(id.Number())] = true
		rec, _ := strconv.Atoi(e.Attrs[cdc.AttrRecord])
		if e.Kind != "COMPANY.READ" || ev.Op != cdc.OpRead || string(id.Number()) != strconv.Itoa(rec) ||
			e.Attrs[cdc.AttrPosition] != "copybook/zos1/file=test1_odo_comp3_redefines.ebcdic.bin,record="+strconv.Itoa(rec) ||
			!strings.HasPrefix(e.Key, "COMPANY/") || e.Source != "copybook" {
			t.Errorf("record %d: kind %q op %q ID %q attrs %v key %q", rec, e.Kind, ev.Op, id.Text, e.Attrs, e.Key)
		}
		if ev.Source.Snapshot == "last" {
			lasts++
			if rec != n {
				t.Errorf("record %d of %d is marked last", rec, n)
			}
		}
		if co, _ := ev.After.Get("COMPANY"); co.Kind != cdc.KindStruct {
			t.Errorf("record %d: COMPANY group not an object", rec)
		}
	}
	if len(ids) != n || lasts != 1 {
		t.Errorf("%d distinct IDs for %d records; %d marked last", len(ids), n, lasts)
	}

	// A change file in ASCII with an op field; one unknown op.
	tmp := t.TempDir()
	cb := filepath.Join(tmp, "member.cob")
	data := filepath.Join(tmp, "MEMBER.CHG.D20261126")
	os.WriteFile(cb, []byte("       01 MEMBER-REC.\n          05 CHG-TYPE PIC X.\n          05 MEMBER-ID PIC X(6).\n          05 PREMIUM PIC S9(5)V99 COMP-3.\n"), 0o644)
	os.WriteFile(data, []byte("AM00001\x00\x12\x34\x5cDM00001\x00\x12\x34\x5cZM00002\x00\x00\x00\x0c"), 0o644)
	code, _, stderr = runMain(t, map[string]string{"TRIBUTARY_OPS": "A=c,C=u,D=d"},
		append(base, "--copybook", cb, "--table", "MEMBER", "--key", "MEMBER-ID", "--encoding", "ascii", "--op-field", "CHG-TYPE", data)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1 for the unknown op; stderr:\n%s", code, stderr)
	}
	if want := data + ": record 3 (offset 22): cdc: op field value not in the op map (field CHG-TYPE)"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	kinds := map[string]int{}
	for _, e := range readRawCDC(t, cfg) {
		kinds[e.Kind]++
	}
	if kinds["MEMBER.CREATE"] != 1 || kinds["MEMBER.DELETE"] != 1 || kinds["MEMBER.INVALID"] != 1 {
		t.Errorf("kinds %v", kinds)
	}

	for _, args := range [][]string{
		{"--copybook", cb, "--key", "MEMBER-ID", data},
		{"--copybook", cb, "--table", "MEMBER", data},
		{"--copybook", cb, "--table", "MEMBER", "--key", "NOPE", data},
		{"--copybook", cb, "--table", "MEMBER", "--key", "MEMBER-ID", "--op-field", "CHG-TYPE", "--ops", "A=x", data},
	} {
		if code, _, _ := runMain(t, nil, append(base, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// With --transaction-topic, tributary ingest cdc holds a source
// transaction's events until its END record and all its events have come,
// then writes them in one Kafka transaction; records without a
// transaction pass at once, except a tombstone, which follows its row's
// held delete.
func TestIngestCDCTransactions(t *testing.T) {
	t.Parallel()
	addr, cfg := embeddedBroker(t)
	src := stream.Config{Brokers: cfg.Brokers, Topics: event.NewTopics("src" + randomName() + ".")}
	if err := stream.EnsureTopics(t.Context(), src, stream.TopicSpec{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	tableTopic, txTopic := src.Topics.Raw(event.FormatCDC), src.Topics.Raw(event.FormatX12)
	sp, err := stream.NewProducer(src, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close(context.Background())
	key := func(id int) []byte { return []byte(`{"member_id":` + strconv.Itoa(id) + `}`) }
	inTx := func(v []byte, order int) []byte {
		return append(v[:len(v)-2:len(v)-2], []byte(`,"transaction":{"id":"9","total_order":`+strconv.Itoa(order)+`,"data_collection_order":`+strconv.Itoa(order)+`}}}`)...)
	}
	if err := sp.Produce(t.Context(),
		stream.Record{Topic: txTopic, Key: []byte(`{"id":"9"}`), Value: []byte(`{"status":"BEGIN","id":"9","ts_ms":1764152499000,"event_count":null,"data_collections":null}`)},
		stream.Record{Topic: tableTopic, Key: key(1), Value: inTx(debeziumMember("c", 1, 100, "Ann"), 1)},
		stream.Record{Topic: tableTopic, Key: key(2), Value: inTx(debeziumMember("c", 2, 110, "Bo"), 2)},
		stream.Record{Topic: tableTopic, Key: key(1), Value: inTx(debeziumMember("d", 1, 120, "Ann"), 3)},
		stream.Record{Topic: tableTopic, Key: key(1), Value: nil},
		stream.Record{Topic: tableTopic, Key: key(5), Value: debeziumMember("c", 5, 130, "Di")},
	); err != nil {
		t.Fatal(err)
	}
	stop := startIngestCDC(t, "--brokers="+addr, "--topic-prefix="+cfg.Topics.Prefix, "--partitions=3", "--log-level=warn",
		"--topics="+tableTopic, "--transaction-topic="+txTopic, "--group=relay-tx", "--transaction-max-age=1h")
	// Only member 5 (no transaction) comes; transaction 9 is held.
	waitRawCDC(t, cfg, 1)
	time.Sleep(time.Second)
	if envs := readRawCDC(t, cfg); len(envs) != 1 || envs[0].Attrs[cdc.AttrPosition] != "postgresql/payer/lsn=130" {
		t.Fatalf("before END raw.cdc.v1 holds %d envelopes", len(envs))
	}
	if err := sp.Produce(t.Context(), stream.Record{Topic: txTopic, Key: []byte(`{"id":"9"}`),
		Value: []byte(`{"status":"END","id":"9","ts_ms":1764152499200,"event_count":3,"data_collections":[{"data_collection":"payer.public.member","event_count":3}]}`)}); err != nil {
		t.Fatal(err)
	}
	envs := waitRawCDC(t, cfg, 7)
	code, stdout, stderr := stop()
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "7 records relayed") || !strings.Contains(stdout, "1 source transactions written whole, 0 released incomplete") {
		t.Errorf("stdout %q", stdout)
	}
	kinds := map[string]int{}
	var member1 []string
	k1 := cdc.PartitionKey(tableTopic, key(1))
	for _, e := range envs {
		kinds[e.Kind]++
		if e.Key == k1 {
			member1 = append(member1, e.Attrs[cdc.AttrOp])
		}
	}
	if kinds["TRANSACTION.BEGIN"] != 1 || kinds["TRANSACTION.END"] != 1 || kinds["member.CREATE"] != 3 || kinds["member.DELETE"] != 1 || kinds["v1.TOMBSTONE"] != 1 {
		t.Errorf("kinds %v", kinds)
	}
	if got := strings.Join(member1, ","); got != "c,d,tombstone" {
		t.Errorf("member 1 on raw.cdc.v1 in order %s", got)
	}
}
