package sandbox

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// hostAllowed reports whether the request's Host names the sandbox: a
// loopback name or address, or one given by WithAllowedHosts. The default API
// key is public, so a sandbox answering any Host could be driven by a web
// page through DNS rebinding (attacker.example resolving to 127.0.0.1); this
// check covers /v1/ as well as /_sandbox/. A request that did not come
// through a listener (ServeHTTP called in-process, as with
// httptest.NewRequest and its Host example.com) cannot be rebound and passes.
func (s *Sandbox) hostAllowed(r *http.Request) bool {
	if r.Context().Value(http.LocalAddrContextKey) == nil {
		return true
	}
	hostport := r.Host
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" {
		return true
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	for _, h := range s.cfg.allowedHosts {
		if h == host {
			return true
		}
	}
	return false
}

// sameOrigin reports whether a control request may come from where it
// says it does: a browser's Sec-Fetch-Site must be same-origin or none
// (typed by the user), and an Origin, when sent, must be this very origin.
// Programs (curl, SDKs) send neither and pass.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default: // cross-site, same-site (another origin of the site)
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // includes "null" from sandboxed frames and file: pages
	}
	return strings.EqualFold(u.Host, r.Host)
}

func errHostNotAllowed() *apiError {
	return newError(403, "host_not_allowed", "Host not allowed",
		"The sandbox answers only loopback Host values (localhost, 127.0.0.1, [::1]); name others with -allowed-hosts or WithAllowedHosts.")
}

func errCrossSite() *apiError {
	return newError(403, "cross_site_request", "Cross-site request refused",
		"The sandbox control API refuses requests from another origin (Origin or Sec-Fetch-Site).")
}
