package apispec

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every wire type exists three times: in api/openapi.yaml, in the client
// (package tokenim, the repository root) and in the sandbox. The tables
// below pair them, and the checks hold each pair level both ways, in the
// spirit of go-github's generated-code checks:
//
//   - every property of a spec object has a Go field with that JSON name on
//     each side, nested objects followed, and every JSON field of the Go type
//     is a property of the spec;
//   - the side that encodes a schema (the client for request bodies, the
//     sandbox for answers) tags it so that required members are never
//     omitted, non-nullable ones never null, and optional request members
//     never sent as a zero value;
//   - every string enum of the spec equals, value for value, the constants
//     of the corresponding Go type on each side (or, in the sandbox, the
//     map literal or calls that hold its values);
//   - every list operation's query parameters equal the client's url-tagged
//     params and the names the sandbox's handler reads;
//   - every sandbox newError(status, code) pairs the two as a Problem view
//     of the spec does.
//
// Adding a resource (API keys, request logs, disputes, balance transactions,
// settlements) is one objectRows entry per schema, one enumRows entry per
// new enum and one queryRows entry per new list; the checks refuse a spec
// object, enum or query-parameterised operation that has no row, so a
// schema cannot land without its Go types being paired with it.

// objectRow pairs one spec object schema with its Go type on each side.
//
// A side's target is a struct type ("Order"), a generic instance
// ("List[Order]") or, for the sandbox's strict request decoding, a field
// table ("fields:orderSchema", "fields:paymentSchema.method.card"). An empty
// target means the side has no such type; clientWhy/sandboxWhy must then say
// why.
type objectRow struct {
	schema     string
	client     string
	clientWhy  string
	sandbox    string
	sandboxWhy string
	// specOnly are spec properties (dotted from the schema) that the side's
	// type leaves out on purpose, each with the reason.
	specOnly map[string]string
	// goOnly are JSON fields of the Go type (dotted from the schema) that the
	// spec lacks on purpose, each with the reason.
	goOnly map[string]string
	// request marks a request body: the client encodes it and the sandbox
	// decodes it. Otherwise the sandbox encodes it and the client decodes
	// it. The encoding side's struct tags are held to required and nullable
	// (see checkPresence).
	request bool
}

const sandboxControlOnly = "sandbox control API (x-sandbox-only); the client does not call it"

var objectRows = []objectRow{
	// Request bodies. The sandbox decodes them through strict field tables.
	{schema: "OrderCreateParams", request: true, client: "OrderCreateParams", sandbox: "fields:orderSchema"},
	{schema: "PaymentCreateParams", request: true, client: "PaymentCreateParams", sandbox: "fields:paymentSchema"},
	{schema: "PaymentMethodParams", request: true, client: "PaymentMethodParams", sandbox: "fields:paymentSchema.method"},
	{schema: "CardParams", request: true, client: "CardParams", sandbox: "fields:paymentSchema.method.card"},
	{schema: "WalletParams", request: true, client: "WalletParams", sandbox: "fields:paymentSchema.method.wallet"},
	{schema: "PaymentConfirmParams", request: true, client: "PaymentConfirmParams", sandbox: "fields:confirmSchema"},
	{schema: "RefundCreateParams", request: true, client: "RefundCreateParams", sandbox: "fields:refundSchema"},
	{schema: "WebhookEndpointCreateParams", request: true, client: "WebhookEndpointCreateParams", sandbox: "fields:endpointSchema"},
	// The client's public WebhookEndpointRotateParams takes a Duration; the
	// wire body is its unexported rotateBody.
	{schema: "WebhookEndpointRotateSecretParams", request: true, client: "rotateBody", sandbox: "fields:rotateSchema"},
	// A key roll has the same body as a secret rotation, on both sides.
	{schema: "APIKeyRollParams", request: true, client: "rotateBody", sandbox: "fields:rotateSchema"},
	// The client's UpdateEvidence/SubmitEvidence take the evidence and say
	// submit by which method is called; the wire body is disputeEvidenceParams.
	{schema: "DisputeEvidenceParams", request: true, client: "disputeEvidenceParams", sandbox: "fields:evidenceSchema"},
	{schema: "EventResendParams", request: true, client: "EventResendParams", sandbox: "fields:resendSchema"},

	// Resources.
	{schema: "Order", client: "Order", sandbox: "order"},
	{schema: "PaymentMethod", client: "PaymentMethod", sandbox: "methodOut"},
	{schema: "Payment", client: "Payment", sandbox: "payment"},
	{schema: "Receipt", client: "Receipt", sandbox: "receiptBody"},
	{schema: "Refund", client: "Refund", sandbox: "refund"},
	{schema: "Event", client: "Event", sandbox: "eventBody"},
	{schema: "WebhookEndpoint", client: "WebhookEndpoint", sandbox: "endpointWithSecret"},
	{schema: "WebhookEndpointWithSecret", client: "WebhookEndpoint", sandbox: "endpointWithSecret"},
	{schema: "WebhookEndpointWithoutSecret", client: "WebhookEndpoint", sandbox: "endpoint",
		specOnly: map[string]string{"secret": "the sandbox's listed endpoint has no secret field at all, so it can never leak one"}},
	{schema: "WebhookEndpointDeleted", client: "DeletedWebhookEndpoint", sandbox: "deletedBody"},
	{schema: "WebhookDelivery", client: "Delivery", sandbox: "webhookDelivery"},
	{schema: "Status", client: "PlatformStatus", sandbox: "statusBody"},
	{schema: "APIKey", client: "APIKey", sandbox: "apiKeyWithSecret"},
	{schema: "APIKeyWithSecret", client: "APIKey", sandbox: "apiKeyWithSecret"},
	{schema: "APIKeyWithoutSecret", client: "APIKey", sandbox: "apiKey",
		specOnly: map[string]string{"secret": "the sandbox's listed key has no secret field at all, so it can never leak one"}},
	{schema: "RequestLog", client: "RequestLog", sandbox: "requestLog"},
	{schema: "Balance", client: "Balance", sandbox: "balanceBody"},
	{schema: "BalanceAmount", client: "BalanceAmount", sandbox: "balanceAmount"},
	{schema: "BalanceTransaction", client: "BalanceTransaction", sandbox: "balanceTxn"},
	{schema: "Settlement", client: "Settlement", sandbox: "settlement"},
	{schema: "Dispute", client: "Dispute", sandbox: "dispute"},
	{schema: "DisputeEvidence", client: "DisputeEvidence", sandbox: "disputeEvidence"},

	// List envelopes: one generic client type; the sandbox's listBody holds
	// []any, so its items are checked through their own rows above.
	{schema: "OrderList", client: "List[Order]", sandbox: "listBody"},
	{schema: "PaymentList", client: "List[Payment]", sandbox: "listBody"},
	{schema: "RefundList", client: "List[Refund]", sandbox: "listBody"},
	{schema: "EventList", client: "List[Event]", sandbox: "listBody"},
	{schema: "WebhookEndpointList", client: "List[WebhookEndpoint]", sandbox: "listBody"},
	{schema: "APIKeyList", client: "List[APIKey]", sandbox: "listBody"},
	{schema: "RequestLogList", client: "List[RequestLog]", sandbox: "listBody"},
	{schema: "BalanceTransactionList", client: "List[BalanceTransaction]", sandbox: "listBody"},
	{schema: "SettlementList", client: "List[Settlement]", sandbox: "listBody"},
	{schema: "DisputeList", client: "List[Dispute]", sandbox: "listBody"},
	{schema: "WebhookDeliveryList", client: "List[Delivery]", sandbox: "listBody"},

	// Problems (RFC 9457). The Problem* views narrow Problem and are covered
	// by this row (see isView).
	{schema: "Problem", client: "Error", sandbox: "problemBody"},

	// Sandbox control API.
	{schema: "SandboxOK", clientWhy: sandboxControlOnly, sandbox: "okBody",
		goOnly: map[string]string{"now": "okBody also answers clock advance/set, whose response SandboxClockNow adds now"}},
	{schema: "SandboxClock", clientWhy: sandboxControlOnly, sandbox: "clockBody",
		goOnly: map[string]string{"frozen": "SandboxClock says the sandbox may add fields such as whether it is frozen"}},
	{schema: "SandboxMerchant", clientWhy: sandboxControlOnly, sandbox: "merchantBody"},
	{schema: "SandboxDisputeParams", request: true, clientWhy: sandboxControlOnly, sandbox: "fields:openDisputeSchema"},
	{schema: "SandboxFaultPlan", request: true, clientWhy: sandboxControlOnly, sandbox: "FaultPlan"},
	{schema: "SandboxFaultRule", request: true, clientWhy: sandboxControlOnly, sandbox: "FaultRule"},
	{schema: "SandboxFaultRule", request: true, clientWhy: sandboxControlOnly, sandbox: "fields:faultRuleSchema"},
}

// enumRow pairs one spec enum with where each side keeps its values.
//
// spec names the enum: a component schema ("OrderStatus") or an inline enum
// by its path ("PaymentMethod.card.brand", "[]" for array items, "oneOf[1]"
// for a branch; components other than schemas as "headers.X",
// "responses.X", "parameters.X").
//
// A side's locator is one of
//
//	"type:OrderStatus"    the string constants of the named type
//	"const:APIVersion"    one string constant
//	"keys:currencies"     the keys of a package-level map literal
//	"values:cardOutcomes" its values
//	"call:newError:1"     every string literal passed as argument 1 of newError
//
// An empty locator needs a why. except lists values a sandbox locator finds
// that are not members of the enum.
type enumRow struct {
	spec          string
	client        string
	clientWhy     string
	sandbox       string
	sandboxWhy    string
	sandboxExcept []string
	// subsetOf marks an enum that narrows another (a Problem view's codes):
	// its values must be members of that enum, whose own row checks Go.
	subsetOf string
}

const (
	sandboxInline = "the sandbox writes these values as inline literals, not a list the check can read"
)

var enumRows = []enumRow{
	{spec: "APIVersion", client: "const:APIVersion", sandbox: "const:APIVersion"},
	{spec: "Currency", client: "type:Currency", sandbox: "keys:currencies"},
	{spec: "OrderStatus", client: "type:OrderStatus", sandbox: "keys:orderStatuses"},
	{spec: "PaymentStatus", client: "type:PaymentStatus", sandbox: "keys:paymentStatuses"},
	{spec: "RefundStatus", client: "type:RefundStatus", sandboxWhy: sandboxInline},
	{spec: "RefundReason", client: "type:RefundReason", sandbox: "keys:refundReasons"},
	{spec: "NullableRefundReason", client: "type:RefundReason", sandbox: "keys:refundReasons"},
	{spec: "DeclineCode", client: "type:DeclineCode", sandbox: "values:cardOutcomes",
		sandboxExcept: []string{"otp"}}, // the test card that asks for an OTP is not a decline
	{spec: "NullablePaymentFailureCode", client: "type:PaymentFailureCode", sandbox: "keys:declineMessages"},
	{spec: "WalletProvider", client: "type:WalletProvider", sandbox: "keys:providers"},
	{spec: "EventType", client: "type:EventType", sandbox: "keys:eventTypes"},
	{spec: "DisputeStatus", client: "type:DisputeStatus", sandbox: "keys:disputeStatuses"},
	{spec: "DisputeReason", client: "type:DisputeReason", sandbox: "keys:disputeReasons"},
	{spec: "Dispute.object", clientWhy: "Event.Dispute names the snapshot type in its decoder", sandboxWhy: sandboxInline},
	{spec: "WebhookAllEvents[]", clientWhy: "the client passes \"*\" through as an EventType and validates it in WebhookEndpointCreateParams.validate", sandboxWhy: sandboxInline},
	{spec: "PaymentMethodParams.type", client: "type:PaymentMethodType", sandboxWhy: sandboxInline},
	{spec: "PaymentMethod.type", client: "type:PaymentMethodType", sandboxWhy: sandboxInline},
	{spec: "PaymentMethod.card.brand", client: "type:CardBrand", sandboxWhy: sandboxInline},
	{spec: "Payment.next_action.type", client: "type:NextActionType", sandboxWhy: sandboxInline},
	{spec: "Refund.failure_code", client: "type:RefundFailureCode", sandboxWhy: sandboxInline},
	{spec: "Event.data.object.object", clientWhy: "Event.Order/Payment/Refund/Dispute name the snapshot types in their decoders", sandboxWhy: sandboxInline},
	{spec: "WebhookEndpoint.status", client: "type:WebhookEndpointStatus", sandboxWhy: sandboxInline},
	{spec: "Status.status", client: "type:PlatformState", sandboxWhy: sandboxInline},
	{spec: "APIKey.mode", client: "type:APIKeyMode", sandboxWhy: "the sandbox issues test keys only and writes \"test\" where it makes one"},
	{spec: "APIKey.status", client: "type:APIKeyStatus", sandbox: "keys:apiKeyStatuses"},
	{spec: "BalanceTransactionType", client: "type:BalanceTransactionType", sandbox: "keys:txnTypes"},
	{spec: "SettlementStatus", client: "type:SettlementStatus", sandboxWhy: sandboxInline},
	{spec: "WebhookDeliveryStatus", client: "type:DeliveryStatus", sandbox: "keys:deliveryStatuses"},
	{spec: "ErrorCode", client: "type:ErrorCode", sandbox: "call:newError:1"},
	{spec: "NullableErrorCode", client: "type:ErrorCode", sandbox: "call:newError:1"},
	{spec: "ProblemBadRequest.allOf[1].code", subsetOf: "ErrorCode"},
	{spec: "ProblemUnauthorized.allOf[1].code", subsetOf: "ErrorCode"},
	{spec: "ProblemPaymentRequired.allOf[1].code", subsetOf: "ErrorCode"},
	{spec: "ProblemForbidden.allOf[1].code", subsetOf: "ErrorCode"},
	{spec: "ProblemNotFound.allOf[1].code", subsetOf: "ErrorCode"},
	{spec: "ProblemConflict.allOf[1].code", subsetOf: "ErrorCode"},
	{spec: "ProblemUnprocessableEntity.allOf[1].code", subsetOf: "ErrorCode"},
	{spec: "ProblemTooManyRequests.allOf[1].code", subsetOf: "ErrorCode"},
	{spec: "ProblemInternal.allOf[1].code", subsetOf: "ErrorCode"},
	{spec: "ProblemServiceUnavailable.allOf[1].code", subsetOf: "ErrorCode"},
	{spec: "SandboxFaultRule.method", clientWhy: sandboxControlOnly, sandboxWhy: "FaultRule.Method is matched against the request method as given"},
	{spec: "SandboxFaultRule.kind", clientWhy: sandboxControlOnly, sandbox: "type:FaultKind"},
	{spec: "headers.Idempotent-Replayed", clientWhy: "Response.Replayed compares the header with \"true\"", sandboxWhy: "written with strconv.FormatBool"},
	{spec: "headers.Tokenim-Should-Retry", clientWhy: "parsed with strconv.ParseBool", sandboxWhy: "written from the literals \"true\" and \"false\" in problem.go"},
}

// queryRow pairs an operation's query parameters with the client's params
// struct (go-querystring `url` tags, embedded ListParams flattened) and the
// sandbox handler functions that read them (their q.Get/q.Has literals).
type queryRow struct {
	operation  string
	client     string
	sandbox    []string
	sandboxWhy string
}

// listPaging is the sandbox's shared pager, which reads limit and
// starting_after for every list.
const listPaging = "listPage"

var queryRows = []queryRow{
	{operation: "listOrders", client: "OrderListParams", sandbox: []string{"listOrders", listPaging}},
	{operation: "listPayments", client: "PaymentListParams", sandbox: []string{"listPayments", listPaging}},
	{operation: "listRefunds", client: "RefundListParams", sandbox: []string{"listRefunds", listPaging}},
	{operation: "listEvents", client: "EventListParams", sandbox: []string{"listEvents", listPaging}},
	{operation: "listWebhookEndpoints", client: "WebhookEndpointListParams", sandbox: []string{"listEndpoints", listPaging}},
	{operation: "listAPIKeys", client: "APIKeyListParams", sandbox: []string{"listAPIKeys", listPaging}},
	// The request log pages itself (its entries leave with retention).
	{operation: "listRequestLogs", client: "RequestLogListParams", sandbox: []string{"listRequestLogs", "parseLogFilter"}},
	{operation: "listBalanceTransactions", client: "BalanceTransactionListParams", sandbox: []string{"listBalanceTransactions", listPaging}},
	{operation: "listSettlements", client: "SettlementListParams", sandbox: []string{"listSettlements", listPaging}},
	{operation: "listDisputes", client: "DisputeListParams", sandbox: []string{"listDisputes", listPaging}},
	{operation: "listWebhookDeliveries", client: "DeliveryListParams", sandbox: []string{"listDeliveries", listPaging}},
}

// goSources parses the client and the sandbox once for every test.
var goSources = sync.OnceValues(func() ([2]*goPackage, error) {
	client, err := parseGoPackage("client", filepath.Join("..", ".."))
	if err != nil {
		return [2]*goPackage{}, err
	}
	sandbox, err := parseGoPackage("sandbox", filepath.Join("..", "..", "sandbox"))
	return [2]*goPackage{client, sandbox}, err
})

// driftReport collects what the checks found.
type driftReport struct {
	problems                 []string
	objects, properties      int
	enums, enumValues, sides int
}

func (r *driftReport) add(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// ---------------------------------------------------------------------------
// The spec side.

// specProps merges a schema's properties with those of its allOf members,
// the first definition of a name winning (a view's narrowing fragment comes
// after the schema it narrows), and, for a union with a discriminator
// (PaymentMethodParams), with those of every variant: Go keeps such a union
// as one struct holding every variant's fields.
func specProps(s *openapi3.Schema) map[string]*openapi3.SchemaRef {
	out := map[string]*openapi3.SchemaRef{}
	var walk func(*openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		for name, p := range s.Properties {
			if _, ok := out[name]; !ok {
				out[name] = p
			}
		}
		for _, a := range s.AllOf {
			if a.Value != nil {
				walk(a.Value)
			}
		}
		for _, v := range discriminated(s) {
			walk(v.Value)
		}
	}
	walk(s)
	return out
}

// discriminated returns the variants of a oneOf with a discriminator, or
// nil for any other schema.
func discriminated(s *openapi3.Schema) openapi3.SchemaRefs {
	if s.Discriminator == nil {
		return nil
	}
	var out openapi3.SchemaRefs
	for _, v := range s.OneOf {
		if v.Value != nil {
			out = append(out, v)
		}
	}
	return out
}

// specObject returns the object a property holds (through arrays and a
// nullable allOf wrapper), or nil for a scalar, a map or a oneOf.
func specObject(ref *openapi3.SchemaRef) *openapi3.Schema {
	s := ref.Value
	for s != nil && s.Items != nil {
		s = s.Items.Value
	}
	if s == nil || len(specProps(s)) == 0 {
		return nil
	}
	return s
}

// isView reports whether a component schema only narrows one it references
// through allOf (the Problem* schemas, WebhookEndpointWithoutSecret): it adds
// no property of its own, so the row of the schema it narrows covers it.
func isView(s *openapi3.Schema) (string, bool) {
	if len(s.Properties) != 0 {
		return "", false
	}
	var base *openapi3.SchemaRef
	for _, a := range s.AllOf {
		if a.Ref != "" {
			if base != nil {
				return "", false
			}
			base = a
		}
	}
	if base == nil {
		return "", false
	}
	baseProps := specProps(base.Value)
	for _, a := range s.AllOf {
		if a == base || a.Value == nil {
			continue
		}
		for name := range specProps(a.Value) {
			if _, ok := baseProps[name]; !ok {
				return "", false
			}
		}
	}
	return strings.TrimPrefix(base.Ref, "#/components/schemas/"), true
}

// specEnums returns every string enum of the document by location (see
// enumRow.spec). An enum reached through a $ref is found once, at its
// component.
func specEnums(doc *openapi3.T) map[string][]string {
	out := map[string][]string{}
	discriminators := map[string]bool{}
	defer func() {
		for path := range discriminators {
			delete(out, path)
		}
	}()
	var visit func(path string, ref *openapi3.SchemaRef, top bool)
	visit = func(path string, ref *openapi3.SchemaRef, top bool) {
		if ref == nil || ref.Value == nil || (ref.Ref != "" && !top) {
			return
		}
		s := ref.Value
		if vals, ok := stringEnum(s.Enum); ok {
			out[path] = vals
		}
		if d := s.Discriminator; d != nil {
			// The discriminator's values are the union's enum; each
			// variant's own one-value enum of it is a part of that one.
			out[path+"."+d.PropertyName] = sortedKeys(d.Mapping)
			for _, v := range s.OneOf {
				discriminators[strings.TrimPrefix(v.Ref, "#/components/schemas/")+"."+d.PropertyName] = true
			}
		}
		for name, p := range s.Properties {
			visit(path+"."+name, p, false)
		}
		if s.Items != nil {
			visit(path+"[]", s.Items, false)
		}
		for kind, list := range map[string]openapi3.SchemaRefs{"allOf": s.AllOf, "oneOf": s.OneOf, "anyOf": s.AnyOf} {
			for i, a := range list {
				visit(fmt.Sprintf("%s.%s[%d]", path, kind, i), a, false)
			}
		}
		if s.AdditionalProperties.Schema != nil {
			visit(path+"{}", s.AdditionalProperties.Schema, false)
		}
	}
	for name, ref := range doc.Components.Schemas {
		visit(name, ref, true)
	}
	for name, h := range doc.Components.Headers {
		if h.Value != nil {
			visit("headers."+name, h.Value.Schema, false)
		}
	}
	for name, p := range doc.Components.Parameters {
		if p.Value != nil {
			visit("parameters."+name, p.Value.Schema, false)
		}
	}
	for name, r := range doc.Components.Responses {
		if r.Value == nil {
			continue
		}
		for _, mt := range r.Value.Content {
			visit("responses."+name, mt.Schema, false)
		}
	}
	return out
}

// stringEnum returns an enum's values when they are all strings; numeric
// and boolean enums (statuses of Problem views, `deleted: true`) are not
// Go constants and are left to the recorder's validation of live answers.
//
// A null member is how a nullable enum admits null (OAS 3.0.3 with
// `nullable: true`); it is no Go constant, so it is left out.
func stringEnum(enum []any) ([]string, bool) {
	if len(enum) == 0 {
		return nil, false
	}
	out := make([]string, 0, len(enum))
	for _, v := range enum {
		if v == nil {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// isObjectName reports an enum that is a resource's `object` name (a single
// value, such as `object: [order]`): Go keeps it as a literal where the
// resource is built, and the recorder checks every live answer against it.
func isObjectName(path string, vals []string) bool {
	return len(vals) == 1 && strings.HasSuffix(path, ".object")
}

// ---------------------------------------------------------------------------
// The checks.

// checkObjects holds every objectRows pair level, and refuses a spec object
// that no row (or view) covers.
func checkObjects(doc *openapi3.T, client, sandbox *goPackage, rows []objectRow) *driftReport {
	r := &driftReport{}
	covered := map[string]bool{}
	for _, row := range rows {
		covered[row.schema] = true
		ref := doc.Components.Schemas[row.schema]
		if ref == nil || ref.Value == nil {
			r.add("objectRows: schema %s is not in api/openapi.yaml (remove or rename the row)", row.schema)
			continue
		}
		r.objects++
		for _, side := range []struct {
			pkg         *goPackage
			target, why string
		}{{client, row.client, row.clientWhy}, {sandbox, row.sandbox, row.sandboxWhy}} {
			if side.target == "" {
				if side.why == "" {
					r.add("objectRows: schema %s has no %s type and no reason why", row.schema, side.pkg.side)
				}
				continue
			}
			members, err := side.pkg.target(side.target)
			if err != nil {
				r.add("schema %s: %v", row.schema, err)
				continue
			}
			encodes := (side.pkg == client) == row.request
			r.checkObject(row, side.pkg.side, side.target, "", ref.Value, members, encodes)
		}
	}
	variants := map[string]bool{} // a covered union's variants are checked through it
	for name := range covered {
		ref := doc.Components.Schemas[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		for _, v := range discriminated(ref.Value) {
			variants[strings.TrimPrefix(v.Ref, "#/components/schemas/")] = true
		}
	}
	for _, name := range sortedKeys(doc.Components.Schemas) {
		s := doc.Components.Schemas[name].Value
		if covered[name] || variants[name] || len(specProps(s)) == 0 {
			continue
		}
		if base, ok := isView(s); ok && covered[base] {
			continue
		}
		r.add("schema %s: no row in objectRows pairs it with the client's and the sandbox's Go types", name)
	}
	return r
}

// checkObject compares one spec object with one Go type's members, both
// ways, and follows nested objects. rel is the dotted path from the row's
// schema.
func (r *driftReport) checkObject(row objectRow, side, target, rel string, s *openapi3.Schema, members map[string]*wireField, encodes bool) {
	at := func(name string) string {
		if rel == "" {
			return name
		}
		return rel + "." + name
	}
	props := specProps(s)
	for _, name := range sortedKeys(props) {
		r.properties++
		path := at(name)
		m, ok := members[name]
		if !ok {
			if _, allowed := row.specOnly[path]; !allowed {
				r.add("schema %s property %s: %s type %s has no field with JSON name %q", row.schema, path, side, target, name)
			}
			continue
		}
		if encodes {
			r.checkPresence(row, side, path, s, name, props[name].Value, m)
		}
		nested := specObject(props[name])
		if nested == nil {
			continue
		}
		switch m.kind {
		case wireOpaque:
			// json.RawMessage or any: the Go side keeps the members raw.
		case wireLeaf:
			r.add("schema %s property %s: is an object in the spec, but %s field %s is not a struct", row.schema, path, side, m.goName)
		case wireObject:
			sub, err := m.object()
			if err != nil {
				r.add("schema %s property %s: %v", row.schema, path, err)
				continue
			}
			r.checkObject(row, side, target, path, nested, sub, encodes)
		}
	}
	for _, name := range sortedKeys(members) {
		path := at(name)
		if _, ok := props[name]; ok {
			continue
		}
		if _, allowed := row.goOnly[path]; allowed {
			continue
		}
		r.add("schema %s: %s field %s (JSON %q) is not a property of the spec", row.schema, side, members[name].goName, path)
	}
}

// specRequired reports whether name is required by s or one of its allOf
// members (or by every variant of a discriminated union).
func specRequired(s *openapi3.Schema, name string) bool {
	if slices.Contains(s.Required, name) {
		return true
	}
	for _, a := range s.AllOf {
		if a.Value != nil && specRequired(a.Value, name) {
			return true
		}
	}
	// A discriminated union requires what every variant requires.
	if vs := discriminated(s); len(vs) > 0 {
		for _, v := range vs {
			if !specRequired(v.Value, name) {
				return false
			}
		}
		return true
	}
	return false
}

// checkPresence holds the tags of the side that encodes the schema to its
// required and nullable: a required member must not be omitempty (the
// answer could leave it out), a member the spec does not let be null must
// not be a pointer that encodes nil as null, and an optional request member
// must be omitempty (else the client sends a zero value, such as amount 0,
// that the spec may refuse).
func (r *driftReport) checkPresence(row objectRow, side, path string, parent *openapi3.Schema, name string, prop *openapi3.Schema, m *wireField) {
	if !m.tagged {
		return // a field table or an embedded member: no tag to hold
	}
	required := specRequired(parent, name)
	switch {
	case required && m.omitempty:
		r.add("schema %s property %s: required, but %s field %s is omitempty", row.schema, path, side, m.goName)
	case !prop.Nullable && m.pointer && !m.omitempty:
		r.add("schema %s property %s: not nullable, but %s field %s is a pointer without omitempty and encodes nil as null", row.schema, path, side, m.goName)
	case row.request && !required && !m.omitempty && !prop.Nullable:
		r.add("schema %s property %s: optional, but %s field %s has no omitempty and sends its zero value", row.schema, path, side, m.goName)
	}
}

// locate reads the values a side's enum locator names.
func locate(pkg *goPackage, locator string) ([]string, error) {
	kind, arg, _ := strings.Cut(locator, ":")
	switch kind {
	case "type":
		return pkg.constsOfType(arg)
	case "const":
		return pkg.constValue(arg)
	case "keys", "values":
		return pkg.mapLiteral(arg, kind == "values")
	case "call":
		fn, idx, _ := strings.Cut(arg, ":")
		n := 0
		if _, err := fmt.Sscan(idx, &n); err != nil {
			return nil, fmt.Errorf("bad locator %q", locator)
		}
		return pkg.callArgs(fn, n)
	}
	return nil, fmt.Errorf("bad locator %q", locator)
}

// checkEnums compares every spec enum with its row's Go values, both ways,
// and refuses a spec enum that has no row.
func checkEnums(doc *openapi3.T, client, sandbox *goPackage, rows []enumRow) *driftReport {
	r := &driftReport{}
	enums := specEnums(doc)
	byPath := map[string]enumRow{}
	for _, row := range rows {
		byPath[row.spec] = row
		if _, ok := enums[row.spec]; !ok {
			r.add("enumRows: enum %s is not in api/openapi.yaml (remove or rename the row)", row.spec)
		}
	}
	for _, path := range sortedKeys(enums) {
		vals := enums[path]
		row, ok := byPath[path]
		if !ok {
			if isObjectName(path, vals) {
				continue
			}
			r.add("enum %s %v: no row in enumRows says where the client and the sandbox keep its values", path, vals)
			continue
		}
		r.enums++
		r.enumValues += len(vals)
		if row.subsetOf != "" {
			all := enums[row.subsetOf]
			for _, v := range vals {
				if !slices.Contains(all, v) {
					r.add("enum %s value %q: not a member of %s", path, v, row.subsetOf)
				}
			}
			continue
		}
		for _, side := range []struct {
			pkg          *goPackage
			locator, why string
			except       []string
		}{{client, row.client, row.clientWhy, nil}, {sandbox, row.sandbox, row.sandboxWhy, row.sandboxExcept}} {
			if side.locator == "" {
				if side.why == "" {
					r.add("enumRows: enum %s has no %s locator and no reason why", path, side.pkg.side)
				}
				continue
			}
			got, err := locate(side.pkg, side.locator)
			if err != nil {
				r.add("enum %s: %v", path, err)
				continue
			}
			r.sides++
			goVals := map[string]bool{}
			for _, v := range got {
				if !slices.Contains(side.except, v) {
					goVals[v] = true
				}
			}
			for _, v := range vals {
				if !goVals[v] {
					r.add("enum %s value %q: %s has no %s for it", path, v, side.pkg.side, side.locator)
				}
			}
			for _, v := range sortedKeys(goVals) {
				if !slices.Contains(vals, v) {
					r.add("enum %s: %s %s has %q, which the spec does not list", path, side.pkg.side, side.locator, v)
				}
			}
		}
	}
	return r
}

// queryParams returns the query parameter names of every operation that has
// any, by operationId.
func queryParams(doc *openapi3.T) map[string][]string {
	out := map[string][]string{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, list := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, p := range list {
					if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
						out[op.OperationID] = append(out[op.OperationID], p.Value.Name)
					}
				}
			}
		}
	}
	return out
}

// checkQueries compares every operation's query parameters with the
// client's params struct and the sandbox's handler, both ways.
func checkQueries(doc *openapi3.T, client, sandbox *goPackage, rows []queryRow) *driftReport {
	r := &driftReport{}
	ops := queryParams(doc)
	rowed := map[string]bool{}
	for _, row := range rows {
		rowed[row.operation] = true
		params, ok := ops[row.operation]
		if !ok {
			r.add("queryRows: operation %s has no query parameters in api/openapi.yaml (remove or rename the row)", row.operation)
			continue
		}
		r.objects++
		r.properties += len(params)
		var sides []struct {
			side  string
			names []string
		}
		members, err := client.structTarget(row.client, "url")
		if err != nil {
			r.add("operation %s: %v", row.operation, err)
		} else {
			sides = append(sides, struct {
				side  string
				names []string
			}{"client type " + row.client, sortedKeys(members)})
		}
		switch {
		case len(row.sandbox) > 0:
			names, err := sandbox.funcQueryNames(row.sandbox)
			if err != nil {
				r.add("operation %s: %v", row.operation, err)
				break
			}
			sides = append(sides, struct {
				side  string
				names []string
			}{fmt.Sprintf("sandbox functions %v", row.sandbox), names})
		case row.sandboxWhy == "":
			r.add("queryRows: operation %s has no sandbox functions and no reason why", row.operation)
		}
		for _, side := range sides {
			for _, p := range params {
				if !slices.Contains(side.names, p) {
					r.add("operation %s query parameter %s: %s does not read it", row.operation, p, side.side)
				}
			}
			for _, n := range side.names {
				if !slices.Contains(params, n) {
					r.add("operation %s: %s reads query parameter %q, which the spec does not list", row.operation, side.side, n)
				}
			}
		}
	}
	for _, op := range sortedKeys(ops) {
		if !rowed[op] {
			r.add("operation %s %v: no row in queryRows pairs its query parameters with Go", op, ops[op])
		}
	}
	return r
}

// extraStatusCodes are sandbox answers outside every operation's declared
// responses, so outside the Problem views, each with where it is decided.
var extraStatusCodes = map[string]string{
	"405 invalid_request": "a known path with an unknown method: docs/contract-decisions.md (405 invalid_request with Allow)",
}

// checkProblemStatuses holds every sandbox newError(status, code) with
// literal arguments to the spec's Problem views: a code answered with a
// status whose view does not list it is drift (a client deciding retries or
// errors.Is by status would misread it).
func checkProblemStatuses(doc *openapi3.T, sandbox *goPackage) *driftReport {
	r := &driftReport{}
	allowed := map[string]bool{}
	for name, ref := range doc.Components.Schemas {
		if _, ok := isView(ref.Value); !ok || !strings.HasPrefix(name, "Problem") {
			continue
		}
		var statuses []any
		var codes []string
		for _, a := range ref.Value.AllOf {
			if a.Ref != "" || a.Value == nil {
				continue
			}
			if st := a.Value.Properties["status"]; st != nil && st.Value != nil {
				statuses = st.Value.Enum
			}
			if c := a.Value.Properties["code"]; c != nil && c.Value != nil {
				codes, _ = stringEnum(c.Value.Enum)
			}
		}
		for _, st := range statuses {
			for _, c := range codes {
				allowed[fmt.Sprintf("%v %s", st, c)] = true
			}
		}
	}
	pairs := sandbox.statusCodeCalls("newError")
	if len(pairs) == 0 {
		r.add("sandbox: no newError(status, code) call with literal arguments found")
	}
	for _, pair := range pairs {
		r.enumValues++
		if !allowed[pair] && extraStatusCodes[pair] == "" {
			r.add("sandbox newError(%s): no Problem view of the spec pairs this status with this code", strings.Replace(pair, " ", `, "`, 1)+`"`)
		}
	}
	return r
}

// ---------------------------------------------------------------------------
// Tests.

func loadSources(t *testing.T) (client, sandbox *goPackage) {
	t.Helper()
	pkgs, err := goSources()
	require.NoError(t, err)
	return pkgs[0], pkgs[1]
}

// TestDrift_goTypesMatchSpec runs every check against the real spec and the
// real client and sandbox sources; each problem is one t.Error naming the
// schema or operation, the property or value, and the side.
func TestDrift_goTypesMatchSpec(t *testing.T) {
	t.Parallel()
	client, sandbox := loadSources(t)
	doc := loadDoc(t) // shared read-only by the subtests
	for _, c := range []struct {
		name  string
		check func() *driftReport
	}{
		{"objects", func() *driftReport { return checkObjects(doc, client, sandbox, objectRows) }},
		{"enums", func() *driftReport { return checkEnums(doc, client, sandbox, enumRows) }},
		{"query parameters", func() *driftReport { return checkQueries(doc, client, sandbox, queryRows) }},
		{"problem statuses", func() *driftReport { return checkProblemStatuses(doc, sandbox) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := c.check()
			for _, p := range r.problems {
				t.Error(p)
			}
			t.Logf("checked %d objects/operations, %d properties/parameters, %d enums with %d values, %d Go value sets",
				r.objects, r.properties, r.enums, r.enumValues, r.sides)
			assert.Positive(t, r.objects+r.properties+r.enums+r.enumValues, "the check saw nothing")
		})
	}
}

// The remaining tests prove the checks can fail: each changes a fresh copy
// of the loaded spec (never the file) and asserts the drift is reported,
// naming the schema, the value or property, and the side.

func TestDrift_reportsEnumValueWithoutGoConstant(t *testing.T) {
	t.Parallel()
	client, sandbox := loadSources(t)
	doc := loadDoc(t)
	et := doc.Components.Schemas["EventType"].Value
	et.Enum = append(et.Enum, "order.shipped")

	r := checkEnums(doc, client, sandbox, enumRows)
	assert.Contains(t, r.problems, `enum EventType value "order.shipped": client has no type:EventType for it`)
	assert.Contains(t, r.problems, `enum EventType value "order.shipped": sandbox has no keys:eventTypes for it`)
	assert.Len(t, r.problems, 2, "only the injected value is drift: %v", r.problems)
}

func TestDrift_reportsGoConstantMissingFromSpec(t *testing.T) {
	t.Parallel()
	client, sandbox := loadSources(t)
	doc := loadDoc(t)
	statuses := doc.Components.Schemas["OrderStatus"].Value
	statuses.Enum = slices.DeleteFunc(statuses.Enum, func(v any) bool { return v == "expired" })

	r := checkEnums(doc, client, sandbox, enumRows)
	assert.Contains(t, r.problems, `enum OrderStatus: client type:OrderStatus has "expired", which the spec does not list`)
	assert.Contains(t, r.problems, `enum OrderStatus: sandbox keys:orderStatuses has "expired", which the spec does not list`)
}

func TestDrift_reportsNewEnumWithoutRow(t *testing.T) {
	t.Parallel()
	client, sandbox := loadSources(t)
	doc := loadDoc(t)
	doc.Components.Schemas["Refund"].Value.Properties["channel"] = openapi3.NewSchemaRef("", &openapi3.Schema{
		Type: &openapi3.Types{openapi3.TypeString}, Enum: []any{"card", "wallet"},
	})

	r := checkEnums(doc, client, sandbox, enumRows)
	assert.Contains(t, r.problems, `enum Refund.channel [card wallet]: no row in enumRows says where the client and the sandbox keep its values`)
}

func TestDrift_reportsPropertyMissingOnEitherSide(t *testing.T) {
	t.Parallel()
	client, sandbox := loadSources(t)
	doc := loadDoc(t)
	str := openapi3.NewStringSchema()
	doc.Components.Schemas["Order"].Value.Properties["tip_amount"] = openapi3.NewSchemaRef("", str)
	card := doc.Components.Schemas["PaymentMethod"].Value.Properties["card"].Value
	card.Properties["funding"] = openapi3.NewSchemaRef("", str)

	r := checkObjects(doc, client, sandbox, objectRows)
	assert.Contains(t, r.problems, `schema Order property tip_amount: client type Order has no field with JSON name "tip_amount"`)
	assert.Contains(t, r.problems, `schema Order property tip_amount: sandbox type order has no field with JSON name "tip_amount"`)
	// Nested objects are followed, through Payment.method as well.
	assert.Contains(t, r.problems, `schema PaymentMethod property card.funding: client type PaymentMethod has no field with JSON name "funding"`)
	assert.Contains(t, r.problems, `schema Payment property method.card.funding: sandbox type payment has no field with JSON name "funding"`)
}

func TestDrift_reportsGoFieldMissingFromSpec(t *testing.T) {
	t.Parallel()
	client, sandbox := loadSources(t)
	doc := loadDoc(t)
	delete(doc.Components.Schemas["Refund"].Value.Properties, "reason")
	delete(doc.Components.Schemas["RefundCreateParams"].Value.Properties, "reason")

	r := checkObjects(doc, client, sandbox, objectRows)
	assert.Contains(t, r.problems, `schema Refund: client field Refund.Reason (JSON "reason") is not a property of the spec`)
	assert.Contains(t, r.problems, `schema Refund: sandbox field refund.Reason (JSON "reason") is not a property of the spec`)
	assert.Contains(t, r.problems, `schema RefundCreateParams: sandbox field refundSchema.reason (JSON "reason") is not a property of the spec`)
}

func TestDrift_reportsSchemaWithoutRow(t *testing.T) {
	t.Parallel()
	client, sandbox := loadSources(t)
	doc := loadDoc(t)
	doc.Components.Schemas["Chargeback"] = openapi3.NewSchemaRef("", openapi3.NewObjectSchema().
		WithProperty("id", openapi3.NewStringSchema()))
	rows := append(slices.Clone(objectRows), objectRow{schema: "Payout", client: "Settlement", sandbox: "settlement"})

	r := checkObjects(doc, client, sandbox, rows)
	assert.Contains(t, r.problems, "schema Chargeback: no row in objectRows pairs it with the client's and the sandbox's Go types")
	assert.Contains(t, r.problems, "objectRows: schema Payout is not in api/openapi.yaml (remove or rename the row)")
}

func TestDrift_reportsQueryParameterMissingOnEitherSide(t *testing.T) {
	t.Parallel()
	client, sandbox := loadSources(t)
	doc := loadDoc(t)
	op := doc.Paths.Value("/v1/refunds").Get
	op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: openapi3.NewQueryParameter("status")})
	op = doc.Paths.Value("/v1/events").Get
	op.Parameters = slices.DeleteFunc(op.Parameters, func(p *openapi3.ParameterRef) bool { return p.Value.Name == "type" })

	r := checkQueries(doc, client, sandbox, queryRows)
	assert.Contains(t, r.problems, "operation listRefunds query parameter status: client type RefundListParams does not read it")
	assert.Contains(t, r.problems, "operation listRefunds query parameter status: sandbox functions [listRefunds listPage] does not read it")
	assert.Contains(t, r.problems, `operation listEvents: client type EventListParams reads query parameter "type", which the spec does not list`)
	assert.Contains(t, r.problems, `operation listEvents: sandbox functions [listEvents listPage] reads query parameter "type", which the spec does not list`)
}

func TestDrift_reportsProblemCodeUnderWrongStatus(t *testing.T) {
	t.Parallel()
	_, sandbox := loadSources(t)
	doc := loadDoc(t)
	conflict := doc.Components.Schemas["ProblemConflict"].Value.AllOf[1].Value.Properties["code"].Value
	conflict.Enum = slices.DeleteFunc(conflict.Enum, func(v any) bool { return v == "order_expired" })

	r := checkProblemStatuses(doc, sandbox)
	assert.Equal(t, []string{`sandbox newError(409, "order_expired"): no Problem view of the spec pairs this status with this code`}, r.problems)
}

func TestDrift_reportsEncoderThatBreaksRequiredOrNullable(t *testing.T) {
	t.Parallel()
	client, sandbox := loadSources(t)
	doc := loadDoc(t)
	params := doc.Components.Schemas["RefundCreateParams"].Value
	params.Required = append(params.Required, "reason")
	doc.Components.Schemas["Order"].Value.Properties["payment_id"].Value.Nullable = false
	problem := doc.Components.Schemas["Problem"].Value
	problem.Required = append(problem.Required, "decline_code")
	create := doc.Components.Schemas["PaymentCreateParams"].Value
	create.Required = slices.DeleteFunc(create.Required, func(n string) bool { return n == "method" })

	r := checkObjects(doc, client, sandbox, objectRows)
	assert.Contains(t, r.problems, "schema RefundCreateParams property reason: required, but client field RefundCreateParams.Reason is omitempty")
	assert.Contains(t, r.problems, "schema Order property payment_id: not nullable, but sandbox field order.PaymentID is a pointer without omitempty and encodes nil as null")
	assert.Contains(t, r.problems, "schema Problem property decline_code: required, but sandbox field problemBody.DeclineCode is omitempty")
	assert.Contains(t, r.problems, "schema PaymentCreateParams property method: optional, but client field PaymentCreateParams.Method has no omitempty and sends its zero value")
	assert.Len(t, r.problems, 4, "only the injected changes are drift: %v", r.problems)
}
