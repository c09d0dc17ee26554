// Package sandbox is an in-process fake of the Tokenim platform: the whole
// wire contract (orders, payments, refunds, events, webhook endpoints, status)
// with the test-mode outcomes of §6, a virtual clock, deterministic fault
// injection, webhook delivery and inspection. Start one in a test like an
// httptest.Server:
//
//	srv := sandbox.Start(t, sandbox.WithFrozenClock(start))
//	// point a client at srv.URL with srv.APIKey and srv.MerchantID
//	srv.Advance(time.Hour) // settles bank transfers, expires orders, retries webhooks
//
// It shares no code with the client package on purpose: it is a second,
// independent implementation of the contract, so each checks the other.
//
// # Time
//
// Everything that happens later (order expiry, bank settlement after 1 h,
// refund completion after 5 min, idempotency expiry after 24 h, webhook
// retries) is a job on one scheduler keyed by sandbox time. Advance runs every
// job that falls due in time order, stepping the clock to each job's instant,
// and waits for the webhook attempts those jobs start before it returns. While
// the clock is not frozen, a background timer also fires jobs as real time
// passes.
//
// # Control API
//
// Under /_sandbox/ (no authentication; never faulted, never in maintenance):
// POST reset, POST clock/advance {"seconds":n}, POST clock/freeze, POST
// clock/resume, GET clock, POST maintenance {"enabled":bool}, POST faults (a
// FaultPlan), DELETE faults, POST merchants {"restricted":bool}, POST
// merchants/{id}/restrict {"restricted":bool}, POST rate_limit
// {"per_second":n}, GET requests, GET deliveries.
//
// # Secrets
//
// API keys, webhook secrets, card numbers and CVCs never reach a log line, an
// error, or the %v form of Server, Sandbox or Merchant.
package sandbox
