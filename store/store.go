package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors of the store, matched with [errors.Is]; returned errors wrap them
// with the operation and resource type.
var (
	// ErrNotFound: no such resource, or no such version of it.
	ErrNotFound = errors.New("not found")
	// ErrDeleted: the resource, or the version asked for, is deleted (an
	// API answers 410 Gone). The [Resource] returned with it describes the
	// deletion.
	ErrDeleted = errors.New("deleted")
	// ErrUnavailable: no PostgreSQL server answers at Config.URL. The error
	// says how to start one.
	ErrUnavailable = errors.New("no PostgreSQL server answers")
	// ErrSchemaTooNew: the database was migrated by a newer Tributary than
	// this binary, which refuses to touch it.
	ErrSchemaTooNew = errors.New("database schema is newer than this binary")
	// ErrInvalidCursor: a search cursor is not one that [Store.Search]
	// returned.
	ErrInvalidCursor = errors.New("invalid cursor")
)

// Config configures [Open]. The zero value of each optional field means its
// documented default.
type Config struct {
	// URL is the PostgreSQL connection string, a URL such as
	// postgres://postgres@127.0.0.1:5432/tributary or key=value pairs
	// (libpq syntax). The database is created when missing. Required.
	URL string
	// MaxConns caps the connection pool; 0 means pgx's default, the
	// greater of 4 and the number of CPUs.
	MaxConns int32
	// Logger receives migration and connection events; nil discards them.
	Logger *slog.Logger
}

func (c Config) validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("store: Config.URL is empty"))
	}
	if c.MaxConns < 0 {
		errs = append(errs, errors.New("store: Config.MaxConns is negative"))
	}
	return errors.Join(errs...)
}

// A Store reads and writes Tributary's PostgreSQL database. It is safe for
// concurrent use; [Store.Close] it when done.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

// Open connects to the database at cfg.URL, creating it when missing (by
// connecting to the server's postgres database), and applies the embedded
// migrations it has not seen. Several processes may Open one database at
// once: migrations run one at a time. When no server answers, the error
// wraps [ErrUnavailable]; when the database schema is newer than this
// binary, [ErrSchemaTooNew].
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// pgx's error quotes the connection string, and its redaction of
		// passwords is best effort on strings it could not parse.
		return nil, errors.New("store: Config.URL is neither a postgres:// URL nor libpq key=value pairs")
	}
	if cfg.MaxConns > 0 {
		pcfg.MaxConns = cfg.MaxConns
	}
	pool, err := connect(ctx, pcfg, log)
	if err != nil {
		return nil, err
	}
	s := &Store{pool: pool, log: log}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// connect returns a pool whose first connection succeeded, creating the
// database once when the server says it does not exist.
func connect(ctx context.Context, pcfg *pgxpool.Config, log *slog.Logger) (*pgxpool.Pool, error) {
	for created := false; ; created = true {
		pool, err := pgxpool.NewWithConfig(ctx, pcfg.Copy())
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		err = pool.Ping(ctx)
		if err == nil {
			return pool, nil
		}
		pool.Close()
		if created || !isCode(err, "3D000") { // invalid_catalog_name
			return nil, connectError(pcfg.ConnConfig, err)
		}
		made, err := createDatabase(ctx, pcfg.ConnConfig)
		if err != nil {
			return nil, err
		}
		if made {
			log.LogAttrs(ctx, slog.LevelInfo, "store: created database", slog.String("database", pcfg.ConnConfig.Database))
		}
	}
}

// createDatabase creates the database of cc and reports whether it did;
// another process may have been first.
func createDatabase(ctx context.Context, cc *pgx.ConnConfig) (bool, error) {
	admin := cc.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return false, connectError(admin, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{cc.Database}.Sanitize())
	switch {
	// duplicate_database, or, when the other process has not committed yet,
	// unique_violation on the catalog.
	case isCode(err, "42P04"), isCode(err, "23505"):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("store: create database %s: %w", cc.Database, err)
	}
	return true, nil
}

// connectError explains a failed connection. pgx's message names the user,
// database and address, never the password.
func connectError(cc *pgx.ConnConfig, err error) error {
	if !unreachable(err) {
		return fmt.Errorf("store: connect: %w", err)
	}
	return fmt.Errorf("store: %w at %s:%d: %w\n"+
		"Start PostgreSQL (on Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start), "+
		"or give the URL of a running server with --database-url",
		ErrUnavailable, cc.Host, cc.Port, err)
}

// unreachable reports whether err means that nothing answered: refused,
// timed out, no such host or socket.
func unreachable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)
}

func isCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// Close closes the connection pool, waiting for connections in use.
func (s *Store) Close() { s.pool.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}
