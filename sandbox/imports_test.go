package sandbox

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The sandbox's production code takes TB instead of importing testing, so a
// program that links the sandbox (cmd/tokenim-sandbox) does not link the
// test framework and its flags.
func TestSandbox_productionCodeDoesNotImportTesting(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			assert.NotEqual(t, "testing", path, f)
		}
	}
	var _ TB = t // *testing.T still satisfies Start's parameter
}
