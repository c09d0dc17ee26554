package sandbox

// The dashboard: server-rendered HTML pages under /_sandbox/ that show the
// sandbox's state and drive its clock, maintenance, faults, webhook resends
// and event triggers. Its routes sit in the one route table (routes.go) with
// accessDashboard; pages are html/template files embedded from ui/, with a
// little JavaScript and no build step. It obeys the control API's rules (an
// allowed Host, same-origin: guard.go; loopback callers and the control
// token: access.go) and checks its session's CSRF token on every POST. It reads the sandbox's state directly, under its lock, and
// never shows an API key, a webhook secret or a card number (last4 only).

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tokenim/tokenim-go/internal/minorunit"
)

//go:embed ui
var uiFiles embed.FS

// dashboardRoot is the overview page; every other page is under dashboardUI.
const (
	dashboardRoot = "/_sandbox/"
	dashboardUI   = "/_sandbox/ui/"
	dashPerPage   = 25
	maxFormBody   = 64 << 10
)

// DashboardPath is the path of the dashboard's overview page: the banner of
// a standalone sandbox prints its base URL followed by this.
const DashboardPath = dashboardRoot

// pageFunc serves one dashboard route.
type pageFunc func(d *dashCall)

// dashCall is one dashboard request.
type dashCall struct {
	s    *Sandbox
	w    http.ResponseWriter
	r    *http.Request
	args []string
	sid  string // the browser session (access.go)
}

// serveDashboard serves r when it is a dashboard route and reports whether
// it did; anything else under /_sandbox/ is the control API's.
func (s *Sandbox) serveDashboard(w http.ResponseWriter, r *http.Request) bool {
	rt, args, _ := match(s.table, r.Method, r.URL.Path)
	if rt != nil && rt.access != accessDashboard {
		return false
	}
	if rt == nil && !strings.HasPrefix(r.URL.Path, dashboardUI) {
		return false
	}
	h := w.Header()
	// Pages never load in a frame (no clickjacking of the buttons), run
	// only the sandbox's own script, and submit forms only to the sandbox.
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	// "same-origin", not "no-referrer": under no-referrer a browser sends
	// Origin: null with a form, which sameOrigin rightly refuses.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	d := &dashCall{s: s, w: w, r: r, args: args}
	if !sameOrigin(r) {
		d.fail(http.StatusForbidden, "Cross-site request refused: the dashboard answers only pages of its own origin (Origin, Sec-Fetch-Site).")
		return true
	}
	if !strings.HasPrefix(r.URL.Path, dashboardUI+"assets/") {
		sid, allowed := s.session(w, r)
		if !allowed {
			s.login(w, r, sid)
			return true
		}
		d.sid = sid
	}
	if rt == nil {
		d.fail(http.StatusNotFound, "No dashboard page at "+r.URL.Path+".")
		return true
	}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
		if err := r.ParseForm(); err != nil {
			d.fail(http.StatusBadRequest, "The form could not be read (at most 64 KiB of application/x-www-form-urlencoded).")
			return true
		}
		sent := r.PostForm.Get("csrf")
		if subtle.ConstantTimeCompare([]byte(sent), []byte(s.dash.csrfFor(d.sid))) != 1 {
			d.fail(http.StatusForbidden, "The form's CSRF token is missing or wrong: reload the page and try again.")
			return true
		}
	}
	rt.page(d)
	return true
}

// pageData is what every page template gets: the frame (clock, merchant,
// CSRF token) and the page's own Body.
type pageData struct {
	Title       string
	Nav         string
	Now         time.Time
	Frozen      bool
	Maintenance bool
	Merchant    string
	Merchants   []string
	CSRF        string
	Flash       string
	Return      string // this page's path and query: where a form comes back to
	Body        any
}

// Href is the dashboard path of parts (e.g. "orders", id), keeping the
// merchant the page shows. Each part is path-escaped.
func (p *pageData) Href(parts ...string) template.URL {
	esc := make([]string, len(parts))
	for i, s := range parts {
		esc[i] = url.PathEscape(s)
	}
	u := dashboardUI + strings.Join(esc, "/")
	if len(parts) == 0 {
		u = dashboardRoot
	}
	return template.URL(u + p.merchantQuery("?"))
}

// ObjHref links an object id to its page by the id's prefix; "" when the
// dashboard has no page for it.
func (p *pageData) ObjHref(id string) template.URL {
	for prefix, kind := range objectPages {
		if strings.HasPrefix(id, prefix) {
			return p.Href(kind, id)
		}
	}
	return ""
}

// objectPages maps id prefixes to the dashboard's page of that kind.
var objectPages = map[string]string{"ord_": "orders", "pay_": "payments", "re_": "refunds", "evt_": "events", "dp_": "disputes"}

func (p *pageData) merchantQuery(sep string) string {
	if p.Merchant == "" || len(p.Merchants) < 2 || p.Merchant == p.Merchants[0] {
		return ""
	}
	return sep + "merchant=" + url.QueryEscape(p.Merchant)
}

// PageURL is the current page with the query parameter key set to value
// (pagination and filters).
func (p *pageData) PageURL(key, value string) template.URL {
	u, err := url.Parse(p.Return)
	if err != nil {
		return template.URL(dashboardRoot)
	}
	q := u.Query()
	q.Del("flash")
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	u.RawQuery = q.Encode()
	return template.URL(u.String())
}

// page renders template name with the body that build makes, under the
// state lock: build reads the merchant's objects and the template reads
// them while nothing else can change them.
func (d *dashCall) page(name, title string, build func(m *merchant, p *pageData) (any, bool)) {
	s := d.s
	var buf bytes.Buffer
	status := http.StatusOK
	err := func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		p, m := d.frameLocked(title, name)
		if m == nil {
			status = http.StatusNotFound
			p.Body = "No such merchant: " + strconv.Quote(d.r.URL.Query().Get("merchant")) + "."
			return dashTemplates()["error"].ExecuteTemplate(&buf, "layout", p)
		}
		body, ok := build(m, p)
		if !ok {
			status = http.StatusNotFound
			p.Body = "No such " + strings.ToLower(title) + ": " + strconv.Quote(d.args[0]) + "."
			return dashTemplates()["error"].ExecuteTemplate(&buf, "layout", p)
		}
		p.Body = body
		return dashTemplates()[name].ExecuteTemplate(&buf, "layout", p)
	}()
	if err != nil {
		http.Error(d.w, "dashboard: the page could not be rendered", http.StatusInternalServerError)
		return
	}
	d.write(status, &buf)
}

// frameLocked fills the page frame and finds the merchant the page shows:
// ?merchant=, else the default one (nil when the id is unknown). The
// caller holds s.mu.
func (d *dashCall) frameLocked(title, nav string) (*pageData, *merchant) {
	s := d.s
	p := &pageData{
		Title: title, Nav: nav, Now: s.clock.Now(), Frozen: s.clock.Frozen(), Maintenance: s.maintenance,
		CSRF: s.dash.csrfFor(d.sid), Flash: d.r.URL.Query().Get("flash"), Return: d.r.URL.RequestURI(),
	}
	p.Merchants = append(p.Merchants, s.cfg.merchantID)
	var others []string
	for id := range s.merchants {
		if id != s.cfg.merchantID {
			others = append(others, id)
		}
	}
	slices.Sort(others)
	p.Merchants = append(p.Merchants, others...)
	p.Merchant = s.cfg.merchantID
	if q := d.r.URL.Query(); q.Has("merchant") {
		p.Merchant = q.Get("merchant")
	}
	return p, s.merchants[p.Merchant]
}

func (d *dashCall) write(status int, buf *bytes.Buffer) {
	d.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	d.w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	d.w.WriteHeader(status)
	_, _ = d.w.Write(buf.Bytes())
}

// fail answers an error page that says what went wrong.
func (d *dashCall) fail(status int, msg string) {
	s := d.s
	var buf bytes.Buffer
	s.mu.Lock()
	p, _ := d.frameLocked(http.StatusText(status), "")
	p.Body = msg
	p.Return = dashboardRoot
	err := dashTemplates()["error"].ExecuteTemplate(&buf, "layout", p)
	s.mu.Unlock()
	if err != nil {
		http.Error(d.w, msg, status)
		return
	}
	d.write(status, &buf)
}

// done answers a form with 303 See Other to the page it came from (its
// "return" field), saying what happened in flash.
func (d *dashCall) done(flash string) {
	back := d.r.PostForm.Get("return")
	// Only a path of the dashboard: never another host ("//x", "/\x").
	if !strings.HasPrefix(back, "/_sandbox") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = dashboardRoot
	}
	u, err := url.Parse(back)
	if err != nil {
		u = &url.URL{Path: dashboardRoot}
	}
	q := u.Query()
	q.Set("flash", flash)
	u.RawQuery = q.Encode()
	http.Redirect(d.w, d.r, u.String(), http.StatusSeeOther)
}

// pager is one page of a list, newest first.
type pager struct {
	Page, Pages, Total int
	From, To           int
}

// paginate returns the page ?page= of the items (oldest first) that keep
// accepts, newest first, dashPerPage per page.
func paginate[T any](r *http.Request, items []T, keep func(T) bool) ([]T, pager) {
	var all []T
	for i := len(items) - 1; i >= 0; i-- {
		if keep == nil || keep(items[i]) {
			all = append(all, items[i])
		}
	}
	pg := pager{Total: len(all), Pages: max(1, (len(all)+dashPerPage-1)/dashPerPage), Page: 1}
	if n, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && n > 1 {
		pg.Page = min(n, pg.Pages)
	}
	start := (pg.Page - 1) * dashPerPage
	end := min(start+dashPerPage, len(all))
	if start < end {
		pg.From, pg.To = start+1, end
		return all[start:end], pg
	}
	return nil, pg
}

// Prev and Next are the neighbouring page numbers as query values ("" at the ends).
func (p pager) Prev() string {
	if p.Page <= 1 {
		return ""
	}
	return strconv.Itoa(p.Page - 1)
}

// Next is the next page number, "" on the last page.
func (p pager) Next() string {
	if p.Page >= p.Pages {
		return ""
	}
	return strconv.Itoa(p.Page + 1)
}

// dashAsset serves the dashboard's stylesheet and script.
func dashAsset(d *dashCall) {
	name := d.args[0]
	b, err := fs.ReadFile(uiFiles, "ui/assets/"+name)
	if err != nil || strings.Contains(name, "..") {
		d.fail(http.StatusNotFound, "No dashboard asset "+strconv.Quote(name)+".")
		return
	}
	ct := "text/plain; charset=utf-8"
	switch path.Ext(name) {
	case ".css":
		ct = "text/css; charset=utf-8"
	case ".js":
		ct = "text/javascript; charset=utf-8"
	}
	d.w.Header().Set("Content-Type", ct)
	d.w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = d.w.Write(b)
}

// dashTemplates parses every page once: the layout plus the page's own file.
var dashTemplates = sync.OnceValue(func() map[string]*template.Template {
	funcs := template.FuncMap{
		"money":  formatMoney,
		"time":   formatTime,
		"since":  formatSince,
		"mask":   maskKey,
		"pretty": prettyJSON,
		"deref":  func(s *string) string { return derefOr(s, "") },
		"dur":    roundDuration,
		"deliveryView": func(p *pageData, g deliveryGroup) deliveryView {
			return deliveryView{Page: p, Group: g}
		},
	}
	layout := template.Must(template.New("layout").Funcs(funcs).ParseFS(uiFiles, "ui/templates/layout.html"))
	pages, err := fs.Glob(uiFiles, "ui/templates/*.html")
	if err != nil {
		panic(err) // the pattern is a constant
	}
	out := map[string]*template.Template{}
	for _, f := range pages {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		out[name] = template.Must(template.Must(layout.Clone()).ParseFS(uiFiles, f))
	}
	return out
})

func derefOr(s *string, def string) string {
	if s == nil {
		return def
	}
	return *s
}

// formatMoney shows minor units in the currency's major unit after its
// code, "CNY 19.99" (docs/tokenim-api.md §1: JPY has no minor unit, KWD
// three, the others two), through the module's one copy of that rule, which
// is no part of the SDK the sandbox tests.
func formatMoney(amount int64, currency string) string {
	return minorunit.WithCode(amount, currency)
}

// asTime reads the times the templates pass: time.Time and the wire's
// timestamp (nil or zero: false).
func asTime(t any) (time.Time, bool) {
	var tt time.Time
	switch v := t.(type) {
	case time.Time:
		tt = v
	case timestamp:
		tt = time.Time(v)
	case *timestamp:
		if v != nil {
			tt = time.Time(*v)
		}
	}
	return tt, !tt.IsZero()
}

func formatTime(t any) string {
	tt, ok := asTime(t)
	if !ok {
		return "—"
	}
	return tt.UTC().Format("2006-01-02 15:04:05Z")
}

// formatSince says how far t is from now in sandbox time: "5m ago", "in 2h".
func formatSince(now time.Time, t any) string {
	tt, ok := asTime(t)
	if !ok {
		return ""
	}
	d := tt.Sub(now)
	if d < 0 {
		return roughDuration(-d) + " ago"
	}
	return "in " + roughDuration(d)
}

func roughDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d"
}

// maskKey shows an API key as its prefix and last four characters.
func maskKey(key string) string {
	prefix := "sk_test_"
	if strings.HasPrefix(key, "sk_live_") {
		prefix = "sk_live_"
	}
	if len(key) < len(prefix)+8 {
		return prefix + "…"
	}
	return prefix + "…" + key[len(key)-4:]
}

func prettyJSON(raw []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

// roundDuration shows how long an attempt took, to the millisecond.
func roundDuration(d time.Duration) string {
	if d < time.Millisecond {
		return "<1ms"
	}
	return d.Round(time.Millisecond).String()
}
