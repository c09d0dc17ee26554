package sandbox

// Who may drive the sandbox through /_sandbox/ (the control API and the
// dashboard): callers on this machine only, unless WithRemoteControl; and,
// with WithControlToken, only callers that show the token (the
// Tokenim-Sandbox-Token header, or the dashboard's login cookie). The
// dashboard's CSRF tokens are per browser session and change on Reset.
// docs/contract-decisions.md (sandbox access) records the decisions.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"html/template"
	"net"
	"net/http"
	"strings"
	"sync"
)

// ControlTokenHeader carries the control token (WithControlToken) on
// /_sandbox/ requests.
const ControlTokenHeader = "Tokenim-Sandbox-Token"

// sessionCookiePrefix begins the dashboard's cookie name; the rest is
// per sandbox, since a browser sends a host's cookies to every port: two
// sandboxes on one machine must not overwrite each other's sessions.
const sessionCookiePrefix = "tokenim_sandbox_"

func (d *dashboardState) cookieName() string {
	k, _ := d.keys()
	return sessionCookiePrefix + mac(k, "cookie")[:12]
}

// WithRemoteControl lets callers on other machines use /_sandbox/ (the
// control API and the dashboard). By default only loopback callers may:
// the Host check alone cannot tell, since any machine can send
// Host: localhost. Give a token too (WithControlToken).
func WithRemoteControl(allow bool) Option {
	return func(c *config) error { c.remoteControl = allow; return nil }
}

// WithControlToken makes /_sandbox/ require token: the control API in the
// Tokenim-Sandbox-Token header, the dashboard once per browser session
// through its login page (or the same header). Empty means no token.
func WithControlToken(token string) Option {
	return func(c *config) error {
		if token != "" && (len(token) < 16 || strings.ContainsAny(token, " \t\r\n")) {
			return errorString("sandbox: WithControlToken: the token must be at least 16 characters, without white space")
		}
		c.controlToken = seal(token)
		return nil
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

// remoteRefused reports whether r came through a listener from a caller
// that is not on this machine while remote control is off.
func (s *Sandbox) remoteRefused(r *http.Request) bool {
	if s.cfg.remoteControl || r.Context().Value(http.LocalAddrContextKey) == nil {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

func errRemoteControl() *apiError {
	return newError(403, "remote_control_refused", "Remote control refused",
		"The sandbox's /_sandbox/ control API and dashboard answer only callers on this machine; start it with -allow-remote-control (WithRemoteControl) and a -control-token to allow others.")
}

func errControlToken() *apiError {
	return newError(401, "control_token_required", "Control token required",
		"This sandbox's /_sandbox/ control API needs its control token in the "+ControlTokenHeader+" header.")
}

// tokenSent reports whether r carries the control token in its header;
// true when no token is configured.
func (s *Sandbox) tokenSent(r *http.Request) bool {
	want := s.cfg.controlToken.open()
	if want == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(r.Header.Get(ControlTokenHeader)), []byte(want)) == 1
}

// dashboardState holds the dashboard's keys: one signs session cookies for
// the process's life; the other makes each session's CSRF token and is
// replaced by Reset, so a token from before a reset no longer works.
type dashboardState struct {
	mu       sync.Mutex
	loginKey []byte
	csrfKey  []byte
}

func (d *dashboardState) keys() (login, csrf []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.loginKey == nil {
		d.loginKey = randomKey()
	}
	if d.csrfKey == nil {
		d.csrfKey = randomKey()
	}
	return d.loginKey, d.csrfKey
}

// rotate drops the CSRF key (Reset): every open form must be reloaded.
func (d *dashboardState) rotate() {
	d.mu.Lock()
	d.csrfKey = nil
	d.mu.Unlock()
}

func randomKey() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

func mac(key []byte, parts ...string) string {
	h := hmac.New(sha256.New, key)
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// csrfFor is the CSRF token of session sid.
func (d *dashboardState) csrfFor(sid string) string {
	_, k := d.keys()
	return mac(k, "csrf", sid)
}

// cookieValue is the signed cookie of session sid; authed says it logged in.
func (d *dashboardState) cookieValue(sid string, authed bool) string {
	k, _ := d.keys()
	flag := "0"
	if authed {
		flag = "1"
	}
	return sid + "." + flag + "." + mac(k, "session", sid, flag)
}

// parseCookie returns the session of a cookie value this sandbox signed.
func (d *dashboardState) parseCookie(v string) (sid string, authed, ok bool) {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || len(parts[0]) != 32 || (parts[1] != "0" && parts[1] != "1") {
		return "", false, false
	}
	k, _ := d.keys()
	if !hmac.Equal([]byte(parts[2]), []byte(mac(k, "session", parts[0], parts[1]))) {
		return "", false, false
	}
	return parts[0], parts[1] == "1", true
}

func (d *dashboardState) setCookie(w http.ResponseWriter, sid string, authed bool) {
	http.SetCookie(w, &http.Cookie{Name: d.cookieName(), Value: d.cookieValue(sid, authed), Path: "/_sandbox",
		HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// session finds or starts r's dashboard session and reports whether it may
// see the dashboard (logged in, or no token configured).
func (s *Sandbox) session(w http.ResponseWriter, r *http.Request) (sid string, allowed bool) {
	authed := false
	if c, err := r.Cookie(s.dash.cookieName()); err == nil {
		sid, authed, _ = s.dash.parseCookie(c.Value)
	}
	if sid == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		sid = hex.EncodeToString(b)
		s.dash.setCookie(w, sid, false)
	}
	if s.cfg.controlToken.open() == "" {
		return sid, true
	}
	return sid, authed || (r.Header.Get(ControlTokenHeader) != "" && s.tokenSent(r))
}

const dashboardLoginPath = dashboardUI + "login"

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tokenim sandbox: log in</title>
<link rel="stylesheet" href="/_sandbox/ui/assets/dashboard.css"></head>
<body><main><h1>Tokenim sandbox</h1>
<p>This sandbox's dashboard needs its control token (the <code>-control-token</code> it was started with).</p>
{{if .Wrong}}<p class="flash error" role="alert">That is not the control token.</p>{{end}}
<form method="post" action="/_sandbox/ui/login">
<input type="hidden" name="return" value="{{.Return}}">
<label>Control token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Log in</button>
</form></main></body></html>
`))

// login serves the login page (GET) or checks its form (POST) for a
// session that may not see the dashboard yet.
func (s *Sandbox) login(w http.ResponseWriter, r *http.Request, sid string) {
	ret := r.URL.RequestURI()
	wrong := false
	if r.Method == http.MethodPost && r.URL.Path == dashboardLoginPath {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
		_ = r.ParseForm()
		ret = r.PostForm.Get("return")
		if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("token")), []byte(s.cfg.controlToken.open())) == 1 {
			s.dash.setCookie(w, sid, true)
			if !strings.HasPrefix(ret, dashboardRoot) || strings.HasPrefix(ret, dashboardLoginPath) {
				ret = dashboardRoot
			}
			http.Redirect(w, r, ret, http.StatusSeeOther)
			return
		}
		wrong = true
	}
	if !strings.HasPrefix(ret, dashboardRoot) || strings.HasPrefix(ret, dashboardLoginPath) {
		ret = dashboardRoot
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusUnauthorized)
	_ = loginPage.Execute(w, struct {
		Return string
		Wrong  bool
	}{ret, wrong})
}
