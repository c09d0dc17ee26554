// Package api holds the machine-readable Tokenim wire contract.
package api

import _ "embed"

// OpenAPI is api/openapi.yaml, the OpenAPI 3.0.3 document of the Tokenim API
// and the sandbox control API.
//
//go:embed openapi.yaml
var OpenAPI []byte
