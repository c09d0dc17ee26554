package tokenimtest_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

var t0 = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

func createOrder(t *testing.T, c *tokenim.Client, ref string, amount int64) *tokenim.Order {
	t.Helper()
	o, err := c.Orders.Create(context.Background(), &tokenim.OrderCreateParams{
		MerchantOrderID: ref, Amount: amount, Currency: "CNY",
	})
	require.NoError(t, err)
	return o
}

func TestStart_clientUsesDefaultMerchant(t *testing.T) {
	t.Parallel()
	client, srv := tokenimtest.Start(t)
	ctx := context.Background()

	order := createOrder(t, client, "A-1", 1999)
	pay, err := client.Payments.Create(ctx, &tokenim.PaymentCreateParams{
		OrderID: order.ID, Method: tokenim.Card("4242424242424242", 12, time.Now().Year()+2, "123"),
	})
	require.NoError(t, err)
	assert.Equal(t, tokenim.PaymentStatusSucceeded, pay.Status)

	got, err := client.Orders.Get(ctx, order.ID)
	require.NoError(t, err)
	assert.Equal(t, tokenim.OrderStatusPaid, got.Status)

	reqs := srv.Requests()
	require.NotEmpty(t, reqs)
	for _, r := range reqs {
		assert.Equal(t, srv.MerchantID, r.MerchantID, "%s %s", r.Method, r.Path)
	}
	assert.NotEmpty(t, srv.Events(srv.MerchantID), "the payment's events belong to the default merchant")
}

func TestClientFor_isolatesMerchants(t *testing.T) {
	t.Parallel()
	alice, srv := tokenimtest.Start(t)
	bob := tokenimtest.ClientFor(t, srv, srv.AddMerchant())
	ctx := context.Background()

	aliceOrder := createOrder(t, alice, "SAME-REF", 1000)
	// merchant_order_id is unique per merchant, so Bob may reuse Alice's.
	bobOrder := createOrder(t, bob, "SAME-REF", 2000)
	assert.NotEqual(t, aliceOrder.ID, bobOrder.ID)

	_, err := bob.Orders.Get(ctx, aliceOrder.ID)
	assert.ErrorIs(t, err, tokenim.ErrNotFound, "Bob must not see Alice's order")
	_, err = alice.Orders.Get(ctx, bobOrder.ID)
	assert.ErrorIs(t, err, tokenim.ErrNotFound, "Alice must not see Bob's order")

	for name, tc := range map[string]struct {
		client *tokenim.Client
		want   *tokenim.Order
	}{"alice": {alice, aliceOrder}, "bob": {bob, bobOrder}} {
		page, err := tc.client.Orders.List(ctx, nil)
		require.NoError(t, err, name)
		require.Len(t, page.Data, 1, name)
		assert.Equal(t, tc.want.ID, page.Data[0].ID, name)
		assert.Equal(t, tc.want.Amount, page.Data[0].Amount, name)
	}
}

func TestClientFor_twoSandboxesAreIndependent(t *testing.T) {
	t.Parallel()
	a, _ := tokenimtest.Start(t)
	b, _ := tokenimtest.Start(t)
	order := createOrder(t, a, "A-1", 500)

	_, err := b.Orders.Get(context.Background(), order.ID)
	assert.ErrorIs(t, err, tokenim.ErrNotFound)
}

func TestStart_frozenClock(t *testing.T) {
	t.Parallel()
	client, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(t0))
	ctx := context.Background()

	order := createOrder(t, client, "A-1", 1999)
	assert.Equal(t, t0.Add(30*time.Minute), order.ExpiresAt.UTC(), "default expiry is 30 min on the frozen clock")

	srv.Advance(29 * time.Minute)
	got, err := client.Orders.Get(ctx, order.ID)
	require.NoError(t, err)
	assert.Equal(t, tokenim.OrderStatusOpen, got.Status)

	srv.Advance(time.Minute)
	got, err = client.Orders.Get(ctx, order.ID)
	require.NoError(t, err)
	assert.Equal(t, tokenim.OrderStatusExpired, got.Status)

	_, err = client.Payments.Create(ctx, &tokenim.PaymentCreateParams{
		OrderID: order.ID, Method: tokenim.Card("4242424242424242", 12, time.Now().Year()+2, "123"),
	})
	var apiErr *tokenim.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, tokenim.CodeOrderExpired, apiErr.Code)
}

func TestStart_waitFollowsTheAdvancedClock(t *testing.T) {
	t.Parallel()
	client, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(t0))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	order := createOrder(t, client, "BT-1", 5000)
	pay, err := client.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: order.ID, Method: tokenim.BankTransfer()})
	require.NoError(t, err)
	require.Equal(t, tokenim.PaymentStatusProcessing, pay.Status)

	type result struct {
		p   *tokenim.Payment
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := client.Payments.Wait(ctx, pay.ID)
		done <- result{p, err}
	}()
	srv.Advance(time.Hour) // the transfer settles; Wait's next poll sees it
	res := <-done
	require.NoError(t, res.err)
	assert.Equal(t, tokenim.PaymentStatusSucceeded, res.p.Status)
}

// A sandbox in maintenance asks for Retry-After: 30, longer than the test
// client's maximum wait: the call ends at once with that answer and its
// retry-after (docs/tokenim-api.md §3) instead of stalling the test.
func TestNewClient_longRetryAfterEndsTheCall(t *testing.T) {
	t.Parallel()
	client, srv := tokenimtest.Start(t)
	srv.SetMaintenance(true)

	_, err := client.Orders.List(context.Background(), nil)
	var apiErr *tokenim.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, tokenim.CodeServiceUnavailable, apiErr.Code)
	assert.Equal(t, 30*time.Second, apiErr.RetryAfter)
	assert.Len(t, srv.Requests(), 1, "a Retry-After beyond the maximum wait is not waited out")
}

func TestNewClient_extraOptionsOverrideDefaults(t *testing.T) {
	t.Parallel()
	_, srv := tokenimtest.Start(t)
	client := tokenimtest.NewClient(t, srv, tokenim.WithMaxRetries(0))
	srv.SetMaintenance(true)

	_, err := client.Orders.List(context.Background(), nil)
	assert.ErrorIs(t, err, tokenim.ErrUnavailable)
	assert.Len(t, srv.Requests(), 1, "WithMaxRetries(0) turns retries off")
}

func TestStart_cleanupClosesTheSandbox(t *testing.T) {
	t.Parallel()
	var client *tokenim.Client
	t.Run("inner", func(t *testing.T) {
		client, _ = tokenimtest.Start(t)
		_, err := client.Status.Get(context.Background())
		require.NoError(t, err)
	})
	_, err := client.Status.Get(context.Background())
	assert.Error(t, err, "the sandbox is closed when the test that started it ends")
}

// fakeTB records a fatal failure instead of failing the real test.
type fakeTB struct {
	testing.TB
	mu    sync.Mutex
	fatal string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.fatal = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeTB) Fatal(args ...any) {
	f.mu.Lock()
	f.fatal = fmt.Sprint(args...)
	f.mu.Unlock()
	runtime.Goexit()
}

// runTB runs fn with a fakeTB in its own goroutine (Fatal ends it with
// runtime.Goexit, as testing does) and returns the fatal message, if any.
func runTB(fn func(tb testing.TB)) string {
	tb := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(tb)
	}()
	<-done
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return tb.fatal
}

func TestClientFor_badInputFailsTheTestWithoutTheKey(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)

	msg := runTB(func(tb testing.TB) {
		tokenimtest.NewClient(tb, srv, tokenim.WithRetryWait(time.Second, time.Millisecond))
	})
	assert.Contains(t, msg, "retry wait")
	assert.NotContains(t, msg, srv.APIKey())

	msg = runTB(func(tb testing.TB) {
		tokenimtest.ClientFor(tb, srv, func() sandbox.Merchant { m := srv.DefaultMerchant(); m.ID = "not-a-merchant"; return m }())
	})
	assert.Contains(t, msg, "not-a-merchant")
	assert.NotContains(t, msg, srv.APIKey())

	msg = runTB(func(tb testing.TB) { tokenimtest.NewClient(tb, nil) })
	assert.True(t, strings.Contains(msg, "nil"), "got %q", msg)
}

// A key source given to NewClient replaces the merchant's key, as the doc
// of NewClient promises for every extra option: each call asks it.
func TestNewClient_withAPIKeyFuncUsesTheSource(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	var asked sync.Mutex
	calls := 0
	key := srv.DefaultMerchant().APIKey()
	client := tokenimtest.NewClient(t, srv, tokenim.WithAPIKeyFunc(func(context.Context) (string, error) {
		asked.Lock()
		defer asked.Unlock()
		calls++
		return key, nil
	}))
	createOrder(t, client, "KF-1", 500)
	createOrder(t, client, "KF-2", 500)
	asked.Lock()
	defer asked.Unlock()
	assert.Equal(t, 2, calls, "the key source runs once per call")
}
