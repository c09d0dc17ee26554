package reconcile

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzStatementReader: whatever the bytes, reading never panics, an error is
// a *ParseError with a line, and every row read is well formed.
func FuzzStatementReader(f *testing.F) {
	f.Add([]byte(statementHead + "txn_1,payment,pay_1,ord_1,A-1,1999,88,1911,CNY,2026-11-21T09:30:00Z\n"))
	f.Add([]byte(statementHead + "txn_1,refund,re_1,ord_1,\"A,1\",-5,0,-5,KWD,2026-11-21T09:30:00+08:00\r\n"))
	f.Add([]byte(statementHead + "\"txn_1\nx\",dispute,dp_1,ord_1,,-5,1500,-1505,JPY,2026-11-21T09:30:00Z"))
	f.Add([]byte("balance_transaction_id\n\"unterminated"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s := NewStatementReader(bytes.NewReader(in), "st_1")
		var r Reconciler
		for {
			txn, err := s.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Line < 1 {
					t.Fatalf("error %v is not a *ParseError with a line", err)
				}
				break
			}
			if txn.ID == "" || txn.OrderID == "" || txn.Type.String() == "" || !validCurrency(txn.Currency) || txn.SettlementID != "st_1" {
				t.Fatalf("malformed row read: %+v", txn)
			}
			// The reconciler takes any parsed row: an error, never a panic.
			_ = r.addTransaction(&txn)
		}
		_ = r.Report()
	})
}

// FuzzRecordReader: whatever the bytes, reading never panics, an error is a
// *ParseError with a line, and every record read is consistent.
func FuzzRecordReader(f *testing.F) {
	f.Add([]byte("merchant_order_id,amount,currency,status,refunded_amount,method\nA-1,1999,CNY,paid,,card\n"))
	f.Add([]byte("\ufefforder_id,Amount,currency,status\nord_1,5,JPY,refunded\nord_1,5,JPY,expired\n"))
	f.Add([]byte("order_id,amount,currency,status,amount_refunded\nord_1,5,KWD,partially_refunded,2\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		m := NewRecordReader(bytes.NewReader(in))
		var r Reconciler
		for {
			rec, err := m.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Line < 1 || strings.Contains(err.Error(), "%!") {
					t.Fatalf("error %v is not a *ParseError with a line", err)
				}
				break
			}
			if rec.OrderID == "" && rec.MerchantOrderID == "" || rec.Amount <= 0 ||
				rec.RefundedAmount < 0 || rec.RefundedAmount > rec.Amount || rec.Line < 2 {
				t.Fatalf("inconsistent record read: %+v", rec)
			}
			if err := r.addRecord(rec); err != nil {
				t.Fatalf("the reconciler refuses a record the reader accepted: %v", err)
			}
		}
		_ = r.Report()
	})
}
