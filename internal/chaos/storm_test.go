package chaos

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tokenim "github.com/tokenim/tokenim-go"
)

const (
	stormCallers = 64
	stormRounds  = 5
)

// storm runs call from stormCallers goroutines released at once and returns
// each caller's object id, error and response.
func storm(call func(resp *tokenim.Response) (string, error)) ([]string, []error, []tokenim.Response) {
	ids := make([]string, stormCallers)
	errs := make([]error, stormCallers)
	resps := make([]tokenim.Response, stormCallers)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := range stormCallers {
		wg.Go(func() {
			<-release
			ids[i], errs[i] = call(&resps[i])
		})
	}
	close(release)
	wg.Wait()
	return ids, errs, resps
}

// assertOneExecution checks that every caller succeeded with the same id and
// that exactly one of them got the original (not replayed) answer.
func assertOneExecution(t *testing.T, what string, ids []string, errs []error, resps []tokenim.Response) string {
	t.Helper()
	for i, err := range errs {
		require.NoError(t, err, "%s: caller %d", what, i)
	}
	original := 0
	for i := range resps {
		assert.Equal(t, ids[0], ids[i], "%s: caller %d got another object", what, i)
		if !resps[i].Replayed {
			original++
		}
	}
	assert.Equal(t, 1, original, "%s: exactly one caller gets the original answer, the rest replays", what)
	return ids[0]
}

// TestStorm_sameKeyExecutesOnce sends one Orders.Create and then one
// Payments.Create from 64 goroutines at once with the same idempotency key:
// the platform executes each once, the callers that meet the key in use
// (409) are retried by the client, and every caller ends with the same id.
func TestStorm_sameKeyExecutesOnce(t *testing.T) {
	t.Parallel()
	p := newPlatform(t)
	// In-use 409s carry Retry-After: 1. A Retry-After beyond the maximum wait
	// ends the call (docs/tokenim-api.md §3), so the maximum wait must reach
	// one second for a caller that meets the key in use to wait it out and
	// replay; on a loaded machine several callers do, and some more than
	// once while the first execution is slow. A caller whose retries all
	// met the key in use calls again, as a merchant would (again): the
	// bound only catches a hang, it is no time limit in disguise.
	c := p.client(t, tokenim.WithMaxRetries(10), tokenim.WithRetryWait(time.Millisecond, time.Second))
	ctx := context.Background()

	for round := range stormRounds {
		ref := fmt.Sprintf("storm-%d", round)
		orderKey, payKey := ref+"-order", ref+"-pay"
		params := &tokenim.OrderCreateParams{MerchantOrderID: ref, Amount: 4999, Currency: "USD"}
		ids, errs, resps := storm(func(resp *tokenim.Response) (string, error) {
			o, err := again(func() (*tokenim.Order, error) {
				return c.Orders.Create(ctx, params, tokenim.WithIdempotencyKey(orderKey), tokenim.WithResponse(resp))
			})
			if err != nil {
				return "", err
			}
			return o.ID, nil
		})
		orderID := assertOneExecution(t, ref+" order", ids, errs, resps)
		orders, err := c.Orders.List(ctx, &tokenim.OrderListParams{MerchantOrderID: ref})
		require.NoError(t, err)
		require.Len(t, orders.Data, 1, "%s: one order", ref)
		assert.Equal(t, orderID, orders.Data[0].ID)

		pay := &tokenim.PaymentCreateParams{OrderID: orderID, Method: tokenim.Card(goodCard, 12, 2030, "123")}
		ids, errs, resps = storm(func(resp *tokenim.Response) (string, error) {
			pm, err := again(func() (*tokenim.Payment, error) {
				return c.Payments.Create(ctx, pay, tokenim.WithIdempotencyKey(payKey), tokenim.WithResponse(resp))
			})
			if err != nil {
				return "", err
			}
			return pm.ID, nil
		})
		paymentID := assertOneExecution(t, ref+" payment", ids, errs, resps)
		payments, err := c.Payments.List(ctx, &tokenim.PaymentListParams{OrderID: orderID})
		require.NoError(t, err)
		require.Len(t, payments.Data, 1, "%s: one payment", ref)
		assert.Equal(t, paymentID, payments.Data[0].ID)
		assert.Equal(t, tokenim.PaymentStatusSucceeded, payments.Data[0].Status)
	}

	// The sandbox's own log agrees: per key, one execution and the rest
	// replays or in-use answers.
	executed := map[string]int{}
	inUse, replays := 0, 0
	for _, r := range p.sb.Requests() {
		switch {
		case r.IdempotencyKey == "":
		case r.Status == 200 && !r.Replayed:
			executed[r.IdempotencyKey]++
		case r.Status == 200:
			replays++
		case r.Status == 409:
			inUse++
		}
	}
	t.Logf("storm: %d rounds of %d callers x 2 creates: %d replays, %d answered 409 idempotency_key_in_use and retried", stormRounds, stormCallers, replays, inUse)
	assert.Len(t, executed, 2*stormRounds)
	for k, n := range executed {
		assert.Equal(t, 1, n, "key %s executed %d times", k, n)
	}
}

// again repeats a call with the same key while it ends on the key still in
// use (its own retries exhausted while the first execution runs): 20 rounds
// of 10 retries only catch a hang.
func again[T any](call func() (*T, error)) (*T, error) {
	var v *T
	var err error
	for range 20 {
		v, err = call()
		var e *tokenim.Error
		if !errors.As(err, &e) || e.Code != tokenim.CodeIdempotencyKeyInUse {
			return v, err
		}
	}
	return v, err
}
