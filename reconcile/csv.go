package reconcile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
)

// ParseError is a bad line of a statement or a merchant file. Line and Column
// are 1-based: Column counts fields (the header row is line 1, column 1 is its
// first field) and is 0 when the error concerns the whole line, such as a CSV
// syntax error (its message gives the byte); Name is the column's header name
// when known. The offending
// value is quoted, cut to 40 bytes: these files hold ids and amounts, never
// secrets (columns the reader does not use are never read into an error).
type ParseError struct {
	File   string // "statement" or "merchant records"
	Line   int
	Column int
	Name   string
	Err    error
}

// Error names the file, line, column and what is wrong.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("reconcile: " + e.File)
	if e.Line > 0 { // a ParseError built by hand may have none
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Column > 0 {
		fmt.Fprintf(&b, ", column %d", e.Column)
		if e.Name != "" {
			fmt.Fprintf(&b, " (%s)", e.Name)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause, such as a *csv.ParseError or strconv.ErrSyntax.
func (e *ParseError) Unwrap() error { return e.Err }

// table reads an RFC 4180 file with a header row, one record at a time, and
// turns every failure into a *ParseError.
type table struct {
	file   string
	r      *csv.Reader
	header []string
	row    []string
	line   int
}

func newTable(file string, r io.Reader) *table {
	cr := csv.NewReader(r)
	// Rows are decoded field by field before the next Read, so the reader's
	// buffer can be reused; only what the reconciler keeps is copied out.
	cr.ReuseRecord = true
	return &table{file: file, r: cr}
}

// readHeader reads the header row, trimming a UTF-8 byte-order mark
// (spreadsheets write one) and spaces, lower-cased.
func (t *table) readHeader() error {
	row, err := t.r.Read()
	if err == io.EOF {
		return &ParseError{File: t.file, Line: 1, Err: errors.New("empty file: want a header row")}
	}
	if err != nil {
		return t.csvError(err)
	}
	t.header = make([]string, len(row))
	for i, h := range row {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		t.header[i] = strings.ToLower(strings.TrimSpace(h))
	}
	t.r.FieldsPerRecord = len(row)
	t.line = 1
	return nil
}

// next reads the next row; io.EOF at the end.
func (t *table) next() error {
	row, err := t.r.Read()
	if err == io.EOF {
		return io.EOF
	}
	t.row = row
	if err != nil {
		return t.csvError(err)
	}
	t.line, _ = t.r.FieldPos(0)
	return nil
}

func (t *table) csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		line := pe.StartLine
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return &ParseError{File: t.file, Line: line, Err: fmt.Errorf("%d fields, the header has %d", t.fieldCount(), len(t.header))}
		}
		// A syntax error's column is a byte position, not a field: say so.
		return &ParseError{File: t.file, Line: pe.Line, Err: fmt.Errorf("byte %d: %w", pe.Column, pe.Err)}
	}
	return &ParseError{File: t.file, Line: t.line + 1, Err: err}
}

// fieldCount is the number of fields of a row rejected for its count (the
// csv package still returns the row with the error; ReuseRecord keeps it).
func (t *table) fieldCount() int { return len(t.row) }

// errAt is a *ParseError for column i of the current row.
func (t *table) errAt(i int, format string, args ...any) error {
	name := ""
	if i < len(t.header) {
		name = t.header[i]
	}
	return &ParseError{File: t.file, Line: t.line, Column: i + 1, Name: name, Err: fmt.Errorf(format, args...)}
}

// quote renders a value for an error message, cut to 40 bytes.
func quote(s string) string {
	if len(s) > 40 {
		return strconv.Quote(s[:40]) + "…"
	}
	return strconv.Quote(s)
}

// int64At parses column i as an integer of minor units.
func (t *table) int64At(i int) (int64, error) {
	s := t.row[i]
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, t.errAt(i, "%s is out of the int64 range", quote(s))
		}
		return 0, t.errAt(i, "%s is not an integer of minor units (docs/tokenim-api.md §1)", quote(s))
	}
	return n, nil
}

// currencyAt parses column i as an upper-case ISO 4217 code.
func (t *table) currencyAt(i int) (string, error) {
	s := t.row[i]
	if !validCurrency(s) {
		return "", t.errAt(i, "%s is not an upper-case ISO 4217 currency code", quote(s))
	}
	return s, nil
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// idAt returns column i as an id of at most maxIDLen bytes (empty allowed).
func (t *table) idAt(i int) (string, error) {
	s := strings.TrimSpace(t.row[i])
	if len(s) > maxIDLen {
		return "", t.errAt(i, "id of %d bytes is longer than %d", len(s), maxIDLen)
	}
	return s, nil
}

// readAll turns a reader's Read into an iterator that ends at io.EOF and
// stops after yielding any other error.
func readAll[T any](read func() (T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			v, err := read()
			if err == io.EOF {
				return
			}
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}
