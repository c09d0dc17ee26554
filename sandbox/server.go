package sandbox

// Server: a Sandbox on a loopback listener, for tests (Start) and programs
// (NewServer).

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
)

// Server is a Sandbox listening on a loopback port, like httptest.Server.
// The default merchant's key and the webhook secret are methods (APIKey,
// WebhookSecret), held where no printing reaches them.
type Server struct {
	*Sandbox
	// URL is the base URL, e.g. http://127.0.0.1:54321.
	URL string
	// MerchantID is the default merchant's id.
	MerchantID string

	// listener is behind two pointers: fmt's bad-verb fallback dereferences
	// one, and a live httptest.Server must not be read by reflection.
	listener *listener
}

type listener struct{ ts *httptest.Server }

// TB is the part of testing.TB that Start needs, so that the sandbox's
// production code does not import testing. *testing.T, *testing.B and
// *testing.F satisfy it.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// NewServer starts a Sandbox on a loopback listener. Close it when done. It
// panics like New when an option cannot work.
func NewServer(opts ...Option) *Server {
	s, err := openServer(opts...)
	if err != nil {
		panic(err.Error())
	}
	return s
}

func openServer(opts ...Option) (*Server, error) {
	sb, err := Open(opts...)
	if err != nil {
		return nil, err
	}
	ts := httptest.NewServer(sb)
	return &Server{Sandbox: sb, URL: ts.URL, MerchantID: sb.cfg.merchantID, listener: &listener{ts}}, nil
}

// Start is NewServer with tb.Cleanup(s.Close); an option that cannot work
// fails the test with tb.Fatalf.
func Start(tb TB, opts ...Option) *Server {
	tb.Helper()
	s, err := openServer(opts...)
	if err != nil {
		tb.Fatalf("%v", err)
		return nil
	}
	tb.Cleanup(s.Close)
	return s
}

// APIKey returns the default merchant's API key.
func (s *Server) APIKey() string { return s.cfg.creds.apiKey.open() }

// Close closes the listener and every connection, then the Sandbox, and
// waits for its goroutines. It is idempotent.
func (s *Server) Close() {
	s.listener.ts.Close()
	s.Sandbox.Close()
}

// Client returns an http.Client for the server (no retries of its own).
func (s *Server) Client() *http.Client { return s.listener.ts.Client() }

// String hides the credentials from %v.
func (s Server) String() string { return "sandbox.Server{URL:" + s.URL + "}" }

// GoString hides the credentials from %#v.
func (s Server) GoString() string { return s.String() }

// Format prints String for every verb, by value and by pointer.
func (s Server) Format(f fmt.State, verb rune) { formatSafe(f, verb, s.String(), s.GoString()) }

// LogValue shows only the URL in slog records.
func (s Server) LogValue() slog.Value { return slog.StringValue(s.String()) }
