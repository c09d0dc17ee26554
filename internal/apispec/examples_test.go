package apispec

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

const (
	requestID  = "req_a1b2c3d4e5f6g7h8i9j0k1l2"
	apiKey     = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
	merchantID = "mch_9xK2pQ"
)

// Realistic resources as the platform answers them.
const (
	orderOpen = `{"id":"ord_8Hn2kLq","object":"order","merchant_order_id":"A-1001","amount":1999,
		"currency":"CNY","description":"2 coffees","status":"open","amount_paid":0,"amount_refunded":0,
		"payment_id":null,"expires_at":"2026-11-21T10:00:00Z","created_at":"2026-11-21T09:30:00Z",
		"paid_at":null,"metadata":{"table":"7"},"version":1}`
	orderPaid = `{"id":"ord_8Hn2kLq","object":"order","merchant_order_id":"A-1001","amount":1999,
		"currency":"CNY","description":null,"status":"paid","amount_paid":1999,"amount_refunded":0,
		"payment_id":"pay_3Jd9sKa","expires_at":"2026-11-21T10:00:00Z","created_at":"2026-11-21T09:30:00Z",
		"paid_at":"2026-11-21T09:31:12Z","metadata":{},"version":2}`
	orderCanceled = `{"id":"ord_8Hn2kLq","object":"order","merchant_order_id":"A-1001","amount":500,
		"currency":"JPY","description":null,"status":"canceled","amount_paid":0,"amount_refunded":0,
		"payment_id":null,"expires_at":"2026-11-21T10:00:00Z","created_at":"2026-11-21T09:30:00Z",
		"paid_at":null,"metadata":{},"version":2}`
	paymentCard = `{"id":"pay_3Jd9sKa","object":"payment","order_id":"ord_8Hn2kLq","amount":1999,"currency":"CNY",
		"method":{"type":"card","card":{"brand":"visa","last4":"4242","exp_month":12,"exp_year":2030}},
		"status":"succeeded","failure_code":null,"failure_message":null,"next_action":null,"fee":88,"net":1911,
		"amount_refunded":0,"disputed":false,"receipt_number":"RCPT-20261121-000001","created_at":"2026-11-21T09:31:11Z",
		"succeeded_at":"2026-11-21T09:31:12Z","metadata":{},"version":1}`
	paymentOTP = `{"id":"pay_7Ka1mZx","object":"payment","order_id":"ord_8Hn2kLq","amount":1999,"currency":"CNY",
		"method":{"type":"card","card":{"brand":"visa","last4":"3184","exp_month":1,"exp_year":2031}},
		"status":"requires_action","failure_code":null,"failure_message":null,"next_action":{"type":"otp"},
		"fee":0,"net":0,"amount_refunded":0,"disputed":false,"receipt_number":null,"created_at":"2026-11-21T09:31:11Z",
		"succeeded_at":null,"metadata":{"attempt":"2"},"version":1}`
	paymentBankCanceled = `{"id":"pay_5Tq0wEr","object":"payment","order_id":"ord_8Hn2kLq","amount":120000,"currency":"USD",
		"method":{"type":"bank_transfer"},"status":"canceled","failure_code":null,"failure_message":null,
		"next_action":null,"fee":0,"net":0,"amount_refunded":0,"disputed":false,"receipt_number":null,
		"created_at":"2026-11-21T09:31:11Z","succeeded_at":null,"metadata":{},"version":2}`
	paymentWalletFailed = `{"id":"pay_1Wl4tBb","object":"payment","order_id":"ord_8Hn2kLq","amount":1251,"currency":"SGD",
		"method":{"type":"wallet","wallet":{"provider":"tokenim_balance"}},"status":"failed",
		"failure_code":"insufficient_funds","failure_message":"The balance is too low.","next_action":null,
		"fee":0,"net":0,"amount_refunded":0,"disputed":false,"receipt_number":null,"created_at":"2026-11-21T09:31:11Z",
		"succeeded_at":null,"metadata":{},"version":1}`
	refundPending = `{"id":"re_2Bv8nQw","object":"refund","payment_id":"pay_3Jd9sKa","order_id":"ord_8Hn2kLq",
		"amount":500,"currency":"CNY","reason":"requested_by_customer","status":"pending","failure_code":null,
		"created_at":"2026-11-21T11:00:00Z","succeeded_at":null,"metadata":{"ticket":"Z-9"},"version":1}`
	refundFailed = `{"id":"re_6Cc1xYz","object":"refund","payment_id":"pay_3Jd9sKa","order_id":"ord_8Hn2kLq",
		"amount":1413,"currency":"CNY","reason":null,"status":"failed","failure_code":"refund_declined",
		"created_at":"2026-11-21T11:00:00Z","succeeded_at":null,"metadata":{},"version":2}`
	eventPaid = `{"id":"evt_4Ee5rTy","object":"event","type":"order.paid","created_at":"2026-11-21T09:31:12Z",
		"api_version":"2026-11-01","data":{"object":` + orderPaid + `}}`
	eventPayment = `{"id":"evt_4Ee5rTz","object":"event","type":"payment.succeeded","created_at":"2026-11-21T09:31:12Z",
		"api_version":"2026-11-01","data":{"object":` + paymentCard + `}}`
	endpoint = `{"id":"we_0Aa9zXc","object":"webhook_endpoint","url":"https://shop.example.com/hooks/tokenim",
		"events":["order.paid","refund.succeeded"],"description":null,"status":"enabled","created_at":"2026-11-21T08:00:00Z","version":1}`
	endpointWithSecret = `{"id":"we_0Aa9zXc","object":"webhook_endpoint","url":"https://shop.example.com/hooks/tokenim",
		"events":["*"],"description":"shop","status":"enabled","created_at":"2026-11-21T08:00:00Z","version":3,
		"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw1K6ZzDz+ABE="}`
	apiKeyActive = `{"id":"key_9Zz8Yy7","object":"api_key","mode":"test","last4":"A1b2","status":"active",
		"created_at":"2026-11-21T09:30:00Z","expires_at":null,"last_used_at":"2026-11-21T09:31:12Z","version":4}`
	apiKeyExpiring = `{"id":"key_1Ab2Cd3","object":"api_key","mode":"test","last4":"p7dc","status":"expiring",
		"created_at":"2026-11-01T08:00:00Z","expires_at":"2026-11-21T10:30:00Z","last_used_at":null,"version":2}`
	requestLog = `{"id":"req_0123456789abcdefghijklmn","object":"request_log","method":"POST","path":"/v1/orders",
		"status":409,"error_code":"duplicate_merchant_order_id","idempotency_key":"order-A-1001","replayed":false,
		"api_key_last4":"A1b2","duration_ms":12,"created_at":"2026-11-21T09:31:12Z"}`
	txnPayment = `{"id":"txn_3Kk2lMn","object":"balance_transaction","type":"payment","source":"pay_3Jd9sKa",
		"order_id":"ord_8Hn2kLq","amount":1999,"fee":88,"net":1911,"currency":"CNY",
		"available_on":"2026-11-22T09:31:12Z","settlement_id":"st_9Pq1rSt","created_at":"2026-11-21T09:31:12Z","version":2}`
	txnRefund = `{"id":"txn_4Ll3mNo","object":"balance_transaction","type":"refund","source":"re_2Bv8nQw",
		"order_id":"ord_8Hn2kLq","amount":-500,"fee":0,"net":-500,"currency":"CNY",
		"available_on":"2026-11-22T11:05:00Z","settlement_id":null,"created_at":"2026-11-21T11:05:00Z","version":1}`
	settlementPaid = `{"id":"st_9Pq1rSt","object":"settlement","currency":"CNY","amount":1411,"transaction_count":2,
		"period_end":"2026-11-23T00:00:00Z","created_at":"2026-11-23T00:00:00Z","status":"paid","version":1}`
	disputeOpen = `{"id":"dp_3Xw7pLm","object":"dispute","payment_id":"pay_3Jd9sKa","order_id":"ord_8Hn2kLq",
		"amount":1999,"currency":"CNY","fee":1500,"reason":"product_not_received","status":"needs_response",
		"evidence":{"product_description":"2 coffees","customer_communication":null,"shipping_tracking_number":null,
		"refund_policy":null,"uncategorized_text":null},"evidence_due_by":"2026-11-28T10:31:12Z","submitted_at":null,
		"created_at":"2026-11-21T10:31:12Z","closed_at":null,"version":2}`
	disputeLost = `{"id":"dp_3Xw7pLm","object":"dispute","payment_id":"pay_3Jd9sKa","order_id":"ord_8Hn2kLq",
		"amount":1999,"currency":"CNY","fee":1500,"reason":"fraudulent","status":"lost",
		"evidence":{"product_description":null,"customer_communication":null,"shipping_tracking_number":null,
		"refund_policy":null,"uncategorized_text":null},"evidence_due_by":"2026-11-28T10:31:12Z","submitted_at":null,
		"created_at":"2026-11-21T10:31:12Z","closed_at":"2026-11-21T12:00:00Z","version":3}`
	deliveryPending = `{"id":"whd_5Dd4eFg","object":"webhook_delivery","event_id":"evt_4Ee5rTy","event_type":"order.paid",
		"webhook_endpoint_id":"we_0Aa9zXc","status":"pending","attempt_count":2,"last_attempt_at":"2026-11-21T09:31:17Z",
		"last_response_status":null,"last_error":"connection_refused","next_attempt_at":"2026-11-21T09:36:17Z",
		"created_at":"2026-11-21T09:31:12Z"}`
	deliveryFailed = `{"id":"whd_6Ee5fGh","object":"webhook_delivery","event_id":"evt_4Ee5rTy","event_type":"order.paid",
		"webhook_endpoint_id":"we_0Aa9zXc","status":"failed","attempt_count":8,"last_attempt_at":"2026-11-22T13:06:17Z",
		"last_response_status":500,"last_error":null,"next_attempt_at":null,"created_at":"2026-11-21T09:31:12Z"}`
	deliveryResent = `{"id":"whd_7Ff6gHi","object":"webhook_delivery","event_id":"evt_4Ee5rTy","event_type":"order.paid",
		"webhook_endpoint_id":"we_0Aa9zXc","status":"pending","attempt_count":0,"last_attempt_at":null,
		"last_response_status":null,"last_error":null,"next_attempt_at":"2026-11-23T08:00:00Z","created_at":"2026-11-23T08:00:00Z"}`
	receipt = `{"object":"receipt","receipt_number":"RCPT-20261121-000001","payment_id":"pay_3Jd9sKa",
		"order_id":"ord_8Hn2kLq","merchant_order_id":"A-1001","amount":1999,"currency":"CNY","fee":88,
		"method_summary":"visa •••• 4242","paid_at":"2026-11-21T09:31:12Z"}`
)

func problem(status int, code, extra string) string {
	return `{"type":"https://docs.tokenim.com/errors/` + code + `","title":"Something is wrong","status":` +
		strconv.Itoa(status) + `,"detail":"What is wrong, in a sentence.","code":"` + code +
		`","request_id":"` + requestID + `"` + extra + `}`
}

func list(items ...string) string {
	return `{"object":"list","data":[` + strings.Join(items, ",") + `],"has_more":false}`
}

// exchange is one request and its answer, as on the wire.
type exchange struct {
	opID     string
	method   string
	target   string // path and query
	body     string
	noAuth   bool
	invalid  bool        // the request breaks the contract on purpose
	header   http.Header // extra request headers
	status   int
	resp     string
	respHead http.Header // extra response headers
}

func (e exchange) request() *http.Request {
	var req *http.Request
	if e.body == "" {
		req = httptest.NewRequest(e.method, "https://sandbox.tokenim.com"+e.target, nil)
	} else {
		req = httptest.NewRequest(e.method, "https://sandbox.tokenim.com"+e.target, strings.NewReader(e.body))
		req.Header.Set("Content-Type", "application/json")
	}
	isV1 := strings.HasPrefix(e.target, "/v1/")
	if isV1 && !e.noAuth {
		req.Header.Set("Authorization", "Bearer "+apiKey)
		req.Header.Set("Tokenim-Merchant-Id", merchantID)
	}
	if isV1 {
		req.Header.Set("Tokenim-Version", "2026-11-01")
	}
	if isV1 && e.method == http.MethodPost {
		req.Header.Set("Idempotency-Key", "5f0c3a52-8f4e-4d7c-9d65-1c2b3a4d5e6f")
	}
	for k, vs := range e.header {
		req.Header[k] = vs
	}
	return req
}

func (e exchange) answer() *answer {
	h := http.Header{}
	if e.status < 300 {
		h.Set("Content-Type", "application/json")
	} else {
		h.Set("Content-Type", "application/problem+json")
	}
	if strings.HasPrefix(e.target, "/v1/") {
		h.Set("Request-Id", requestID)
		h.Set("Tokenim-Version", "2026-11-01")
		if e.method == http.MethodPost {
			h.Set("Idempotent-Replayed", "false")
		}
	}
	for k, vs := range e.respHead {
		h[k] = vs
	}
	return &answer{status: e.status, header: h, body: []byte(e.resp)}
}

func (e exchange) check(t *testing.T) (opID string, reqErr, respErr error) {
	t.Helper()
	req := e.request()
	body := []byte(e.body)
	if e.body == "" {
		body = nil
	}
	return check(t.Context(), req, body, e.answer())
}

// validExchanges hold a realistic request and answer for every operation.
var validExchanges = []exchange{
	{opID: "createOrder", method: "POST", target: "/v1/orders",
		body:   `{"merchant_order_id":"A-1001","amount":1999,"currency":"CNY","description":"2 coffees","expires_at":"2026-11-21T10:00:00+08:00","metadata":{"table":"7"}}`,
		status: 200, resp: orderOpen},
	{opID: "createOrder", method: "POST", target: "/v1/orders",
		body:   `{"merchant_order_id":"A-1001","amount":99999999999,"currency":"KWD"}`,
		status: 409, resp: problem(409, "duplicate_merchant_order_id", `,"existing_id":"ord_8Hn2kLq"`),
		respHead: http.Header{"Tokenim-Should-Retry": {"false"}}},
	{opID: "createOrder", method: "POST", target: "/v1/orders",
		body:    `{"merchant_order_id":"A-1001","amount":1999,"currency":"CNY","colour":"red"}`,
		invalid: true, status: 400, resp: problem(400, "parameter_unknown", `,"param":"colour"`)},
	{opID: "getOrder", method: "GET", target: "/v1/orders/ord_8Hn2kLq", status: 200, resp: orderPaid},
	{opID: "getOrder", method: "GET", target: "/v1/orders/ord_0ther", status: 404,
		resp: problem(404, "resource_missing", `,"param":null`)},
	{opID: "listOrders", method: "GET", target: "/v1/orders?limit=2&status=paid&merchant_order_id=A-1001&starting_after=ord_1Aa",
		status: 200, resp: list(orderPaid, orderOpen)},
	{opID: "listOrders", method: "GET", target: "/v1/orders", status: 200, resp: list()},
	{opID: "cancelOrder", method: "POST", target: "/v1/orders/ord_8Hn2kLq/cancel", status: 200, resp: orderCanceled},
	{opID: "cancelOrder", method: "POST", target: "/v1/orders/ord_8Hn2kLq/cancel", body: `{}`,
		status: 409, resp: problem(409, "payment_in_progress", `,"payment_id":"pay_7Ka1mZx"`)},
	{opID: "createPayment", method: "POST", target: "/v1/payments",
		body:   `{"order_id":"ord_8Hn2kLq","method":{"type":"card","card":{"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}}}`,
		status: 200, resp: paymentCard},
	{opID: "createPayment", method: "POST", target: "/v1/payments",
		body:   `{"order_id":"ord_8Hn2kLq","method":{"type":"card","card":{"number":"4000000000009995","exp_month":1,"exp_year":2031,"cvc":"1234"}},"metadata":{"attempt":"1"}}`,
		status: 402, resp: problem(402, "card_declined", `,"decline_code":"insufficient_funds","param":"method.card.number","payment_id":"pay_1Wl4tBb","order_id":"ord_8Hn2kLq"`)},
	{opID: "createPayment", method: "POST", target: "/v1/payments",
		body:   `{"order_id":"ord_8Hn2kLq","method":{"type":"wallet","wallet":{"provider":"alipay"}}}`,
		status: 409, resp: problem(409, "order_already_paid", `,"payment_id":"pay_3Jd9sKa"`)},
	{opID: "createPayment", method: "POST", target: "/v1/payments",
		body:   `{"order_id":"ord_8Hn2kLq","method":{"type":"bank_transfer"}}`,
		status: 503, resp: problem(503, "service_unavailable", ""),
		respHead: http.Header{"Retry-After": {"30"}, "Tokenim-Should-Retry": {"true"}}},
	{opID: "getPayment", method: "GET", target: "/v1/payments/pay_1Wl4tBb", status: 200, resp: paymentWalletFailed},
	{opID: "listPayments", method: "GET", target: "/v1/payments?order_id=ord_8Hn2kLq&status=succeeded&limit=100",
		status: 200, resp: list(paymentCard, paymentWalletFailed, paymentOTP)},
	{opID: "listPayments", method: "GET", target: "/v1/payments?limit=0",
		invalid: true, status: 400, resp: problem(400, "invalid_request", `,"param":"limit"`)},
	{opID: "confirmPayment", method: "POST", target: "/v1/payments/pay_7Ka1mZx/confirm", body: `{"otp":"000000"}`,
		status: 200, resp: paymentCard},
	{opID: "confirmPayment", method: "POST", target: "/v1/payments/pay_7Ka1mZx/confirm", body: `{"otp":"123456"}`,
		status: 402, resp: problem(402, "authentication_failed", `,"payment_id":"pay_7Ka1mZx"`)},
	{opID: "cancelPayment", method: "POST", target: "/v1/payments/pay_5Tq0wEr/cancel", status: 200, resp: paymentBankCanceled},
	{opID: "cancelPayment", method: "POST", target: "/v1/payments/pay_3Jd9sKa/cancel",
		status: 409, resp: problem(409, "payment_unexpected_state", `,"payment_id":"pay_3Jd9sKa"`)},
	{opID: "getPaymentReceipt", method: "GET", target: "/v1/payments/pay_3Jd9sKa/receipt", status: 200, resp: receipt},
	{opID: "getPaymentReceipt", method: "GET", target: "/v1/payments/pay_7Ka1mZx/receipt",
		status: 409, resp: problem(409, "receipt_unavailable", `,"payment_id":"pay_7Ka1mZx"`)},
	{opID: "createRefund", method: "POST", target: "/v1/refunds",
		body:   `{"payment_id":"pay_3Jd9sKa","amount":500,"reason":"requested_by_customer","metadata":{"ticket":"Z-9"}}`,
		status: 200, resp: refundPending},
	{opID: "createRefund", method: "POST", target: "/v1/refunds", body: `{"payment_id":"pay_3Jd9sKa"}`,
		status: 422, resp: problem(422, "idempotency_key_reused", ""),
		respHead: http.Header{"Tokenim-Should-Retry": {"false"}}},
	{opID: "createRefund", method: "POST", target: "/v1/refunds", body: `{"payment_id":"pay_3Jd9sKa"}`,
		status: 409, resp: problem(409, "idempotency_key_in_use", ""),
		respHead: http.Header{"Retry-After": {"1"}, "Tokenim-Should-Retry": {"true"}}},
	{opID: "getRefund", method: "GET", target: "/v1/refunds/re_6Cc1xYz", status: 200, resp: refundFailed},
	{opID: "listRefunds", method: "GET", target: "/v1/refunds?payment_id=pay_3Jd9sKa", status: 200, resp: list(refundFailed, refundPending)},
	{opID: "createRefund", method: "POST", target: "/v1/refunds", body: `{"payment_id":"pay_3Jd9sKa"}`,
		status: 409, resp: problem(409, "payment_disputed", `,"payment_id":"pay_3Jd9sKa","dispute_id":"dp_3Xw7pLm"`)},
	{opID: "listDisputes", method: "GET", target: "/v1/disputes?status=needs_response&payment_id=pay_3Jd9sKa",
		status: 200, resp: list(disputeOpen)},
	{opID: "getDispute", method: "GET", target: "/v1/disputes/dp_3Xw7pLm", status: 200, resp: disputeOpen},
	{opID: "updateDisputeEvidence", method: "POST", target: "/v1/disputes/dp_3Xw7pLm/evidence",
		body: `{"evidence":{"product_description":"2 coffees"}}`, status: 200, resp: disputeOpen},
	{opID: "updateDisputeEvidence", method: "POST", target: "/v1/disputes/dp_3Xw7pLm/evidence",
		body: `{"submit":true}`, status: 409, resp: problem(409, "dispute_not_open", `,"dispute_id":"dp_3Xw7pLm"`)},
	{opID: "acceptDispute", method: "POST", target: "/v1/disputes/dp_3Xw7pLm/accept", status: 200, resp: disputeLost},
	{opID: "getEvent", method: "GET", target: "/v1/events/evt_4Ee5rTy", status: 200, resp: eventPaid},
	{opID: "listEvents", method: "GET", target: "/v1/events?type=payment.succeeded&limit=1",
		status: 200, resp: `{"object":"list","data":[` + eventPayment + `],"has_more":true}`},
	{opID: "listEvents", method: "GET", target: "/v1/events", status: 429,
		resp: problem(429, "rate_limited", ""), respHead: http.Header{"Retry-After": {"2"}}},
	{opID: "listEvents", method: "GET", target: "/v1/events?created_gte=2026-11-21T00:00:00Z&created_lt=2026-11-22T00:00:00%2B08:00&pending_for=we_0Aa9zXc",
		status: 200, resp: list(eventPaid)},
	{opID: "listEvents", method: "GET", target: "/v1/events?pending_for=we_gone",
		status: 404, resp: problem(404, "resource_missing", `,"param":"pending_for"`)},
	{opID: "resendEvent", method: "POST", target: "/v1/events/evt_4Ee5rTy/resend",
		body: `{"webhook_endpoint":"we_0Aa9zXc"}`, status: 202, resp: deliveryResent},
	{opID: "resendEvent", method: "POST", target: "/v1/events/evt_4Ee5rTy/resend",
		body: `{"webhook_endpoint":"we_0Aa9zXc"}`, status: 409, resp: problem(409, "endpoint_not_subscribed", `,"param":"webhook_endpoint"`)},
	{opID: "resendEvent", method: "POST", target: "/v1/events/evt_4Ee5rTy/resend",
		body: `{"webhook_endpoint":"we_0Aa9zXc"}`, status: 409, resp: problem(409, "event_too_old", "")},
	{opID: "listWebhookDeliveries", method: "GET", target: "/v1/webhook_endpoints/we_0Aa9zXc/deliveries?status=pending&event_id=evt_4Ee5rTy&limit=2",
		status: 200, resp: list(deliveryPending)},
	{opID: "listWebhookDeliveries", method: "GET", target: "/v1/webhook_endpoints/we_0Aa9zXc/deliveries", status: 200,
		resp: list(deliveryResent, deliveryPending, deliveryFailed)},
	{opID: "getWebhookDelivery", method: "GET", target: "/v1/webhook_endpoints/we_0Aa9zXc/deliveries/whd_6Ee5fGh",
		status: 200, resp: deliveryFailed},
	{opID: "getWebhookDelivery", method: "GET", target: "/v1/webhook_endpoints/we_0Aa9zXc/deliveries/whd_nope",
		status: 404, resp: problem(404, "resource_missing", "")},
	{opID: "createWebhookEndpoint", method: "POST", target: "/v1/webhook_endpoints",
		body:   `{"url":"https://shop.example.com/hooks/tokenim","events":["*"],"description":"shop"}`,
		status: 200, resp: endpointWithSecret},
	{opID: "createWebhookEndpoint", method: "POST", target: "/v1/webhook_endpoints",
		body:   `{"url":"http://127.0.0.1:8080/hook","events":["order.paid","refund.succeeded"]}`,
		status: 403, resp: problem(403, "account_restricted", "")},
	{opID: "listWebhookEndpoints", method: "GET", target: "/v1/webhook_endpoints", status: 200, resp: list(endpoint)},
	{opID: "getWebhookEndpoint", method: "GET", target: "/v1/webhook_endpoints/we_0Aa9zXc", status: 200, resp: endpoint},
	{opID: "getWebhookEndpoint", method: "GET", target: "/v1/webhook_endpoints/we_0Aa9zXc",
		status: 404, resp: problem(404, "resource_missing", "")},
	{opID: "deleteWebhookEndpoint", method: "DELETE", target: "/v1/webhook_endpoints/we_0Aa9zXc",
		status: 200, resp: `{"id":"we_0Aa9zXc","object":"webhook_endpoint","deleted":true}`},
	{opID: "rotateWebhookEndpointSecret", method: "POST", target: "/v1/webhook_endpoints/we_0Aa9zXc/rotate_secret",
		body: `{"expire_old_after_seconds":0}`, status: 200, resp: endpointWithSecret},
	{opID: "rotateWebhookEndpointSecret", method: "POST", target: "/v1/webhook_endpoints/we_0Aa9zXc/rotate_secret",
		status: 200, resp: endpointWithSecret},
	{opID: "getStatus", method: "GET", target: "/v1/status", noAuth: true,
		status: 200, resp: `{"object":"status","status":"operational","message":null,"updated_at":"2026-11-21T09:00:00Z"}`},
	{opID: "getStatus", method: "GET", target: "/v1/status", noAuth: true,
		status: 200, resp: `{"object":"status","status":"maintenance","message":"Back at 10:00 UTC.","updated_at":"2026-11-21T09:00:00Z"}`},
	{opID: "getStatus", method: "GET", target: "/v1/status", noAuth: true,
		status: 502, resp: problem(502, "internal_error", "")},
	{opID: "getBalance", method: "GET", target: "/v1/balance", status: 200,
		resp: `{"object":"balance","available":[{"currency":"CNY","amount":9680},{"currency":"JPY","amount":-117}],"pending":[{"currency":"CNY","amount":0},{"currency":"JPY","amount":990}]}`},
	{opID: "listBalanceTransactions", method: "GET", target: "/v1/balance_transactions?type=refund&source=re_2Bv8nQw&settlement_id=st_9Pq1rSt&created_gte=2026-11-21T00:00:00Z&created_lt=2026-11-22T00:00:00%2B08:00&limit=5&starting_after=txn_1Aa",
		status: 200, resp: list(txnRefund)},
	{opID: "listBalanceTransactions", method: "GET", target: "/v1/balance_transactions?type=payout",
		invalid: true, status: 400, resp: problem(400, "invalid_request", `,"param":"type"`)},
	{opID: "getBalanceTransaction", method: "GET", target: "/v1/balance_transactions/txn_3Kk2lMn", status: 200, resp: txnPayment},
	{opID: "getBalanceTransaction", method: "GET", target: "/v1/balance_transactions/txn_0ther", status: 404,
		resp: problem(404, "resource_missing", "")},
	{opID: "listSettlements", method: "GET", target: "/v1/settlements?limit=1", status: 200, resp: list(settlementPaid)},
	{opID: "getSettlement", method: "GET", target: "/v1/settlements/st_9Pq1rSt", status: 200, resp: settlementPaid},
	{opID: "getSettlementReport", method: "GET", target: "/v1/settlements/st_9Pq1rSt/report", status: 200,
		resp: "balance_transaction_id,type,source,order_id,merchant_order_id,amount,fee,net,currency,created_at\r\n" +
			"txn_3Kk2lMn,payment,pay_3Jd9sKa,ord_8Hn2kLq,A-1001,1999,88,1911,CNY,2026-11-21T09:31:12Z\r\n" +
			"txn_4Ll3mNo,refund,re_2Bv8nQw,ord_8Hn2kLq,A-1001,-500,0,-500,CNY,2026-11-21T11:05:00Z\r\n",
		respHead: http.Header{"Content-Type": {"text/csv; charset=utf-8"}}},
	{opID: "getSettlementReport", method: "GET", target: "/v1/settlements/st_0ther/report", status: 404,
		resp: problem(404, "resource_missing", "")},

	{opID: "listAPIKeys", method: "GET", target: "/v1/api_keys?limit=2", status: 200, resp: list(apiKeyExpiring, apiKeyActive)},
	{opID: "getAPIKey", method: "GET", target: "/v1/api_keys/key_1Ab2Cd3", status: 200, resp: apiKeyActive},
	{opID: "rollAPIKey", method: "POST", target: "/v1/api_keys/key_1Ab2Cd3/roll", body: `{"expire_old_after_seconds":3600}`,
		status: 200, resp: strings.Replace(apiKeyActive, `}`, `,"secret":"sk_test_51HqNewSecretA1b2"}`, 1)},
	{opID: "rollAPIKey", method: "POST", target: "/v1/api_keys/key_1Ab2Cd3/roll",
		status: 409, resp: problem(409, "api_key_not_active", `,"api_key_id":"key_1Ab2Cd3"`)},
	{opID: "revokeAPIKey", method: "POST", target: "/v1/api_keys/key_1Ab2Cd3/revoke",
		status: 200, resp: strings.Replace(apiKeyExpiring, `"expiring","expires_at":"2026-11-21T10:30:00Z"`, `"revoked","expires_at":null`, 1)},
	{opID: "revokeAPIKey", method: "POST", target: "/v1/api_keys/key_9Zz8Yy7/revoke",
		status: 409, resp: problem(409, "cannot_revoke_current_key", `,"api_key_id":"key_9Zz8Yy7"`)},
	{opID: "listRequestLogs", method: "GET", target: "/v1/request_logs?status=4xx&path=%2Fv1%2Forders&created_gte=2026-11-21T09%3A00%3A00Z",
		status: 200, resp: list(requestLog)},
	{opID: "getRequestLog", method: "GET", target: "/v1/request_logs/req_0123456789abcdefghijklmn", status: 200, resp: requestLog},
	{opID: "getOrder", method: "GET", target: "/v1/orders/ord_8Hn2kLq",
		status: 401, resp: problem(401, "api_key_expired", `,"api_key_id":"key_1Ab2Cd3"`)},

	{opID: "sandboxReset", method: "POST", target: "/_sandbox/reset", status: 200, resp: `{"ok":true}`},
	{opID: "sandboxAdvanceClock", method: "POST", target: "/_sandbox/clock/advance", body: `{"seconds":3600}`,
		status: 200, resp: `{"ok":true,"now":"2026-11-21T10:30:00Z"}`},
	{opID: "sandboxAdvanceClock", method: "POST", target: "/_sandbox/clock/advance", body: `{"seconds":-1}`,
		invalid: true, status: 400, resp: problem(400, "invalid_request", `,"param":"seconds"`)},
	{opID: "sandboxGetClock", method: "GET", target: "/_sandbox/clock", status: 200, resp: `{"now":"2026-11-21T10:30:00.123Z","frozen":false}`},
	{opID: "sandboxFreezeClock", method: "POST", target: "/_sandbox/clock/freeze", status: 200, resp: `{"ok":true,"now":"2026-11-21T09:30:00Z"}`},
	{opID: "sandboxResumeClock", method: "POST", target: "/_sandbox/clock/resume", status: 200, resp: `{"ok":true,"now":"2026-11-21T09:30:00Z"}`},
	{opID: "sandboxSetMaintenance", method: "POST", target: "/_sandbox/maintenance", body: `{"enabled":true}`,
		status: 200, resp: `{"ok":true}`},
	{opID: "sandboxSetFaults", method: "POST", target: "/_sandbox/faults",
		body: `{"seed":7,"rules":[{"method":"POST","path":"/v1/payments","kind":"drop_after_commit","rate":0.3},
			{"kind":"error_before_commit","status":503,"rate":0.1},{"kind":"rate_limit","retry_after":1,"rate":0.05},
			{"kind":"latency","ms":20,"rate":1.0}]}`,
		status: 200, resp: `{"ok":true}`},
	{opID: "sandboxClearFaults", method: "DELETE", target: "/_sandbox/faults", status: 200, resp: `{"ok":true}`},
	{opID: "sandboxListRequests", method: "GET", target: "/_sandbox/requests", status: 200, resp: `{"data":[]}`},
	{opID: "sandboxListDeliveries", method: "GET", target: "/_sandbox/deliveries", status: 200, resp: `{"data":[]}`},
	{opID: "sandboxCreateMerchant", method: "POST", target: "/_sandbox/merchants", body: `{"restricted":false}`,
		status: 200, resp: `{"id":"mch_2Second","api_key":"sk_test_51Hq2Second"}`},
	{opID: "sandboxRestrictMerchant", method: "POST", target: "/_sandbox/merchants/mch_2Second/restrict",
		body: `{"restricted":true}`, status: 200, resp: `{"ok":true}`},
	{opID: "sandboxSetRateLimit", method: "POST", target: "/_sandbox/rate_limit", body: `{"per_second":5}`,
		status: 200, resp: `{"ok":true}`},
}

func TestExamples_validExchangesMatchTheContract(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, e := range validExchanges {
		opID, reqErr, respErr := e.check(t)
		name := e.method + " " + e.target + " " + strconv.Itoa(e.status)
		assert.Equal(t, e.opID, opID, name)
		assert.NoError(t, respErr, name)
		if e.invalid {
			assert.Error(t, reqErr, name)
		} else {
			assert.NoError(t, reqErr, name)
		}
		covered[opID] = true
	}
	for _, id := range contractOperations {
		assert.True(t, covered[id], "no example for %s", id)
	}
}

// withBody returns a copy of e sending body instead.
func (e exchange) withBody(body string) exchange { e.body = body; return e }

// answering returns a copy of e answered with status and resp.
func (e exchange) answering(status int, resp string) exchange {
	e.status, e.resp = status, resp
	return e
}

func TestExamples_requestsThatBreakTheContractFail(t *testing.T) {
	t.Parallel()
	createOrder := exchange{opID: "createOrder", method: "POST", target: "/v1/orders", status: 200, resp: orderOpen}
	createPayment := exchange{opID: "createPayment", method: "POST", target: "/v1/payments", status: 200, resp: paymentCard}
	card := func(fields string) string {
		return `{"order_id":"ord_8Hn2kLq","method":{"type":"card","card":{` + fields + `}}}`
	}
	tooManyKeys := make([]string, 21)
	for i := range tooManyKeys {
		tooManyKeys[i] = `"k` + strconv.Itoa(i) + `":"v"`
	}
	cases := map[string]exchange{
		"unknown field": createOrder.withBody(`{"merchant_order_id":"A","amount":1999,"currency":"CNY","colour":"red"}`),
		"unknown nested field": createPayment.withBody(card(
			`"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123","foo":1`)),
		"amount 0":                createOrder.withBody(`{"merchant_order_id":"A","amount":0,"currency":"CNY"}`),
		"amount too large":        createOrder.withBody(`{"merchant_order_id":"A","amount":100000000000,"currency":"CNY"}`),
		"amount float":            createOrder.withBody(`{"merchant_order_id":"A","amount":19.99,"currency":"CNY"}`),
		"amount string":           createOrder.withBody(`{"merchant_order_id":"A","amount":"1999","currency":"CNY"}`),
		"bad currency":            createOrder.withBody(`{"merchant_order_id":"A","amount":1999,"currency":"XYZ"}`),
		"lower-case currency":     createOrder.withBody(`{"merchant_order_id":"A","amount":1999,"currency":"cny"}`),
		"missing field":           createPayment.withBody(`{"order_id":"ord_8Hn2kLq"}`),
		"empty merchant_order_id": createOrder.withBody(`{"merchant_order_id":"","amount":1999,"currency":"CNY"}`),
		"merchant_order_id too long": createOrder.withBody(
			`{"merchant_order_id":"` + strings.Repeat("x", 65) + `","amount":1999,"currency":"CNY"}`),
		"21 metadata keys": createOrder.withBody(
			`{"merchant_order_id":"A","amount":1999,"currency":"CNY","metadata":{` + strings.Join(tooManyKeys, ",") + `}}`),
		"metadata value too long": createOrder.withBody(
			`{"merchant_order_id":"A","amount":1999,"currency":"CNY","metadata":{"k":"` + strings.Repeat("v", 501) + `"}}`),
		"metadata value not a string": createOrder.withBody(`{"merchant_order_id":"A","amount":1999,"currency":"CNY","metadata":{"k":1}}`),
		"expires_at not a time":       createOrder.withBody(`{"merchant_order_id":"A","amount":1999,"currency":"CNY","expires_at":"tomorrow"}`),
		"card number with spaces": createPayment.withBody(card(
			`"number":"4242 4242 4242 4242","exp_month":12,"exp_year":2030,"cvc":"123"`)),
		"exp_month 13": createPayment.withBody(card(`"number":"4242424242424242","exp_month":13,"exp_year":2030,"cvc":"123"`)),
		"exp_year 2 digits": createPayment.withBody(card(
			`"number":"4242424242424242","exp_month":12,"exp_year":30,"cvc":"123"`)),
		"cvc letters":           createPayment.withBody(card(`"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"12a"`)),
		"unknown method":        createPayment.withBody(`{"order_id":"ord_8Hn2kLq","method":{"type":"cash"}}`),
		"unknown provider":      createPayment.withBody(`{"order_id":"ord_8Hn2kLq","method":{"type":"wallet","wallet":{"provider":"venmo"}}}`),
		"order id of a payment": createPayment.withBody(`{"order_id":"pay_3Jd9sKa","method":{"type":"bank_transfer"}}`),
		"otp missing": {opID: "confirmPayment", method: "POST", target: "/v1/payments/pay_7Ka1mZx/confirm",
			body: `{}`, status: 200, resp: paymentCard},
		"refund reason": {opID: "createRefund", method: "POST", target: "/v1/refunds",
			body: `{"payment_id":"pay_3Jd9sKa","reason":"changed_mind"}`, status: 200, resp: refundPending},
		"star mixed with types": {opID: "createWebhookEndpoint", method: "POST", target: "/v1/webhook_endpoints",
			body: `{"url":"https://shop.example.com/h","events":["*","order.paid"]}`, status: 200, resp: endpointWithSecret},
		"no events": {opID: "createWebhookEndpoint", method: "POST", target: "/v1/webhook_endpoints",
			body: `{"url":"https://shop.example.com/h","events":[]}`, status: 200, resp: endpointWithSecret},
		"unknown event type": {opID: "createWebhookEndpoint", method: "POST", target: "/v1/webhook_endpoints",
			body: `{"url":"https://shop.example.com/h","events":["order.shipped"]}`, status: 200, resp: endpointWithSecret},
		"relative url": {opID: "createWebhookEndpoint", method: "POST", target: "/v1/webhook_endpoints",
			body: `{"url":"/hooks","events":["*"]}`, status: 200, resp: endpointWithSecret},
		"grace period too long": {opID: "rotateWebhookEndpointSecret", method: "POST",
			target: "/v1/webhook_endpoints/we_0Aa9zXc/rotate_secret", body: `{"expire_old_after_seconds":604801}`,
			status: 200, resp: endpointWithSecret},
		"limit 101":               {opID: "listOrders", method: "GET", target: "/v1/orders?limit=101", status: 200, resp: list()},
		"limit 0":                 {opID: "listOrders", method: "GET", target: "/v1/orders?limit=0", status: 200, resp: list()},
		"bad status filter":       {opID: "listOrders", method: "GET", target: "/v1/orders?status=bogus", status: 200, resp: list()},
		"bad event type":          {opID: "listEvents", method: "GET", target: "/v1/events?type=order.shipped", status: 200, resp: list()},
		"bad delivery status":     {opID: "listWebhookDeliveries", method: "GET", target: "/v1/webhook_endpoints/we_0Aa9zXc/deliveries?status=retrying", status: 200, resp: list()},
		"resend without endpoint": {opID: "resendEvent", method: "POST", target: "/v1/events/evt_4Ee5rTy/resend", body: `{}`, status: 202, resp: deliveryResent},
		"starting_after of another list": {opID: "listRefunds", method: "GET", target: "/v1/refunds?starting_after=pay_3Jd9sKa",
			status: 200, resp: list()},
		"path id with the wrong prefix": {opID: "getOrder", method: "GET", target: "/v1/orders/pay_3Jd9sKa", status: 200, resp: orderPaid},
		"no credentials": {opID: "getOrder", method: "GET", target: "/v1/orders/ord_8Hn2kLq", noAuth: true,
			status: 200, resp: orderPaid},
		"basic auth": {opID: "getOrder", method: "GET", target: "/v1/orders/ord_8Hn2kLq", noAuth: true,
			header: http.Header{"Authorization": {"Basic c2tfdGVzdDo="}, "Tokenim-Merchant-Id": {merchantID}},
			status: 200, resp: orderPaid},
		"no merchant id": {opID: "getOrder", method: "GET", target: "/v1/orders/ord_8Hn2kLq", noAuth: true,
			header: http.Header{"Authorization": {"Bearer " + apiKey}}, status: 200, resp: orderPaid},
		"idempotency key too long":     createOrder.withBody(`{"merchant_order_id":"A","amount":1999,"currency":"CNY"}`),
		"idempotency key with a space": createOrder.withBody(`{"merchant_order_id":"A","amount":1999,"currency":"CNY"}`),
		"fault rule kind": {opID: "sandboxSetFaults", method: "POST", target: "/_sandbox/faults",
			body: `{"rules":[{"kind":"explode","rate":1}]}`, status: 200, resp: `{"ok":true}`},
		"fault rate above 1": {opID: "sandboxSetFaults", method: "POST", target: "/_sandbox/faults",
			body: `{"rules":[{"kind":"latency","ms":5,"rate":1.5}]}`, status: 200, resp: `{"ok":true}`},
	}
	tooLong := cases["idempotency key too long"]
	tooLong.header = http.Header{"Idempotency-Key": {strings.Repeat("k", 256)}}
	cases["idempotency key too long"] = tooLong
	spaced := cases["idempotency key with a space"]
	spaced.header = http.Header{"Idempotency-Key": {"my key"}}
	cases["idempotency key with a space"] = spaced

	for name, e := range cases {
		opID, reqErr, respErr := e.check(t)
		assert.Equal(t, e.opID, opID, name)
		assert.Error(t, reqErr, name)
		assert.NoError(t, respErr, "%s: the response itself is valid", name)
		if reqErr != nil {
			assert.NotContains(t, reqErr.Error(), "4242", "%s: errors must not quote card numbers", name)
			assert.NotContains(t, reqErr.Error(), apiKey, "%s: errors must not quote the API key", name)
		}
	}
}

func TestExamples_responsesThatBreakTheContractFail(t *testing.T) {
	t.Parallel()
	getOrder := exchange{opID: "getOrder", method: "GET", target: "/v1/orders/ord_8Hn2kLq"}
	createPayment := exchange{opID: "createPayment", method: "POST", target: "/v1/payments",
		body: `{"order_id":"ord_8Hn2kLq","method":{"type":"bank_transfer"}}`}
	cases := map[string]exchange{
		"unexpected field": getOrder.answering(200, strings.Replace(orderPaid, `"metadata":{}`, `"metadata":{},"extra":1`, 1)),
		"missing field":    getOrder.answering(200, strings.Replace(orderPaid, `"paid_at":"2026-11-21T09:31:12Z",`, "", 1)),
		"null where not nullable": getOrder.answering(200,
			strings.Replace(orderPaid, `"amount_paid":1999`, `"amount_paid":null`, 1)),
		"metadata null":   getOrder.answering(200, strings.Replace(orderPaid, `"metadata":{}`, `"metadata":null`, 1)),
		"unknown status":  getOrder.answering(200, strings.Replace(orderPaid, `"status":"paid"`, `"status":"settled"`, 1)),
		"amount as float": getOrder.answering(200, strings.Replace(orderPaid, `"amount":1999`, `"amount":19.99`, 1)),
		"time not UTC": getOrder.answering(200,
			strings.Replace(orderPaid, `"2026-11-21T09:30:00Z"`, `"2026-11-21T17:30:00+08:00"`, 1)),
		"time not RFC 3339": getOrder.answering(200,
			strings.Replace(orderPaid, `"2026-11-21T09:30:00Z"`, `"Sat, 21 Nov 2026 09:30:00 GMT"`, 1)),
		"undocumented status": getOrder.answering(201, orderPaid),
		"card number in a payment": createPayment.answering(200, strings.Replace(paymentCard,
			`"last4":"4242"`, `"last4":"4242","number":"4242424242424242"`, 1)),
		"card without brand": createPayment.answering(200, strings.Replace(paymentCard, `"brand":"visa",`, "", 1)),
		"secret in a list": {opID: "listWebhookEndpoints", method: "GET", target: "/v1/webhook_endpoints",
			status: 200, resp: list(endpointWithSecret)},
		"secret in a retrieved endpoint": {opID: "getWebhookEndpoint", method: "GET", target: "/v1/webhook_endpoints/we_0Aa9zXc",
			status: 200, resp: endpointWithSecret},
		"create without secret": {opID: "createWebhookEndpoint", method: "POST", target: "/v1/webhook_endpoints",
			body: `{"url":"https://shop.example.com/h","events":["*"]}`, status: 200, resp: endpoint},
		"event without api_version": {opID: "getEvent", method: "GET", target: "/v1/events/evt_4Ee5rTy", status: 200,
			resp: strings.Replace(eventPaid, `"api_version":"2026-11-01",`, "", 1)},
		"event of an unknown object": {opID: "getEvent", method: "GET", target: "/v1/events/evt_4Ee5rTy", status: 200,
			resp: strings.Replace(eventPaid, `"object":"order"`, `"object":"invoice"`, 1)},
		"unknown error code":     createPayment.answering(409, problem(409, "order_on_fire", "")),
		"code of another status": createPayment.answering(409, problem(409, "card_declined", "")),
		"status member disagrees": createPayment.answering(402,
			strings.Replace(problem(402, "card_declined", `,"payment_id":"pay_1Wl4tBb","decline_code":"generic_decline"`), `"status":402`, `"status":400`, 1)),
		"decline without payment_id": createPayment.answering(402, problem(402, "card_declined", `,"decline_code":"generic_decline"`)),
		"unknown decline code": createPayment.answering(402,
			problem(402, "card_declined", `,"payment_id":"pay_1Wl4tBb","decline_code":"stolen"`)),
		"unknown problem member": createPayment.answering(404, problem(404, "resource_missing", `,"hint":"try again"`)),
		"problem as plain JSON": {opID: "getOrder", method: "GET", target: "/v1/orders/ord_8Hn2kLq", status: 404,
			resp: problem(404, "resource_missing", ""), respHead: http.Header{"Content-Type": {"application/json"}}},
		"429 without Retry-After": createPayment.answering(429, problem(429, "rate_limited", "")),
		"Retry-After not seconds": {opID: "listEvents", method: "GET", target: "/v1/events", status: 429,
			resp: problem(429, "rate_limited", ""), respHead: http.Header{"Retry-After": {"soon"}}},
		"no Request-Id": {opID: "getOrder", method: "GET", target: "/v1/orders/ord_8Hn2kLq", status: 200, resp: orderPaid,
			respHead: http.Header{"Request-Id": nil}},
		"malformed Request-Id": {opID: "getOrder", method: "GET", target: "/v1/orders/ord_8Hn2kLq", status: 200,
			resp: orderPaid, respHead: http.Header{"Request-Id": {"abc"}}},
		"other version": {opID: "getOrder", method: "GET", target: "/v1/orders/ord_8Hn2kLq", status: 200,
			resp: orderPaid, respHead: http.Header{"Tokenim-Version": {"2025-01-01"}}},
		"Idempotent-Replayed not a boolean": createPayment.answering(200, paymentCard),
		"control answer with more": {opID: "sandboxReset", method: "POST", target: "/_sandbox/reset",
			status: 200, resp: `{"ok":true,"now":"2026-11-21T09:30:00Z"}`},
	}
	replayed := cases["Idempotent-Replayed not a boolean"]
	replayed.respHead = http.Header{"Idempotent-Replayed": {"yes"}}
	cases["Idempotent-Replayed not a boolean"] = replayed

	for name, e := range cases {
		opID, reqErr, respErr := e.check(t)
		assert.Equal(t, e.opID, opID, name)
		assert.NoError(t, reqErr, "%s: the request itself is valid", name)
		assert.Error(t, respErr, name)
		if respErr != nil {
			assert.NotContains(t, respErr.Error(), "4242424242424242", "%s: errors must not quote card numbers", name)
		}
	}
}
