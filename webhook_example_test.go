package tokenim_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

func ExampleNewWebhookHandler() {
	// The secret shown once when the webhook endpoint was created.
	secret := "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="

	// The verifier holds the secrets; during a rotation pass old and new.
	verifier, err := tokenim.NewWebhookVerifier([]string{secret})
	if err != nil {
		log.Fatal(err) // names what is wrong with the secret, never quotes it
	}
	handler, err := tokenim.NewWebhookHandler(verifier, func(ctx context.Context, e *tokenim.Event) error {
		switch e.Type {
		case tokenim.EventOrderPaid:
			fmt.Println("ship order for", e.ID)
		default:
			// Ignore types you do not handle; answer 2xx so they are not resent.
		}
		return nil // an error makes Tokenim deliver the event again later
	})
	if err != nil {
		log.Fatal(err)
	}
	// In production: http.Handle("/webhooks/tokenim", handler)

	// In a test: sign a delivery the way Tokenim does and serve it.
	req, err := tokenimtest.NewSignedWebhookRequest("https://shop.example/webhooks/tokenim", secret,
		&tokenim.Event{ID: "evt_1", Object: "event", Type: tokenim.EventOrderPaid})
	if err != nil {
		log.Fatal(err)
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// ship order for evt_1
	// 200
}

func ExampleConstructEvent() {
	secret := "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="
	req, err := tokenimtest.NewSignedWebhookRequest("https://shop.example/webhooks/tokenim", secret,
		&tokenim.Event{ID: "evt_2", Object: "event", Type: tokenim.EventRefundSucceeded})
	if err != nil {
		log.Fatal(err)
	}

	// Read the body as received (never re-encode it), then verify and decode.
	body, err := io.ReadAll(req.Body)
	if err != nil {
		log.Fatal(err)
	}
	event, err := tokenim.ConstructEvent(body, req.Header, secret)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(event.Type, event.ID)
	// Output: refund.succeeded evt_2
}

func ExampleNewWebhookSecret() {
	// A program that signs deliveries itself (a relay re-signing events for
	// internal services, a local forwarder) makes its secret like this.
	secret := tokenim.NewWebhookSecret()
	sig, err := tokenim.SignWebhook(secret, "evt_3", time.Now(), []byte(`{"id":"evt_3"}`))
	if err != nil {
		log.Fatal(err)
	}
	_, err = tokenim.NewWebhookVerifier([]string{secret})
	fmt.Println(strings.HasPrefix(secret, "whsec_"), strings.HasPrefix(sig, "v1,"), err)
	// Output: true true <nil>
}
