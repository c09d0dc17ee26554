// Command merchant is the merchant of the crash test: it runs a fixed set of
// checkouts (create the order, pay it, refund every third one) through a
// journal against a standalone sandbox, and is meant to be killed with
// SIGKILL at any point and started again. Run to the end, it settles every
// checkout; with -resume it only runs the journal's resumer.
//
//	merchant -sandbox http://127.0.0.1:8420 -api-key sk_test_… -driver sqlite -dsn 'file:/tmp/j.db?…' -checkouts 40
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/journal"
)

// Lease and client timings: one call (400 ms at most, no retries, so that
// every lost answer reaches the journal as an unknown outcome) ends well
// within the lease, as journal.DefaultLease's comment requires.
const (
	lease          = time.Second
	attemptTimeout = 400 * time.Millisecond
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "merchant:", err)
		os.Exit(1)
	}
}

type config struct {
	sandbox, apiKey, merchantID, driver, dsn string
	checkouts, workers                       int
	resumeOnly                               bool
}

func run(args []string) error {
	var c config
	fs := flag.NewFlagSet("merchant", flag.ContinueOnError)
	fs.StringVar(&c.sandbox, "sandbox", "", "sandbox base URL")
	fs.StringVar(&c.apiKey, "api-key", "", "sandbox API key")
	fs.StringVar(&c.merchantID, "merchant-id", "", "sandbox merchant id")
	fs.StringVar(&c.driver, "driver", "sqlite", "database/sql driver: sqlite or pgx")
	fs.StringVar(&c.dsn, "dsn", "", "database DSN")
	fs.IntVar(&c.checkouts, "checkouts", 40, "checkouts to run")
	fs.IntVar(&c.workers, "workers", 4, "checkouts run at once")
	fs.BoolVar(&c.resumeOnly, "resume", false, "only run the journal's resumer until nothing is unfinished")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	db, err := sql.Open(c.driver, c.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := journal.Migrate(ctx, db); err != nil {
		return err
	}
	client, err := tokenim.NewClient(c.apiKey, tokenim.WithBaseURL(c.sandbox), tokenim.WithMerchantID(c.merchantID), tokenim.WithTimeout(attemptTimeout),
		tokenim.WithMaxRetries(0))
	if err != nil {
		return err
	}
	j, err := journal.New(db, client, journal.WithLease(lease), journal.WithRetryDelay(100*time.Millisecond))
	if err != nil {
		return err
	}
	if c.resumeOnly {
		return resumeAll(ctx, j)
	}
	// What a predecessor left is settled first; anything still under its
	// lease is picked up by the checkout that needs it.
	_, _ = j.Resume(ctx)

	refs := make(chan int)
	errs := make(chan error, c.workers)
	var wg sync.WaitGroup
	for range c.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range refs {
				if err := checkout(ctx, client, j, i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := range c.checkouts {
		refs <- i
	}
	close(refs)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Println("all checkouts done")
	return nil
}

// resumeAll runs Resume until no intent is unfinished. Intents still under
// a dead instance's lease wait for it to end: Resume says when
// (ResumeReport.NextFree), so the wait follows the lease, not a guess of
// how fast this machine is. The bound on rounds only catches a hang.
func resumeAll(ctx context.Context, j *journal.Journal) error {
	for range 1000 {
		rep, err := j.Resume(ctx)
		n, cerr := j.Unfinished(ctx)
		if cerr != nil {
			return cerr
		}
		fmt.Printf("resume: %s; unfinished=%d err=%v\n", rep, n, err)
		if n == 0 {
			return nil
		}
		wait := 100 * time.Millisecond // an unsettled intent's retry delay
		if free := time.Until(rep.NextFree()); free > wait {
			wait = free
		}
		time.Sleep(wait)
	}
	n, _ := j.Unfinished(ctx)
	return fmt.Errorf("%d intents still unfinished after 1000 rounds of Resume", n)
}

// Ref names checkout i: the merchant order id and the journal reference.
func Ref(i int) string { return fmt.Sprintf("co-%04d", i) }

// checkout runs checkout i to its end: every step is repeated until its
// outcome is definite, as a merchant's checkout page would on a refresh.
func checkout(ctx context.Context, c *tokenim.Client, j *journal.Journal, i int) error {
	ref := Ref(i)
	order, err := retry(func() (*tokenim.Order, error) { return createOrder(ctx, c, ref, int64(1000+i)) })
	if err != nil {
		return fmt.Errorf("%s: order: %w", ref, err)
	}
	method := tokenim.Wallet(tokenim.WalletPayPal)
	if i%2 == 0 {
		method = tokenim.Card("4242424242424242", 12, 2040, "123")
	}
	params := &tokenim.PaymentCreateParams{OrderID: order.ID, Method: method}
	pay, err := retry(func() (*tokenim.Payment, error) { return j.CreatePayment(ctx, ref, params) })
	if err != nil {
		return fmt.Errorf("%s: payment: %w", ref, err)
	}
	if i%3 == 0 {
		refund := &tokenim.RefundCreateParams{PaymentID: pay.ID, Amount: int64(500 + i)}
		if _, err := retry(func() (*tokenim.Refund, error) { return j.CreateRefund(ctx, ref+"/refund", refund) }); err != nil {
			return fmt.Errorf("%s: refund: %w", ref, err)
		}
	}
	fmt.Println("done", ref)
	return nil
}

// createOrder creates the checkout's order, or finds the one an earlier
// run created: the platform keeps merchant order ids unique.
func createOrder(ctx context.Context, c *tokenim.Client, ref string, amount int64) (*tokenim.Order, error) {
	o, err := c.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: ref, Amount: amount, Currency: "USD", Description: "crash test"})
	var pe *tokenim.Error
	if errors.As(err, &pe) && pe.Code == "duplicate_merchant_order_id" && pe.ExistingID != "" {
		return c.Orders.Get(ctx, pe.ExistingID)
	}
	return o, err
}

// retry repeats fn while its outcome is open: an unknown outcome, an
// unreachable platform, or an intent another run still holds. A definite
// answer (success or a refusal) ends it.
func retry[T any](fn func() (*T, error)) (*T, error) {
	var err error
	for range 400 {
		var v *T
		if v, err = fn(); err == nil {
			return v, nil
		}
		var pe *tokenim.Error
		if errors.As(err, &pe) && !tokenim.IsRetryable(err) && !errors.Is(err, tokenim.ErrUnknownOutcome) {
			return nil, err
		}
		time.Sleep(25 * time.Millisecond)
	}
	return nil, err
}
