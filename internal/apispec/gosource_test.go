package apispec

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// goPackage is the parsed source (without tests) of the client or the
// sandbox. The drift checks read both from source rather than through
// reflect: one reader serves exported and unexported wire types alike (the
// sandbox's models, the client's rotate body), and no production code needs
// a test hook.
type goPackage struct {
	side  string // "client" or "sandbox", for messages
	files []*ast.File
	types map[string]*ast.TypeSpec
	vars  map[string]ast.Expr // package-level var name → its value
}

func parseGoPackage(side, dir string) (*goPackage, error) {
	// go/build picks the files the go command would build (build tags
	// honoured, tests left out), which parser.ParseDir does not.
	bp, err := build.ImportDir(dir, 0)
	if err != nil {
		return nil, fmt.Errorf("list %s package %s: %w", side, dir, err)
	}
	fset := token.NewFileSet()
	p := &goPackage{side: side, types: map[string]*ast.TypeSpec{}, vars: map[string]ast.Expr{}}
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parse %s package: %w", side, err)
		}
		p.files = append(p.files, f)
	}
	for _, f := range p.files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, spec := range gd.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					p.types[s.Name.Name] = s
				case *ast.ValueSpec:
					if gd.Tok == token.VAR {
						for i, n := range s.Names {
							if i < len(s.Values) {
								p.vars[n.Name] = s.Values[i]
							}
						}
					}
				}
			}
		}
	}
	return p, nil
}

// stringLit returns the value of a string literal, or of a conversion of
// one to a named type (T("x")).
func stringLit(e ast.Expr) (string, bool) {
	if c, ok := e.(*ast.CallExpr); ok && len(c.Args) == 1 {
		e = c.Args[0]
	}
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// constsOfType returns the values of every constant declared with the named
// type typ (`X T = "x"`, `X = T("x")`, or a later line of a typed block that
// repeats the type implicitly). A constant of the type that is not a string
// literal is an error: the check could not see its wire value.
func (p *goPackage) constsOfType(typ string) ([]string, error) {
	var out []string
	for _, f := range p.files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			var prevType string
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				t := ""
				switch {
				case vs.Type != nil:
					if id, ok := vs.Type.(*ast.Ident); ok {
						t = id.Name
					}
				case len(vs.Values) == 0:
					t = prevType // implicit repetition
				default:
					if c, ok := vs.Values[0].(*ast.CallExpr); ok {
						if id, ok := c.Fun.(*ast.Ident); ok {
							t = id.Name
						}
					}
				}
				prevType = t
				if t != typ {
					continue
				}
				for i, n := range vs.Names {
					if i >= len(vs.Values) {
						return nil, fmt.Errorf("%s constant %s of type %s has no literal value", p.side, n.Name, typ)
					}
					v, ok := stringLit(vs.Values[i])
					if !ok {
						return nil, fmt.Errorf("%s constant %s of type %s is not a string literal", p.side, n.Name, typ)
					}
					out = append(out, v)
				}
			}
		}
	}
	if len(out) == 0 {
		if _, ok := p.types[typ]; !ok {
			return nil, fmt.Errorf("%s has no type %s", p.side, typ)
		}
	}
	return out, nil
}

// constValue returns the value of the untyped string constant name.
func (p *goPackage) constValue(name string) ([]string, error) {
	for _, f := range p.files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if n.Name == name && i < len(vs.Values) {
						if v, ok := stringLit(vs.Values[i]); ok {
							return []string{v}, nil
						}
					}
				}
			}
		}
	}
	return nil, fmt.Errorf("%s has no string constant %s", p.side, name)
}

// mapLiteral returns the string keys (or values) of the package-level map
// variable name.
func (p *goPackage) mapLiteral(name string, values bool) ([]string, error) {
	lit, ok := p.vars[name].(*ast.CompositeLit)
	if !ok {
		return nil, fmt.Errorf("%s has no package-level map literal %s", p.side, name)
	}
	var out []string
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			return nil, fmt.Errorf("%s map %s has an element that is not key: value", p.side, name)
		}
		e := kv.Key
		if values {
			e = kv.Value
		}
		s, ok := stringLit(e)
		if !ok {
			return nil, fmt.Errorf("%s map %s has a non-literal entry", p.side, name)
		}
		out = append(out, s)
	}
	return out, nil
}

// callArgs returns every string literal passed as argument arg of a call of
// the function fn anywhere in the package.
func (p *goPackage) callArgs(fn string, arg int) ([]string, error) {
	var out []string
	for _, f := range p.files {
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok || len(c.Args) <= arg {
				return true
			}
			if id, ok := c.Fun.(*ast.Ident); ok && id.Name == fn {
				if s, ok := stringLit(c.Args[arg]); ok {
					out = append(out, s)
				}
			}
			return true
		})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no call of %s with a string literal argument %d", p.side, fn, arg)
	}
	return out, nil
}

// wireKind is what a Go field is on the wire, as far as the drift check
// follows it.
type wireKind int

const (
	wireLeaf   wireKind = iota // a scalar, a map, a time: nothing to follow
	wireObject                 // a struct or a field table: follow its members
	wireOpaque                 // json.RawMessage, any: the Go side does not model the members
)

// wireField is one JSON member of a Go type.
type wireField struct {
	goName string
	kind   wireKind
	object func() (map[string]*wireField, error) // members when kind is wireObject
	// omitempty and pointer say whether encoding leaves the member out when
	// zero, and whether it can encode null; known for struct fields only.
	omitempty, pointer, tagged bool
}

// target resolves a row's Go target on this side:
//
//	"Order"               the struct type Order
//	"List[Order]"         the generic struct List instantiated with Order
//	"fields:orderSchema"  the sandbox's request field table orderSchema
//	"fields:paymentSchema.method.card"  a nested table of one
func (p *goPackage) target(spec string) (map[string]*wireField, error) {
	if table, ok := strings.CutPrefix(spec, "fields:"); ok {
		return p.fieldTable(table)
	}
	return p.structTarget(spec, "json")
}

// structTarget resolves a struct type (or generic instance) and lists its
// members as tagKey ("json" or go-querystring's "url") names them.
func (p *goPackage) structTarget(spec, tagKey string) (map[string]*wireField, error) {
	expr, err := parser.ParseExpr(spec)
	if err != nil {
		return nil, fmt.Errorf("bad Go target %q: %w", spec, err)
	}
	f := p.wireField(expr, nil, tagKey)
	if f.kind != wireObject {
		return nil, fmt.Errorf("%s has no struct type %s", p.side, spec)
	}
	return f.object()
}

// wireField classifies a field's type expression; subst maps the type
// parameters of the enclosing generic type to their arguments.
func (p *goPackage) wireField(e ast.Expr, subst map[string]ast.Expr, tagKey string) *wireField {
	switch t := e.(type) {
	case *ast.StarExpr:
		return p.wireField(t.X, subst, tagKey)
	case *ast.ArrayType:
		if id, ok := t.Elt.(*ast.Ident); ok && id.Name == "byte" {
			return &wireField{kind: wireLeaf}
		}
		return p.wireField(t.Elt, subst, tagKey)
	case *ast.ParenExpr:
		return p.wireField(t.X, subst, tagKey)
	case *ast.InterfaceType:
		return &wireField{kind: wireOpaque}
	case *ast.SelectorExpr:
		if x, ok := t.X.(*ast.Ident); ok && x.Name == "json" && t.Sel.Name == "RawMessage" {
			return &wireField{kind: wireOpaque}
		}
		return &wireField{kind: wireLeaf} // time.Time and other foreign scalars
	case *ast.Ident:
		if a, ok := subst[t.Name]; ok {
			return p.wireField(a, nil, tagKey)
		}
		if t.Name == "any" {
			return &wireField{kind: wireOpaque}
		}
		return p.named(t.Name, nil, tagKey)
	case *ast.IndexExpr:
		if id, ok := t.X.(*ast.Ident); ok {
			return p.named(id.Name, p.substArgs([]ast.Expr{t.Index}, subst), tagKey)
		}
	case *ast.IndexListExpr:
		if id, ok := t.X.(*ast.Ident); ok {
			return p.named(id.Name, p.substArgs(t.Indices, subst), tagKey)
		}
	}
	return &wireField{kind: wireLeaf}
}

func (p *goPackage) substArgs(args []ast.Expr, subst map[string]ast.Expr) []ast.Expr {
	out := make([]ast.Expr, len(args))
	for i, a := range args {
		out[i] = a
		if id, ok := a.(*ast.Ident); ok {
			if s, ok := subst[id.Name]; ok {
				out[i] = s
			}
		}
	}
	return out
}

// named classifies the package's named type name; a struct is followed, any
// other named type (OrderStatus, jtime) is a scalar on the wire.
func (p *goPackage) named(name string, args []ast.Expr, tagKey string) *wireField {
	ts, ok := p.types[name]
	if !ok {
		return &wireField{kind: wireLeaf} // a predeclared type
	}
	st, ok := ts.Type.(*ast.StructType)
	if !ok {
		if _, ok := ts.Type.(*ast.InterfaceType); ok {
			return &wireField{kind: wireOpaque}
		}
		return &wireField{kind: wireLeaf}
	}
	subst := map[string]ast.Expr{}
	if ts.TypeParams != nil {
		i := 0
		for _, fld := range ts.TypeParams.List {
			for _, n := range fld.Names {
				if i < len(args) {
					subst[n.Name] = args[i]
				}
				i++
			}
		}
	}
	return &wireField{kind: wireObject, object: func() (map[string]*wireField, error) {
		return p.structFields(name, st, subst, tagKey)
	}}
}

// structFields lists the members of a struct as encoding/json (or
// go-querystring, by tagKey) sees them: the tag's name, the Go name when untagged, none for "-" or an
// unexported field, and an untagged embedded struct's members inline.
func (p *goPackage) structFields(name string, st *ast.StructType, subst map[string]ast.Expr, tagKey string) (map[string]*wireField, error) {
	out := map[string]*wireField{}
	for _, fld := range st.Fields.List {
		tag, omitempty := "", false
		if fld.Tag != nil {
			raw, err := strconv.Unquote(fld.Tag.Value)
			if err != nil {
				return nil, fmt.Errorf("%s struct %s: bad tag %s", p.side, name, fld.Tag.Value)
			}
			var opts string
			tag, opts, _ = strings.Cut(reflect.StructTag(raw).Get(tagKey), ",")
			omitempty = slices.Contains(strings.Split(opts, ","), "omitempty")
		}
		if tag == "-" {
			continue
		}
		if len(fld.Names) == 0 { // embedded
			inner := p.wireField(fld.Type, subst, tagKey)
			if tag == "" && inner.kind == wireObject {
				members, err := inner.object()
				if err != nil {
					return nil, err
				}
				for k, v := range members {
					out[k] = v
				}
				continue
			}
			// An embedded non-struct or a tagged embedded struct is one member.
			if tag == "" {
				continue // unexported or scalar embedded without a tag: not on the wire here
			}
			inner.goName = tag
			out[tag] = inner
			continue
		}
		for _, n := range fld.Names {
			if !n.IsExported() {
				continue
			}
			wire := tag
			if wire == "" {
				wire = n.Name
			}
			f := p.wireField(fld.Type, subst, tagKey)
			f.goName = name + "." + n.Name
			_, f.pointer = fld.Type.(*ast.StarExpr)
			f.omitempty, f.tagged = omitempty, true
			out[wire] = f
		}
	}
	return out, nil
}

// fieldTable reads a sandbox request field table: a package-level
// []field{{name: "x", sub: []field{…}}, …} literal, optionally a nested
// member of one by dotted path.
func (p *goPackage) fieldTable(path string) (map[string]*wireField, error) {
	parts := strings.Split(path, ".")
	lit, ok := p.vars[parts[0]].(*ast.CompositeLit)
	if !ok {
		return nil, fmt.Errorf("%s has no package-level field table %s", p.side, parts[0])
	}
	members, err := p.fieldLit(parts[0], lit)
	if err != nil {
		return nil, err
	}
	for _, part := range parts[1:] {
		m, ok := members[part]
		if !ok || m.kind != wireObject {
			return nil, fmt.Errorf("%s field table %s has no object member %s", p.side, path, part)
		}
		if members, err = m.object(); err != nil {
			return nil, err
		}
	}
	return members, nil
}

func (p *goPackage) fieldLit(where string, lit *ast.CompositeLit) (map[string]*wireField, error) {
	out := map[string]*wireField{}
	for _, el := range lit.Elts {
		entry, ok := el.(*ast.CompositeLit)
		if !ok {
			return nil, fmt.Errorf("%s field table %s has an entry that is not a literal", p.side, where)
		}
		var name string
		var sub ast.Expr
		for _, kv := range entry.Elts {
			kv, ok := kv.(*ast.KeyValueExpr)
			if !ok {
				return nil, fmt.Errorf("%s field table %s has an unkeyed entry", p.side, where)
			}
			switch k := kv.Key.(*ast.Ident); {
			case k == nil:
			case k.Name == "name":
				name, _ = stringLit(kv.Value)
			case k.Name == "sub":
				sub = kv.Value
			}
		}
		if name == "" {
			return nil, fmt.Errorf("%s field table %s has an entry without a literal name", p.side, where)
		}
		f := &wireField{goName: where + "." + name, kind: wireLeaf}
		if sub != nil {
			subLit, ok := sub.(*ast.CompositeLit)
			if id, isID := sub.(*ast.Ident); isID {
				subLit, ok = p.vars[id.Name].(*ast.CompositeLit)
			}
			if !ok {
				return nil, fmt.Errorf("%s field table %s.%s has a sub table that is not a literal", p.side, where, name)
			}
			path := where + "." + name
			f.kind = wireObject
			f.object = func() (map[string]*wireField, error) { return p.fieldLit(path, subLit) }
		}
		out[name] = f
	}
	return out, nil
}

// sortedKeys returns m's keys in order, for stable messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// funcQueryNames returns the string literals passed to Get or Has (of
// url.Values) inside the package-level functions fns: the query parameters
// a sandbox list handler reads.
func (p *goPackage) funcQueryNames(fns []string) ([]string, error) {
	var out []string
	found := 0
	for _, f := range p.files {
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || !slices.Contains(fns, fd.Name.Name) {
				continue
			}
			found++
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				c, ok := n.(*ast.CallExpr)
				if !ok || len(c.Args) != 1 {
					return true
				}
				if sel, ok := c.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Get" || sel.Sel.Name == "Has") {
					if s, ok := stringLit(c.Args[0]); ok && !slices.Contains(out, s) {
						out = append(out, s)
					}
				}
				return true
			})
		}
	}
	if found != len(fns) {
		return nil, fmt.Errorf("%s has %d of the functions %v", p.side, found, fns)
	}
	return out, nil
}

// statusCodeCalls returns "status code" for every call of fn whose first
// argument is an integer literal and whose second is a string literal: the
// sandbox's newError(409, "order_already_paid", …).
func (p *goPackage) statusCodeCalls(fn string) []string {
	var out []string
	for _, f := range p.files {
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok || len(c.Args) < 2 {
				return true
			}
			id, ok := c.Fun.(*ast.Ident)
			status, isInt := c.Args[0].(*ast.BasicLit)
			code, isStr := stringLit(c.Args[1])
			if ok && id.Name == fn && isInt && status.Kind == token.INT && isStr {
				out = append(out, status.Value+" "+code)
			}
			return true
		})
	}
	return out
}
