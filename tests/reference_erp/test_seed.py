"""The data generator: determinism, valid identifiers, realistic shape, consistent books."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from erpcap.reference_erp import gs1, schema
from erpcap.reference_erp.seed import generate, sizes

from .conftest import engine_for

AS_OF = date(2026, 11, 25)


def _digest(ds, skip=("app_user",)) -> str:
    h = hashlib.sha256()
    for table, (_cols, rows) in ds.tables.items():
        if table in skip:
            continue
        h.update(table.encode())
        for row in rows:
            h.update(repr(row).encode())
    return h.hexdigest()


def test_same_scale_and_seed_give_the_same_data():
    a, b = generate(0.02, 7, AS_OF), generate(0.02, 7, AS_OF)
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(generate(0.02, 8, AS_OF))


def test_items_grow_slower_than_customers_and_orders():
    small, big = sizes(0.1), sizes(1.0)
    assert big.customers / small.customers == pytest.approx(10, rel=0.05)
    assert big.orders / small.orders == pytest.approx(10, rel=0.05)
    assert big.items / small.items < 4


def test_every_gtin_has_a_valid_check_digit_and_every_udi_is_well_formed():
    ds = generate(0.02, 1, AS_OF)
    cols, rows = ds.tables["device_identifier"]
    gi = cols.index("gtin")
    assert rows and all(gs1.is_valid_gtin(r[gi]) for r in rows)
    cols, rows = ds.tables["shipment_line"]
    ui, si = cols.index("udi"), cols.index("serial")
    pattern = re.compile(r"^\(01\)(\d{14})\(17\)\d{6}\(10\)[A-Z0-9-]+(\(21\)S\d+)?$")
    for r in rows:
        m = pattern.match(r[ui])
        assert m and gs1.is_valid_gtin(m.group(1)), r[ui]
        assert (r[si] is not None) == ("(21)" in r[ui])


def test_distributions_are_skewed_and_lots_realistic():
    ds = generate(0.05, 3, AS_OF)
    cols, lines = ds.tables["sales_order_line"]
    ii = cols.index("item_id")
    counts: dict[int, int] = {}
    for r in lines:
        counts[r[ii]] = counts.get(r[ii], 0) + 1
    top = sorted(counts.values(), reverse=True)
    n_items = len(ds.tables["item"][1])
    assert sum(top[: n_items // 20]) > 0.3 * len(lines), "the 5% hottest items carry a large share"
    cols, lots = ds.tables["lot"]
    st, ex = cols.index("status"), cols.index("expiry_date")
    statuses = {r[st] for r in lots}
    assert {"released", "quarantine", "rejected"} <= statuses
    soon = (AS_OF + timedelta(days=30)).isoformat()
    assert any(AS_OF.isoformat() < r[ex] <= soon for r in lots), "some lots near expiry"
    assert any(r[ex] <= AS_OF.isoformat() for r in lots), "some lots expired"


def _invariants(url: str) -> None:
    eng = engine_for(url)
    try:
        with eng.connect() as conn:
            q = lambda sql: conn.execute(text(sql)).all()  # noqa: E731
            assert (
                q(
                    "SELECT id FROM stock_balance WHERE on_hand < 0 OR allocated < 0 OR allocated > on_hand"
                )
                == []
            )
            bad_ledger = q(
                "SELECT sb.id FROM stock_balance sb LEFT JOIN (SELECT lot_id, location_id, SUM(quantity) AS q "
                "FROM inventory_txn GROUP BY lot_id, location_id) t ON t.lot_id = sb.lot_id "
                "AND t.location_id = sb.location_id WHERE sb.on_hand <> COALESCE(t.q, 0)"
            )
            assert bad_ledger == []
            bad_alloc = q(
                "SELECT sb.id FROM stock_balance sb LEFT JOIN (SELECT stock_balance_id, SUM(quantity) AS q "
                "FROM allocation WHERE status = 'allocated' GROUP BY stock_balance_id) a "
                "ON a.stock_balance_id = sb.id WHERE sb.allocated <> COALESCE(a.q, 0)"
            )
            assert bad_alloc == []
            dr, cr = q("SELECT SUM(debit), SUM(credit) FROM journal_line")[0]
            assert float(dr) == pytest.approx(float(cr), abs=0.05)
            assert q("SELECT COUNT(*) FROM audit_log")[0][0] > 0
            assert {r[0] for r in q("SELECT username FROM app_user")} == {
                "sales",
                "warehouse",
                "qa",
                "finance",
                "manager",
                "integration",
            }
    finally:
        eng.dispose()


def test_seeded_sqlite_books_agree(sqlite_url):
    _invariants(sqlite_url)


@pytest.mark.postgres
def test_seeded_postgres_books_agree_and_tables_exist(pg_url):
    _invariants(pg_url)
    eng = engine_for(pg_url)
    try:
        with eng.connect() as conn:
            names = {
                r[0]
                for r in conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            }
    finally:
        eng.dispose()
    assert set(schema.TABLES) <= names and len(schema.TABLES) >= 30


def test_seed_cli_prints_progress_and_reseeds(tmp_path):
    url = f"sqlite:///{tmp_path / 'erp.sqlite'}"
    cmd = [
        sys.executable,
        "-m",
        "erpcap.reference_erp",
        "seed",
        "--db",
        url,
        "--scale",
        "0.02",
        "--as-of",
        "2026-11-25",
    ]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert (
        "sales_order_line" in first.stdout
        and "rows" in first.stdout
        and "seeded in" in first.stdout
    )
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    eng = engine_for(url)
    try:
        with eng.connect() as conn:
            n = conn.execute(text("SELECT COUNT(*) FROM sales_order")).scalar_one()
    finally:
        eng.dispose()
    assert n == sizes(0.02).orders  # re-seeding replaced the data, it did not append
