package browsertest

// The dashboard in a real browser: Chromium, headless,
// driven through the DevTools protocol by chromedp. Without a Chromium these
// tests skip, saying what to install; in CI (CI=true) they fail instead.
// TOKENIM_DASHBOARD_SCREENSHOTS=1 also saves the main pages to docs/.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

// chromium finds the browser: $TOKENIM_CHROMIUM, else chromium (Debian's
// package) or a Chrome on the PATH.
func chromium() string {
	if p := os.Getenv("TOKENIM_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startBrowser starts one headless Chromium for a test and its subtests,
// each subtest in its own tab (newTab). The flags keep a browser with no
// network from trying to reach one (updates, sync, QUIC probes).
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromium()
	if path == "" {
		const msg = "browser tests need Chromium: install it (Debian: apt-get install -y chromium) or set TOKENIM_CHROMIUM to a Chrome/Chromium binary"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: .ci/run installs it as root)")
		}
		t.Skip(msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	)
	if os.Geteuid() == 0 {
		// Chromium refuses to start as root with its sandbox on ("Running as
		// root without --no-sandbox is not supported"), as in CI containers.
		// Elsewhere the sandbox stays on.
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	// Start the browser now, so a broken install fails here with its reason.
	require.NoError(t, chromedp.Do(browserCtx, chromedp.Navigate("about:blank")), "starting %s", path)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	return browserCtx
}

// tab is one browser tab on one sandbox.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func newTab(t *testing.T, browser context.Context, srv *sandbox.Server) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
	})
	return &tab{t: t, ctx: ctx, base: srv.URL}
}

// open loads a dashboard path and wants 200.
func (b *tab) open(path string) {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	require.NoError(b.t, err, path)
	require.Equal(b.t, int64(200), resp.Status, path)
}

// click clicks the element css selects and waits for the page it loads.
func (b *tab) click(css string) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
	require.NoError(b.t, err, "click %s", css)
	require.Equal(b.t, int64(200), resp.Status, "after clicking %s", css)
}

func (b *tab) text(css string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
	require.NoError(b.t, err, "text of %s", css)
	return s
}

func (b *tab) html() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	require.NoError(b.t, err)
	return s
}

func (b *tab) location() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Location())
	require.NoError(b.t, err)
	return strings.TrimPrefix(s, b.base)
}

// shot saves the visible page as docs/dashboard-<name>.png when
// TOKENIM_DASHBOARD_SCREENSHOTS is set; the README shows these.
func (b *tab) shot(name string) {
	b.t.Helper()
	if os.Getenv("TOKENIM_DASHBOARD_SCREENSHOTS") == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	require.NoError(b.t, err)
	require.NoError(b.t, os.WriteFile(filepath.Join("..", "..", "docs", "dashboard-"+name+".png"), png, 0o644))
}

var testCard = tokenim.Card("4242424242424242", 12, 2030, "123")

func checkout(t *testing.T, c *tokenim.Client, ref string, amount int64) (*tokenim.Order, *tokenim.Payment) {
	t.Helper()
	ctx := context.Background()
	o, err := c.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: ref, Amount: amount, Currency: tokenim.CurrencyCNY})
	require.NoError(t, err)
	p, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: testCard})
	require.NoError(t, err)
	require.Equal(t, tokenim.PaymentStatusSucceeded, p.Status)
	return o, p
}

func TestDashboard_inBrowser(t *testing.T) {
	browser := startBrowser(t)
	start := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

	t.Run("every page loads and shows no key, secret or card number", func(t *testing.T) {
		t.Parallel()
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
		defer hook.Close()
		c, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(start), sandbox.WithWebhookEndpoint(hook.URL))
		o, p := checkout(t, c, "browser-pages", 4200)
		b := newTab(t, browser, srv)
		b.open("/_sandbox/")
		for _, nav := range []struct{ link, h1 string }{
			{"Orders", "Orders"}, {"Payments", "Payments"}, {"Refunds", "Refunds"}, {"Disputes", "Disputes"},
			{"Balance", "Balance"}, {"Events", "Events"}, {"Webhooks", "Webhooks"}, {"Request logs", "Request logs"},
			{"API keys", "API keys"}, {"Merchants", "Merchants"}, {"Overview", "Overview"},
		} {
			b.click(`header.top nav a:nth-child(` + navIndex(nav.link) + `)`)
			assert.Equal(t, nav.h1, b.text("main h1"), "after clicking %s", nav.link)
			assertNoSecrets(t, srv, b.html(), b.location())
		}
		for _, path := range []string{"/_sandbox/ui/orders/" + o.ID, "/_sandbox/ui/payments/" + p.ID, "/_sandbox/ui/requests?all=1"} {
			b.open(path)
			assertNoSecrets(t, srv, b.html(), path)
		}
	})

	t.Run("click through a checkout made by the client", func(t *testing.T) {
		t.Parallel()
		c, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(start))
		o, p := checkout(t, c, "browser-checkout", 1999)
		b := newTab(t, browser, srv)
		b.open("/_sandbox/")
		assert.Equal(t, "1", b.text("#count-orders"))
		assert.Equal(t, "1", b.text("#count-payments"))
		b.shot("overview")
		b.click(`a.card[href="/_sandbox/ui/orders"]`)
		assert.Contains(t, b.text("#orders tbody"), "browser-checkout")
		b.click(`#orders a[href="/_sandbox/ui/orders/` + o.ID + `"]`)
		assert.Equal(t, o.ID, b.text("#object-id"))
		assert.Contains(t, b.text("main"), "paid")
		b.click(`a[href="/_sandbox/ui/payments/` + p.ID + `"]`)
		assert.Equal(t, p.ID, b.text("#object-id"))
		assert.Equal(t, "visa •••• 4242 (expires 12/2030)", b.text("#payment-method"))
		main := b.text("main")
		assert.Contains(t, main, "CNY 19.99")
		assert.Contains(t, main, "payment.succeeded", "the payment's events")
		reqs := b.text("#payment-requests")
		assert.Contains(t, reqs, "POST", "the call that made the payment")
		assert.Contains(t, reqs, "/v1/payments")
		b.shot("payment")
		b.click("#payment-request-logs")
		assert.Equal(t, "Request logs", b.text("main h1"))
		logs := b.text("#request-logs")
		assert.Contains(t, logs, "/v1/payments")
		assert.NotContains(t, logs, "/v1/orders", "only the calls about the payment")
		b.open("/_sandbox/ui/payments/" + p.ID)
		b.click("main a[href^='/_sandbox/ui/events/evt_']")
		assert.Equal(t, "Event", b.text("main h1"))
		assert.Contains(t, b.text("main"), p.ID, "the payment's event")
		b.open("/_sandbox/ui/payments")
		b.shot("payments")
		b.open("/_sandbox/ui/request_logs")
		logs = b.text("#request-logs")
		assert.Contains(t, logs, "/v1/payments")
		assert.Contains(t, logs, "…"+srv.APIKey()[len(srv.APIKey())-4:], "which key made the call")
		b.shot("request-logs")
	})

	t.Run("open a dispute with the button and see its due-in; the balance and its statement", func(t *testing.T) {
		t.Parallel()
		c, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(start))
		_, p := checkout(t, c, "browser-dispute", 8800)
		_, _ = checkout(t, c, "browser-balance", 12000)
		b := newTab(t, browser, srv)
		b.open("/_sandbox/ui/payments/" + p.ID)
		require.NoError(t, chromedp.Do(b.ctx, chromedp.SetValue(chromedp.ID("dispute-reason"), "product_not_received")))
		b.click("#open-dispute")
		assert.Contains(t, b.text("#flash"), "Opened dispute dp_")
		b.click("main a[href^='/_sandbox/ui/disputes/dp_']")
		assert.Equal(t, "needs_response", b.text("#dispute-status"))
		assert.Contains(t, b.text("#due-in"), "2026-11-28 09:30:00Z (in 7d)")
		b.click("#advance-1d")
		assert.Contains(t, b.text("#due-in"), "(in 6d)")
		b.open("/_sandbox/ui/disputes")
		b.shot("disputes")
		got, err := c.Disputes.List(context.Background(), nil)
		require.NoError(t, err)
		require.Len(t, got.Data, 1)
		assert.Equal(t, tokenim.DisputeStatusNeedsResponse, got.Data[0].Status, "the client sees it too")

		b.click("#advance-1d") // the second payment's money settles at 00:00
		b.click(`header.top nav a:nth-child(` + navIndex("Balance") + `)`)
		assert.Contains(t, b.text("#transactions"), "dispute")
		b.shot("balance")
		b.click("#settlements-link")
		link, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS("#settlements a[download]"), "href"))
		require.NoError(t, err)
		assert.True(t, strings.HasSuffix(link.Value, "/report"), link.Value)
	})

	t.Run("advance the clock with the button and see the refund settle", func(t *testing.T) {
		t.Parallel()
		c, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(start))
		_, p := checkout(t, c, "browser-refund", 5000)
		r, err := c.Refunds.Create(context.Background(), &tokenim.RefundCreateParams{PaymentID: p.ID, Amount: 2000})
		require.NoError(t, err)
		require.Equal(t, tokenim.RefundStatusPending, r.Status)
		b := newTab(t, browser, srv)
		b.open("/_sandbox/ui/refunds/" + r.ID)
		assert.Equal(t, "pending", b.text("#refund-status"))
		assert.Contains(t, b.text("#settles"), "in 5m")
		b.click("#advance-5m")
		assert.Equal(t, "/_sandbox/ui/refunds/"+r.ID, strings.SplitN(b.location(), "?", 2)[0], "back on the refund")
		assert.Contains(t, b.text("#flash"), "Advanced the clock by 5m0s")
		assert.Equal(t, "succeeded", b.text("#refund-status"))
		assert.Equal(t, "2026-11-21 09:35:00Z", b.text("#clock-now"))
		got, err := c.Refunds.Get(context.Background(), r.ID)
		require.NoError(t, err)
		assert.Equal(t, tokenim.RefundStatusSucceeded, got.Status, "the client sees it too")

		// A custom step: one day, typed.
		require.NoError(t, chromedp.Do(b.ctx, chromedp.SendKeys(chromedp.ID("advance-custom"), "1d")))
		b.click("#advance-go")
		assert.Equal(t, "2026-11-22 09:35:00Z", b.text("#clock-now"))
	})

	t.Run("resend a failing delivery", func(t *testing.T) {
		t.Parallel()
		var healthy atomic.Bool
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if !healthy.Load() {
				http.Error(w, "not yet", http.StatusInternalServerError)
			}
		}))
		defer hook.Close()
		c, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(start), sandbox.WithWebhookEndpoint(hook.URL))
		o, err := c.Orders.Create(context.Background(), &tokenim.OrderCreateParams{MerchantOrderID: "browser-hook", Amount: 700, Currency: tokenim.CurrencyCNY})
		require.NoError(t, err)
		_, err = c.Orders.Cancel(context.Background(), o.ID)
		require.NoError(t, err)
		require.NoError(t, srv.FlushDeliveries(context.Background()))

		b := newTab(t, browser, srv)
		b.open("/_sandbox/ui/deliveries")
		d := b.text("article.delivery")
		assert.Contains(t, d, "order.canceled")
		assert.Contains(t, d, "500")
		assert.Contains(t, d, "next retry 2026-11-21 09:30:05Z")
		b.shot("webhooks")

		// The event's page shows its delivery with attempts and answers, and resends.
		b.click("article.delivery header a[href^='/_sandbox/ui/events/evt_']")
		assert.Equal(t, "Event", b.text("main h1"))
		assert.Contains(t, b.text("article.delivery .delivery-summary"), "1 attempt, last answer 500")
		healthy.Store(true)
		b.click("article.delivery button.resend")
		assert.Contains(t, b.text("#flash"), "the endpoint answered 200")
		assert.Equal(t, "Event", b.text("main h1"), "back on the event's page")
		d = b.text("article.delivery")
		assert.Contains(t, d, "resent", "the newest delivery first: the resend")
		assert.Contains(t, d, "manual")
		assert.Contains(t, d, "delivered")
		assert.Contains(t, b.html(), `article class="delivery st-succeeded"`)
		assert.Contains(t, b.html(), `article class="delivery st-retrying"`, "the first delivery keeps its schedule")
		list, err := c.WebhookDeliveries.List(context.Background(), srv.Deliveries()[0].EndpointID, nil)
		require.NoError(t, err)
		require.Len(t, list.Data, 2, "the client sees the resend as a delivery")
		assert.Equal(t, tokenim.DeliverySucceeded, list.Data[0].Status)
	})

	t.Run("maintenance, a fault plan and a trigger from the overview", func(t *testing.T) {
		t.Parallel()
		c, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(start))
		b := newTab(t, browser, srv)
		b.open("/_sandbox/")
		b.click("#maintenance-toggle")
		assert.Equal(t, "maintenance", b.text("#maintenance-badge"))
		_, err := c.Orders.List(context.Background(), nil)
		assert.True(t, tokenim.IsRetryable(err), "the API is in maintenance: %v", err)
		b.click("#maintenance-toggle")

		require.NoError(t, chromedp.Do(b.ctx, chromedp.SetValue(chromedp.ID("trigger-type"), "refund.failed")))
		b.click("#trigger-go")
		assert.Contains(t, b.text("#flash"), "Triggered refund.failed")
		events, err := c.Events.List(context.Background(), &tokenim.EventListParams{Type: tokenim.EventRefundFailed})
		require.NoError(t, err)
		assert.Len(t, events.Data, 1)

		b.click("#faults-set") // the example plan in the box
		assert.Contains(t, b.text("main"), "Active: 1 rules")
		b.click("#faults-clear")
		assert.Contains(t, b.text("main"), "None: no request is faulted.")
	})

	t.Run("the API keys page keeps each key on one line", func(t *testing.T) {
		t.Parallel()
		srv := sandbox.Start(t, sandbox.WithFrozenClock(start))
		b := newTab(t, browser, srv)
		_, err := chromedp.Run(b.ctx, chromedp.EmulateViewport(760, 860))
		require.NoError(t, err)
		b.open("/_sandbox/ui/keys")
		lines, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]int](`[...document.querySelectorAll("#keys td.id")].map(td => {
			const r = document.createRange(); r.selectNodeContents(td); return r.getClientRects().length })`))
		require.NoError(t, err)
		require.NotEmpty(t, lines)
		for _, n := range lines {
			assert.Equal(t, 1, n, "a key id or secret column wraps at 760 px: %v", lines)
		}
	})

	t.Run("lists paginate and ids link to their objects", func(t *testing.T) {
		t.Parallel()
		c, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(start))
		var first *tokenim.Order
		for i := range 27 {
			o, err := c.Orders.Create(context.Background(), &tokenim.OrderCreateParams{
				MerchantOrderID: "page-" + string(rune('a'+i)), Amount: 100, Currency: tokenim.CurrencyCNY})
			require.NoError(t, err)
			if first == nil {
				first = o
			}
		}
		b := newTab(t, browser, srv)
		b.open("/_sandbox/ui/orders")
		assert.Contains(t, b.text(".pager"), "1–25 of 27")
		b.click("#next-page")
		assert.Contains(t, b.text(".pager"), "26–27 of 27")
		b.click(`#orders a[href="/_sandbox/ui/orders/` + first.ID + `"]`)
		assert.Equal(t, first.ID, b.text("#object-id"))
	})
}

// dashboardNav is the layout's navigation, in order.
var dashboardNav = []string{"Overview", "Orders", "Payments", "Refunds", "Disputes", "Balance", "Events", "Webhooks",
	"Request logs", "API keys", "Merchants"}

// navIndex is the position of a nav link in the layout (1-based).
func navIndex(link string) string {
	for i, l := range dashboardNav {
		if l == link {
			return strconv.Itoa(i + 1)
		}
	}
	return "0"
}

func assertNoSecrets(t *testing.T, srv *sandbox.Server, html, where string) {
	t.Helper()
	assert.NotContains(t, html, srv.APIKey(), "%s shows the API key", where)
	assert.NotContains(t, html, strings.TrimPrefix(srv.APIKey(), "sk_test_"), "%s shows the API key's body", where)
	assert.NotContains(t, html, strings.TrimPrefix(srv.WebhookSecret(), "whsec_"), "%s shows the webhook secret", where)
	assert.NotContains(t, html, "4242424242424242", "%s shows a card number", where)
	assert.NotContains(t, html, "4242 4242 4242 4242", "%s shows a card number", where)
}
