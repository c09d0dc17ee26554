// Command key-rotation rolls an API key while a fleet of workers keeps
// calling the API, without a restart and without a failed call, on the
// embedded sandbox (docs/tokenim-api.md §7):
//
//  1. Roll the key with an overlap (APIKeys.Roll, ExpireOldAfter). The old
//     key goes on working as "expiring"; the answer carries the new secret,
//     once.
//  2. Deploy the new key: store it where the fleet reads its key from (a
//     secret manager). Each client was built with tokenim.WithAPIKeyFunc,
//     which asks for the key on every call, so it switches on its next call.
//  3. Let the old key expire at the end of the overlap (here: by moving the
//     sandbox clock), or revoke it at once with APIKeys.Revoke once every
//     instance has switched. Calls with it then fail with api_key_expired.
//
// The request log (RequestLogs.List) shows the switch: the old key's last
// four characters, then the new key's.
//
//	go run ./examples/key-rotation
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "key-rotation:", err)
		os.Exit(1)
	}
}

// secretStore stands in for the secret manager the fleet reads its key from.
// Current is what each client's WithAPIKeyFunc calls; a real one would read
// a cached copy refreshed in the background, not the network on every call.
type secretStore struct {
	key atomic.Pointer[string]
	gen atomic.Int64 // bumped by each Deploy, after the key is stored
}

func (s *secretStore) Current(context.Context) (string, error) {
	k := s.key.Load()
	if k == nil {
		return "", errors.New("no API key deployed yet")
	}
	return *k, nil
}

// Deploy makes key the one every client uses from its next call on.
func (s *secretStore) Deploy(key string) {
	s.key.Store(&key)
	s.gen.Add(1)
}

// run rotates the key of a fresh embedded sandbox configured by opts while
// workers call it, and prints each step to out.
func run(ctx context.Context, out io.Writer, opts ...sandbox.Option) error {
	srv := sandbox.NewServer(append([]sandbox.Option{sandbox.WithFrozenClock(time.Now())}, opts...)...)
	defer srv.Close()
	store := &secretStore{}
	store.Deploy(srv.APIKey())

	client, err := tokenim.NewClient("", tokenim.WithAPIKeyFunc(store.Current),
		tokenim.WithBaseURL(srv.URL), tokenim.WithMerchantID(srv.MerchantID))
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()

	// The fleet: workers calling without pause until the rotation is done.
	const workers = 4
	var failed, calls atomic.Int64
	var firstErr atomic.Value
	// done[i] is the key generation of worker i's last finished call.
	var done [workers]atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				// Read before the call: the key the call then gets is this
				// generation's or a newer one.
				gen := store.gen.Load()
				if _, err := client.Orders.List(ctx, &tokenim.OrderListParams{ListParams: tokenim.ListParams{Limit: 1}}); err != nil && ctx.Err() == nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
				calls.Add(1)
				done[i].Store(gen)
			}
		}()
	}
	// waitSwitched waits until every worker has finished a call with the
	// key deployed last: from then on none uses an older one.
	waitSwitched := func() error {
		want := store.gen.Load()
		for i := range done {
			for done[i].Load() < want {
				if err := ctx.Err(); err != nil {
					return err
				}
				time.Sleep(time.Millisecond) // the workers' pace, not the sandbox's clock
			}
		}
		return nil
	}
	finish := func() {
		close(stop)
		wg.Wait()
	}
	if err := waitSwitched(); err != nil {
		finish()
		return err
	}
	fmt.Fprintf(out, "✓ %d workers calling with the configured key\n", workers)

	keys, err := client.APIKeys.List(ctx, nil)
	if err != nil {
		finish()
		return fmt.Errorf("list keys: %w", err)
	}
	old := keys.Data[0]
	fresh, err := client.APIKeys.Roll(ctx, old.ID, &tokenim.APIKeyRollParams{ExpireOldAfter: time.Hour})
	if err != nil {
		finish()
		return fmt.Errorf("roll key: %w", err)
	}
	fmt.Fprintf(out, "✓ rolled %s: new key %s (…%s) active, old key expiring in 1h\n", old.ID, fresh.ID, fresh.Last4)

	store.Deploy(fresh.Secret.Reveal())
	if err := waitSwitched(); err != nil {
		finish()
		return err
	}
	fmt.Fprintln(out, "✓ new key deployed to the secret store; the workers switched without a restart")

	srv.Advance(time.Hour)
	// The fleet goes on calling after the old key has expired.
	for target := calls.Load() + 40; calls.Load() < target; {
		if err := ctx.Err(); err != nil {
			finish()
			return err
		}
		time.Sleep(time.Millisecond) // the workers' pace, not the sandbox's clock
	}
	if err := waitSwitched(); err != nil {
		finish()
		return err
	}
	finish()
	o, err := client.APIKeys.Get(ctx, old.ID)
	if err != nil {
		return fmt.Errorf("get old key: %w", err)
	}
	fmt.Fprintf(out, "✓ 1h later (sandbox clock): old key %s is %s\n", old.ID, o.Status)
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d of %d calls failed, the first: %v", n, calls.Load(), firstErr.Load())
	}
	fmt.Fprintln(out, "✓ no call failed")

	// The request log shows the switch: the oldest calls were made with the
	// old key, the newest with the new one, and none was refused.
	var newest, oldest string
	for l, err := range client.RequestLogs.All(ctx, &tokenim.RequestLogListParams{Path: "/v1/orders", ListParams: tokenim.ListParams{Limit: 100}}) {
		if err != nil {
			return fmt.Errorf("read request logs: %w", err)
		}
		if newest == "" {
			newest = l.APIKeyLast4
		}
		oldest = l.APIKeyLast4
	}
	refused, err := client.RequestLogs.List(ctx, &tokenim.RequestLogListParams{Path: "/v1/orders", Status: "4xx"})
	if err != nil {
		return fmt.Errorf("read request logs: %w", err)
	}
	fmt.Fprintf(out, "✓ request log: oldest call with key …%s, newest with …%s, %d refused\n", oldest, newest, len(refused.Data))
	return nil
}
