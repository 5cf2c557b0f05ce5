package store

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"regexp"
	"strconv"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// A migration is one numbered SQL file of migrations/, NNN_name.sql.
// Versions are 1, 2, 3, ... without gaps. A migration must never change
// once released: Open refuses a database where an applied migration's
// checksum differs from the binary's.
type migration struct {
	version  int
	name     string
	sql      string
	checksum string // hex sha256 of sql
}

var migrationName = regexp.MustCompile(`^([0-9]{3})_([a-z0-9_]+)\.sql$`)

func loadMigrations(fsys fs.FS) ([]migration, error) {
	files, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	var ms []migration
	for i, f := range files { // fs.Glob sorts
		m := migrationName.FindStringSubmatch(path.Base(f))
		if m == nil {
			return nil, fmt.Errorf("store: migration %s: name is not NNN_name.sql", f)
		}
		v, _ := strconv.Atoi(m[1])
		if v != i+1 {
			return nil, fmt.Errorf("store: migration %s: version %d, want %d", f, v, i+1)
		}
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: %w", f, err)
		}
		sum := sha256.Sum256(b)
		ms = append(ms, migration{version: v, name: m[2], sql: string(b), checksum: hex.EncodeToString(sum[:])})
	}
	return ms, nil
}

// migrationLock is the key of the advisory lock that serializes migrations
// of one database across processes ("tributar" in ASCII).
const migrationLock int64 = 0x7472696275746172

// bootstrap creates what the migrations table needs. It runs under the
// migration lock, because concurrent CREATE ... IF NOT EXISTS can fail.
const bootstrap = `
CREATE SCHEMA IF NOT EXISTS tributary;
CREATE TABLE IF NOT EXISTS tributary.schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)`

// migrate applies the pending migrations, each in its own transaction that
// first takes the transaction-scoped advisory lock and then reads which
// migrations are applied. A second process that starts at the same moment
// waits for the lock and then finds the work done. Nothing is held between
// transactions, so a process that dies mid-way leaves no stale lock.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return err
	}
	for {
		var applied *migration
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			var err error
			applied, err = migrateNext(ctx, tx, ms)
			return err
		})
		if err != nil {
			return err
		}
		if applied == nil {
			return nil
		}
		s.log.LogAttrs(ctx, slog.LevelInfo, "store: applied migration",
			slog.Int("version", applied.version), slog.String("name", applied.name))
	}
}

// migrateNext applies the first pending migration in tx and returns it, or
// nil when none is pending.
func migrateNext(ctx context.Context, tx pgx.Tx, ms []migration) (*migration, error) {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
		return nil, fmt.Errorf("store: migration lock: %w", err)
	}
	if _, err := tx.Exec(ctx, bootstrap); err != nil {
		return nil, fmt.Errorf("store: migrations table: %w", err)
	}
	rows, err := tx.Query(ctx, "SELECT version, checksum FROM tributary.schema_migrations ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	done := 0
	var version int
	var checksum string
	_, err = pgx.ForEachRow(rows, []any{&version, &checksum}, func() error {
		switch {
		case version > len(ms):
			return fmt.Errorf("store: %w: it has migration %d, this binary knows %d; run a newer Tributary", ErrSchemaTooNew, version, len(ms))
		case version != done+1:
			return fmt.Errorf("store: migration %d is applied but %d is not", version, done+1)
		case checksum != ms[version-1].checksum:
			return fmt.Errorf("store: migration %d (%s) changed after it was applied", version, ms[version-1].name)
		}
		done = version
		return nil
	})
	if err != nil {
		return nil, err
	}
	if done == len(ms) {
		return nil, nil
	}
	m := &ms[done]
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return nil, fmt.Errorf("store: migration %d (%s): %w", m.version, m.name, err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO tributary.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
		m.version, m.name, m.checksum); err != nil {
		return nil, fmt.Errorf("store: record migration %d: %w", m.version, err)
	}
	return m, nil
}
