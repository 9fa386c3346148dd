-- The reference ERP's schema: one DDL for SQLite and PostgreSQL.
-- Placeholders are replaced per dialect by schema.py:
--   {ID}    surrogate primary key (INTEGER PRIMARY KEY / BIGINT identity)
--   {REF}   a foreign-key column type (INTEGER / BIGINT)
--   {MONEY} an amount (REAL / NUMERIC(14,2))
--   {DATE}  a calendar date (TEXT ISO-8601 / DATE)
--   {TS}    a timestamp (TEXT ISO-8601 / TIMESTAMPTZ)
-- Only primary keys and unique constraints are declared here; the secondary indexes on hot
-- lookups belong to the `indexes` lever (schema.py, LEVER_INDEXES).
-- Statements are separated by a line holding only ";;".

-- ---------------------------------------------------------------- master data
CREATE TABLE site (
    id {ID},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    country TEXT NOT NULL
)
;;
CREATE TABLE warehouse (
    id {ID},
    site_id {REF} NOT NULL REFERENCES site(id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
)
;;
CREATE TABLE location (
    id {ID},
    warehouse_id {REF} NOT NULL REFERENCES warehouse(id),
    code TEXT NOT NULL UNIQUE,
    zone TEXT NOT NULL CHECK (zone IN ('quarantine', 'released', 'rejected'))
)
;;
CREATE TABLE item (
    id {ID},
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    uom TEXT NOT NULL,
    lot_controlled SMALLINT NOT NULL DEFAULT 1,
    serial_controlled SMALLINT NOT NULL DEFAULT 0,
    shelf_life_days INTEGER NOT NULL,
    unit_cost {MONEY} NOT NULL,
    list_price {MONEY} NOT NULL,
    deferred_revenue SMALLINT NOT NULL DEFAULT 0,
    active SMALLINT NOT NULL DEFAULT 1
)
;;
CREATE TABLE device_identifier (
    id {ID},
    item_id {REF} NOT NULL REFERENCES item(id),
    packaging_level TEXT NOT NULL CHECK (packaging_level IN ('each', 'box', 'case')),
    gtin TEXT NOT NULL UNIQUE,
    quantity INTEGER NOT NULL,
    UNIQUE (item_id, packaging_level)
)
;;
CREATE TABLE bom (
    id {ID},
    item_id {REF} NOT NULL UNIQUE REFERENCES item(id),
    revision TEXT NOT NULL,
    status TEXT NOT NULL
)
;;
CREATE TABLE bom_line (
    id {ID},
    bom_id {REF} NOT NULL REFERENCES bom(id),
    component_item_id {REF} NOT NULL REFERENCES item(id),
    quantity_per INTEGER NOT NULL
)
;;
CREATE TABLE price_list (
    id {ID},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    currency TEXT NOT NULL
)
;;
CREATE TABLE price (
    id {ID},
    price_list_id {REF} NOT NULL REFERENCES price_list(id),
    item_id {REF} NOT NULL REFERENCES item(id),
    unit_price {MONEY} NOT NULL,
    UNIQUE (price_list_id, item_id)
)
;;
CREATE TABLE customer (
    id {ID},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    segment TEXT NOT NULL,
    price_list_id {REF} NOT NULL REFERENCES price_list(id),
    credit_limit {MONEY} NOT NULL,
    credit_exposure {MONEY} NOT NULL DEFAULT 0,
    exposure_updated_at {TS},
    payment_terms_days INTEGER NOT NULL,
    created_at {TS} NOT NULL
)
;;
CREATE TABLE ship_to (
    id {ID},
    customer_id {REF} NOT NULL REFERENCES customer(id),
    name TEXT NOT NULL,
    city TEXT NOT NULL,
    country TEXT NOT NULL,
    gln TEXT NOT NULL
)
;;
CREATE TABLE supplier (
    id {ID},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    approved SMALLINT NOT NULL DEFAULT 1
)
;;
CREATE TABLE role (
    id {ID},
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL
)
;;
CREATE TABLE app_user (
    id {ID},
    username TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role_id {REF} NOT NULL REFERENCES role(id),
    active SMALLINT NOT NULL DEFAULT 1
)
;;
CREATE TABLE gl_account (
    id {ID},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('asset', 'liability', 'equity', 'revenue', 'expense'))
)
;;
CREATE TABLE fiscal_period (
    id {ID},
    period TEXT NOT NULL UNIQUE,
    start_date {DATE} NOT NULL,
    end_date {DATE} NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    closed_at {TS},
    closed_by TEXT
)
;;
-- ---------------------------------------------------------------- inventory and quality
CREATE TABLE work_order (
    id {ID},
    wo_number TEXT NOT NULL UNIQUE,
    item_id {REF} NOT NULL REFERENCES item(id),
    bom_id {REF} REFERENCES bom(id),
    quantity INTEGER NOT NULL,
    status TEXT NOT NULL,
    started_at {TS},
    completed_at {TS}
)
;;
CREATE TABLE lot (
    id {ID},
    lot_number TEXT NOT NULL UNIQUE,
    item_id {REF} NOT NULL REFERENCES item(id),
    supplier_id {REF} REFERENCES supplier(id),
    work_order_id {REF} REFERENCES work_order(id),
    mfg_date {DATE} NOT NULL,
    expiry_date {DATE} NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('quarantine', 'released', 'rejected')),
    quantity_received INTEGER NOT NULL,
    released_by TEXT,
    released_at {TS},
    created_at {TS} NOT NULL
)
;;
CREATE TABLE serial_unit (
    id {ID},
    lot_id {REF} NOT NULL REFERENCES lot(id),
    serial TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('in_stock', 'shipped')),
    UNIQUE (lot_id, serial)
)
;;
CREATE TABLE stock_balance (
    id {ID},
    item_id {REF} NOT NULL REFERENCES item(id),
    location_id {REF} NOT NULL REFERENCES location(id),
    lot_id {REF} NOT NULL REFERENCES lot(id),
    on_hand INTEGER NOT NULL,
    allocated INTEGER NOT NULL DEFAULT 0,
    updated_at {TS} NOT NULL,
    UNIQUE (lot_id, location_id),
    CHECK (on_hand >= 0 AND allocated >= 0 AND allocated <= on_hand)
)
;;
CREATE TABLE inventory_txn (
    id {ID},
    txn_type TEXT NOT NULL CHECK (txn_type IN ('receipt', 'issue', 'transfer_out', 'transfer_in', 'adjust')),
    item_id {REF} NOT NULL REFERENCES item(id),
    location_id {REF} NOT NULL REFERENCES location(id),
    lot_id {REF} NOT NULL REFERENCES lot(id),
    quantity INTEGER NOT NULL,
    ref_table TEXT,
    ref_id {REF},
    created_by TEXT NOT NULL,
    created_at {TS} NOT NULL
)
;;
CREATE TABLE lot_genealogy (
    id {ID},
    parent_lot_id {REF} NOT NULL REFERENCES lot(id),
    child_lot_id {REF} NOT NULL REFERENCES lot(id),
    work_order_id {REF} REFERENCES work_order(id),
    quantity INTEGER NOT NULL
)
;;
CREATE TABLE inspection (
    id {ID},
    lot_id {REF} NOT NULL REFERENCES lot(id),
    inspector TEXT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('pass', 'fail')),
    notes TEXT,
    inspected_at {TS} NOT NULL
)
;;
CREATE TABLE nonconformance (
    id {ID},
    nc_number TEXT NOT NULL UNIQUE,
    lot_id {REF} REFERENCES lot(id),
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at {TS} NOT NULL
)
;;
CREATE TABLE complaint (
    id {ID},
    complaint_number TEXT NOT NULL UNIQUE,
    customer_id {REF} NOT NULL REFERENCES customer(id),
    lot_id {REF} REFERENCES lot(id),
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    received_at {TS} NOT NULL
)
;;
CREATE TABLE recall (
    id {ID},
    recall_number TEXT NOT NULL UNIQUE,
    lot_id {REF} NOT NULL REFERENCES lot(id),
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    initiated_at {TS} NOT NULL
)
;;
-- ---------------------------------------------------------------- order to cash
CREATE TABLE sales_order (
    id {ID},
    order_number TEXT NOT NULL UNIQUE,
    customer_id {REF} NOT NULL REFERENCES customer(id),
    ship_to_id {REF} NOT NULL REFERENCES ship_to(id),
    po_number TEXT,
    order_date {DATE} NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'shipped', 'invoiced', 'closed')),
    total_amount {MONEY} NOT NULL,
    created_by TEXT NOT NULL,
    created_at {TS} NOT NULL,
    shipped_at {TS}
)
;;
CREATE TABLE sales_order_line (
    id {ID},
    order_id {REF} NOT NULL REFERENCES sales_order(id),
    line_no INTEGER NOT NULL,
    item_id {REF} NOT NULL REFERENCES item(id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price {MONEY} NOT NULL,
    shipped_qty INTEGER NOT NULL DEFAULT 0,
    invoiced_qty INTEGER NOT NULL DEFAULT 0
)
;;
CREATE TABLE allocation (
    id {ID},
    order_line_id {REF} NOT NULL REFERENCES sales_order_line(id),
    stock_balance_id {REF} NOT NULL REFERENCES stock_balance(id),
    lot_id {REF} NOT NULL REFERENCES lot(id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    status TEXT NOT NULL CHECK (status IN ('allocated', 'shipped')),
    created_at {TS} NOT NULL
)
;;
CREATE TABLE shipment (
    id {ID},
    shipment_number TEXT NOT NULL UNIQUE,
    order_id {REF} NOT NULL REFERENCES sales_order(id),
    ship_to_id {REF} NOT NULL REFERENCES ship_to(id),
    shipped_by TEXT NOT NULL,
    shipped_at {TS} NOT NULL
)
;;
CREATE TABLE shipment_line (
    id {ID},
    shipment_id {REF} NOT NULL REFERENCES shipment(id),
    order_line_id {REF} NOT NULL REFERENCES sales_order_line(id),
    item_id {REF} NOT NULL REFERENCES item(id),
    lot_id {REF} NOT NULL REFERENCES lot(id),
    serial TEXT,
    quantity INTEGER NOT NULL,
    udi TEXT NOT NULL
)
;;
CREATE TABLE invoice (
    id {ID},
    invoice_number TEXT NOT NULL UNIQUE,
    customer_id {REF} NOT NULL REFERENCES customer(id),
    order_id {REF} NOT NULL UNIQUE REFERENCES sales_order(id),
    period TEXT NOT NULL,
    invoice_date {DATE} NOT NULL,
    due_date {DATE} NOT NULL,
    total_amount {MONEY} NOT NULL,
    amount_paid {MONEY} NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('open', 'paid'))
)
;;
CREATE TABLE invoice_line (
    id {ID},
    invoice_id {REF} NOT NULL REFERENCES invoice(id),
    order_line_id {REF} NOT NULL REFERENCES sales_order_line(id),
    item_id {REF} NOT NULL REFERENCES item(id),
    quantity INTEGER NOT NULL,
    unit_price {MONEY} NOT NULL,
    amount {MONEY} NOT NULL
)
;;
CREATE TABLE payment (
    id {ID},
    payment_number TEXT NOT NULL UNIQUE,
    customer_id {REF} NOT NULL REFERENCES customer(id),
    amount {MONEY} NOT NULL,
    unapplied_amount {MONEY} NOT NULL,
    reference TEXT,
    payment_date {DATE} NOT NULL,
    created_by TEXT NOT NULL,
    created_at {TS} NOT NULL
)
;;
CREATE TABLE payment_application (
    id {ID},
    payment_id {REF} NOT NULL REFERENCES payment(id),
    invoice_id {REF} NOT NULL REFERENCES invoice(id),
    amount {MONEY} NOT NULL,
    applied_at {TS} NOT NULL
)
;;
-- ---------------------------------------------------------------- finance
CREATE TABLE journal_entry (
    id {ID},
    period TEXT NOT NULL,
    entry_date {DATE} NOT NULL,
    source TEXT NOT NULL,
    source_id {REF},
    description TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at {TS} NOT NULL
)
;;
CREATE TABLE journal_line (
    id {ID},
    entry_id {REF} NOT NULL REFERENCES journal_entry(id),
    account_id {REF} NOT NULL REFERENCES gl_account(id),
    debit {MONEY} NOT NULL DEFAULT 0,
    credit {MONEY} NOT NULL DEFAULT 0
)
;;
CREATE TABLE revenue_schedule (
    id {ID},
    invoice_line_id {REF} NOT NULL REFERENCES invoice_line(id),
    period TEXT NOT NULL,
    amount {MONEY} NOT NULL,
    recognized SMALLINT NOT NULL DEFAULT 0
)
;;
CREATE TABLE period_close_run (
    id {ID},
    period TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    run_by TEXT NOT NULL,
    started_at {TS} NOT NULL,
    finished_at {TS} NOT NULL,
    entries INTEGER NOT NULL,
    debit_total {MONEY} NOT NULL,
    credit_total {MONEY} NOT NULL
)
;;
-- ---------------------------------------------------------------- compliance and service state
CREATE TABLE audit_log (
    id {ID},
    table_name TEXT NOT NULL,
    record_key TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    field TEXT,
    old_value TEXT,
    new_value TEXT,
    reason TEXT,
    changed_by TEXT NOT NULL,
    changed_at {TS} NOT NULL
)
;;
CREATE TABLE e_signature (
    id {ID},
    username TEXT NOT NULL,
    record_table TEXT NOT NULL,
    record_key TEXT NOT NULL,
    meaning TEXT NOT NULL,
    reason TEXT,
    signed_at {TS} NOT NULL
)
;;
CREATE TABLE idempotency_key (
    id {ID},
    idem_key TEXT NOT NULL UNIQUE,
    username TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    order_id {REF} NOT NULL REFERENCES sales_order(id),
    created_at {TS} NOT NULL
)
;;
CREATE TABLE item_demand (
    item_id {REF} PRIMARY KEY REFERENCES item(id),
    order_count INTEGER NOT NULL,
    ordered_qty INTEGER NOT NULL,
    last_order_at {TS} NOT NULL
)
;;
CREATE TABLE order_document (
    id {ID},
    order_id {REF} NOT NULL REFERENCES sales_order(id),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at {TS} NOT NULL
)
