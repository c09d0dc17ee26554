package apispec

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImports_kinOpenAPIStaysInTests guards the promise of the package
// comment: no non-test file of the module imports this package or
// kin-openapi, so merchants never compile either.
func TestImports_kinOpenAPIStaysInTests(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "go.mod"))
	self, err := filepath.Abs(".")
	require.NoError(t, err)

	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == self || (path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			rel, _ := filepath.Rel(root, path)
			assert.False(t, strings.HasPrefix(p, "github.com/getkin/kin-openapi"), "%s imports %s", rel, p)
			assert.NotEqual(t, "github.com/tokenim/tokenim-go/internal/apispec", p, "%s imports the test-only apispec", rel)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Positive(t, checked, "no Go files found under %s", root)
}
