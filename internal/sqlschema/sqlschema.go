// Package sqlschema applies numbered schema steps to a database shared by the
// durable stores (webhookstore, journal), recording each component's version
// in one table. It uses only database/sql and statements that read the same
// on SQLite (≥ 3.35) and PostgreSQL.
package sqlschema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// VersionTable records, per component, the number of schema steps applied.
const VersionTable = "tokenim_schema_versions"

// Apply brings component's schema up to len(steps): it runs, in one
// transaction, every step after the recorded version and records the new
// version. Several processes may call it at once at start-up: a loser of the
// race (its CREATE or its version row collides) reads the version again and
// finds the work done.
func Apply(ctx context.Context, db *sql.DB, component string, steps [][]string) error {
	if db == nil {
		return errors.New("sqlschema: db must not be nil")
	}
	var err error
	for range 3 {
		if err = apply(ctx, db, component, steps); err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("migrate %s schema: %w", component, err)
	}
	return nil
}

func apply(ctx context.Context, db *sql.DB, component string, steps [][]string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+VersionTable+` (
	component TEXT PRIMARY KEY,
	version   INTEGER NOT NULL
)`); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var have int
	err = tx.QueryRowContext(ctx, `SELECT version FROM `+VersionTable+` WHERE component = $1`, component).Scan(&have)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		have = 0
	case err != nil:
		return err
	}
	if have > len(steps) {
		return fmt.Errorf("database has schema version %d, newer than this program's %d", have, len(steps))
	}
	if have == len(steps) {
		return nil
	}
	for _, step := range steps[have:] {
		for _, stmt := range step {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
	}
	// The WHERE keeps a concurrent migrator that read the same old version
	// from recording over a newer one.
	res, err := tx.ExecContext(ctx, `INSERT INTO `+VersionTable+` (component, version) VALUES ($1, $2)
ON CONFLICT (component) DO UPDATE SET version = excluded.version WHERE `+VersionTable+`.version = $3`,
		component, len(steps), have)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 {
		return errors.New("schema version changed during migration")
	}
	return tx.Commit()
}
