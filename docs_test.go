package tokenim_test

// TestDocsCompile type-checks every ```go block of the repository's Markdown
// against the real API, so that no document describes a function, a field or
// a signature that does not exist.
//
// The convention, for whoever writes a doc:
//
//   - A block whose first clause is `package` is a whole file and must compile
//     as one, unused imports and variables included.
//   - Any other block is a fragment. It may start with its own import
//     declarations. If the rest is declarations only (func, type, var, const)
//     they become a file's declarations; otherwise the rest is a function
//     body. Packages the fragment names (tokenim, sandbox, tokenimtest,
//     journal, webhookstore, reconcile, tokenimotel, tokenimriver,
//     tokenimtemporal and the common standard library) are imported for it.
//     A fragment may leave variables unused (it shows part of a program),
//     and it may use the names in docGivens (ctx, client, err, t, srv, …)
//     without declaring them.
//   - `…` where code would be is elided code: `if err != nil { … }` and
//     `for row := range rows { … }` compile as empty blocks.
//   - A block that is not meant to compile (pseudo-code, a shape that is
//     shown as wrong) is preceded, on the line before its fence, by
//     `<!-- not compiled: the reason -->`. Keep these rare; each names why.
//
// The blocks are checked with go/types against export data that `go list
// -export` builds in a temporary module requiring this module and its nested
// library modules (otel, river, temporal) by replace directives; no network
// is needed once the module cache holds the dependencies (.ci/run downloads
// them), and the go.sum of every module is reused.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenim/tokenim-go"
)

// docFiles are the Markdown files whose Go blocks must compile.
var docFiles = []string{
	"README.md",
	"docs/*.md",
	"examples/README.md",
	"examples/*/README.md",
	"cmd/*/README.md",
	"otel/README.md",
	"river/README.md",
	"temporal/README.md",
}

// docNestedModules are this repository's library modules a doc may import,
// by directory; each is replaced by its local copy in the generated module.
var docNestedModules = []string{"otel", "river", "temporal"}

// docImports are the packages a fragment may name without importing them.
var docImports = map[string]string{
	"tokenim":         "github.com/tokenim/tokenim-go",
	"sandbox":         "github.com/tokenim/tokenim-go/sandbox",
	"tokenimtest":     "github.com/tokenim/tokenim-go/tokenimtest",
	"journal":         "github.com/tokenim/tokenim-go/journal",
	"webhookstore":    "github.com/tokenim/tokenim-go/webhookstore",
	"reconcile":       "github.com/tokenim/tokenim-go/reconcile",
	"tokenimotel":     "github.com/tokenim/tokenim-go/otel",
	"tokenimriver":    "github.com/tokenim/tokenim-go/river",
	"tokenimtemporal": "github.com/tokenim/tokenim-go/temporal",
	"context":         "context",
	"errors":          "errors",
	"fmt":             "fmt",
	"io":              "io",
	"log":             "log",
	"slog":            "log/slog",
	"http":            "net/http",
	"httptest":        "net/http/httptest",
	"os":              "os",
	"signal":          "os/signal",
	"time":            "time",
	"testing":         "testing",
	"json":            "encoding/json",
	"sql":             "database/sql",
	"strings":         "strings",
	"strconv":         "strconv",
	"bytes":           "bytes",
	"sync":            "sync",
	"atomic":          "sync/atomic",
}

// docGivens are the names a fragment may use without declaring them: what
// the surrounding program of a snippet evidently has. A fragment that
// declares one of them shadows it.
var docGivens = []struct{ name, decl string }{
	{"ctx", "ctx context.Context = context.Background()"},
	{"client", "client *tokenim.Client"},
	{"err", "err error"},
	{"t", "t *testing.T"},
	{"srv", "srv *sandbox.Server"},
	{"start", "start time.Time"},
	{"db", "db *sql.DB"},
	{"id", "id string"},
	{"key", "key string"},
	{"params", "params *tokenim.PaymentCreateParams"},
	{"order", "order *tokenim.Order"},
	{"verifier", "verifier *tokenim.WebhookVerifier"},
	{"fn", "fn func(context.Context, *tokenim.Event) error"},
	{"ship", "ship func(ctx context.Context, merchantOrderID string) error"},
	{"archive", "archive func(raw []byte)"},
	{"secrets", "secrets interface{ CurrentTokenimKey(context.Context) (string, error) }"},
	{"number", "number string"},
	{"cvc", "cvc string"},
	{"expMonth", "expMonth int"},
	{"expYear", "expYear int"},
	{"cart", "cart struct{ OrderNumber string }"},
	{"j", "j *journal.Journal"},
	{"disputeID", "disputeID string"},
}

var givenImports = []string{"context", "database/sql", "testing", "time",
	"github.com/tokenim/tokenim-go", "github.com/tokenim/tokenim-go/sandbox",
	"github.com/tokenim/tokenim-go/journal"}

// docBlock is one ```go block of a Markdown file.
type docBlock struct {
	file string // relative to the repository root, slash-separated
	line int    // line of the block's first code line
	code string
	skip string // the reason of a <!-- not compiled: … --> mark
}

func (b docBlock) String() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

var notCompiledMark = regexp.MustCompile(`^<!--\s*not compiled:\s*(.*?)\s*-->$`)

// extractDocBlocks returns the ```go blocks of one Markdown text.
func extractDocBlocks(file string, text []byte) ([]docBlock, error) {
	var blocks []docBlock
	var cur *docBlock
	var body strings.Builder
	prev := "" // the last non-blank line before a fence
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && (trimmed == "```go" || strings.HasPrefix(trimmed, "```go ")):
			cur = &docBlock{file: file, line: n + 1}
			if strings.HasPrefix(prev, "<!--") {
				m := notCompiledMark.FindStringSubmatch(prev)
				if m == nil || m[1] == "" {
					return nil, fmt.Errorf("%s:%d: the comment before a go block must read <!-- not compiled: reason -->", file, n-1)
				}
				cur.skip = m[1]
			}
			body.Reset()
		case cur != nil && strings.HasPrefix(trimmed, "```"):
			cur.code = body.String()
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			body.WriteString(line)
			body.WriteByte('\n')
		}
		if trimmed != "" {
			prev = trimmed
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("%s: go block opened at line %d is never closed", cur.file, cur.line-1)
	}
	return blocks, sc.Err()
}

// elide blanks out each `…` that stands where code would be (not inside a
// string or a comment), the doc convention for elided code.
func elide(code string) string {
	src := []byte(code)
	fset := token.NewFileSet()
	f := fset.AddFile("", -1, len(src))
	var s scanner.Scanner
	s.Init(f, src, func(token.Position, string) {}, scanner.ScanComments)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.ILLEGAL && lit == "…" {
			off := f.Offset(pos)
			copy(src[off:], "   ")
		}
	}
	return string(src)
}

// docSource is one block turned into a Go file.
type docSource struct {
	block    docBlock
	fragment bool
	src      string
	imports  []string
}

// lineDirective maps what follows to the block's Markdown line.
func lineDirective(b docBlock, line int) string {
	return fmt.Sprintf("\n//line %s:%d\n", b.file, line)
}

// toSource turns a block into a file of package doc, by the convention above.
func toSource(b docBlock) (docSource, error) {
	code := elide(b.code)
	fset := token.NewFileSet()
	if f, err := parser.ParseFile(fset, "", code, parser.PackageClauseOnly); err == nil && f.Name != nil {
		// A whole file: compiled as written, under its own package name.
		src := lineDirective(b, b.line) + code
		return docSource{block: b, src: src, imports: importPaths(fset, src)}, nil
	}

	// Leading import declarations of the fragment.
	head := "package doc\n"
	f, err := parser.ParseFile(fset, "", head+code, parser.ImportsOnly)
	if err != nil {
		return docSource{}, err
	}
	split := 0
	if len(f.Decls) > 0 {
		split = fset.Position(f.Decls[len(f.Decls)-1].End()).Offset - len(head)
	}
	own, rest := code[:split], code[split:]
	restLine := b.line + strings.Count(own, "\n")

	// Packages the fragment names but does not import.
	imported := map[string]bool{} // paths and names the fragment imports
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		imported[p] = true
		if imp.Name != nil {
			imported[imp.Name.Name] = true
		}
	}
	used := map[string]bool{}
	for _, name := range selectorBases(rest) {
		if path, ok := docImports[name]; ok && !imported[name] && !imported[path] {
			used[path] = true
		}
	}
	var auto strings.Builder
	auto.WriteString("package doc\n\nimport (\n")
	for _, p := range sortedKeys(used) {
		fmt.Fprintf(&auto, "\t%q\n", p)
	}
	auto.WriteString(")\n")

	declsOnly := "package doc\n" + rest
	var src string
	if _, err := parser.ParseFile(token.NewFileSet(), "", declsOnly, 0); err == nil {
		src = auto.String() + lineDirective(b, b.line) + own + lineDirective(b, restLine) + rest
	} else {
		src = auto.String() + lineDirective(b, b.line) + own +
			"\nfunc _() error {" + lineDirective(b, restLine) + rest + "\nreturn nil\n}\n"
	}
	return docSource{block: b, fragment: true, src: src, imports: importPaths(token.NewFileSet(), src)}, nil
}

// selectorBases returns the identifiers x of every x.y in code, found by
// scanning, so that it works before code is known to parse.
func selectorBases(code string) []string {
	fset := token.NewFileSet()
	f := fset.AddFile("", -1, len(code))
	var s scanner.Scanner
	s.Init(f, []byte(code), func(token.Position, string) {}, 0)
	var out []string
	var before, last token.Token // the two tokens before this one
	lastLit := ""
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.PERIOD && last == token.IDENT && before != token.PERIOD {
			out = append(out, lastLit)
		}
		before, last, lastLit = last, tok, lit
	}
	return out
}

func importPaths(fset *token.FileSet, src string) []string {
	f, err := parser.ParseFile(fset, "", src, parser.ImportsOnly)
	if err != nil {
		return nil
	}
	var out []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		out = append(out, p)
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// givensSource declares, for one fragment, the givens it does not declare
// at top level itself.
func givensSource(topLevel map[string]bool) string {
	var b strings.Builder
	b.WriteString("package doc\n\nimport (\n")
	for _, p := range givenImports {
		fmt.Fprintf(&b, "\t%q\n", p)
	}
	b.WriteString(")\n\nvar (\n")
	for _, g := range docGivens {
		if !topLevel[g.name] {
			fmt.Fprintf(&b, "\t%s\n", g.decl)
		}
	}
	b.WriteString(")\n")
	return b.String()
}

// collectDocBlocks reads every doc file under root.
func collectDocBlocks(root string) ([]docBlock, error) {
	var blocks []docBlock
	seen := map[string]bool{}
	for _, pattern := range docFiles {
		matches, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(pattern)))
		if err != nil {
			return nil, err
		}
		sort.Strings(matches)
		for _, m := range matches {
			rel, _ := filepath.Rel(root, m)
			rel = filepath.ToSlash(rel)
			if seen[rel] {
				continue
			}
			seen[rel] = true
			text, err := os.ReadFile(m)
			if err != nil {
				return nil, err
			}
			bs, err := extractDocBlocks(rel, text)
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, bs...)
		}
	}
	return blocks, nil
}

// docModule writes a module that requires this one and its nested library
// modules from their local directories, with every requirement and go.sum
// line of theirs, so that `go list` resolves without the network.
func docModule(t *testing.T, root string) string {
	dir := t.TempDir()
	var mod, sum bytes.Buffer
	mod.WriteString("module tokenim.docs/check\n\ngo 1.25.0\n\n")
	requires := map[string]string{}
	modules := append([]string{"."}, docNestedModules...)
	for _, m := range modules {
		gomod, err := os.ReadFile(filepath.Join(root, m, "go.mod"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		path, reqs := parseGoMod(gomod)
		abs, _ := filepath.Abs(filepath.Join(root, m))
		fmt.Fprintf(&mod, "replace %s => %s\n", path, abs)
		requires[path] = "v0.0.0"
		for p, v := range reqs {
			if !strings.HasPrefix(p, "github.com/tokenim/tokenim-go") && semverLess(requires[p], v) {
				requires[p] = v
			}
		}
		if s, err := os.ReadFile(filepath.Join(root, m, "go.sum")); err == nil {
			sum.Write(s)
		}
	}
	mod.WriteString("\nrequire (\n")
	for _, p := range sortedKeysS(requires) {
		fmt.Fprintf(&mod, "\t%s %s\n", p, requires[p])
	}
	mod.WriteString(")\n")
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), mod.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func sortedKeysS(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// parseGoMod reads a go.mod's module path and requirements, the two things
// the generated module needs (go.mod's syntax is simple enough for that).
func parseGoMod(b []byte) (path string, reqs map[string]string) {
	reqs = map[string]string{}
	inRequire := false
	for _, line := range strings.Split(string(b), "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case fields[0] == "module" && len(fields) == 2:
			path = fields[1]
		case fields[0] == "require" && len(fields) == 2 && fields[1] == "(":
			inRequire = true
		case fields[0] == "require" && len(fields) == 3:
			reqs[fields[1]] = fields[2]
		case inRequire && fields[0] == ")":
			inRequire = false
		case inRequire && len(fields) == 2:
			reqs[fields[0]] = fields[1]
		}
	}
	return path, reqs
}

// semverLess compares two module versions well enough for the maximum of a
// dependency's requirements (MVS then picks the same or a higher one).
func semverLess(a, b string) bool {
	if a == "" {
		return true
	}
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < 3; i++ {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return a < b
}

func versionParts(v string) [3]int {
	var out [3]int
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v = v[:i]
	}
	for i, p := range strings.SplitN(v, ".", 3) {
		out[i], _ = strconv.Atoi(p)
	}
	return out
}

// exportData runs `go list -export` for the packages the blocks import and
// returns each package's export data file.
func exportData(t *testing.T, dir string, paths []string) map[string]string {
	args := append([]string{"list", "-e", "-export", "-deps", "-json=ImportPath,Export,Error"}, paths...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -export: %v\n%s", err, stderr.Bytes())
	}
	files := map[string]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath, Export string
			Error              *struct{ Err string }
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Error != nil {
			t.Errorf("package %s, imported by a doc: %s", p.ImportPath, p.Error.Err)
			continue
		}
		files[p.ImportPath] = p.Export
	}
	return files
}

// checkDocSource type-checks one block and returns its errors, positioned
// in the Markdown file.
func checkDocSource(ds docSource, imp types.Importer) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "doc.go", ds.src, parser.ParseComments)
	if err != nil {
		var list scanner.ErrorList
		if errors.As(err, &list) {
			var out []string
			for _, e := range list {
				out = append(out, e.Error())
			}
			return out
		}
		return []string{err.Error()}
	}
	files := []*ast.File{f}
	if ds.fragment {
		top := map[string]bool{}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					top[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.ValueSpec:
						for _, n := range s.Names {
							top[n.Name] = true
						}
					case *ast.TypeSpec:
						top[s.Name.Name] = true
					}
				}
			}
		}
		g, err := parser.ParseFile(fset, "givens.go", givensSource(top), 0)
		if err != nil {
			return []string{"givens: " + err.Error()}
		}
		files = append(files, g)
	}
	var errs []string
	conf := types.Config{
		Importer: imp,
		Error: func(err error) {
			te, ok := err.(types.Error)
			if ok && ds.fragment && te.Soft {
				pos := te.Fset.Position(te.Pos)
				// A fragment shows part of a program: what it declares
				// it need not use, nor the imports added for it.
				if strings.Contains(te.Msg, "declared and not used") ||
					(strings.Contains(te.Msg, "imported and not used") && !strings.HasSuffix(pos.Filename, ".md")) {
					return
				}
			}
			errs = append(errs, err.Error())
		},
	}
	conf.Check("doc", fset, files, nil)
	return errs
}

func repoRoot(t *testing.T) string {
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestDocsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the docs check builds export data with go list")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH: cannot build export data for the docs check")
	}
	t.Parallel()
	root := repoRoot(t)
	blocks, err := collectDocBlocks(root)
	if err != nil {
		t.Fatal(err)
	}
	var sources []docSource
	paths := map[string]bool{}
	skipped := 0
	for _, b := range blocks {
		if b.skip != "" {
			skipped++
			continue
		}
		ds, err := toSource(b)
		if err != nil {
			t.Errorf("%s: %v", b, err)
			continue
		}
		sources = append(sources, ds)
		for _, p := range ds.imports {
			paths[p] = true
		}
	}
	for _, p := range givenImports {
		paths[p] = true
	}
	if len(sources) == 0 {
		t.Fatal("no go blocks found in the docs: is the list of doc files right?")
	}
	exports := exportData(t, docModule(t, root), sortedKeys(paths))
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok || file == "" {
			return nil, fmt.Errorf("no export data for %q: a doc imports a package the module does not have", path)
		}
		return os.Open(file)
	})
	failed := 0
	for _, ds := range sources {
		if errs := checkDocSource(ds, imp); len(errs) > 0 {
			failed++
			t.Errorf("the go block at %s does not compile:\n\t%s", ds.block, strings.Join(errs, "\n\t"))
		}
	}
	t.Logf("%d go blocks in the docs: %d compiled, %d failed, %d marked not compiled", len(blocks), len(sources)-failed, failed, skipped)
}

// TestDocsCompileConvention checks the convention's pieces on small inputs,
// so that a mistake in them cannot hide a broken doc.
func TestDocsCompileConvention(t *testing.T) {
	t.Parallel()
	md := "text\n\n```go\nx := 1\n```\n\n<!-- not compiled: pseudo-code -->\n```go\nwhatever(\n```\n"
	blocks, err := extractDocBlocks("a.md", []byte(md))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 || blocks[0].line != 4 || blocks[0].code != "x := 1\n" || blocks[0].skip != "" || blocks[1].skip != "pseudo-code" {
		t.Fatalf("blocks = %+v", blocks)
	}
	if _, err := extractDocBlocks("a.md", []byte("<!-- not compiled -->\n```go\nx\n```\n")); err == nil {
		t.Error("a not-compiled mark without a reason was accepted")
	}
	if _, err := extractDocBlocks("a.md", []byte("```go\nx\n")); err == nil {
		t.Error("an unclosed block was accepted")
	}
	if got := elide(`if err != nil { … } // …` + "\ns := \"…\""); got != `if err != nil {     } // …`+"\ns := \"…\"" {
		t.Errorf("elide = %q", got)
	}
	if got := selectorBases("a.b(c.d, e).f\nx := tokenim.Card(1)"); strings.Join(got, ",") != "a,c,tokenim" {
		t.Errorf("selectorBases = %q", got)
	}
	ds, err := toSource(docBlock{file: "a.md", line: 3, code: "import \"os\"\n\nfmt.Println(os.Args)\n"})
	if err != nil {
		t.Fatal(err)
	}
	if !ds.fragment || !strings.Contains(ds.src, "\t\"fmt\"\n") || strings.Contains(ds.src, "\t\"os\"\n") || !strings.Contains(ds.src, "func _() error {\n//line a.md:3\n\n\nfmt.Println") {
		t.Errorf("fragment source:\n%s", ds.src)
	}
	file, err := toSource(docBlock{file: "a.md", line: 1, code: "package main\n\nfunc main() {}\n"})
	if err != nil || file.fragment {
		t.Errorf("a block with a package clause is not compiled as a file: %+v, %v", file, err)
	}
}

// TestPackageDocNamesEveryService: doc.go's overview lists the client's
// services; a service added without a line there is a stale package doc.
func TestPackageDocNamesEveryService(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	typ := reflect.TypeOf(tokenim.Client{})
	services := 0
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if !f.IsExported() || f.Type.Kind() != reflect.Pointer || !strings.HasSuffix(f.Type.Elem().Name(), "Service") {
			continue
		}
		services++
		if !bytes.Contains(doc, []byte("[Client."+f.Name+"]")) {
			t.Errorf("doc.go does not name [Client.%s] in its list of services", f.Name)
		}
	}
	if services < 13 {
		t.Errorf("found %d services on tokenim.Client, want at least 13: is the check still looking at the right fields?", services)
	}
}
