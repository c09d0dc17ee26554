package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func check(t *testing.T, out string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 6, out)
	assert.Equal(t, []string{
		"✓ a card payment is refused as a job (card data is never stored)",
		"✓ TEA-1002: a second click inserted no second charge",
		"✓ TEA-1004: a second click inserted no second charge",
		"✓ 5 orders saved with their payment jobs; a rolled-back checkout left neither",
	}, lines[:4])
	assert.Regexp(t, `^✓ 5 payment jobs done \(\d retried with the same key after a lost answer\)$`, lines[4])
	assert.Equal(t, "✓ 5 of 5 orders paid exactly once; the rolled-back one never", lines[5])
}

func TestRun_sqlite(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	require.NoError(t, start(context.Background(), &out, ""))
	check(t, out.String())
}

func TestRun_postgres(t *testing.T) {
	t.Parallel()
	base := os.Getenv("TOKENIM_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("PostgreSQL test skipped: set TOKENIM_TEST_POSTGRES_URL to a PostgreSQL URL to run it (.ci/run starts a throwaway cluster)")
	}
	ctx := context.Background()
	admin, err := pgxpool.New(ctx, base)
	require.NoError(t, err)
	defer admin.Close()
	schema := "fleet_river_example"
	_, _ = admin.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
	_, err = admin.Exec(ctx, `CREATE SCHEMA `+schema)
	require.NoError(t, err)
	defer func() { _, _ = admin.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`) }()
	url := base + "&search_path=" + schema
	if !strings.Contains(base, "?") {
		url = base + "?search_path=" + schema
	}
	var out strings.Builder
	require.NoError(t, start(ctx, &out, url))
	check(t, out.String())
}
