package tokenim_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestModuleGraph_consumerGetsNoDriverBrowserOrSpecTool builds the module
// graph of a merchant's module that imports this package, as `go list -m
// all` shows it, and checks that it holds none of what only our tests and
// tools use: database drivers, the browser driver, the OpenAPI library, the
// leak checker, River, Temporal or OpenTelemetry. Those live in nested
// modules (internal/apispec, internal/storetest, sandbox/browsertest, river,
// otel, …). It runs offline, from the module cache.
func TestModuleGraph_consumerGetsNoDriverBrowserOrSpecTool(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	root, err := filepath.Abs(".")
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/shop\n\ngo 1.25\n\nrequire github.com/tokenim/tokenim-go v0.0.0\n\nreplace github.com/tokenim/tokenim-go => "+root+"\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(`package main

import (
	"fmt"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/webhookstore"
	"github.com/tokenim/tokenim-go/journal"
)

func main() { fmt.Println(tokenim.APIVersion, webhookstore.Table, journal.Table) }
`), 0o644))
	run := func(args ...string) string {
		cmd := exec.Command(goBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %s: %s", strings.Join(args, " "), out)
		return string(out)
	}
	run("mod", "tidy")
	modules := strings.Split(strings.TrimSpace(run("list", "-m", "all")), "\n")
	banned := []string{
		"modernc.org/sqlite", "github.com/jackc/pgx", "github.com/chromedp", "github.com/getkin/kin-openapi",
		"go.uber.org/goleak", "github.com/riverqueue", "go.temporal.io", "go.opentelemetry.io",
	}
	for _, m := range modules {
		for _, b := range banned {
			assert.False(t, strings.HasPrefix(m, b), "a merchant's module graph gets %s", m)
		}
	}
	assert.Contains(t, strings.Join(modules, "\n"), "github.com/hashicorp/go-retryablehttp", "the walk itself works: the client's own dependency is there")
	t.Logf("a merchant's go list -m all: %d modules", len(modules))
}
