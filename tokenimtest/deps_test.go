package tokenimtest_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/tokenim/tokenim-go"

// moduleImports adds to seen the packages of this module that pkg (a directory
// relative to the module root) imports from its non-test files, directly or
// not.
func moduleImports(t *testing.T, root, pkg string, seen map[string]bool) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, pkg))
	require.NoError(t, err)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, pkg, name), nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			if path != module && !strings.HasPrefix(path, module+"/") {
				continue
			}
			dir := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
			if !seen[dir] {
				seen[dir] = true
				moduleImports(t, root, dir, seen)
			}
		}
	}
}

// The issue asked for a test client "in a way that does not make package
// tokenim depend on sandbox": a merchant's production binary must not link
// the fake platform.
func TestTokenimDoesNotDependOnSandbox(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	moduleImports(t, "..", ".", seen)
	for dir := range seen {
		assert.NotEqual(t, "sandbox", dir)
		assert.NotEqual(t, "tokenimtest", dir)
	}

	// The walk itself works: tokenimtest does reach the sandbox.
	seen = map[string]bool{}
	moduleImports(t, "..", "tokenimtest", seen)
	assert.True(t, seen["sandbox"])
	assert.True(t, seen[""], "tokenimtest imports package tokenim")
}
