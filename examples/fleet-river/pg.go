package main

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

type pgShop struct{ pool *pgxpool.Pool }

func (s pgShop) createTable(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS shop_orders (ref TEXT PRIMARY KEY, order_id TEXT NOT NULL)`)
	return err
}
func (s pgShop) begin(ctx context.Context) (pgx.Tx, error) { return s.pool.Begin(ctx) }
func (pgShop) saveOrder(ctx context.Context, tx pgx.Tx, ref, id string) error {
	_, err := tx.Exec(ctx, `INSERT INTO shop_orders (ref, order_id) VALUES ($1, $2)`, ref, id)
	return err
}
func (pgShop) commit(ctx context.Context, tx pgx.Tx) error   { return tx.Commit(ctx) }
func (pgShop) rollback(ctx context.Context, tx pgx.Tx) error { return tx.Rollback(ctx) }
func (s pgShop) orders(ctx context.Context) (n int, err error) {
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM shop_orders`).Scan(&n)
	return n, err
}
