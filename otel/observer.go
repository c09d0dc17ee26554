// Package tokenimotel traces and measures a tokenim.Client and a
// tokenim.WebhookHandler with OpenTelemetry. It is its own module, so the
// SDK itself takes no OpenTelemetry dependency:
//
//	obs, err := tokenimotel.NewObserver() // the global tracer, meter and propagator
//	client, err := tokenim.NewClient(key, tokenim.WithMerchantID(id), tokenim.WithObserver(obs))
//	handler, err := tokenim.NewWebhookHandler(verifier, fn, tokenim.WithWebhookObserver(obs))
//
// Every SDK call gets an INTERNAL span named after the operation
// ("Payments.Create") with tokenim.* attributes, and every attempt a CLIENT
// span named "{method} {url.template}" ("POST /v1/payments") with the HTTP
// semantic conventions; each attempt carries W3C trace context. Metrics:
// http.client.request.duration, tokenim.client.calls (by operation and
// outcome: succeeded, declined, error, unknown), tokenim.client.retries,
// tokenim.client.unknown_outcomes, tokenim.webhook.deliveries (by result) and
// tokenim.webhook.handler.duration. No attribute ever holds an API key, a
// webhook secret, a body or card data.
package tokenimotel

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"syscall"

	"github.com/tokenim/tokenim-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/httpconv"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the tracer and the meter.
const ScopeName = "github.com/tokenim/tokenim-go/otel"

// Attribute keys of the tokenim.* namespace.
const (
	AttrOperation      = attribute.Key("tokenim.operation")
	AttrOutcome        = attribute.Key("tokenim.outcome")
	AttrIdempotencyKey = attribute.Key("tokenim.idempotency_key")
	AttrErrorCode      = attribute.Key("tokenim.error_code")
	AttrDeclineCode    = attribute.Key("tokenim.decline_code")
	AttrOutcomeUnknown = attribute.Key("tokenim.outcome_unknown")
	AttrReplayed       = attribute.Key("tokenim.replayed")
	AttrAttempts       = attribute.Key("tokenim.attempts")
	AttrRequestID      = attribute.Key("tokenim.request_id")
	AttrWebhookResult  = attribute.Key("tokenim.webhook.result")
	AttrWebhookReason  = attribute.Key("tokenim.webhook.reason")
	AttrEventType      = attribute.Key("tokenim.event_type")
	AttrWebhookID      = attribute.Key("tokenim.webhook.id")
)

// Outcomes of a call, the values of tokenim.outcome.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeDeclined  = "declined"
	OutcomeError     = "error"
	OutcomeUnknown   = "unknown"
)

// Option configures an Observer.
type Option func(*config)

type config struct {
	tp         trace.TracerProvider
	mp         metric.MeterProvider
	propagator propagation.TextMapPropagator
}

// WithTracerProvider sets the tracer provider (default: the global one,
// otel.GetTracerProvider, looked up when NewObserver runs).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

// WithMeterProvider sets the meter provider (default: the global one,
// otel.GetMeterProvider, looked up when NewObserver runs).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// WithPropagator sets how trace context is written into each attempt's
// headers (default: the global propagator, otel.SetTextMapPropagator). When
// the propagator writes no traceparent (the global default writes nothing),
// W3C trace context is added, so every request carries one.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *config) { c.propagator = p }
}

// Observer implements tokenim.Observer and tokenim.WebhookObserver with
// OpenTelemetry. It is safe for concurrent use; one serves any number of
// clients and handlers.
type Observer struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator // nil: the global one, or W3C trace context

	requestDuration httpconv.ClientRequestDuration
	calls           metric.Int64Counter
	retries         metric.Int64Counter
	unknown         metric.Int64Counter
	deliveries      metric.Int64Counter
	handlerDuration metric.Float64Histogram

	// The attribute sets of the hot metrics, built once per combination.
	durationSets setCache[durationKey]
	callSets     setCache[callKey]
}

type durationKey struct {
	method, address string
	port            int
	template        string
	status          int
	errType         string
}

type callKey struct{ operation, outcome, code string }

// setCache keeps attribute sets so that recording a measurement does not
// sort and copy its attributes each time. It holds at most maxCachedSets:
// beyond, sets are built per measurement (a high-cardinality Client.Do
// path, say) rather than held forever.
type setCache[K comparable] struct {
	mu sync.RWMutex
	m  map[K]attribute.Set
}

const maxCachedSets = 1024

func (c *setCache[K]) get(k K) (attribute.Set, bool) {
	c.mu.RLock()
	s, ok := c.m[k]
	c.mu.RUnlock()
	return s, ok
}

func (c *setCache[K]) put(k K, s attribute.Set) attribute.Set {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[K]attribute.Set)
	}
	if len(c.m) < maxCachedSets {
		c.m[k] = s
	}
	return s
}

var _ tokenim.Observer = (*Observer)(nil)

// NewObserver returns an observer that reports to the tracer and meter
// providers of opts (default: the global ones).
func NewObserver(opts ...Option) (*Observer, error) {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	meter := c.mp.Meter(ScopeName, metric.WithInstrumentationVersion(tokenim.Version))
	o := &Observer{
		tracer:     c.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(tokenim.Version)),
		propagator: c.propagator,
	}
	var errs [6]error
	o.requestDuration, errs[0] = httpconv.NewClientRequestDuration(meter)
	o.calls, errs[1] = meter.Int64Counter("tokenim.client.calls", metric.WithUnit("{call}"),
		metric.WithDescription("Tokenim API calls by operation and outcome (succeeded, declined, error, unknown)."))
	o.retries, errs[2] = meter.Int64Counter("tokenim.client.retries", metric.WithUnit("{retry}"),
		metric.WithDescription("Attempts the client repeated, by operation and the error that caused them."))
	o.unknown, errs[3] = meter.Int64Counter("tokenim.client.unknown_outcomes", metric.WithUnit("{call}"),
		metric.WithDescription("POST calls whose outcome is unknown: repeat them with their idempotency key."))
	o.deliveries, errs[4] = meter.Int64Counter("tokenim.webhook.deliveries", metric.WithUnit("{delivery}"),
		metric.WithDescription("Webhook deliveries received, by result."))
	o.handlerDuration, errs[5] = meter.Float64Histogram("tokenim.webhook.handler.duration", metric.WithUnit("s"),
		metric.WithDescription("Time the webhook handler took per delivery, by result."),
		metric.WithExplicitBucketBoundaries(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	return o, nil
}

// StartCall starts the call's INTERNAL span, the parent of its attempts.
func (o *Observer) StartCall(ctx context.Context, call tokenim.CallInfo) context.Context {
	ctx, span := o.tracer.Start(ctx, call.Operation, trace.WithSpanKind(trace.SpanKindInternal))
	if span.IsRecording() {
		if call.IdempotencyKey != "" {
			span.SetAttributes(AttrOperation.String(call.Operation), AttrIdempotencyKey.String(call.IdempotencyKey))
		} else {
			span.SetAttributes(AttrOperation.String(call.Operation))
		}
	}
	return ctx
}

// StartAttempt starts the attempt's CLIENT span and writes its trace
// context into the attempt's headers.
func (o *Observer) StartAttempt(ctx context.Context, call tokenim.CallInfo, attempt int, h tokenim.HeaderSetter) context.Context {
	ctx, span := o.tracer.Start(ctx, call.Method+" "+call.URLTemplate, trace.WithSpanKind(trace.SpanKindClient))
	if span.IsRecording() {
		attrs := make([]attribute.KeyValue, 6, 7)
		attrs[0] = semconv.HTTPRequestMethodKey.String(call.Method)
		attrs[1] = semconv.ServerAddress(call.ServerAddress)
		attrs[2] = semconv.ServerPort(call.ServerPort)
		attrs[3] = semconv.URLFull(redactQuery(call.URL))
		attrs[4] = semconv.URLTemplate(call.URLTemplate)
		attrs[5] = AttrOperation.String(call.Operation)
		if attempt > 1 {
			attrs = append(attrs, semconv.HTTPRequestResendCount(attempt-1))
		}
		span.SetAttributes(attrs...)
	}
	o.inject(ctx, h)
	return ctx
}

// EndAttempt ends the attempt's span and records its duration.
func (o *Observer) EndAttempt(ctx context.Context, call tokenim.CallInfo, r tokenim.AttemptResult) {
	errType := attemptErrorType(r)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		attrs := answerAttrs(make([]attribute.KeyValue, 0, 6), r.StatusCode, r.RequestID, r.ErrorCode, r.DeclineCode)
		if r.Replayed {
			attrs = append(attrs, AttrReplayed.Bool(true))
		}
		if errType != "" {
			attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
			// The description is the class, never the error's text.
			span.SetStatus(codes.Error, errType)
		}
		span.SetAttributes(attrs...)
		span.End()
	}
	if o.requestDuration.Enabled(ctx) {
		key := durationKey{call.Method, call.ServerAddress, call.ServerPort, call.URLTemplate, r.StatusCode, errType}
		set, ok := o.durationSets.get(key)
		if !ok {
			attrs := []attribute.KeyValue{
				semconv.HTTPRequestMethodKey.String(call.Method),
				semconv.ServerAddress(call.ServerAddress),
				semconv.ServerPort(call.ServerPort),
				semconv.URLTemplate(call.URLTemplate),
			}
			if r.StatusCode != 0 {
				attrs = append(attrs, semconv.HTTPResponseStatusCode(r.StatusCode))
			}
			if errType != "" {
				attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
			}
			set = o.durationSets.put(key, attribute.NewSet(attrs...))
		}
		o.requestDuration.RecordSet(ctx, r.Duration.Seconds(), set)
	}
	if r.Retry && o.retries.Enabled(ctx) {
		o.retries.Add(ctx, 1, metric.WithAttributes(AttrOperation.String(call.Operation), semconv.ErrorTypeKey.String(errType)))
	}
}

// EndCall ends the call's span and counts the call by outcome.
func (o *Observer) EndCall(ctx context.Context, call tokenim.CallInfo, r tokenim.CallResult) {
	outcome, code := classify(r)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		attrs := make([]attribute.KeyValue, 4, 9)
		attrs[0] = AttrOutcome.String(outcome)
		attrs[1] = AttrOutcomeUnknown.Bool(r.OutcomeUnknown)
		attrs[2] = AttrReplayed.Bool(r.Replayed)
		attrs[3] = AttrAttempts.Int(r.Attempts)
		attrs = answerAttrs(attrs, r.StatusCode, r.RequestID, r.ErrorCode, r.DeclineCode)
		if outcome != OutcomeSucceeded {
			attrs = append(attrs, semconv.ErrorTypeKey.String(code))
			span.SetStatus(codes.Error, code)
		}
		span.SetAttributes(attrs...)
		span.End()
	}
	if o.calls.Enabled(ctx) {
		key := callKey{call.Operation, outcome, code}
		set, ok := o.callSets.get(key)
		if !ok {
			attrs := []attribute.KeyValue{AttrOperation.String(call.Operation), AttrOutcome.String(outcome)}
			switch outcome {
			case OutcomeDeclined:
				attrs = append(attrs, AttrDeclineCode.String(code))
			case OutcomeError:
				attrs = append(attrs, AttrErrorCode.String(code))
			}
			set = o.callSets.put(key, attribute.NewSet(attrs...))
		}
		o.calls.Add(ctx, 1, metric.WithAttributeSet(set))
	}
	if r.OutcomeUnknown && o.unknown.Enabled(ctx) {
		o.unknown.Add(ctx, 1, metric.WithAttributes(AttrOperation.String(call.Operation)))
	}
}

// answerAttrs appends what an answer said: status, request id, codes.
func answerAttrs(attrs []attribute.KeyValue, status int, requestID string, code tokenim.ErrorCode, decline tokenim.DeclineCode) []attribute.KeyValue {
	if status != 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(status))
	}
	if requestID != "" {
		attrs = append(attrs, AttrRequestID.String(requestID))
	}
	if code != "" {
		attrs = append(attrs, AttrErrorCode.String(string(code)))
	}
	if decline != "" {
		attrs = append(attrs, AttrDeclineCode.String(string(decline)))
	}
	return attrs
}

// classify gives a call's tokenim.outcome and its code: the decline code of
// a decline, the error code (or the transport error's class) of an error.
func classify(r tokenim.CallResult) (outcome, code string) {
	switch {
	case r.Err == nil:
		return OutcomeSucceeded, ""
	case r.OutcomeUnknown:
		return OutcomeUnknown, "unknown_outcome"
	case r.ErrorCode == tokenim.CodeCardDeclined:
		code := string(r.DeclineCode)
		if code == "" {
			code = string(tokenim.DeclineGenericDecline)
		}
		return OutcomeDeclined, code
	case r.ErrorCode != "":
		return OutcomeError, string(r.ErrorCode)
	case r.StatusCode >= 400:
		return OutcomeError, statusText(r.StatusCode)
	}
	return OutcomeError, transportErrorType(r.Err)
}

// attemptErrorType is the error.type of an attempt: the status code of an
// answer of 400 or more (HTTP semantic conventions), the class of a
// transport failure, "" for success.
func attemptErrorType(r tokenim.AttemptResult) string {
	switch {
	case r.Err != nil:
		return transportErrorType(r.Err)
	case r.StatusCode >= 400:
		return statusText(r.StatusCode)
	}
	return ""
}

func statusText(code int) string {
	if code >= 100 && code <= 599 {
		return statusCodes[code-100]
	}
	return "_OTHER"
}

// statusCodes spells every status code once, so no call formats one.
var statusCodes = func() (s [500]string) {
	for i := range s {
		n := i + 100
		s[i] = string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
	}
	return s
}()

// transportErrorType names a failure without an answer by a low-cardinality
// class; the error's text (which may hold a host name) never goes out.
func transportErrorType(err error) string {
	var dnsErr *net.DNSError
	var timeout interface{ Timeout() bool }
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &timeout) && timeout.Timeout():
		return "timeout"
	case errors.As(err, &dnsErr):
		return "name_resolution_error"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection_refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection_reset"
	case errors.Is(err, tokenim.ErrUnavailable):
		return "unreachable"
	}
	if strings.Contains(err.Error(), "EOF") {
		return "connection_closed"
	}
	return "transport_error"
}

// redactQuery keeps a URL's query keys and replaces every value with
// REDACTED: list filters and cursors are not secrets, but a span is no
// place for data, and the rule is simpler to trust than a list of keys.
func redactQuery(u string) string {
	base, query, ok := strings.Cut(u, "?")
	if !ok || query == "" {
		return base
	}
	var b strings.Builder
	b.Grow(len(u))
	b.WriteString(base)
	b.WriteByte('?')
	for i, kv := range strings.Split(query, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		k, _, hasValue := strings.Cut(kv, "=")
		b.WriteString(k)
		if hasValue {
			b.WriteString("=REDACTED")
		}
	}
	return b.String()
}

// inject writes ctx's trace context into the attempt's headers with the
// propagator of WithPropagator, else the global one; if that wrote no
// traceparent (the global default propagates nothing), W3C trace context
// is added, so every request carries one.
func (o *Observer) inject(ctx context.Context, h tokenim.HeaderSetter) {
	c := &headerCarrier{h: h}
	p := o.propagator
	if p == nil {
		p = otel.GetTextMapPropagator()
	}
	p.Inject(ctx, c)
	if !c.traceparent {
		propagation.TraceContext{}.Inject(ctx, c)
	}
}

// headerCarrier writes a propagator's fields through the SDK's
// HeaderSetter; it reads nothing, so Get and Keys are empty.
type headerCarrier struct {
	h           tokenim.HeaderSetter
	traceparent bool // a traceparent was written
}

func (c *headerCarrier) Get(string) string { return "" }
func (c *headerCarrier) Keys() []string    { return nil }
func (c *headerCarrier) Set(key, value string) {
	if strings.EqualFold(key, "traceparent") {
		c.traceparent = true
	}
	c.h.Set(key, value)
}
