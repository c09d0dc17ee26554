// Package tokenim is the Go SDK for the Tokenim payment platform.
//
// # Client
//
// A [Client] talks to the Tokenim API (API version [APIVersion]). Create one
// with a secret key and your merchant id; test keys (sk_test_…) go to the
// sandbox, live keys (sk_live_…) to the live platform:
//
//	client, err := tokenim.NewClient(os.Getenv("TOKENIM_API_KEY"),
//		tokenim.WithMerchantID(os.Getenv("TOKENIM_MERCHANT_ID")))
//
// Each resource is a service on the client:
//
//   - taking money: [Client.Orders], [Client.Payments], [Client.Refunds]
//     and [Client.Disputes];
//   - where the money is: [Client.Balance], [Client.BalanceTransactions]
//     and [Client.Settlements] with their CSV statements;
//   - events and webhooks: [Client.Events], [Client.WebhookEndpoints] and
//     [Client.WebhookDeliveries];
//   - the account: [Client.APIKeys], [Client.RequestLogs] and
//     [Client.Status].
//
// Every method takes a context first and typed params; parameters are
// checked before anything is sent, and a rejected parameter is a
// [*ValidationError] naming the field. docs/tokenim-api.md in the
// repository is the wire contract each service follows.
// Money is always an int64 amount in the currency's minor unit (1999 CNY is
// ¥19.99).
//
// # Never charging twice
//
// Every POST carries an Idempotency-Key: yours ([WithIdempotencyKey]) or a
// random one made once per call and reused on every retry of that call.
// Connection failures, timeouts, 408, 409 idempotency_key_in_use, 429, 500,
// 502, 503 and 504 answers are retried with exponential backoff and full
// jitter (WithRetryWait, WithMaxRetries), honouring Retry-After up to the
// backoff cap; no wait outlives the call's context. When the last attempt of
// a POST got no answer, the call returns an [*UnknownOutcomeError] carrying
// the key: repeat the call later with [WithIdempotencyKey] and the platform
// either replays the committed result or executes it for the first time.
// [WithResponse] reports the request id, the key and whether the answer was a
// replay.
//
// # Errors
//
// API errors are [*Error] values (RFC 9457 problem details) with the code,
// decline code, param, request id and idempotency key. Use errors.Is with
// [ErrDeclined], [ErrNotFound], [ErrConflict], [ErrRateLimited] and the other
// sentinels, or [IsDeclined] and [IsRetryable].
//
// # Lists
//
// Every List method returns one page; every All method returns an iterator
// (iter.Seq2) that fetches page after page lazily and stops at the first
// error.
//
// # Webhooks
//
// Tokenim signs webhooks per Standard Webhooks. [NewWebhookVerifier] checks
// signatures and timestamps with your endpoint's secrets; [NewWebhookHandler]
// wraps a verifier in a ready http.Handler that suppresses duplicate
// deliveries and calls your function once per event; [ConstructEvent]
// verifies and decodes one delivery; [SignWebhook] and [NewWebhookSecret]
// serve programs that sign deliveries themselves. Package tokenimtest builds
// signed requests and receives sandbox deliveries in tests.
//
// # Testing
//
// Package github.com/tokenim/tokenim-go/sandbox is a stateful fake of the
// platform that runs inside your test, with the platform's rules, test cards,
// a controllable clock, fault injection and signed webhook delivery; package
// github.com/tokenim/tokenim-go/tokenimtest hands you a client wired to it in
// one line.
package tokenim
