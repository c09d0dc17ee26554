package tokenim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	secretCardNumber = "4242424242424242"
	secretCVC        = "7391"
	secretWebhook    = "whsec_c2VjcmV0"
	secretKeyBody    = "51SECRETsecretSECRET"
)

// cvcAlone matches the CVC as a token of its own. Four digits turn up by
// chance inside timestamps and random idempotency keys, so a bare substring
// check would fail on luck; a CVC that leaks is printed with something other
// than a hex digit on either side (a quote, a space, a colon, an end).
var cvcAlone = regexp.MustCompile(`(^|[^0-9A-Fa-f])` + secretCVC + `($|[^0-9A-Fa-f])`)

func assertNoSecrets(t *testing.T, out string, what string) {
	t.Helper()
	for _, s := range []string{secretKeyBody, secretCardNumber, secretWebhook} {
		assert.NotContains(t, out, s, "%s leaks a secret", what)
	}
	assert.False(t, cvcAlone.MatchString(out), "%s leaks the CVC: %s", what, out)
}

func TestSecrets_neverFormatted(t *testing.T) {
	t.Parallel()
	c, _, _ := newTestClient(t)
	card := Card(secretCardNumber, 12, 2030, secretCVC)
	params := PaymentCreateParams{OrderID: "ord_1", Method: card}
	endpoint := WebhookEndpoint{ID: "we_1", URL: "https://shop.example/h", Secret: NewSecret(secretWebhook)}
	req, err := c.NewRequest(context.Background(), http.MethodPost, "/v1/payments", &params)
	require.NoError(t, err)
	values := map[string]any{
		"*Client":              c,
		"Client":               *c,
		"CardParams":           *card.Card,
		"*CardParams":          card.Card,
		"PaymentMethodParams":  card,
		"*PaymentMethodParams": &card,
		"PaymentCreateParams":  params,
		"*PaymentCreateParams": &params,
		"WebhookEndpoint":      endpoint,
		"*WebhookEndpoint":     &endpoint,
		"*Request":             req,
		"nested in a struct":   struct{ P *PaymentCreateParams }{&params},
		"in a slice":           []any{c, card, endpoint},
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			out := fmt.Sprintf(verb, v)
			assertNoSecrets(t, out, name+" with "+verb)
			assert.NotContains(t, out, "52 50 52 50", "%s with %s prints the card number as bytes", name, verb)
		}
	}
	assert.Contains(t, fmt.Sprint(card), "4242", "the last four digits stay visible for debugging")
	assert.Contains(t, fmt.Sprint(c), "sk_test_[REDACTED]")
}

// lockedBuffer is a goroutine-safe log sink.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestSecrets_neverLogged(t *testing.T) {
	t.Parallel()
	var text, js lockedBuffer
	for _, h := range []slog.Handler{
		slog.NewTextHandler(&text, &slog.HandlerOptions{Level: slog.LevelDebug}),
		slog.NewJSONHandler(&js, &slog.HandlerOptions{Level: slog.LevelDebug}),
	} {
		logger := slog.New(h)
		c, mt, _ := newTestClient(t, WithLogger(logger))
		card := Card(secretCardNumber, 12, 2030, secretCVC)
		params := &PaymentCreateParams{OrderID: "ord_1", Method: card}

		req, err := c.NewRequest(context.Background(), http.MethodPost, "/v1/payments", params)
		require.NoError(t, err)
		logger.Info("values", "client", c, "card", card.Card, "method", card, "params", params,
			"endpoint", &WebhookEndpoint{ID: "we_1", Secret: NewSecret(secretWebhook)}, "request", req)

		// Real calls at debug level: a retried success, a decline, a lost
		// response and an authentication failure.
		n := 0
		mt.RegisterResponder("POST", testBaseURL+"/v1/payments", func(*http.Request) (*http.Response, error) {
			n++
			switch n {
			case 1:
				return problemResponse(503, CodeServiceUnavailable), nil
			case 2:
				return rawJSONResponse(200, paymentJSON), nil
			case 3:
				return problemResponse(402, CodeCardDeclined), nil
			default:
				return nil, &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
			}
		})
		mt.RegisterResponder("POST", testBaseURL+"/v1/webhook_endpoints", func(*http.Request) (*http.Response, error) {
			return rawJSONResponse(200, endpointJSON), nil
		})
		mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_1", func(*http.Request) (*http.Response, error) {
			return problemResponse(401, CodeInvalidAPIKey), nil
		})
		var errs []error
		for range 3 {
			_, err := c.Payments.Create(context.Background(), params)
			errs = append(errs, err)
		}
		w, err := c.WebhookEndpoints.Create(context.Background(), &WebhookEndpointCreateParams{URL: "https://shop.example/h", Events: []EventType{"*"}})
		require.NoError(t, err)
		logger.Info("endpoint created", "endpoint", w)
		_, err = c.Orders.Get(context.Background(), "ord_1")
		errs = append(errs, err)

		require.NoError(t, errs[0])
		for _, err := range errs[1:] {
			require.Error(t, err)
			assertNoSecrets(t, err.Error(), "error "+err.Error())
			assertNoSecrets(t, fmt.Sprintf("%+v", err), "error with %+v")
		}
	}
	for name, out := range map[string]string{"text": text.String(), "json": js.String()} {
		require.NotEmpty(t, out)
		assert.Contains(t, out, "/v1/payments", "the %s log records the calls", name)
		assert.Contains(t, out, "req_problem", "the %s log records request ids", name)
		assert.Contains(t, out, "tokenim: retrying", "the %s log records retries", name)
		assertNoSecrets(t, out, name+" log")
		assert.False(t, strings.Contains(out, "Bearer"), "%s log holds an Authorization header", name)
	}
}

// holder is how a merchant's own types hold SDK values: in unexported
// fields, where fmt cannot call their formatting methods and falls back to
// printing them by reflection.
type holder struct {
	client   *Client
	payments *PaymentsService
	req      *Request
	reqValue Request
	params   *PaymentCreateParams
}

// TestSecrets_unreachableByAnyVerbOrHandler sweeps every format verb, every
// exported type of the client side, by value and by pointer, inside
// merchant structs, and both slog handlers: no API key, card number or CVC
// comes out.
func TestSecrets_unreachableByAnyVerbOrHandler(t *testing.T) {
	t.Parallel()
	c, _, _ := newTestClient(t)
	card := Card(secretCardNumber, 12, 2030, secretCVC)
	params := PaymentCreateParams{OrderID: "ord_1", Method: card}
	req, err := c.NewRequest(context.Background(), http.MethodPost, "/v1/payments", &params)
	require.NoError(t, err)
	endpoint := WebhookEndpoint{ID: "we_1", URL: "https://shop.example/h", Secret: NewSecret(secretWebhook)}
	apiErr := &Error{HTTPStatus: 402, Code: CodeCardDeclined, IdempotencyKey: "k"}
	uo := &UnknownOutcomeError{Method: "POST", Path: "/v1/payments", IdempotencyKey: "k", Err: apiErr}
	h := holder{client: c, payments: c.Payments, req: req, reqValue: *req, params: &params}

	values := map[string]any{
		"*Client": c, "Client": *c,
		"*OrdersService": c.Orders, "*PaymentsService": c.Payments, "*RefundsService": c.Refunds,
		"*EventsService": c.Events, "*WebhookEndpointsService": c.WebhookEndpoints, "*StatusService": c.Status,
		"PaymentsService": *c.Payments,
		"*Request":        req, "Request": *req,
		"CardParams": *card.Card, "*CardParams": card.Card,
		"PaymentMethodParams": card, "*PaymentMethodParams": &card,
		"PaymentCreateParams": params, "*PaymentCreateParams": &params,
		"WebhookEndpoint": endpoint, "*WebhookEndpoint": &endpoint,
		"*Error": apiErr, "Error": *apiErr,
		"*UnknownOutcomeError": uo, "UnknownOutcomeError": *uo,
		"merchant struct": h, "*merchant struct": &h,
		"exported fields": struct {
			C *Client
			R Request
			P *PaymentsService
		}{c, *req, c.Payments},
	}
	// Containers go through fmt (and slog's text handler) element by element,
	// and through slog's JSON handler to encoding/json, where the secrets'
	// MarshalJSON redacts them.
	containers := map[string]any{
		"slice": []any{c, *req, card, endpoint, h},
		"map":   map[string]any{"c": c, "r": *req, "h": h},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%o", "%b", "%e", "%f", "%g", "%t", "%c", "%U", "%T", "%10.3s", "%-v"}
	for name, v := range containers {
		for _, verb := range verbs {
			assertNoSecrets(t, fmt.Sprintf(verb, v), name+" with "+verb)
		}
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("value", "v", v)
		assertNoSecrets(t, buf.String(), name+" in slog text")
		buf.Reset()
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("value", "v", v)
		assertNoSecrets(t, buf.String(), name+" in slog json")
		j, err := json.Marshal(v)
		require.NoError(t, err)
		assertNoSecrets(t, string(j), name+" in json.Marshal")
	}
	for name, v := range values {
		for _, verb := range verbs {
			out := fmt.Sprintf(verb, v)
			assertNoSecrets(t, out, name+" with "+verb)
			assert.NotContains(t, out, "Bearer", "%s with %s", name, verb)
		}
		for handler, newHandler := range map[string]func(w *bytes.Buffer) slog.Handler{
			"text": func(w *bytes.Buffer) slog.Handler { return slog.NewTextHandler(w, nil) },
			"json": func(w *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(w, nil) },
		} {
			var buf bytes.Buffer
			slog.New(newHandler(&buf)).Info("value", "v", v, slog.Any("any", v), slog.Group("g", "v", v))
			assertNoSecrets(t, buf.String(), name+" in slog "+handler)
			assert.NotContains(t, buf.String(), "Bearer", "%s in slog %s", name, handler)
		}
	}
	assert.Contains(t, fmt.Sprint(*req), "/v1/payments", "a request still says what it is")
}

// TestSecrets_cardNeverPrintedOrMarshalled holds card data, in every shape a
// merchant's code nests params in (slices, maps, struct fields, pointers),
// to every fmt verb, both slog handlers and json.Marshal: the number and CVC
// go only onto the wire (docs/contract-decisions.md, "Secrets").
func TestSecrets_cardNeverPrintedOrMarshalled(t *testing.T) {
	t.Parallel()
	card := Card(secretCardNumber, 12, 2040, secretCVC)
	params := PaymentCreateParams{OrderID: "ord_1", Method: card}
	type order struct {
		Params  PaymentCreateParams
		Method  *PaymentMethodParams
		Card    *CardParams
		private PaymentCreateParams
	}
	o := order{Params: params, Method: &card, Card: card.Card, private: params}
	values := map[string]any{
		"[]PaymentCreateParams":          []PaymentCreateParams{params},
		"[]*PaymentCreateParams":         []*PaymentCreateParams{&params},
		"map[string]PaymentCreateParams": map[string]PaymentCreateParams{"p": params},
		"map[string]*CardParams":         map[string]*CardParams{"c": card.Card},
		"map[string]any":                 map[string]any{"card": *card.Card, "method": card},
		"[]CardParams":                   []CardParams{*card.Card},
		"[]PaymentMethodParams":          []PaymentMethodParams{card},
		"struct":                         o,
		"*struct":                        &o,
		"[]struct":                       []order{o},
		"CardParams":                     *card.Card,
		"*CardParams":                    card.Card,
		"PaymentCreateParams":            params,
		"**PaymentCreateParams":          func() **PaymentCreateParams { p := &params; return &p }(),
		"[1]PaymentCreateParams":         [1]PaymentCreateParams{params},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%o", "%b", "%e", "%f", "%g", "%t", "%c", "%U", "%T", "%10.3s", "%-v", "%p"}
	for name, v := range values {
		for _, verb := range verbs {
			assertNoCard(t, fmt.Sprintf(verb, v), name+" with "+verb)
		}
		for handler, newHandler := range map[string]func(w *bytes.Buffer) slog.Handler{
			"text": func(w *bytes.Buffer) slog.Handler { return slog.NewTextHandler(w, nil) },
			"json": func(w *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(w, nil) },
		} {
			var buf bytes.Buffer
			slog.New(newHandler(&buf)).Info("x", "v", v, slog.Any("any", v), slog.Group("g", "v", v))
			require.NotEmpty(t, buf.String())
			assertNoCard(t, buf.String(), name+" in slog "+handler)
		}
		j, err := json.Marshal(v)
		require.NoError(t, err, name)
		assertNoCard(t, string(j), name+" in json.Marshal")
		var ind bytes.Buffer
		enc := json.NewEncoder(&ind)
		enc.SetIndent("", " ")
		require.NoError(t, enc.Encode(v))
		assertNoCard(t, ind.String(), name+" in json.Encoder")
	}
}

// assertNoCard fails when out holds the card number, its digits spaced or
// as bytes, or the CVC as a token of its own.
func assertNoCard(t *testing.T, out, what string) {
	t.Helper()
	assert.NotContains(t, out, secretCardNumber, "%s leaks the card number", what)
	assert.NotContains(t, out, fmt.Sprintf("%x", secretCardNumber), "%s leaks the card number in hex", what)
	assert.NotContains(t, out, fmt.Sprintf("% x", secretCardNumber), "%s leaks the card number as bytes", what)
	assert.False(t, cvcAlone.MatchString(out), "%s leaks the CVC: %s", what, out)
}
