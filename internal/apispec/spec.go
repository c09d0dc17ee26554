// Package apispec loads api/openapi.yaml and holds the client and the sandbox
// to it in tests: at run time through Recorder, which validates live
// traffic, and statically through the drift checks of drift_test.go, which
// pair every schema, enum and query parameter of the spec with the Go types
// and constants of both (a new resource there is one table row per schema
// and per enum).
//
// It is imported only by _test.go files, so github.com/getkin/kin-openapi
// stays out of the SDK's non-test import graph: a merchant who builds against
// tokenim-go never compiles it.
package apispec

import (
	"context"
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tokenim/tokenim-go/api"
)

// Load parses and validates api/openapi.yaml. Each call returns a fresh
// document that the caller may change.
func Load() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("apispec: parse openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("apispec: invalid openapi.yaml: %w", err)
	}
	return doc, nil
}

// loaded is the document and router that Router and Recorder share; neither
// changes them after loading, so tests may use them in parallel.
type loaded struct {
	doc    *openapi3.T
	router routers.Router
}

var shared = sync.OnceValues(func() (loaded, error) {
	doc, err := Load()
	if err != nil {
		return loaded{}, err
	}
	// Route by path only: the document's servers are the live and sandbox
	// hosts, but the bundled sandbox listens on any address, and a request
	// seen by a server-side handler carries no host in its URL at all.
	pathOnly := *doc
	pathOnly.Servers = nil
	r, err := legacy.NewRouter(&pathOnly)
	if err != nil {
		return loaded{}, fmt.Errorf("apispec: build router: %w", err)
	}
	return loaded{doc: doc, router: r}, nil
})

// Router returns a router that finds the operation of a request by method
// and path, whatever its host: live, sandbox, an httptest address, or a
// server-side request with no host. The router is shared and safe for
// concurrent use.
func Router() (routers.Router, error) {
	l, err := shared()
	return l.router, err
}

func sharedDoc() (*openapi3.T, error) {
	l, err := shared()
	return l.doc, err
}
