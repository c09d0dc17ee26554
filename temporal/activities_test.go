package tokenimtemporal_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
	tokenimtemporal "github.com/tokenim/tokenim-go/temporal"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

// losing drops the answer to the first n payment POSTs after the sandbox
// has executed them: the activity sees an unknown outcome.
type losing struct {
	next http.RoundTripper
	n    atomic.Int32
	keys []string
}

func (l *losing) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err == nil && r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v1/payments") {
		l.keys = append(l.keys, r.Header.Get("Idempotency-Key"))
		if l.n.Add(-1) >= 0 {
			resp.Body.Close()
			return nil, errors.New("connection reset by peer")
		}
	}
	return resp, err
}

func checkout(ctx workflow.Context, p tokenimtemporal.PaymentParams) (*tokenimtemporal.Result, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		ScheduleToCloseTimeout: time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 5},
	})
	var a *tokenimtemporal.Activities
	var res tokenimtemporal.Result
	err := workflow.ExecuteActivity(ctx, a.CreatePayment, p).Get(ctx, &res)
	return &res, err
}

func unbounded(ctx workflow.Context, p tokenimtemporal.PaymentParams) (*tokenimtemporal.Result, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	var a *tokenimtemporal.Activities
	var res tokenimtemporal.Result
	err := workflow.ExecuteActivity(ctx, a.CreatePayment, p).Get(ctx, &res)
	return &res, err
}

func env(t *testing.T, rt http.RoundTripper) (*testsuite.TestWorkflowEnvironment, *tokenim.Client) {
	t.Helper()
	srv := sandbox.Start(t, sandbox.WithFrozenClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)))
	opts := []tokenim.Option{tokenim.WithMaxRetries(0)}
	if rt != nil {
		if l, ok := rt.(*losing); ok {
			l.next = srv.Client().Transport
		}
		opts = append(opts, tokenim.WithHTTPClient(&http.Client{Transport: rt}))
	}
	c := tokenimtest.NewClient(t, srv, opts...)
	var s testsuite.WorkflowTestSuite
	e := s.NewTestWorkflowEnvironment()
	e.RegisterWorkflow(checkout)
	e.RegisterWorkflow(unbounded)
	e.RegisterActivity(&tokenimtemporal.Activities{Client: c})
	return e, tokenimtest.NewClient(t, srv)
}

func order(t *testing.T, c *tokenim.Client, ref string, amount int64) string {
	t.Helper()
	o, err := c.Orders.Create(context.Background(), &tokenim.OrderCreateParams{MerchantOrderID: ref, Amount: amount, Currency: "CNY"})
	require.NoError(t, err)
	return o.ID
}

func TestCreatePayment_retriedActivityChargesOnce(t *testing.T) {
	t.Parallel()
	lose := &losing{}
	lose.n.Store(2)
	e, c := env(t, lose)
	id := order(t, c, "T-1", 1999)
	e.SetStartWorkflowOptions(clientWorkflowOptions("checkout-" + id))
	e.ExecuteWorkflow(checkout, tokenimtemporal.PaymentParams{OrderID: id, Method: tokenim.PaymentMethodTypeWallet, WalletProvider: tokenim.WalletAlipay})
	require.True(t, e.IsWorkflowCompleted())
	require.NoError(t, e.GetWorkflowError())
	var res tokenimtemporal.Result
	require.NoError(t, e.GetWorkflowResult(&res))
	assert.Equal(t, "succeeded", res.Status)

	require.Len(t, lose.keys, 3, "two lost answers, then the third attempt's")
	assert.Equal(t, lose.keys[0], lose.keys[1])
	assert.Equal(t, lose.keys[0], lose.keys[2], "every attempt sent the same key")
	assert.Equal(t, res.IdempotencyKey, lose.keys[0])
	n := 0
	for p, err := range c.Payments.All(context.Background(), &tokenim.PaymentListParams{OrderID: id}) {
		require.NoError(t, err)
		n++
		assert.Equal(t, tokenim.PaymentStatusSucceeded, p.Status)
	}
	assert.Equal(t, 1, n, "three attempts, one payment")
}

func TestCreatePayment_declineIsNotRetried(t *testing.T) {
	t.Parallel()
	e, c := env(t, nil)
	id := order(t, c, "T-2", 2051) // tokenim_balance with …51: insufficient funds
	e.ExecuteWorkflow(checkout, tokenimtemporal.PaymentParams{OrderID: id, Method: tokenim.PaymentMethodTypeWallet, WalletProvider: tokenim.WalletTokenimBalance})
	require.True(t, e.IsWorkflowCompleted())
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, e.GetWorkflowError(), &appErr)
	assert.True(t, appErr.NonRetryable())
	assert.Contains(t, []string{tokenimtemporal.ErrTypeDeclined, tokenimtemporal.ErrTypeRejected}, appErr.Type())
}

func TestCreatePayment_refusesCardsAndUnboundedRetries(t *testing.T) {
	t.Parallel()
	e, c := env(t, nil)
	id := order(t, c, "T-3", 1999)
	e.ExecuteWorkflow(checkout, tokenimtemporal.PaymentParams{OrderID: id, Method: tokenim.PaymentMethodTypeCard})
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, e.GetWorkflowError(), &appErr)
	assert.Equal(t, tokenimtemporal.ErrTypeCard, appErr.Type())

	e2, _ := env(t, nil)
	e2.ExecuteWorkflow(unbounded, tokenimtemporal.PaymentParams{OrderID: id, Method: tokenim.PaymentMethodTypeBankTransfer})
	require.ErrorAs(t, e2.GetWorkflowError(), &appErr)
	assert.Equal(t, tokenimtemporal.ErrTypeUnboundedTO, appErr.Type())
	assert.Contains(t, appErr.Error(), "ScheduleToCloseTimeout")
	n := 0
	for _, err := range c.Payments.All(context.Background(), &tokenim.PaymentListParams{OrderID: id}) {
		require.NoError(t, err)
		n++
	}
	assert.Zero(t, n, "neither call was sent")
}

func TestKey_isStablePerActivityAndDistinctAcrossWorkflows(t *testing.T) {
	t.Parallel()
	var keys []string
	run := func(wfID string) {
		lose := &losing{}
		e, c := env(t, lose)
		id := order(t, c, "K-"+wfID, 1000)
		e.SetStartWorkflowOptions(clientWorkflowOptions(wfID))
		e.ExecuteWorkflow(checkout, tokenimtemporal.PaymentParams{OrderID: id, Method: tokenim.PaymentMethodTypeBankTransfer})
		require.NoError(t, e.GetWorkflowError())
		require.Len(t, lose.keys, 1)
		keys = append(keys, lose.keys[0])
	}
	run("checkout-a")
	run("checkout-a")
	run("checkout-b")
	assert.Equal(t, keys[0], keys[1], "the same workflow id and activity: the same key")
	assert.NotEqual(t, keys[0], keys[2])
	assert.Regexp(t, `^tmp_[0-9a-f]{32}$`, keys[0])
}

func clientWorkflowOptions(id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: id}
}
