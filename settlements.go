package tokenim

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// SettlementsService reads the daily payouts and their statements
// (docs/tokenim-api.md §9). API: /v1/settlements
type SettlementsService service

// SettlementStatus is the state of a settlement.
type SettlementStatus string

// SettlementStatusPaid is the only state: a settlement is made when it is paid.
const SettlementStatusPaid SettlementStatus = "paid"

// Settlement is one currency's daily payout: at 00:00 UTC the unsettled
// transactions available by then, when their nets sum to more than 0.
// Amount is that sum in minor units; PeriodEnd and CreatedAt are that instant.
type Settlement struct {
	ID               string           `json:"id"`
	Object           string           `json:"object"`
	Currency         Currency         `json:"currency"`
	Amount           int64            `json:"amount"`
	TransactionCount int64            `json:"transaction_count"`
	PeriodEnd        time.Time        `json:"period_end"`
	CreatedAt        time.Time        `json:"created_at"`
	Status           SettlementStatus `json:"status"`
	// Version is the object's version (docs/tokenim-api.md §10): 1 at creation,
	// +1 on every change; an event's snapshot carries the version it was taken at.
	Version int64 `json:"version"`
}

// SettlementListParams page Settlements.List and All. API: GET /v1/settlements
type SettlementListParams struct {
	ListParams
}

var settlementsList = newLister[SettlementListParams](
	endpoint{"Settlements.List", http.MethodGet, "/v1/settlements", "st_", false},
	func(s *Settlement) string { return s.ID })

// Get retrieves a settlement. API: GET /v1/settlements/{id}
func (s *SettlementsService) Get(ctx context.Context, id string, opts ...RequestOption) (*Settlement, error) {
	return fetch[Settlement](ctx, s.client, endpoint{"Settlements.Get", http.MethodGet, "/v1/settlements/{id}", "st_", false}, id, nil, opts)
}

// List returns one page of settlements, newest first. API: GET /v1/settlements
func (s *SettlementsService) List(ctx context.Context, params *SettlementListParams, opts ...RequestOption) (*List[Settlement], error) {
	return settlementsList.page(ctx, s.client, params, opts)
}

// All iterates over every settlement, newest first, fetching pages lazily.
// API: GET /v1/settlements
func (s *SettlementsService) All(ctx context.Context, params *SettlementListParams, opts ...RequestOption) iter.Seq2[*Settlement, error] {
	return settlementsList.all(ctx, s.client, params, opts)
}

// Report retrieves a settlement's statement: the CSV a merchant reconciles
// its records against and archives. API: GET /v1/settlements/{id}/report
//
// The statement is read whole (within WithMaxResponseBytes) and kept as sent,
// for archiving (Raw); Rows parses it one row at a time. A response that is
// not text/csv is an error.
func (s *SettlementsService) Report(ctx context.Context, id string, opts ...RequestOption) (*SettlementReport, error) {
	raw, err := fetch[rawBody](ctx, s.client, endpoint{"Settlements.Report", http.MethodGet, "/v1/settlements/{id}/report", "st_", false}, id, nil, opts)
	if err != nil {
		return nil, err
	}
	if mt, _, _ := mime.ParseMediaType(raw.contentType); mt != "text/csv" {
		return nil, fmt.Errorf("tokenim: GET /v1/settlements/%s/report: expected a text/csv statement, got Content-Type %q", id, raw.contentType)
	}
	return &SettlementReport{SettlementID: id, raw: raw.data}, nil
}

// SettlementReport is a settlement's statement (docs/tokenim-api.md §9):
// RFC 4180 CSV with the header row of SettlementReportHeader, one row per
// balance transaction, oldest first, whose nets sum to the settlement's
// amount.
type SettlementReport struct {
	SettlementID string
	raw          []byte
}

// Raw returns the statement's bytes as the platform sent them, for archiving.
// The slice is the report's own: do not modify it.
func (r *SettlementReport) Raw() []byte { return r.raw }

// SettlementReportRow is one row of a statement.
type SettlementReportRow struct {
	BalanceTransactionID string
	Type                 BalanceTransactionType
	Source               string
	OrderID              string
	MerchantOrderID      string
	Amount               int64
	Fee                  int64
	Net                  int64
	Currency             Currency
	CreatedAt            time.Time
	Line                 int // the row's line in the statement, the header being line 1
}

// settlementReportHeader is the statement's header row (docs/tokenim-api.md §9).
var settlementReportHeader = []string{
	"balance_transaction_id", "type", "source", "order_id", "merchant_order_id",
	"amount", "fee", "net", "currency", "created_at",
}

// SettlementReportHeader returns the statement's header row.
func SettlementReportHeader() []string { return slices.Clone(settlementReportHeader) }

// Rows iterates over the statement's rows, parsing one at a time with
// encoding/csv. It checks the header exactly and each field's form; at the
// first bad row it yields an error naming the line and column and stops.
// Rows may be ranged over more than once.
func (r *SettlementReport) Rows() iter.Seq2[SettlementReportRow, error] {
	return func(yield func(SettlementReportRow, error) bool) {
		cr := csv.NewReader(bytes.NewReader(r.raw))
		cr.FieldsPerRecord = -1 // the header is compared whole below
		cr.ReuseRecord = true
		head, err := cr.Read()
		switch {
		case errors.Is(err, io.EOF):
			yield(SettlementReportRow{}, errors.New("tokenim: settlement statement: empty, no header row"))
			return
		case err != nil:
			yield(SettlementReportRow{}, fmt.Errorf("tokenim: settlement statement: %w", err))
			return
		case !slices.Equal(head, settlementReportHeader):
			yield(SettlementReportRow{}, fmt.Errorf("tokenim: settlement statement: header %q, want %q", head, settlementReportHeader))
			return
		}
		cr.FieldsPerRecord = len(settlementReportHeader)
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(SettlementReportRow{}, fmt.Errorf("tokenim: settlement statement: %w", err))
				return
			}
			line, _ := cr.FieldPos(0)
			row, err := parseReportRow(rec, line)
			if !yield(row, err) || err != nil {
				return
			}
		}
	}
}

func parseReportRow(rec []string, line int) (SettlementReportRow, error) {
	row := SettlementReportRow{
		BalanceTransactionID: rec[0], Type: BalanceTransactionType(rec[1]), Source: rec[2],
		OrderID: rec[3], MerchantOrderID: rec[4], Currency: Currency(rec[8]), Line: line,
	}
	bad := func(col int, what string) (SettlementReportRow, error) {
		return SettlementReportRow{}, fmt.Errorf("tokenim: settlement statement: line %d, column %s: %s, got %q",
			line, settlementReportHeader[col], what, rec[col])
	}
	for i, dst := range []*int64{&row.Amount, &row.Fee, &row.Net} {
		n, err := strconv.ParseInt(rec[5+i], 10, 64)
		if err != nil {
			return bad(5+i, "not an integer of minor units")
		}
		*dst = n
	}
	if err := validateCurrency("currency", rec[8]); err != nil {
		return bad(8, "not a currency code")
	}
	t, err := time.Parse(time.RFC3339, rec[9])
	if err != nil {
		return bad(9, "not an RFC 3339 time")
	}
	row.CreatedAt = t
	if rec[0] == "" {
		return bad(0, "empty")
	}
	return row, nil
}

// EventSettlementPaid is sent when a daily settlement is paid out; its
// snapshot is a Settlement (Event.Settlement).
const EventSettlementPaid EventType = "settlement.paid"

// Settlement decodes the snapshot of a settlement.paid event.
func (e *Event) Settlement() (*Settlement, error) {
	s := new(Settlement)
	return s, e.decode("settlement", s)
}
