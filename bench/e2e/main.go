// Command e2e measures Tributary end to end on this machine: it builds and
// starts `tributary run` (embedded broker, fresh data directory, fresh
// database), sends synthetic ADT^A01 messages over several MLLP
// connections, and reports
//
//   - ingest throughput: messages acknowledged per second (MLLP → Kafka);
//   - end-to-end throughput: messages per second until all are in the
//     store (MLLP → Kafka → normalize → PostgreSQL);
//   - ACK-to-API latency, measured apart at a steady rate so that polling
//     does not load the throughput phase: the time from the AA to the first
//     200 from GET /fhir/Patient/{id}, p50/p90/p99/max.
//
// Run it from the repository root: go run ./bench/e2e [-n 20000 -c 8].
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/adapters/mllp"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/store"
)

func main() {
	n := flag.Int("n", 20000, "messages to send")
	conns := flag.Int("c", 8, "concurrent MLLP connections")
	sample := flag.Int("sample", 500, "messages sent in the latency phase")
	rate := flag.Int("rate", 100, "messages per second in the latency phase")
	identity := flag.Bool("identity", true, "resolve Patients in the identity index (run --identity)")
	admin := flag.String("admin-url", "postgres://postgres@127.0.0.1:5432/postgres", "PostgreSQL server to create the bench database on")
	flag.Parse()
	if err := run(*n, *conns, *sample, *rate, *admin, *identity); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

const (
	mllpAddr   = "127.0.0.1:22575"
	httpAddr   = "127.0.0.1:28080"
	brokerAddr = "127.0.0.1:29092"
	dbName     = "tributary_bench"
)

func run(n, conns, sample, rate int, admin string, identity bool) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "tributary-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "tributary")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/tributary").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	dbURL, err := freshDatabase(ctx, admin)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "run",
		"--mllp-addr="+mllpAddr, "--http-addr="+httpAddr, "--broker-addr="+brokerAddr,
		"--data-dir="+filepath.Join(dir, "var"), "--database-url="+dbURL, "--log-level=warn", fmt.Sprintf("--identity=%v", identity))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	if err := waitReady(ctx, "http://"+httpAddr+"/readyz"); err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Config{URL: dbURL})
	if err != nil {
		return err
	}
	defer st.Close()

	// Phase 1, throughput: n new Patients over conns connections, as fast
	// as the pipeline acknowledges them; nothing else loads the machine.
	var next atomic.Int64
	start := time.Now()
	errc := make(chan error, conns)
	var senders sync.WaitGroup
	for range conns {
		senders.Go(func() {
			c, err := mllp.Dial(ctx, mllpAddr, nil)
			if err != nil {
				errc <- err
				return
			}
			defer c.Close()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				if err := sendOne(ctx, c, i); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	senders.Wait()
	ingest := time.Since(start)
	select {
	case err := <-errc:
		return err
	default:
	}
	if err := waitStored(ctx, st, n); err != nil {
		return err
	}
	e2e := time.Since(start)

	// Phase 2, latency: one message every 1/rate s on one connection; each
	// is followed until GET /fhir/Patient/{id} answers 200.
	var (
		lat   []time.Duration
		latMu sync.Mutex
		wg    sync.WaitGroup
	)
	client := &http.Client{Timeout: 5 * time.Second}
	c, err := mllp.Dial(ctx, mllpAddr, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for k := range sample {
		<-tick.C
		i := int64(n + k)
		if err := sendOne(ctx, c, i); err != nil {
			return err
		}
		ackedAt := time.Now()
		id := fhir.ID("Patient", "urn:tributary:aa:BENCH", mrn(i))
		wg.Go(func() {
			for {
				resp, err := client.Get("http://" + httpAddr + "/fhir/Patient/" + id)
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						latMu.Lock()
						lat = append(lat, time.Since(ackedAt))
						latMu.Unlock()
						return
					}
				}
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(time.Millisecond)
	}
	fmt.Printf("machine: %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Printf("throughput: %d messages over %d MLLP connections (each a new Patient)\n", n, conns)
	fmt.Printf("  ingest (MLLP → Kafka, AA received): %.0f msg/s (%.2fs)\n", float64(n)/ingest.Seconds(), ingest.Seconds())
	fmt.Printf("  end to end (MLLP → Kafka → normalize → PostgreSQL): %.0f msg/s (%.2fs)\n", float64(n)/e2e.Seconds(), e2e.Seconds())
	fmt.Printf("latency: %d messages at %d msg/s, AA → first 200 from GET /fhir/Patient/{id} (polled every 2 ms)\n", len(lat), rate)
	fmt.Printf("  p50 %v, p90 %v, p99 %v, max %v\n", pct(0.50), pct(0.90), pct(0.99), lat[len(lat)-1].Round(time.Millisecond))
	return nil
}

func mrn(i int64) string { return fmt.Sprintf("B%08d", i) }

var givens = []string{"Ann", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea", "Max", "Nia", "Oto", "Pia"}

// surname spells i as a made-up family name, distinct for every i.
func surname(i int64) string {
	b := []byte{"BDFGKLMNPRSTVZ"[i%14]}
	for i /= 14; ; i /= 14 {
		b = append(b, "aeiou"[i%5], "bdfgklmnprstvz"[(i/5)%14])
		if i < 14 {
			return string(b)
		}
	}
}

// sendOne sends the i-th synthetic ADT^A01 and checks for AA.
func sendOne(ctx context.Context, c *mllp.Client, i int64) error {
	// Each message is a different person, with the spread of names,
	// birth dates, addresses and phones of a real population: the
	// identity index must find nobody to link (a feed where everyone
	// shares one birth date and address would be one household).
	msg := fmt.Appendf(nil, "MSH|^~\\&|BENCH|BENCH|TRIB|TRIB|20261126093000||ADT^A01^ADT_A01|C%d|P|2.5.1\rEVN|A01\rPID|1||%s^^^BENCH^MR||%s^%s^Q||19%02d%02d%02d|%s|||%d Load St^^Testville^MI^48%03d^USA^H||^PRN^PH^^1^555^%07d\rPV1|1|I\r",
		i, mrn(i), surname(i), givens[i%int64(len(givens))], 30+i%70, 1+i%12, 1+(i/12)%28, []string{"F", "M"}[i%2], 1+i%997, i%1000, 5550000+i)
	ack, err := c.Send(ctx, msg)
	if err != nil {
		return err
	}
	if m, err := hl7v2.Parse(ack); err != nil || m.Get("MSA-1") != "AA" {
		return fmt.Errorf("message %d not accepted", i)
	}
	return nil
}

func waitStored(ctx context.Context, st *store.Store, n int) error {
	for {
		c, err := st.Counts(ctx, "Patient")
		if err != nil {
			return err
		}
		if c.Current >= n {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freshDatabase(ctx context.Context, admin string) (string, error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+dbName+" WITH (FORCE)"); err != nil {
		return "", err
	}
	cfg := conn.Config()
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, dbName), nil
}

func waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("tributary did not become ready")
}
