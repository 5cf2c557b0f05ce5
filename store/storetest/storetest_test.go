package storetest

import (
	"context"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// recorder is a testing.TB that records Skipf and Fatalf instead of ending
// the real test.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func run(t *testing.T, admin string, require bool) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		newDatabase(r, admin, require)
	}()
	<-done
	return r
}

// Nothing listens on port 1: the unreachable server must skip a test, or
// fail it when services are required.
func TestUnreachableServerSkipsUnlessRequired(t *testing.T) {
	t.Parallel()
	const admin = "postgres://postgres:s3cret@127.0.0.1:1/postgres?connect_timeout=5"
	if r := run(t, admin, false); !r.skipped || r.failed {
		t.Errorf("not required: skipped=%v failed=%v, want a skip", r.skipped, r.failed)
	}
	r := run(t, admin, true)
	if !r.failed || r.skipped {
		t.Errorf("required: skipped=%v failed=%v, want a failure", r.skipped, r.failed)
	}
	if strings.Contains(r.msg, "s3cret") {
		t.Errorf("message shows the password: %s", r.msg)
	}
}

func TestNewDatabaseIsFreshAndDropped(t *testing.T) {
	t.Parallel()
	var names []string
	for i := range 2 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			u := NewDatabase(t)
			conn, err := pgx.Connect(t.Context(), u)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			var n int
			if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_namespace WHERE nspname = 'tributary'").Scan(&n); err != nil || n != 0 {
				t.Errorf("new database has a tributary schema (n=%d, err=%v)", n, err)
			}
			p, _ := url.Parse(u)
			names = append(names, strings.TrimPrefix(p.Path, "/"))
		})
	}
	if len(names) == 0 {
		t.Skip("no database created")
	}
	if len(names) != 2 || names[0] == names[1] {
		t.Fatalf("databases %v, want two distinct", names)
	}
	conn, err := pgx.Connect(t.Context(), adminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_database WHERE datname = ANY($1)", names).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d of %v not dropped after their tests", n, names)
	}
}
