package sandbox

import (
	"encoding/json"
	"time"
)

// timestamp is a time on the wire: an RFC 3339 UTC string with second
// precision (docs/tokenim-api.md §1).
type timestamp time.Time

// MarshalJSON implements json.Marshaler.
func (t timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(time.RFC3339) + `"`), nil
}

// timestampPtr is the wire form of t for a nullable field.
func timestampPtr(t time.Time) *timestamp { ts := timestamp(t); return &ts }

// stringPtr is s for a nullable string field.
func stringPtr(s string) *string { return &s }

type order struct {
	ID              string            `json:"id"`
	Object          string            `json:"object"`
	MerchantOrderID string            `json:"merchant_order_id"`
	Amount          int64             `json:"amount"`
	Currency        string            `json:"currency"`
	Description     *string           `json:"description"`
	Status          string            `json:"status"`
	AmountPaid      int64             `json:"amount_paid"`
	AmountRefunded  int64             `json:"amount_refunded"`
	PaymentID       *string           `json:"payment_id"`
	ExpiresAt       timestamp         `json:"expires_at"`
	CreatedAt       timestamp         `json:"created_at"`
	PaidAt          *timestamp        `json:"paid_at"`
	Metadata        map[string]string `json:"metadata"`

	expiresAt time.Time
	active    *payment // the payment processing or requiring action, if any
}

type cardOut struct {
	Brand    string `json:"brand"`
	Last4    string `json:"last4"`
	ExpMonth int64  `json:"exp_month"`
	ExpYear  int64  `json:"exp_year"`
}

type walletOut struct {
	Provider string `json:"provider"`
}

type methodOut struct {
	Type   string     `json:"type"`
	Card   *cardOut   `json:"card,omitempty"`
	Wallet *walletOut `json:"wallet,omitempty"`
}

type nextAction struct {
	Type string `json:"type"`
}

type payment struct {
	ID             string            `json:"id"`
	Object         string            `json:"object"`
	OrderID        string            `json:"order_id"`
	Amount         int64             `json:"amount"`
	Currency       string            `json:"currency"`
	Method         methodOut         `json:"method"`
	Status         string            `json:"status"`
	FailureCode    *string           `json:"failure_code"`
	FailureMessage *string           `json:"failure_message"`
	NextAction     *nextAction       `json:"next_action"`
	Fee            int64             `json:"fee"`
	Net            int64             `json:"net"`
	AmountRefunded int64             `json:"amount_refunded"`
	ReceiptNumber  *string           `json:"receipt_number"`
	CreatedAt      timestamp         `json:"created_at"`
	SucceededAt    *timestamp        `json:"succeeded_at"`
	Metadata       map[string]string `json:"metadata"`

	order       *order
	succeededAt time.Time
	otpFailures int
	committed   int64 // sum of refunds not failed
}

type refund struct {
	ID          string            `json:"id"`
	Object      string            `json:"object"`
	PaymentID   string            `json:"payment_id"`
	OrderID     string            `json:"order_id"`
	Amount      int64             `json:"amount"`
	Currency    string            `json:"currency"`
	Reason      *string           `json:"reason"`
	Status      string            `json:"status"`
	FailureCode *string           `json:"failure_code"`
	CreatedAt   timestamp         `json:"created_at"`
	SucceededAt *timestamp        `json:"succeeded_at"`
	Metadata    map[string]string `json:"metadata"`

	payment *payment
}

type endpointSecret struct {
	secret    string
	expiresAt time.Time // zero: never
}

type endpoint struct {
	ID          string    `json:"id"`
	Object      string    `json:"object"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Description *string   `json:"description"`
	Status      string    `json:"status"`
	CreatedAt   timestamp `json:"created_at"`

	secrets []endpointSecret // newest first
	deleted bool
}

// endpointWithSecret is the create/rotate answer, the only one with the secret.
type endpointWithSecret struct {
	*endpoint
	Secret string `json:"secret"`
}

func (e *endpoint) subscribed(typ string) bool {
	for _, t := range e.Events {
		if t == "*" || t == typ {
			return true
		}
	}
	return false
}

// activeSecrets returns the secrets that sign a delivery at now.
func (e *endpoint) activeSecrets(now time.Time) []string {
	out := make([]string, 0, len(e.secrets))
	for _, s := range e.secrets {
		if s.expiresAt.IsZero() || now.Before(s.expiresAt) {
			out = append(out, s.secret)
		}
	}
	return out
}

type event struct {
	id  string
	typ string
	raw json.RawMessage
}

type eventBody struct {
	ID         string    `json:"id"`
	Object     string    `json:"object"`
	Type       string    `json:"type"`
	CreatedAt  timestamp `json:"created_at"`
	APIVersion string    `json:"api_version"`
	Data       eventData `json:"data"`
}

type eventData struct {
	Object json.RawMessage `json:"object"`
}

// merchant holds one account's objects; every lookup goes through it, which
// is what isolates merchants from each other.
type merchant struct {
	id         string
	apiKey     string
	restricted bool
	viaControl bool // created by POST /_sandbox/merchants: Reset drops it
	bucket     tokenBucket
	idem       *idemStore

	orders    map[string]*order
	orderList []*order
	byMOID    map[string]*order
	payments  map[string]*payment
	payList   []*payment
	refunds   map[string]*refund
	refList   []*refund
	events    []*event
	eventByID map[string]*event
	endpoints map[string]*endpoint
	epList    []*endpoint
	pos       map[string]int // id → index in its list, for starting_after

	receiptSeq int
}

func newMerchant(id, key string, idemCap int) *merchant {
	return &merchant{
		id: id, apiKey: key,
		idem:      newIdemStore(idemCap),
		orders:    map[string]*order{},
		byMOID:    map[string]*order{},
		payments:  map[string]*payment{},
		refunds:   map[string]*refund{},
		eventByID: map[string]*event{},
		endpoints: map[string]*endpoint{},
		pos:       map[string]int{},
	}
}
