package journal_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/internal/sqltest"
	"github.com/tokenim/tokenim-go/journal"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

const (
	testCard    = "4242424242424242"
	testCVC     = "737"
	declineCard = "4000000000000002"
)

type env struct {
	t      *testing.T
	srv    *sandbox.Server
	client *tokenim.Client
	db     *sqltest.DB
	clock  *sqltest.Clock // the journals' clock; the sandbox keeps its own
}

func forEachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, engine := range sqltest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			d := sqltest.New(t, engine)
			srv := sandbox.Start(t)
			// No retries: a dropped answer becomes an unknown outcome at once.
			client := tokenimtest.NewClient(t, srv, tokenim.WithMaxRetries(0))
			require.NoError(t, journal.Migrate(context.Background(), d.Open()))
			fn(t, &env{t: t, srv: srv, client: client, db: d, clock: sqltest.NewClock(time.Now())})
		})
	}
}

// journal returns a new instance: its own *sql.DB, as another process has.
func (e *env) journal(opts ...journal.Option) *journal.Journal {
	e.t.Helper()
	j, err := journal.New(e.db.Open(), e.client, append([]journal.Option{journal.WithClock(e.clock.Now), journal.WithLease(time.Minute)}, opts...)...)
	require.NoError(e.t, err)
	return j
}

func (e *env) order(moid string, amount int64) *tokenim.Order {
	e.t.Helper()
	o, err := e.client.Orders.Create(context.Background(), &tokenim.OrderCreateParams{MerchantOrderID: moid, Amount: amount, Currency: "USD"})
	require.NoError(e.t, err)
	return o
}

func (e *env) faults(kind sandbox.FaultKind, path string) {
	e.t.Helper()
	require.NoError(e.t, e.srv.SetFaults(sandbox.FaultPlan{Seed: 1, Rules: []sandbox.FaultRule{{Method: "POST", Path: path, Kind: kind, Rate: 1}}}))
}

// executed counts the keyed POSTs to path the sandbox executed (not
// replayed, not faulted before commit, not refused as in use).
func (e *env) executed(path string) int {
	n := 0
	for _, r := range e.srv.Requests() {
		if r.Method == "POST" && r.Path == path && !r.Replayed && r.Fault != string(sandbox.FaultDropBeforeCommit) && r.Status != 409 {
			n++
		}
	}
	return n
}

func (e *env) succeededPayments(orderID string) int {
	e.t.Helper()
	n := 0
	for p, err := range e.client.Payments.All(context.Background(), &tokenim.PaymentListParams{OrderID: orderID}) {
		require.NoError(e.t, err)
		if p.Status == tokenim.PaymentStatusSucceeded {
			n++
		}
	}
	return n
}

func card(number string) tokenim.PaymentMethodParams { return tokenim.Card(number, 12, 2040, testCVC) }

// A double click (the same ref and params again) gets the recorded payment;
// nothing is sent twice, and the card never reaches the database.
func TestCreatePayment_recordsAndReplays(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		j := e.journal()
		o := e.order("shop-1", 1250)
		params := &tokenim.PaymentCreateParams{OrderID: o.ID, Method: card(testCard)}
		p1, err := j.CreatePayment(ctx, "shop-1", params)
		require.NoError(t, err)
		p2, err := j.CreatePayment(ctx, "shop-1", params)
		require.NoError(t, err)
		assert.Equal(t, p1.ID, p2.ID)
		assert.Equal(t, 1, e.executed("/v1/payments"))

		in, err := j.Intent(ctx, journal.KindPayment, "shop-1")
		require.NoError(t, err)
		assert.Equal(t, journal.StateSucceeded, in.State)
		assert.Equal(t, in.IdempotencyKey, p1.Metadata[journal.MetadataKey])
		assertNoSecrets(t, e.db.Open())
	})
}

// assertNoSecrets reads every column of every journal row as text.
func assertNoSecrets(t *testing.T, db *sql.DB) {
	t.Helper()
	rows, err := db.Query("SELECT kind, ref, idempotency_key, params, state, result FROM " + journal.Table)
	require.NoError(t, err)
	defer rows.Close()
	n := 0
	for rows.Next() {
		var cols [6]string
		require.NoError(t, rows.Scan(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5]))
		all := strings.Join(cols[:], " ")
		assert.NotContains(t, all, testCard)
		assert.NotContains(t, all, "\""+testCVC+"\"")
		assert.NotContains(t, all, "cvc")
		n++
	}
	require.NoError(t, rows.Err())
	require.Positive(t, n)
}

// A wallet payment whose answer was lost after the platform committed it is
// finished by Resume with the same key: one payment, recorded.
func TestResume_finishesWalletPaymentAfterLostAnswer(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		j := e.journal()
		o := e.order("shop-2", 990)
		e.faults(sandbox.FaultDropAfterCommit, "/v1/payments")
		_, err := j.CreatePayment(ctx, "shop-2", &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Wallet(tokenim.WalletPayPal)})
		require.ErrorIs(t, err, tokenim.ErrUnknownOutcome)
		n, err := j.Unfinished(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, n)

		e.srv.ClearFaults()
		rep, err := e.journal().Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, journal.ResumeReport{Succeeded: 1}, rep)
		in, err := j.Intent(ctx, journal.KindPayment, "shop-2")
		require.NoError(t, err)
		assert.Equal(t, journal.StateSucceeded, in.State)
		assert.Equal(t, 1, e.succeededPayments(o.ID))
		assert.Equal(t, 1, e.executed("/v1/payments"), "the re-drive was a replay")
	})
}

// A card payment cannot be re-sent (the card was never stored): Resume
// looks it up by the key in its metadata.
func TestResume_looksUpCardPayment(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		j := e.journal()
		committed, lost := e.order("shop-3a", 500), e.order("shop-3b", 700)

		e.faults(sandbox.FaultDropAfterCommit, "/v1/payments")
		_, err := j.CreatePayment(ctx, "shop-3a", &tokenim.PaymentCreateParams{OrderID: committed.ID, Method: card(testCard)})
		require.ErrorIs(t, err, tokenim.ErrUnknownOutcome)
		e.faults(sandbox.FaultDropBeforeCommit, "/v1/payments")
		_, err = j.CreatePayment(ctx, "shop-3b", &tokenim.PaymentCreateParams{OrderID: lost.ID, Method: card(testCard)})
		require.Error(t, err)
		e.srv.ClearFaults()

		rep, err := e.journal().Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, journal.ResumeReport{Succeeded: 1, Abandoned: 1}, rep)
		assert.Equal(t, 1, e.succeededPayments(committed.ID))
		assert.Equal(t, 0, e.succeededPayments(lost.ID), "nothing charged for the attempt that never executed")

		// The customer submits the card again: the abandoned intent is
		// re-driven with its key and pays once.
		in, err := j.Intent(ctx, journal.KindPayment, "shop-3b")
		require.NoError(t, err)
		require.Equal(t, journal.StateAbandoned, in.State)
		p, err := j.CreatePayment(ctx, "shop-3b", &tokenim.PaymentCreateParams{OrderID: lost.ID, Method: card(testCard)})
		require.NoError(t, err)
		assert.Equal(t, in.IdempotencyKey, p.Metadata[journal.MetadataKey])
		assert.Equal(t, 1, e.succeededPayments(lost.ID))
	})
}

// A decline is a definite failure: the same params replay it without a
// request, and another card starts a new attempt under a new key.
func TestCreatePayment_declineThenAnotherCard(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		j := e.journal()
		o := e.order("shop-4", 1500)
		declined := &tokenim.PaymentCreateParams{OrderID: o.ID, Method: card(declineCard)}
		_, err := j.CreatePayment(ctx, "shop-4", declined)
		require.True(t, tokenim.IsDeclined(err), "%v", err)
		first, err := j.Intent(ctx, journal.KindPayment, "shop-4")
		require.NoError(t, err)
		assert.Equal(t, journal.StateFailed, first.State)

		_, err = j.CreatePayment(ctx, "shop-4", declined)
		require.True(t, tokenim.IsDeclined(err), "recorded decline: %v", err)
		assert.Equal(t, 1, e.executed("/v1/payments"))

		p, err := j.CreatePayment(ctx, "shop-4", &tokenim.PaymentCreateParams{OrderID: o.ID, Method: card(testCard)})
		require.NoError(t, err)
		assert.NotEqual(t, first.IdempotencyKey, p.Metadata[journal.MetadataKey])
		assert.Equal(t, 1, e.succeededPayments(o.ID))

		_, err = j.CreatePayment(ctx, "shop-4", &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Wallet(tokenim.WalletPayPal)})
		assert.ErrorIs(t, err, journal.ErrParamsMismatch, "a paid intent is not paid again by other params")
	})
}

// Concurrent clicks on one checkout: one call pays, the others get the
// payment or ErrInProgress; the order is paid once.
func TestCreatePayment_concurrentClicks(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		o := e.order("shop-5", 2000)
		params := &tokenim.PaymentCreateParams{OrderID: o.ID, Method: card(testCard)}
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			j := e.journal()
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = j.CreatePayment(context.Background(), "shop-5", params)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				assert.ErrorIs(t, err, journal.ErrInProgress)
			}
		}
		assert.Equal(t, 1, e.executed("/v1/payments"))
		assert.Equal(t, 1, e.succeededPayments(o.ID))
	})
}

// A refund whose answer was lost is finished once by Resume, also when the
// platform has forgotten its key (then Resume finds it by listing).
func TestResume_refundNeverTwice(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		j := e.journal()
		o := e.order("shop-6", 3000)
		p, err := j.CreatePayment(ctx, "shop-6", &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Wallet(tokenim.WalletPayPal)})
		require.NoError(t, err)

		e.faults(sandbox.FaultDropAfterCommit, "/v1/refunds")
		for _, ref := range []string{"rma-1", "rma-2"} {
			_, err = j.CreateRefund(ctx, ref, &tokenim.RefundCreateParams{PaymentID: p.ID, Amount: 1000})
			require.ErrorIs(t, err, tokenim.ErrUnknownOutcome)
		}
		e.srv.ClearFaults()
		rep, err := e.journal().Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, journal.ResumeReport{Succeeded: 2}, rep)

		// A third intent, resumed after the platform's 24-hour key window.
		e.faults(sandbox.FaultDropAfterCommit, "/v1/refunds")
		_, err = j.CreateRefund(ctx, "rma-3", &tokenim.RefundCreateParams{PaymentID: p.ID, Amount: 1000})
		require.ErrorIs(t, err, tokenim.ErrUnknownOutcome)
		e.srv.ClearFaults()
		e.srv.Advance(25 * time.Hour)
		e.clock.Advance(25 * time.Hour)
		rep, err = e.journal().Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, journal.ResumeReport{Succeeded: 1}, rep)

		var refunds int
		for r, err := range e.client.Refunds.All(ctx, &tokenim.RefundListParams{PaymentID: p.ID}) {
			require.NoError(t, err)
			refunds++
			assert.NotEmpty(t, r.Metadata[journal.MetadataKey])
		}
		assert.Equal(t, 3, refunds, "three refunds intended, three executed")
	})
}

// Several instances resuming at once settle each intent exactly once.
func TestResume_concurrentInstances(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const n = 24
		j := e.journal()
		orders := make([]*tokenim.Order, n)
		e.faults(sandbox.FaultDropAfterCommit, "/v1/payments")
		for i := range orders {
			orders[i] = e.order(fmt.Sprintf("shop-7-%d", i), int64(100+i))
			_, err := j.CreatePayment(ctx, fmt.Sprintf("shop-7-%d", i), &tokenim.PaymentCreateParams{OrderID: orders[i].ID, Method: tokenim.Wallet(tokenim.WalletAlipay)})
			require.ErrorIs(t, err, tokenim.ErrUnknownOutcome)
		}
		e.srv.ClearFaults()

		reports := make([]journal.ResumeReport, 4)
		var wg sync.WaitGroup
		for i := range reports {
			r := e.journal()
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				reports[i], err = r.Resume(ctx)
				assert.NoError(t, err)
			}()
		}
		wg.Wait()
		total := 0
		for _, r := range reports {
			total += r.Succeeded
		}
		assert.Equal(t, n, total, "each intent settled by exactly one instance: %+v", reports)
		left, err := j.Unfinished(ctx)
		require.NoError(t, err)
		assert.Zero(t, left)
		for _, o := range orders {
			assert.Equal(t, 1, e.succeededPayments(o.ID))
		}
	})
}

// While the platform is down, Resume ends, reports the intents it could
// not settle, and leaves them for a later Resume after the retry delay.
func TestResume_platformDownLeavesIntentsForLater(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		j := e.journal(journal.WithRetryDelay(10 * time.Second))
		e.faults(sandbox.FaultDropAfterCommit, "/v1/payments")
		for i := range 3 {
			ref := fmt.Sprintf("shop-9-%d", i)
			o := e.order(ref, 600)
			_, err := j.CreatePayment(ctx, ref, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.BankTransfer()})
			require.ErrorIs(t, err, tokenim.ErrUnknownOutcome)
		}
		require.NoError(t, e.srv.SetFaults(sandbox.FaultPlan{Rules: []sandbox.FaultRule{{Kind: sandbox.FaultErrorBeforeCommit, Status: 503, Rate: 1}}}))

		rep, err := j.Resume(ctx)
		require.ErrorContains(t, err, "3 intents unsettled")
		assert.Equal(t, journal.ResumeReport{Unsettled: 3}, rep)
		rep, err = j.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, journal.ResumeReport{}, rep, "deferred intents wait out the retry delay")

		e.srv.ClearFaults()
		e.clock.Advance(10 * time.Second)
		rep, err = j.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, journal.ResumeReport{Succeeded: 3}, rep)
		n, err := j.Unfinished(ctx)
		require.NoError(t, err)
		assert.Zero(t, n)
	})
}

func TestNew_rejectsBadOptions(t *testing.T) {
	t.Parallel()
	db := sqltest.New(t, "sqlite").Open()
	client, _ := tokenimtest.Start(t)
	for name, opt := range map[string]journal.Option{
		"lease must be positive":       journal.WithLease(0),
		"retry delay must be positive": journal.WithRetryDelay(0),
		"clock must not be nil":        journal.WithClock(nil),
	} {
		_, err := journal.New(db, client, opt)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), name)
	}
	_, err := journal.New(nil, client)
	assert.ErrorContains(t, err, "db must not be nil")
	_, err = journal.New(db, nil)
	assert.ErrorContains(t, err, "client must not be nil")
}

// Do ends its call before the intent's lease does, so no other instance
// can take the intent up while the call may still be on the wire.
func TestDo_boundsTheCallWithinTheLease(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		j := e.journal(journal.WithLease(400 * time.Millisecond))
		var left time.Duration
		_, err := j.Do(ctx, "slow", "ref-1", map[string]string{"a": "b"}, func(ctx context.Context, _ string) (any, error) {
			deadline, ok := ctx.Deadline()
			require.True(t, ok, "the call has a deadline")
			left = time.Until(deadline)
			<-ctx.Done()
			return nil, ctx.Err()
		})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.LessOrEqual(t, left, 300*time.Millisecond, "three quarters of the lease at most")
		in, err := j.Intent(ctx, "slow", "ref-1")
		require.NoError(t, err)
		assert.Equal(t, journal.StatePending, in.State, "a call cut short is left for Resume")
	})
}

// A late answer to an intent's old key is not recorded once the intent has
// started afresh under a new key (its first attempt was abandoned, then the
// customer came back with other params).
func TestDo_lateAnswerOfAnOldKeyIsNotRecorded(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		j, resumer := e.journal(), e.journal()
		resumer.Register("k", func(context.Context, *tokenim.Client, journal.Intent) (any, error) {
			return nil, journal.ErrNotExecuted
		})
		started, answer := make(chan string), make(chan struct{})
		late := make(chan error, 1)
		go func() {
			_, err := j.Do(ctx, "k", "r", "params A", func(_ context.Context, key string) (any, error) {
				started <- key
				<-answer // the answer is slow: the lease ends meanwhile
				return map[string]string{"id": "late"}, nil
			})
			late <- err
		}()
		oldKey := <-started
		e.clock.Advance(2 * time.Minute)
		rep, err := resumer.Resume(ctx)
		require.NoError(t, err)
		require.Equal(t, journal.ResumeReport{Abandoned: 1}, rep)

		var newKey string
		_, err = j.Do(ctx, "k", "r", "params B", func(_ context.Context, key string) (any, error) {
			newKey = key
			return nil, &tokenim.UnknownOutcomeError{Method: "POST", Path: "/v1/k", IdempotencyKey: key}
		})
		require.ErrorIs(t, err, tokenim.ErrUnknownOutcome)
		require.NotEqual(t, oldKey, newKey)

		close(answer)
		require.NoError(t, <-late)
		in, err := j.Intent(ctx, "k", "r")
		require.NoError(t, err)
		assert.Equal(t, journal.StatePending, in.State, "the new attempt's outcome is still open")
		assert.Equal(t, newKey, in.IdempotencyKey)
		assert.Empty(t, in.Result)
	})
}

// After a crash, the dead instance's lease keeps its intents from every
// other instance until it ends: Resume and Do say who holds them and until
// when, and TakeOver frees them at once for an operator who knows the
// holder is dead. The re-drive sends the same key: one payment.
func TestTakeOver_afterACrashSaysWhoHoldsTheIntentAndFreesIt(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		o := e.order("shop-crash", 1250)
		dead := e.journal(journal.WithOwner("pod-a"))
		params := json.RawMessage(`{"order_id":"` + o.ID + `","method":"wallet","wallet":"paypal"}`)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = dead.Do(ctx, journal.KindPayment, "shop-crash", params, func(ctx context.Context, key string) (any, error) {
				_, err := e.client.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Wallet(tokenim.WalletPayPal),
					Metadata: map[string]string{journal.MetadataKey: key}}, tokenim.WithIdempotencyKey(key))
				assert.NoError(t, err)
				runtime.Goexit() // the process dies after the platform executed the call
				return nil, nil
			})
		}()
		<-done
		require.Equal(t, 1, e.succeededPayments(o.ID))

		other := e.journal(journal.WithOwner("pod-b"))
		rep, err := other.Resume(ctx)
		require.NoError(t, err)
		require.Len(t, rep.Held, 1, "the dead instance's intent is held")
		h := rep.Held[0]
		assert.Equal(t, journal.HeldError{Kind: journal.KindPayment, Ref: "shop-crash", Owner: "pod-a", Until: h.Until}, h)
		assert.Equal(t, e.clock.Now().Add(time.Minute).UnixMilli(), h.Until.UnixMilli(), "free when the lease ends")
		assert.Equal(t, h.Until, rep.NextFree())
		assert.Contains(t, rep.String(), `1 held by other instances, the first (payment shop-crash, by "pod-a") free at`)

		_, err = other.CreatePayment(ctx, "shop-crash", &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Wallet(tokenim.WalletPayPal)})
		require.ErrorIs(t, err, journal.ErrInProgress)
		var held *journal.HeldError
		require.ErrorAs(t, err, &held)
		assert.Equal(t, "pod-a", held.Owner)
		assert.Contains(t, err.Error(), `held by instance "pod-a" until`)
		assert.Contains(t, err.Error(), `TakeOver(ctx, "pod-a")`)

		_, err = other.TakeOver(ctx, "")
		assert.Error(t, err)
		n, err := other.TakeOver(ctx, "pod-a")
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		rep, err = other.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, journal.ResumeReport{Succeeded: 1}, rep)
		assert.Equal(t, 1, e.succeededPayments(o.ID))
		assert.Equal(t, 1, e.executed("/v1/payments"), "the take-over re-sent the key: a replay")
		n, err = other.TakeOver(ctx, "pod-a")
		require.NoError(t, err)
		assert.Zero(t, n, "a settled intent is never taken over")
	})
}
