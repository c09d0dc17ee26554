// Package sandbox is an in-process fake of the Tokenim platform: the whole
// wire contract of docs/tokenim-api.md (orders, payments, refunds, disputes,
// balance, balance transactions, settlements and their statements, events,
// webhook endpoints and deliveries, status, API keys and request logs)
// with the test-mode outcomes of §6, a virtual clock, deterministic fault
// injection, webhook delivery and inspection. Start one in a test like an
// httptest.Server:
//
//	srv := sandbox.Start(t, sandbox.WithFrozenClock(start))
//	// point a client at srv.URL with srv.APIKey() and srv.MerchantID
//	srv.Advance(time.Hour) // settles bank transfers, expires orders, retries webhooks
//
// It shares no code with the client package on purpose: it is a second,
// independent implementation of the contract, so each checks the other.
//
// # Time
//
// A returned bank transfer (an amount ending in 13) frees its order: past
// its expires_at by then (30 min by default, the transfer takes 1 h) the
// order becomes expired at once, else it is open again.
//
// Everything that happens later (order expiry, bank settlement after 1 h,
// refund completion after 5 min, idempotency expiry after 24 h, webhook
// retries, a rolled API key's expiry, request logs leaving after 30 days,
// each merchant's daily settlement at 00:00 UTC) is a job on one scheduler
// keyed by sandbox time. Advance runs every
// job that falls due in time order, stepping the clock to each job's instant,
// and waits for the webhook attempts those jobs start before it returns. While
// the clock is not frozen, a background timer also fires jobs as real time
// passes.
//
// # Control API
//
// Under /_sandbox/ (no authentication; never faulted, never in maintenance;
// refused with 403 to a browser page of another origin — a cross-site Origin
// or Sec-Fetch-Site):
// POST reset, POST clock/advance {"seconds":n}, POST clock/freeze, POST
// clock/resume, GET clock, POST maintenance {"enabled":bool}, POST faults (a
// FaultPlan), DELETE faults, POST merchants {"restricted":bool}, POST
// merchants/{id}/restrict {"restricted":bool}, POST rate_limit
// {"per_second":n}, GET requests, GET deliveries, POST disputes
// {"payment_id","reason"} (opens a dispute on a succeeded card payment).
// GET requests is the sandbox's own record for tests; merchants read
// theirs at /v1/request_logs.
//
// # Dashboard
//
// GET /_sandbox/ (DashboardPath) is a dashboard for people: HTML pages of the
// orders, payments, refunds, disputes, balance and settlements, events,
// webhook deliveries (each attempt, the next retry, a resend button: also
// ResendDelivery), request logs and API keys, with forms that move the
// clock, toggle maintenance, set or clear a fault plan, open a dispute and
// trigger an event. It keeps the control API's Host and same-origin rules,
// checks its browser session's CSRF token on every form (Reset replaces
// them), and shows no API key, webhook secret or card number (last four
// only).
//
// /_sandbox/ (control API and dashboard) answers only callers on this
// machine unless WithRemoteControl (-allow-remote-control), and with
// WithControlToken (-control-token) only callers that send the token in
// ControlTokenHeader or log in to the dashboard with it.
//
// # Hosts
//
// The sandbox answers only requests whose Host is loopback (localhost,
// 127.0.0.0/8, [::1], any port) unless WithAllowedHosts (-allowed-hosts)
// names more: its default key is public, so a web page must not reach it
// through DNS rebinding. ServeHTTP called in-process, without a listener,
// is not checked.
//
// # Limits
//
// Each merchant holds at most DefaultIdempotencyCapacity (16 million) live
// idempotency keys (WithIdempotencyCapacity), about 200 bytes of heap each:
// a digest of the key and of the request, and the original answer in a
// compact, lossless coding, so a replay is byte for byte the first answer.
// A key is never forgotten before its 24 h expire; a keyed POST that would
// need one more answers 503
// service_unavailable with Retry-After (seconds until the oldest key expires)
// and executes nothing. The request and delivery logs keep the newest 10 000
// entries each.
//
// # Secrets
//
// API keys, webhook secrets, card numbers and CVCs never reach a log line, an
// error, any fmt verb or slog handler, by value or by pointer: Server and
// Merchant give the key and secret through methods (APIKey, WebhookSecret)
// and hold them where reflection does not reach. Webhook secrets are whsec_
// followed by padded standard base64 of 24–64 bytes (docs/tokenim-api.md §1);
// New refuses any other.
//
// # Adding a resource
//
// One file per resource (orders.go, payments.go, …) holds its wire types,
// request schemas and handlers. A new resource adds: its file; its lines in
// the route table in routes.go (creates(…) for calls a restricted merchant
// may not make); its per-merchant state as fields of merchant in model.go
// (Reset replaces merchants, so that state resets with nothing more);
// later(m, at, fn) for work due at a sandbox time; emit(m, type, obj) plus
// an entry in eventTypes for its events. Idempotency, authentication,
// faults, maintenance and the request log apply to every /v1/ route.
package sandbox
