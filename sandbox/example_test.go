package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tokenim/tokenim-go/sandbox"
)

func ExampleNewServer() {
	srv := sandbox.NewServer(sandbox.WithFrozenClock(time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)))
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v1/orders",
		strings.NewReader(`{"merchant_order_id":"A-1001","amount":1999,"currency":"CNY"}`))
	req.Header.Set("Authorization", "Bearer "+srv.APIKey())
	req.Header.Set("Tokenim-Merchant-Id", srv.MerchantID)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var order struct {
		Status    string `json:"status"`
		ExpiresAt string `json:"expires_at"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&order)
	fmt.Println(resp.StatusCode, order.Status, order.ExpiresAt)

	srv.Advance(30 * time.Minute) // the order expires on the sandbox clock
	_ = srv.FlushDeliveries(context.Background())
	var ev struct{ Type string }
	_ = json.Unmarshal(srv.Events(srv.MerchantID)[0], &ev)
	fmt.Println(ev.Type)
	// Output:
	// 200 open 2026-11-21T10:00:00Z
	// order.expired
}
