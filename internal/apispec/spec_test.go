package apispec

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// contractOperations are the /v1/ operations the SDK and the sandbox implement.
var contractOperations = []string{
	"createOrder", "getOrder", "listOrders", "cancelOrder",
	"createPayment", "getPayment", "listPayments", "confirmPayment", "cancelPayment", "getPaymentReceipt",
	"createRefund", "getRefund", "listRefunds",
	"getEvent", "listEvents",
	"createWebhookEndpoint", "listWebhookEndpoints", "getWebhookEndpoint", "deleteWebhookEndpoint", "rotateWebhookEndpointSecret",
	"getStatus",
	"listAPIKeys", "getAPIKey", "rollAPIKey", "revokeAPIKey",
	"listRequestLogs", "getRequestLog",
	"getBalance", "listBalanceTransactions", "getBalanceTransaction",
	"listSettlements", "getSettlement", "getSettlementReport",
	"listDisputes", "getDispute", "updateDisputeEvidence", "acceptDispute",
	"resendEvent", "listWebhookDeliveries", "getWebhookDelivery",
}

// accepted are the operations whose success is 202 (docs/tokenim-api.md
// §10: a resend answers its new delivery, still pending).
var accepted = map[string]bool{"resendEvent": true}

type operation struct {
	method, path string
	op           *openapi3.Operation
}

func operations(t *testing.T, doc *openapi3.T) []operation {
	t.Helper()
	var ops []operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, operation{method: method, path: path, op: op})
		}
	}
	require.NotEmpty(t, ops)
	return ops
}

func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := Load()
	require.NoError(t, err)
	return doc
}

func TestLoad_documentIsValidOpenAPI303(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	assert.Equal(t, "3.0.3", doc.OpenAPI)
	assert.Equal(t, "2026-11-01", doc.Info.Version)
	var urls []string
	for _, s := range doc.Servers {
		urls = append(urls, s.URL)
	}
	assert.ElementsMatch(t, []string{"https://api.tokenim.com", "https://sandbox.tokenim.com"}, urls)
}

func TestLoad_returnsAFreshDocument(t *testing.T) {
	t.Parallel()
	a := loadDoc(t)
	a.Paths.Delete("/v1/orders")
	b := loadDoc(t)
	assert.NotNil(t, b.Paths.Value("/v1/orders"), "changing one loaded document must not change the next")
}

func TestSpec_everyContractOperationExistsOnce(t *testing.T) {
	t.Parallel()
	seen := map[string]int{}
	for _, o := range operations(t, loadDoc(t)) {
		require.NotEmpty(t, o.op.OperationID, "%s %s has no operationId", o.method, o.path)
		seen[o.op.OperationID]++
	}
	for id, n := range seen {
		assert.Equal(t, 1, n, "operationId %q is not unique", id)
	}
	for _, id := range contractOperations {
		assert.Contains(t, seen, id)
	}
}

func TestSpec_sandboxControlIsSeparateAndMarked(t *testing.T) {
	t.Parallel()
	n := 0
	for _, o := range operations(t, loadDoc(t)) {
		isControl := o.path == "/_sandbox" || strings.HasPrefix(o.path, "/_sandbox/")
		if !isControl {
			assert.True(t, strings.HasPrefix(o.path, "/v1/"), o.path)
			assert.NotContains(t, o.op.Tags, "sandbox-control", o.op.OperationID)
			continue
		}
		n++
		assert.Equal(t, []string{"sandbox-control"}, o.op.Tags, o.op.OperationID)
		assert.True(t, strings.HasPrefix(o.op.OperationID, "sandbox"), o.op.OperationID)
		assert.Equal(t, true, o.op.Extensions["x-sandbox-only"], o.op.OperationID)
		require.NotNil(t, o.op.Security, o.op.OperationID)
		assert.Empty(t, *o.op.Security, "%s needs no auth", o.op.OperationID)
	}
	assert.GreaterOrEqual(t, n, 13, "every control route of the contract and the decisions")
}

func TestSpec_everyPostTakesAnIdempotencyKey(t *testing.T) {
	t.Parallel()
	for _, o := range operations(t, loadDoc(t)) {
		if o.method != http.MethodPost || !strings.HasPrefix(o.path, "/v1/") {
			continue
		}
		p := o.op.Parameters.GetByInAndName(openapi3.ParameterInHeader, "Idempotency-Key")
		if !assert.NotNil(t, p, o.op.OperationID) {
			continue
		}
		assert.False(t, p.Required, "a POST without a key executes normally")
		assert.Equal(t, uint64(1), p.Schema.Value.MinLength)
		require.NoError(t, p.Schema.Value.VisitJSON(strings.Repeat("k", 255)))
		require.NoError(t, p.Schema.Value.VisitJSON(`"`+strings.Repeat("k", 255)+`"`), "quoted form")
		assert.Error(t, p.Schema.Value.VisitJSON(strings.Repeat("k", 256)), "too long")
		assert.Error(t, p.Schema.Value.VisitJSON("has space"), "not visible ASCII")
		assert.Error(t, p.Schema.Value.VisitJSON(""), "empty")
	}
}

func TestSpec_everyOperationButStatusNeedsAuth(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	want := openapi3.SecurityRequirement{"bearerAuth": {}, "merchantId": {}}
	for _, o := range operations(t, doc) {
		if !strings.HasPrefix(o.path, "/v1/") {
			continue
		}
		effective := doc.Security
		if o.op.Security != nil {
			effective = *o.op.Security
		}
		if o.op.OperationID == "getStatus" {
			assert.Empty(t, effective, "GET /v1/status needs no auth")
			continue
		}
		assert.Equal(t, openapi3.SecurityRequirements{want}, effective, o.op.OperationID)
	}
	bearer := doc.Components.SecuritySchemes["bearerAuth"].Value
	assert.Equal(t, "http", bearer.Type)
	assert.Equal(t, "bearer", bearer.Scheme)
	merchant := doc.Components.SecuritySchemes["merchantId"].Value
	assert.Equal(t, "apiKey", merchant.Type)
	assert.Equal(t, "header", merchant.In)
	assert.Equal(t, "Tokenim-Merchant-Id", merchant.Name)
}

func TestSpec_everyResponseIsDocumented(t *testing.T) {
	t.Parallel()
	for _, o := range operations(t, loadDoc(t)) {
		success, successCode := http.StatusOK, "200"
		if accepted[o.op.OperationID] {
			success, successCode = http.StatusAccepted, "202"
		}
		require.NotNil(t, o.op.Responses.Status(success), o.op.OperationID)
		if !strings.HasPrefix(o.path, "/v1/") {
			continue
		}
		for _, status := range []int{429, 500, 502, 503, 504} {
			assert.NotNil(t, o.op.Responses.Status(status), "%s lacks %d", o.op.OperationID, status)
		}
		for code, ref := range o.op.Responses.Map() {
			headers := ref.Value.Headers
			for _, h := range []string{"Request-Id", "Tokenim-Version"} {
				if assert.Contains(t, headers, h, "%s %s", o.op.OperationID, code) {
					assert.True(t, headers[h].Value.Required, "%s %s %s", o.op.OperationID, code, h)
				}
			}
			if code == successCode {
				bodyType := "application/json"
				if o.op.OperationID == "getSettlementReport" {
					bodyType = "text/csv" // the statement (docs/tokenim-api.md §9)
				}
				assert.Contains(t, ref.Value.Content, bodyType, "%s %s", o.op.OperationID, code)
				assert.Equal(t, o.method == http.MethodPost, headers["Idempotent-Replayed"] != nil,
					"%s: Idempotent-Replayed on exactly the POSTs", o.op.OperationID)
				continue
			}
			assert.Contains(t, ref.Value.Content, "application/problem+json", "%s %s", o.op.OperationID, code)
			assert.Contains(t, headers, "Tokenim-Should-Retry", "%s %s", o.op.OperationID, code)
			if slices.Contains([]string{"409", "429", "503"}, code) {
				assert.Contains(t, headers, "Retry-After", "%s %s", o.op.OperationID, code)
			}
		}
		if o.op.OperationID == "getStatus" {
			continue
		}
		for _, status := range []int{401, 403} {
			assert.NotNil(t, o.op.Responses.Status(status), "%s lacks %d", o.op.OperationID, status)
		}
		if o.method == http.MethodPost {
			for _, status := range []int{400, 409, 422} {
				assert.NotNil(t, o.op.Responses.Status(status), "%s lacks %d", o.op.OperationID, status)
			}
		}
		if strings.Contains(o.path, "{id}") {
			assert.NotNil(t, o.op.Responses.Status(404), "%s lacks 404", o.op.OperationID)
		}
	}
}

// TestSpec_objectsRejectUnknownMembers guards the promise that an unknown
// field, in a request or in a response, breaks the contract: every object
// schema with properties closes itself with additionalProperties: false.
func TestSpec_objectsRejectUnknownMembers(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	open := map[string]bool{
		// A snapshot of any of three resources, checked loosely on purpose.
		"getEvent 200 /data/object": true, "listEvents 200 /data/items/data/object": true,
		// The sandbox's own shapes, beyond the contract.
		"sandboxGetClock 200 ": true,
	}
	var walk func(where, at string, s *openapi3.Schema, seen map[*openapi3.Schema]bool)
	walk = func(where, at string, s *openapi3.Schema, seen map[*openapi3.Schema]bool) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		if s.Type.Is("object") && len(s.Properties) > 0 && !open[where+" "+at] {
			ap := s.AdditionalProperties
			assert.True(t, ap.Has != nil && !*ap.Has, "%s: object at %q accepts unknown members", where, at)
		}
		if s.Type.Is("object") && s.AdditionalProperties.Schema != nil {
			// A map (metadata): its values must be constrained.
			assert.True(t, s.AdditionalProperties.Schema.Value.Type.Is("string"), "%s: map at %q", where, at)
		}
		for name, p := range s.Properties {
			walk(where, at+"/"+name, p.Value, seen)
		}
		if s.Items != nil {
			walk(where, at+"/items", s.Items.Value, seen)
		}
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			for _, sub := range group {
				walk(where, at, sub.Value, seen)
			}
		}
	}
	bodies := 0
	for _, o := range operations(t, doc) {
		if rb := o.op.RequestBody; rb != nil {
			s := rb.Value.Content.Get("application/json").Schema.Value
			assert.True(t, s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has,
				"%s: request body accepts unknown fields", o.op.OperationID)
			walk(o.op.OperationID+" request", "", s, map[*openapi3.Schema]bool{})
			bodies++
		}
		for code, ref := range o.op.Responses.Map() {
			for _, mt := range ref.Value.Content {
				walk(o.op.OperationID+" "+code, "", mt.Schema.Value, map[*openapi3.Schema]bool{})
			}
		}
	}
	assert.GreaterOrEqual(t, bodies, 13, "every POST that takes a body")
}
