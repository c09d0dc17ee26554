package apispec

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// Recorder validates every request and response that passes through it
// against api/openapi.yaml, reports each mismatch with t.Errorf (naming the
// operation and the reason), and counts the operations it saw.
//
// A request that breaks the contract is a failure only when it is answered
// with a 2xx: a sandbox test that sends an unknown field on purpose expects
// the 400 problem, and that 400 must still match the contract. Call
// RejectInvalidRequests where the code under test should never send one.
// Sandbox control routes (/_sandbox/) are validated like any other.
type Recorder struct {
	t      testing.TB
	strict bool

	mu       sync.Mutex
	covered  map[string]int
	failures []string
}

// NewRecorder returns a Recorder that reports to t.
func NewRecorder(t testing.TB) *Recorder {
	t.Helper()
	if _, err := Router(); err != nil {
		t.Fatalf("apispec: %v", err)
	}
	return &Recorder{t: t, covered: map[string]int{}}
}

// RejectInvalidRequests makes every request that breaks the contract a
// failure, whatever the answer. It returns r so that it chains after
// NewRecorder; call it before the first request.
func (r *Recorder) RejectInvalidRequests() *Recorder {
	r.strict = true
	return r
}

// Covered returns how many requests the Recorder saw per operationId,
// answered or not. The map is a copy.
func (r *Recorder) Covered() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.covered))
	for k, v := range r.covered {
		out[k] = v
	}
	return out
}

// Uncovered returns, sorted, the operationIds of the /v1/ API that the
// Recorder has not seen yet, so that a suite can assert it exercised the
// whole contract. Sandbox control operations are not listed.
func (r *Recorder) Uncovered() []string {
	doc, err := sharedDoc()
	if err != nil {
		r.t.Errorf("apispec: %v", err)
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for path, item := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		for _, op := range item.Operations() {
			if r.covered[op.OperationID] == 0 {
				out = append(out, op.OperationID)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Failures returns every failure reported so far, in order.
func (r *Recorder) Failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.failures...)
}

// RoundTripper wraps next, the client side of the wire: every request the
// client sends and every response it receives are validated. next nil means
// http.DefaultTransport.
func (r *Recorder) RoundTripper(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		reqBody, err := drain(req.Body)
		if err != nil {
			return nil, fmt.Errorf("apispec: read request body: %w", err)
		}
		out := req.Clone(req.Context())
		setBody(out, reqBody)
		resp, err := next.RoundTrip(out)
		if err != nil {
			// No answer (a dropped connection, a canceled context): the
			// request still counts as covered, there is nothing to check.
			r.exchange(req, reqBody, nil)
			return nil, err
		}
		respBody, readErr := drain(resp.Body)
		resp.Body = io.NopCloser(bytes.NewReader(respBody))
		if readErr != nil {
			r.exchange(req, reqBody, nil)
			return nil, fmt.Errorf("apispec: read response body: %w", readErr)
		}
		r.exchange(req, reqBody, &answer{status: resp.StatusCode, header: resp.Header, body: respBody})
		return resp, nil
	})
}

// Handler wraps next, the server side of the wire: every request it serves
// and every response it writes are validated. A connection the handler
// hijacks (the sandbox's drop faults) counts as covered but has no response
// to check.
func (r *Recorder) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		reqBody, err := drain(req.Body)
		if err != nil {
			http.Error(w, "apispec: read request body", http.StatusBadRequest)
			return
		}
		seen := req.Clone(req.Context())
		setBody(seen, reqBody)
		setBody(req, reqBody)
		rw := &recordingWriter{ResponseWriter: w}
		next.ServeHTTP(rw, req)
		if rw.hijacked {
			r.exchange(seen, reqBody, nil)
			return
		}
		status := rw.status
		if status == 0 {
			status = http.StatusOK
		}
		r.exchange(seen, reqBody, &answer{status: status, header: w.Header(), body: rw.body.Bytes()})
	})
}

// answer is what came back for a request.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (r *Recorder) exchange(req *http.Request, reqBody []byte, ans *answer) {
	// The server cancels a request's context once its handler returns; the
	// check must not depend on when that happens.
	opID, reqErr, respErr := check(context.WithoutCancel(req.Context()), req, reqBody, ans)
	name := opID
	if name == "" {
		name = req.Method + " " + req.URL.Path
	}
	var failures []string
	switch {
	case reqErr == nil:
	case opID == "":
		// No operation: fine only when the answer is the contract's 404 or
		// 405 problem, checked against the Problem schema in respErr.
		if ans == nil || (ans.status != http.StatusNotFound && ans.status != http.StatusMethodNotAllowed) {
			failures = append(failures, fmt.Sprintf("%s: %v", name, reqErr))
		}
	case r.strict:
		failures = append(failures, fmt.Sprintf("%s: request breaks the contract: %v", name, reqErr))
	case ans != nil && ans.status < 300:
		failures = append(failures, fmt.Sprintf("%s: request breaks the contract yet was answered %d: %v", name, ans.status, reqErr))
	}
	if respErr != nil {
		failures = append(failures, fmt.Sprintf("%s: response %d breaks the contract: %v", name, ans.status, respErr))
	}

	r.mu.Lock()
	if opID != "" {
		r.covered[opID]++
	}
	r.failures = append(r.failures, failures...)
	r.mu.Unlock()
	for _, f := range failures {
		r.t.Errorf("apispec: %s", f)
	}
}

// check validates one exchange. opID is empty when no operation of the
// contract matches the request; then a problem answer is checked against the
// Problem schema. ans nil means no answer arrived.
func check(ctx context.Context, req *http.Request, reqBody []byte, ans *answer) (opID string, reqErr, respErr error) {
	router, err := Router()
	if err != nil {
		return "", err, nil
	}
	route, pathParams, err := router.FindRoute(req)
	if err != nil {
		reqErr = fmt.Errorf("no operation in the contract: %w", err)
		if ans != nil {
			respErr = checkBareProblem(ans)
		}
		return "", reqErr, respErr
	}
	opID = route.Operation.OperationID

	in := &openapi3filter.RequestValidationInput{
		Request:    withBody(req, reqBody),
		PathParams: pathParams,
		Route:      route,
		Options:    options(),
	}
	reqErr = openapi3filter.ValidateRequest(ctx, in)
	if ans == nil {
		return opID, reqErr, nil
	}
	// The response is checked against the operation even when the request
	// broke the contract: the problem that rejects it must match too.
	in.Request = withBody(req, reqBody)
	respErr = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 ans.status,
		Header:                 ans.header,
		Body:                   io.NopCloser(bytes.NewReader(ans.body)),
		Options:                options(),
	})
	return opID, reqErr, respErr
}

func options() *openapi3filter.Options {
	o := &openapi3filter.Options{
		AuthenticationFunc: authenticate,
		// Validation must see the bytes on the wire, never a body with
		// defaults filled in.
		SkipSettingDefaults: true,
		// A status the operation does not document breaks the contract.
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	o.WithCustomSchemaErrorFunc(describeSchemaError)
	return o
}

// describeSchemaError names the place and the rule that a value breaks. The
// default message quotes the value itself, which may be a card number or a
// secret.
func describeSchemaError(err *openapi3.SchemaError) string {
	return "/" + strings.Join(err.JSONPointer(), "/") + ": " + err.Reason
}

// authenticate checks that the credentials the contract requires are
// present and well-formed; it never quotes them.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header
	switch scheme := in.SecurityScheme; {
	case scheme.Type == "http" && strings.EqualFold(scheme.Scheme, "bearer"):
		v := h.Get("Authorization")
		token, ok := strings.CutPrefix(v, "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			return in.NewError(errors.New("the Authorization header is not \"Bearer <api key>\""))
		}
	case scheme.Type == "apiKey" && scheme.In == "header":
		if h.Get(scheme.Name) == "" {
			return in.NewError(fmt.Errorf("header %s is missing", scheme.Name))
		}
	default:
		return in.NewError(fmt.Errorf("security scheme %q is not supported", in.SecuritySchemeName))
	}
	return nil
}

// checkBareProblem validates an answer to a request that matches no
// operation: the contract answers those with 404 resource_missing or 405
// invalid_request (with Allow), as problems.
func checkBareProblem(ans *answer) error {
	wantCode := map[int]string{
		http.StatusNotFound:         "resource_missing",
		http.StatusMethodNotAllowed: "invalid_request",
	}[ans.status]
	if wantCode == "" {
		return nil // reported with the request
	}
	mediaType, _, err := mime.ParseMediaType(ans.header.Get("Content-Type"))
	if err != nil || mediaType != "application/problem+json" {
		return fmt.Errorf("content type %q, want application/problem+json", ans.header.Get("Content-Type"))
	}
	doc, err := sharedDoc()
	if err != nil {
		return err
	}
	var v map[string]any
	if err := json.Unmarshal(ans.body, &v); err != nil {
		return fmt.Errorf("problem body is not a JSON object: %w", err)
	}
	schema := doc.Components.Schemas["Problem"].Value
	if err := schema.VisitJSON(v, openapi3.MultiErrors(), openapi3.SetSchemaErrorMessageCustomizer(describeSchemaError)); err != nil {
		return err
	}
	if v["code"] != wantCode || v["status"] != float64(ans.status) {
		return fmt.Errorf("problem %v/%v, want %d %s", v["status"], v["code"], ans.status, wantCode)
	}
	if ans.status == http.StatusMethodNotAllowed && ans.header.Get("Allow") == "" {
		return errors.New("405 without an Allow header")
	}
	return nil
}

// withBody returns a shallow copy of req that reads body.
func withBody(req *http.Request, body []byte) *http.Request {
	out := req.Clone(req.Context())
	setBody(out, body)
	return out
}

func setBody(req *http.Request, body []byte) {
	if body == nil {
		req.Body = http.NoBody
		req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.ContentLength = int64(len(body))
}

// drain reads and closes body; a nil or empty body gives nil.
func drain(body io.ReadCloser) ([]byte, error) {
	if body == nil || body == http.NoBody {
		return nil, nil
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if len(b) == 0 {
		b = nil
	}
	return b, err
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// recordingWriter passes everything through to the real ResponseWriter and
// keeps a copy of the status and body.
type recordingWriter struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	hijacked bool
}

func (w *recordingWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.NewResponseController reach the real writer (Flush,
// deadlines).
func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush implements http.Flusher for handlers that assert it.
func (w *recordingWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker, so that the sandbox's drop faults still
// close the connection through the Recorder.
func (w *recordingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return conn, rw, err
}
