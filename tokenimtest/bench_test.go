package tokenimtest_test

import (
	"context"
	"testing"

	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

// BenchmarkStart measures what a test pays for its own sandbox and client:
// start, one authenticated call, close.
func BenchmarkStart(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		srv := sandbox.NewServer()
		client := tokenimtest.NewClient(b, srv)
		if _, err := client.Orders.List(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
		srv.Close()
	}
}
