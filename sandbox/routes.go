package sandbox

import "strings"

// access says who may call a route and what runs before its handler.
type access int

const (
	// accessMerchant: faults, maintenance, authentication, rate limit, body
	// checks and idempotency (serveAPI).
	accessMerchant access = iota
	// accessPublic: faults only, no authentication (GET /v1/status).
	accessPublic
	// accessControl: the /_sandbox/ control API; same-site callers only
	// (serveControl).
	accessControl
	// accessDashboard: the HTML dashboard under /_sandbox/; the control
	// API's cross-site rules plus a CSRF token on every POST (serveDashboard).
	accessDashboard
)

type handlerFunc func(c *call) response

type route struct {
	method  string
	pattern []string // "{}" matches one segment, passed in call.args
	h       handlerFunc
	access  access
	// creates marks a call that takes money or creates something: a
	// restricted merchant gets 403 account_restricted (docs/tokenim-api.md §1).
	creates bool
	// page serves a dashboard route (accessDashboard) instead of h.
	page pageFunc
	// callerInFingerprint adds the calling API key to the idempotency
	// fingerprint (a key roll, docs/tokenim-api.md §7).
	callerInFingerprint bool
}

// routes is the one route table of the sandbox: the /v1/ API (one block per
// resource file) and the /_sandbox/ control API. A new resource adds its
// lines here, its handlers in its own file, and a hook in resources().
func (s *Sandbox) routes() []route {
	return []route{
		public("GET", "/v1/status", getStatus),

		creates("POST", "/v1/orders", createOrder),
		merchantRoute("GET", "/v1/orders", listOrders),
		merchantRoute("GET", "/v1/orders/{}", getOrder),
		merchantRoute("POST", "/v1/orders/{}/cancel", cancelOrder),

		creates("POST", "/v1/payments", createPayment),
		merchantRoute("GET", "/v1/payments", listPayments),
		merchantRoute("GET", "/v1/payments/{}", getPayment),
		creates("POST", "/v1/payments/{}/confirm", confirmPayment),
		merchantRoute("POST", "/v1/payments/{}/cancel", cancelPayment),
		merchantRoute("GET", "/v1/payments/{}/receipt", getReceipt),

		creates("POST", "/v1/refunds", createRefund),
		merchantRoute("GET", "/v1/refunds", listRefunds),
		merchantRoute("GET", "/v1/refunds/{}", getRefund),

		merchantRoute("GET", "/v1/disputes", listDisputes),
		merchantRoute("GET", "/v1/disputes/{}", getDispute),
		merchantRoute("POST", "/v1/disputes/{}/evidence", submitEvidence),
		merchantRoute("POST", "/v1/disputes/{}/accept", acceptDispute),

		merchantRoute("GET", "/v1/events", listEvents),
		merchantRoute("GET", "/v1/events/{}", getEvent),
		creates("POST", "/v1/events/{}/resend", resendEvent),

		creates("POST", "/v1/webhook_endpoints", createEndpoint),
		merchantRoute("GET", "/v1/webhook_endpoints", listEndpoints),
		merchantRoute("GET", "/v1/webhook_endpoints/{}", getEndpoint),
		merchantRoute("DELETE", "/v1/webhook_endpoints/{}", deleteEndpoint),
		merchantRoute("POST", "/v1/webhook_endpoints/{}/rotate_secret", rotateEndpointSecret),
		merchantRoute("GET", "/v1/webhook_endpoints/{}/deliveries", listDeliveries),
		merchantRoute("GET", "/v1/webhook_endpoints/{}/deliveries/{}", getDelivery),

		merchantRoute("GET", "/v1/api_keys", listAPIKeys),
		merchantRoute("GET", "/v1/api_keys/{}", getAPIKey),
		keyRoll("POST", "/v1/api_keys/{}/roll", rollAPIKey),
		merchantRoute("POST", "/v1/api_keys/{}/revoke", revokeAPIKey),

		merchantRoute("GET", "/v1/request_logs", listRequestLogs),
		merchantRoute("GET", "/v1/request_logs/{}", getRequestLog),

		merchantRoute("GET", "/v1/balance", getBalance),
		merchantRoute("GET", "/v1/balance_transactions", listBalanceTransactions),
		merchantRoute("GET", "/v1/balance_transactions/{}", getBalanceTransaction),
		merchantRoute("GET", "/v1/settlements", listSettlements),
		merchantRoute("GET", "/v1/settlements/{}", getSettlement),
		merchantRoute("GET", "/v1/settlements/{}/report", getSettlementReport),

		control("POST", "/_sandbox/reset", controlReset),
		control("GET", "/_sandbox/clock", controlClock),
		control("POST", "/_sandbox/clock/advance", controlAdvance),
		control("POST", "/_sandbox/clock/freeze", controlFreeze),
		control("POST", "/_sandbox/clock/resume", controlResume),
		control("POST", "/_sandbox/maintenance", controlMaintenance),
		control("POST", "/_sandbox/faults", controlSetFaults),
		control("DELETE", "/_sandbox/faults", controlClearFaults),
		control("POST", "/_sandbox/merchants", controlAddMerchant),
		control("POST", "/_sandbox/merchants/{}/restrict", controlRestrict),
		control("POST", "/_sandbox/rate_limit", controlRateLimit),
		control("GET", "/_sandbox/requests", controlRequests),
		control("GET", "/_sandbox/deliveries", controlDeliveries),
		control("POST", "/_sandbox/disputes", controlOpenDispute),

		dashboard("GET", "/_sandbox", dashOverview),
		dashboard("GET", "/_sandbox/ui/assets/{}", dashAsset),
		dashboard("GET", "/_sandbox/ui/orders", dashOrders),
		dashboard("GET", "/_sandbox/ui/orders/{}", dashOrder),
		dashboard("GET", "/_sandbox/ui/payments", dashPayments),
		dashboard("GET", "/_sandbox/ui/payments/{}", dashPayment),
		dashboard("GET", "/_sandbox/ui/refunds", dashRefunds),
		dashboard("GET", "/_sandbox/ui/refunds/{}", dashRefund),
		dashboard("GET", "/_sandbox/ui/events", dashEvents),
		dashboard("GET", "/_sandbox/ui/events/{}", dashEvent),
		dashboard("GET", "/_sandbox/ui/deliveries", dashDeliveries),
		dashboard("GET", "/_sandbox/ui/requests", dashRequests),
		dashboard("GET", "/_sandbox/ui/merchants", dashMerchants),
		dashboard("GET", "/_sandbox/ui/keys", dashKeys),
		dashboard("GET", "/_sandbox/ui/request_logs", dashRequestLogs),
		dashboard("GET", "/_sandbox/ui/disputes", dashDisputes),
		dashboard("GET", "/_sandbox/ui/disputes/{}", dashDispute),
		dashboard("POST", "/_sandbox/ui/disputes/open", dashOpenDispute),
		dashboard("GET", "/_sandbox/ui/balance", dashBalance),
		dashboard("GET", "/_sandbox/ui/settlements", dashSettlements),
		dashboard("GET", "/_sandbox/ui/settlements/{}/report", dashSettlementReport),
		dashboard("POST", "/_sandbox/ui/clock", dashAdvance),
		dashboard("POST", "/_sandbox/ui/maintenance", dashMaintenance),
		dashboard("POST", "/_sandbox/ui/faults", dashFaults),
		dashboard("POST", "/_sandbox/ui/deliveries/resend", dashResend),
		dashboard("POST", "/_sandbox/ui/trigger", dashTrigger),
	}
}

func newRoute(method, path string, h handlerFunc, a access) route {
	return route{method: method, pattern: strings.Split(strings.Trim(path, "/"), "/"), h: h, access: a}
}

// merchantRoute is an authenticated /v1/ route that a restricted merchant may still call.
func merchantRoute(method, path string, h handlerFunc) route {
	return newRoute(method, path, h, accessMerchant)
}

// creates is an authenticated /v1/ route refused to a restricted merchant.
func creates(method, path string, h handlerFunc) route {
	rt := newRoute(method, path, h, accessMerchant)
	rt.creates = true
	return rt
}

// keyRoll is an authenticated /v1/ route whose idempotency fingerprint
// includes the calling key; a restricted merchant may still call it (§1).
func keyRoll(method, path string, h handlerFunc) route {
	rt := newRoute(method, path, h, accessMerchant)
	rt.callerInFingerprint = true
	return rt
}

func public(method, path string, h handlerFunc) route { return newRoute(method, path, h, accessPublic) }

func control(method, path string, h handlerFunc) route {
	return newRoute(method, path, h, accessControl)
}

// dashboard is a route of the HTML dashboard (dashboard.go).
func dashboard(method, path string, p pageFunc) route {
	rt := newRoute(method, path, nil, accessDashboard)
	rt.page = p
	return rt
}

// match finds the route for method and path; on a path match with the wrong
// method it returns the allowed methods instead.
func match(routes []route, method, path string) (*route, []string, []string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var allow []string
	for i := range routes {
		rt := &routes[i]
		if len(rt.pattern) != len(segs) {
			continue
		}
		var args []string
		ok := true
		for j, p := range rt.pattern {
			if p == "{}" {
				if segs[j] == "" {
					ok = false
					break
				}
				args = append(args, segs[j])
			} else if p != segs[j] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		if rt.method == method {
			return rt, args, nil
		}
		allow = append(allow, rt.method)
	}
	return nil, nil, allow
}
