package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

// result is what one run of the program produced.
type result struct {
	code           int
	stdout, stderr string
}

// invocation describes one run of the program.
type invocation struct {
	ctx   context.Context
	env   map[string]string
	stdin string
}

func (in invocation) run(t *testing.T, args ...string) result {
	t.Helper()
	ctx := in.ctx
	if ctx == nil {
		ctx = t.Context()
	}
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, strings.NewReader(in.stdin), &stdout, &stderr, func(k string) string { return in.env[k] })
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// cli runs the program with an empty environment.
func cli(t *testing.T, args ...string) result {
	t.Helper()
	return invocation{}.run(t, args...)
}

// sandboxEnv is the environment that points the program at srv.
func sandboxEnv(srv *sandbox.Server) map[string]string {
	return map[string]string{
		envAPIKey:     srv.APIKey(),
		envMerchantID: srv.MerchantID,
		envBaseURL:    srv.URL,
	}
}

// against runs the program configured through the environment for srv.
func against(t *testing.T, srv *sandbox.Server, args ...string) result {
	t.Helper()
	return invocation{env: sandboxEnv(srv)}.run(t, args...)
}

func sdkClient(t *testing.T, srv *sandbox.Server) *tokenim.Client {
	t.Helper()
	c, err := tokenim.NewClient(srv.APIKey(), tokenim.WithMerchantID(srv.MerchantID), tokenim.WithBaseURL(srv.URL))
	require.NoError(t, err)
	return c
}

// paidOrder creates an order of amount CNY and pays it with a test card.
func paidOrder(t *testing.T, c *tokenim.Client, ref string, amount int64) (*tokenim.Order, *tokenim.Payment) {
	t.Helper()
	o, err := c.Orders.Create(t.Context(), &tokenim.OrderCreateParams{MerchantOrderID: ref, Amount: amount, Currency: "CNY"})
	require.NoError(t, err)
	p, err := c.Payments.Create(t.Context(), &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Card(cardSucceeds, 12, 2040, "123")})
	require.NoError(t, err)
	require.Equal(t, tokenim.PaymentStatusSucceeded, p.Status)
	return o, p
}

// eventTypes lists the types of the merchant's events, newest first.
func eventTypes(t *testing.T, c *tokenim.Client) []string {
	t.Helper()
	var types []string
	for ev, err := range c.Events.All(t.Context(), &tokenim.EventListParams{ListParams: tokenim.ListParams{Limit: 100}}) {
		require.NoError(t, err)
		types = append(types, string(ev.Type))
	}
	return types
}

// lineWriter is an io.Writer that hands complete lines to a channel, for a
// test to follow a program that is still running.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 1024)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err == io.EOF {
			w.buf.WriteString(line) // keep the partial line
			return len(p), nil
		}
		w.lines <- strings.TrimSuffix(line, "\n")
	}
}
