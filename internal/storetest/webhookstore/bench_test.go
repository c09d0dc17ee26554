package webhookstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/internal/sqltest"
	"github.com/tokenim/tokenim-go/webhookstore"
)

// BenchmarkStore_reserveDone measures what each webhook costs the store
// (Reserve, then Done) with 8 instances, each with its own *sql.DB, working
// on one database at once. webhooks/s is the fleet's total.
func BenchmarkStore_reserveDone(b *testing.B) {
	for _, engine := range sqltest.Engines {
		b.Run(engine, func(b *testing.B) {
			const instances = 8
			d := sqltest.New(b, engine)
			if err := webhookstore.Migrate(context.Background(), d.Open()); err != nil {
				b.Fatal(err)
			}
			stores := make([]*webhookstore.Store, instances)
			for i := range stores {
				s, err := webhookstore.New(d.Open())
				if err != nil {
					b.Fatal(err)
				}
				stores[i] = s
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w, s := range stores {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < b.N; i += instances {
						id := fmt.Sprintf("msg_%d_%d", b.N, i)
						st, err := s.Reserve(ctx, id)
						if err != nil || st != tokenim.WebhookIDReserved {
							b.Errorf("reserve %s: %v %v", id, st, err)
							return
						}
						if err := s.Done(ctx, id); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "webhooks/s")
		})
	}
}
