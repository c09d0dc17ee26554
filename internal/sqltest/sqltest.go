// Package sqltest gives tests of the durable stores a fresh database on each
// engine: an SQLite file in the test's temporary directory, and, when
// TOKENIM_TEST_POSTGRES_URL is set, a schema of its own in that PostgreSQL
// database. Only tests import it, so the drivers stay out of every
// production import graph.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers "sqlite"
)

// PostgresEnv names the variable holding the URL of a PostgreSQL database
// the tests may create schemas in, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const PostgresEnv = "TOKENIM_TEST_POSTGRES_URL"

// Engines are the engines every store test runs on.
var Engines = []string{"sqlite", "postgres"}

// DB is one test's database; Open connects to it as often as a test needs
// (each instance of a fleet has its own *sql.DB).
type DB struct {
	tb     testing.TB
	Engine string
	// DSN is how another process reaches the database (driver name Engine
	// for sqlite, "pgx" for postgres).
	DSN    string
	Driver string
}

// New returns a fresh, empty database on engine, or skips the test when
// engine is postgres and PostgresEnv is not set.
func New(tb testing.TB, engine string) *DB {
	tb.Helper()
	switch engine {
	case "sqlite":
		path := filepath.Join(tb.TempDir(), "tokenim.db")
		return &DB{tb: tb, Engine: engine, Driver: "sqlite", DSN: SQLiteDSN(path)}
	case "postgres":
		base := os.Getenv(PostgresEnv)
		if base == "" {
			tb.Skipf("PostgreSQL test skipped: set %s to a PostgreSQL URL to run it (.ci/run starts a throwaway cluster)", PostgresEnv)
		}
		var b [6]byte
		_, _ = rand.Read(b[:])
		schema := "t_" + hex.EncodeToString(b[:])
		admin := openPG(tb, base)
		ctx := context.Background()
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			tb.Fatalf("create schema: %v", err)
		}
		tb.Cleanup(func() {
			_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			_ = admin.Close()
		})
		return &DB{tb: tb, Engine: engine, Driver: "pgx", DSN: withSearchPath(base, schema)}
	}
	tb.Fatalf("sqltest: unknown engine %q", engine)
	return nil
}

// Open connects to the database; the connection pool is closed when the
// test ends.
func (d *DB) Open() *sql.DB {
	d.tb.Helper()
	db, err := sql.Open(d.Driver, d.DSN)
	if err != nil {
		d.tb.Fatalf("open %s: %v", d.Engine, err)
	}
	// A bounded pool, as a production instance has: SQLite takes one
	// writer at a time anyway, and a fleet of unbounded pools would
	// exhaust PostgreSQL's connections.
	db.SetMaxOpenConns(8)
	d.tb.Cleanup(func() { _ = db.Close() })
	return db
}

// SQLiteDSN is the modernc.org/sqlite DSN the stores expect for a file:
// WAL, so readers never wait for the writer, and a busy timeout, so that
// writers from several pools or processes queue instead of failing.
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

func openPG(tb testing.TB, url string) *sql.DB {
	tb.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		tb.Fatalf("%s: %v", PostgresEnv, err)
	}
	return stdlib.OpenDB(*cfg)
}

// withSearchPath adds search_path to a PostgreSQL URL; pgx passes unknown
// URL parameters to the server as run-time parameters.
func withSearchPath(url, schema string) string {
	sep := "?"
	for _, c := range url {
		if c == '?' {
			sep = "&"
		}
	}
	return url + sep + "search_path=" + schema
}

// Clock is a settable clock that the store instances of one test share, so
// leases and TTLs end when the test says.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now reads the clock; pass it as a store's clock option.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
