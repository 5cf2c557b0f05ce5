// Package storetest gives tests a PostgreSQL database of their own, so
// that tests using the store run in parallel against the real server.
//
// The server is the one at $TRIBUTARY_TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres), which must allow CREATE
// DATABASE. When it cannot be reached, tests are skipped with the reason,
// unless TRIBUTARY_REQUIRE_SERVICES=1 (as in CI), where they fail.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributary-health/tributary/store"
)

// Environment variables read by [NewDatabase].
const (
	EnvURL     = "TRIBUTARY_TEST_DATABASE_URL"
	EnvRequire = "TRIBUTARY_REQUIRE_SERVICES"
	// DefaultURL is used when EnvURL is unset.
	DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres"
)

// NewDatabase creates an empty database with a unique name on the test
// server and returns its URL. The database is dropped when t and its
// subtests have finished.
func NewDatabase(t testing.TB) string {
	t.Helper()
	return newDatabase(t, adminURL(), os.Getenv(EnvRequire) == "1")
}

func adminURL() string {
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	return DefaultURL
}

// Open opens a [store.Store] on a new database from [NewDatabase] and
// closes it when t has finished.
func Open(t testing.TB) *store.Store {
	t.Helper()
	url := NewDatabase(t)
	s, err := store.Open(t.Context(), store.Config{URL: url})
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func newDatabase(t testing.TB, admin string, require bool) string {
	t.Helper()
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("storetest: %s is not a postgres:// URL", EnvURL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		// pgx's message names user, database and address, not the password.
		if require {
			t.Fatalf("storetest: PostgreSQL is required (%s=1) but unreachable: %v", EnvRequire, err)
		}
		t.Skipf("storetest: skipping, PostgreSQL unreachable (start it, or set %s): %v", EnvURL, err)
	}
	defer conn.Close(ctx)
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	name := "tributary_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("storetest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("storetest: drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		// FORCE ends connections a test left open.
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("storetest: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
