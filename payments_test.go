package tokenim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPaymentsService_endpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	testEndpoints(t, []endpointCase{
		{
			name: "Payments.Create card", method: "POST", path: "/v1/payments",
			wantBody: `{"order_id":"ord_123","method":{"type":"card","card":{"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}},"metadata":{"a":"b"}}`,
			respond:  paymentJSON,
			call: func(c *Client) (any, error) {
				return c.Payments.Create(ctx, &PaymentCreateParams{OrderID: "ord_123", Method: Card("4242424242424242", 12, 2030, "123"), Metadata: map[string]string{"a": "b"}})
			},
			check: func(t *testing.T, got any) {
				p := got.(*Payment)
				assert.Equal(t, PaymentStatusSucceeded, p.Status)
				require.NotNil(t, p.Method.Card)
				assert.Equal(t, PaymentMethodCard{Brand: "visa", Last4: "4242", ExpMonth: 12, ExpYear: 2030}, *p.Method.Card)
				assert.Equal(t, int64(88), p.Fee)
				assert.Equal(t, int64(1911), p.Net)
				require.NotNil(t, p.SucceededAt)
				assert.Equal(t, time.Date(2026, 11, 21, 9, 30, 1, 0, time.UTC), *p.SucceededAt)
				assert.Nil(t, p.NextAction)
			},
		},
		{
			name: "Payments.Create wallet", method: "POST", path: "/v1/payments",
			wantBody: `{"order_id":"ord_123","method":{"type":"wallet","wallet":{"provider":"alipay"}}}`,
			respond:  paymentJSON,
			call: func(c *Client) (any, error) {
				return c.Payments.Create(ctx, &PaymentCreateParams{OrderID: "ord_123", Method: Wallet(WalletAlipay)})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "pay_123", got.(*Payment).ID) },
		},
		{
			name: "Payments.Create bank transfer", method: "POST", path: "/v1/payments",
			wantBody: `{"order_id":"ord_123","method":{"type":"bank_transfer"}}`,
			respond: `{"id":"pay_7","object":"payment","status":"requires_action","next_action":{"type":"otp"},
				"method":{"type":"wallet","wallet":{"provider":"paypal"}}}`,
			call: func(c *Client) (any, error) {
				return c.Payments.Create(ctx, &PaymentCreateParams{OrderID: "ord_123", Method: BankTransfer()})
			},
			check: func(t *testing.T, got any) {
				p := got.(*Payment)
				require.NotNil(t, p.NextAction)
				assert.Equal(t, NextActionOTP, p.NextAction.Type)
				assert.Equal(t, WalletPayPal, p.Method.Wallet.Provider)
			},
		},
		{
			name: "Payments.Get", method: "GET", path: "/v1/payments/pay_123", respond: paymentJSON,
			call:  func(c *Client) (any, error) { return c.Payments.Get(ctx, "pay_123") },
			check: func(t *testing.T, got any) { assert.Equal(t, "ord_123", got.(*Payment).OrderID) },
		},
		{
			name: "Payments.Confirm", method: "POST", path: "/v1/payments/pay_123/confirm", wantBody: `{"otp":"000000"}`,
			respond: paymentJSON,
			call: func(c *Client) (any, error) {
				return c.Payments.Confirm(ctx, "pay_123", &PaymentConfirmParams{OTP: "000000"})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, PaymentStatusSucceeded, got.(*Payment).Status) },
		},
		{
			name: "Payments.Cancel", method: "POST", path: "/v1/payments/pay_123/cancel",
			respond: strings.Replace(paymentJSON, `"succeeded"`, `"canceled"`, 1),
			call:    func(c *Client) (any, error) { return c.Payments.Cancel(ctx, "pay_123") },
			check:   func(t *testing.T, got any) { assert.Equal(t, PaymentStatusCanceled, got.(*Payment).Status) },
		},
		{
			name: "Payments.Receipt", method: "GET", path: "/v1/payments/pay_123/receipt",
			respond: `{"object":"receipt","receipt_number":"RCPT-20261121-000001","payment_id":"pay_123","order_id":"ord_123",
				"merchant_order_id":"M-1","amount":1999,"currency":"CNY","fee":88,"method_summary":"visa •••• 4242","paid_at":"2026-11-21T09:30:01Z"}`,
			call: func(c *Client) (any, error) { return c.Payments.Receipt(ctx, "pay_123") },
			check: func(t *testing.T, got any) {
				r := got.(*Receipt)
				assert.Equal(t, "visa •••• 4242", r.MethodSummary)
				assert.Equal(t, "RCPT-20261121-000001", r.ReceiptNumber)
				assert.Equal(t, int64(88), r.Fee)
			},
		},
		{
			name: "Payments.List", method: "GET", path: "/v1/payments",
			query: url.Values{"order_id": {"ord_123"}, "status": {"failed"}}, respond: listJSON(paymentJSON),
			call: func(c *Client) (any, error) {
				return c.Payments.List(ctx, &PaymentListParams{OrderID: "ord_123", Status: PaymentStatusFailed})
			},
			check: func(t *testing.T, got any) { assert.Len(t, got.(*List[Payment]).Data, 1) },
		},
	})
}

func TestPaymentsService_Wait(t *testing.T) {
	t.Parallel()
	c, mt, sl := newTestClient(t)
	var rec recorder
	statuses := []string{"processing", "requires_action", "processing", "succeeded"}
	mt.RegisterResponder("GET", testBaseURL+"/v1/payments/pay_123", rec.handle(func(n int, _ *http.Request) (*http.Response, error) {
		return rawJSONResponse(200, strings.Replace(paymentJSON, `"succeeded"`, `"`+statuses[n-1]+`"`, 1)), nil
	}))

	p, err := c.Payments.Wait(context.Background(), "pay_123")

	require.NoError(t, err)
	assert.Equal(t, PaymentStatusSucceeded, p.Status)
	assert.Equal(t, 4, rec.Count())
	assert.Equal(t, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}, sl.Waits())
}

func TestPaymentsService_Wait_honoursContext(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	var rec recorder
	mt.RegisterResponder("GET", testBaseURL+"/v1/payments/pay_123", rec.handle(func(n int, _ *http.Request) (*http.Response, error) {
		if n == 2 {
			cancel() // the caller gives up while the payment is still processing
		}
		return rawJSONResponse(200, strings.Replace(paymentJSON, `"succeeded"`, `"processing"`, 1)), nil
	}))

	_, err := c.Payments.Wait(ctx, "pay_123")

	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 2, rec.Count())
}

// TestPayments_cardOnTheWireOnly: json.Marshal of card params redacts the
// number and CVC, yet every way of sending them (Payments.Create, and
// Client.NewRequest with the params by pointer or by value) puts them on the
// wire in clear, under the same keys as the params' own JSON.
func TestPayments_cardOnTheWireOnly(t *testing.T) {
	t.Parallel()
	card := Card("4000056655665556", 12, 2040, "9317")
	params := PaymentCreateParams{OrderID: "ord_1", Method: card, Metadata: map[string]string{"a": "b"}}
	const wire = `{"order_id":"ord_1","method":{"type":"card","card":{"number":"4000056655665556","exp_month":12,"exp_year":2040,"cvc":"9317"}},"metadata":{"a":"b"}}`

	public, err := json.Marshal(params)
	require.NoError(t, err)
	assert.JSONEq(t, `{"order_id":"ord_1","method":{"type":"card","card":{"number":"[REDACTED]","exp_month":12,"exp_year":2040,"cvc":"[REDACTED]"}},"metadata":{"a":"b"}}`, string(public),
		"the params' own JSON has the wire's keys, with the number and CVC redacted")

	c, mt, _ := newTestClient(t)
	var bodies []string
	mt.RegisterResponder("POST", testBaseURL+"/v1/payments", func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		return rawJSONResponse(200, paymentJSON), nil
	})
	_, err = c.Payments.Create(context.Background(), &params)
	require.NoError(t, err)
	for _, body := range []any{&params, params} {
		req, err := c.NewRequest(context.Background(), http.MethodPost, "/v1/payments", body)
		require.NoError(t, err)
		_, err = c.Do(req, nil)
		require.NoError(t, err)
	}
	require.Len(t, bodies, 3)
	for _, b := range bodies {
		assert.JSONEq(t, wire, b)
	}

	// The method and the card alone, as bodies of the caller's own calls.
	for body, want := range map[any]string{
		&card:     `{"type":"card","card":{"number":"4000056655665556","exp_month":12,"exp_year":2040,"cvc":"9317"}}`,
		card.Card: `{"number":"4000056655665556","exp_month":12,"exp_year":2040,"cvc":"9317"}`,
	} {
		got, err := encodeJSON(body)
		require.NoError(t, err)
		assert.JSONEq(t, want, string(got))
	}
	var nilParams *PaymentCreateParams
	got, err := encodeJSON(nilParams)
	require.NoError(t, err)
	assert.Equal(t, "null", string(got), "a nil pointer encodes as null, without a panic")
}

// echoObserver records the error text every hook of a call sees.
type echoObserver struct {
	mu   sync.Mutex
	seen []string
}

func (o *echoObserver) StartCall(ctx context.Context, _ CallInfo) context.Context { return ctx }
func (o *echoObserver) StartAttempt(ctx context.Context, _ CallInfo, _ int, _ HeaderSetter) context.Context {
	return ctx
}
func (o *echoObserver) EndAttempt(_ context.Context, _ CallInfo, r AttemptResult) {
	if r.Err != nil {
		o.add(r.Err.Error())
	}
}
func (o *echoObserver) EndCall(_ context.Context, _ CallInfo, r CallResult) {
	if r.Err != nil {
		o.add(r.Err.Error(), fmt.Sprintf("%+v", r.Err))
	}
}
func (o *echoObserver) add(s ...string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = append(o.seen, s...)
}

// TestPayments_errorsNeverEchoTheCard: a platform (or a proxy) whose problem
// document echoes the request puts the card number and CVC into detail,
// title, type and param. The client knows what it sent: none of it reaches
// Error(), the *Error fields, an *UnknownOutcomeError, the observer or the
// log, whatever the number's spelling (plain, spaced, dashed).
func TestPayments_errorsNeverEchoTheCard(t *testing.T) {
	t.Parallel()
	const number, cvc = "4000056655665556", "9317"
	for _, tc := range []struct {
		name     string
		lostOnce bool // the first attempt's answer is lost: the call ends unknown
		status   int
		code     ErrorCode
	}{
		{name: "decline", status: 402, code: CodeCardDeclined},
		{name: "invalid request", status: 400, code: CodeInvalidCardNumber},
		{name: "unknown outcome", lostOnce: true, status: 503, code: CodeServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if tc.lostOnce && calls.Add(1) == 1 {
					conn, _, err := w.(http.Hijacker).Hijack()
					if err == nil {
						conn.Close()
					}
					return
				}
				problem, _ := json.Marshal(map[string]any{
					"type":   "https://docs.tokenim.com/errors/" + string(tc.code) + "?n=" + number,
					"title":  "Card " + number + " refused",
					"status": tc.status,
					"detail": "card 4000 0566 5566 5556 (4000-0566-5566-5556) cvc " + cvc + " declined; request was " + string(body),
					"code":   tc.code, "decline_code": "insufficient_funds",
					"param":      "method.card.number=" + number,
					"request_id": "req_9317" + number,
				})
				w.Header().Set("Content-Type", "application/problem+json")
				w.Header().Set("Request-Id", "req_echo")
				w.WriteHeader(tc.status)
				w.Write(problem)
			}))
			t.Cleanup(srv.Close)
			var logs lockedBuffer
			obs := &echoObserver{}
			c, err := NewClient(testKey, WithBaseURL(srv.URL), WithMerchantID(testMerchantID),
				WithMaxRetries(1), WithRetryWait(time.Millisecond, 2*time.Millisecond), WithObserver(obs),
				WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			require.NoError(t, err)

			_, err = c.Payments.Create(context.Background(), &PaymentCreateParams{OrderID: "ord_1", Method: Card(number, 12, 2040, cvc)})
			require.Error(t, err)
			var apiErr *Error
			require.True(t, errors.As(err, &apiErr), "%v", err)
			assert.Equal(t, tc.code, apiErr.Code)
			if tc.lostOnce {
				var uo *UnknownOutcomeError
				require.True(t, errors.As(err, &uo), "%v", err)
				assert.Contains(t, uo.Error(), "outcome unknown")
			}
			assert.Contains(t, err.Error(), "declined", "what the detail says besides the card stays")
			assert.Contains(t, apiErr.Detail, "cvc [REDACTED] declined")
			shown := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", apiErr), apiErr.Error(),
				apiErr.Detail, apiErr.Title, apiErr.Type, apiErr.Param, apiErr.RequestID, logs.String()}
			obs.mu.Lock()
			shown = append(shown, obs.seen...)
			obs.mu.Unlock()
			for _, s := range shown {
				for _, spelled := range []string{number, "4000 0566 5566 5556", "4000-0566-5566-5556"} {
					assert.NotContains(t, s, spelled)
				}
				assert.False(t, regexp.MustCompile(`(^|[^0-9A-Za-z])`+cvc+`($|[^0-9A-Za-z])`).MatchString(s), "the CVC leaks: %s", s)
			}
		})
	}
}

// TestPayments_confirmErrorNeverEchoesTheCode: a wrong code echoed by the
// platform does not reach the error.
func TestPayments_confirmErrorNeverEchoesTheCode(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	mt.RegisterResponder("POST", testBaseURL+"/v1/payments/pay_1/confirm", func(*http.Request) (*http.Response, error) {
		resp := rawJSONResponse(402, `{"title":"code 482913 is wrong","status":402,"detail":"otp \"482913\" does not match","code":"authentication_failed"}`)
		resp.Header.Set("Content-Type", "application/problem+json")
		return resp, nil
	})
	_, err := c.Payments.Confirm(context.Background(), "pay_1", &PaymentConfirmParams{OTP: "482913"})
	var apiErr *Error
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, CodeAuthenticationFailed, apiErr.Code)
	assert.Equal(t, `otp "[REDACTED]" does not match`, apiErr.Detail)
	assert.NotContains(t, err.Error()+apiErr.Title, "482913")
}
