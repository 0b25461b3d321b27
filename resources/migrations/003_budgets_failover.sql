-- TenantRelay schema, version 3: budgets and alerts (interface.md §4 "Budgets and usage"),
-- hourly usage rollups, circuit state and the manual failover switch (§4 "Failover").
-- Tenant budget: NULL = no budget. alert_thresholds: "50,80,100" (whole percents), NULL = default.
ALTER TABLE tenants ADD COLUMN budget_usd REAL
;
ALTER TABLE tenants ADD COLUMN soft_budget INTEGER NOT NULL DEFAULT 0
;
ALTER TABLE tenants ADD COLUMN alert_thresholds TEXT
;
ALTER TABLE tenants ADD COLUMN webhook_url TEXT
;
-- p95 first-byte latency above which the circuit opens; NULL = not used.
ALTER TABLE upstreams ADD COLUMN slow_ms INTEGER
;
-- The upstream `failover pin` put first in every chain; NULL = the configured chains.
ALTER TABLE config_state ADD COLUMN pinned_upstream TEXT
;
-- One row per alert raised; one per (tenant, period, kind, threshold).
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,                  -- ms since epoch, when it was raised
    tenant_id TEXT NOT NULL,
    period TEXT NOT NULL,                 -- budget period, "YYYY-MM" (UTC)
    kind TEXT NOT NULL,                   -- threshold | forecast
    threshold INTEGER NOT NULL,           -- whole percent of the budget (forecast: 100)
    spent_usd REAL NOT NULL,
    budget_usd REAL NOT NULL,
    forecast_usd REAL,                    -- kind forecast: the projected month-end spend
    acknowledged INTEGER NOT NULL DEFAULT 0,
    acknowledged_at INTEGER,
    delivery TEXT NOT NULL DEFAULT 'none', -- none | pending | delivered | failed: REASON
    UNIQUE (tenant_id, period, kind, threshold)
)
;
CREATE INDEX alerts_ts ON alerts (ts)
;
-- Hourly usage per tenant, model and upstream, kept by the usage writer in the same transaction
-- as the raw rows. model: the name priced (sent upstream, else requested); upstream '' = none.
-- latency_hist: the latency histogram's bucket counts (LatencyHistogram's layout), as a BLOB.
CREATE TABLE usage_hourly (
    hour INTEGER NOT NULL,                -- ms since epoch of the hour's start (UTC)
    tenant_id TEXT NOT NULL,
    model TEXT NOT NULL,
    upstream TEXT NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    latency_hist BLOB,
    PRIMARY KEY (hour, tenant_id, model, upstream)
)
;
CREATE INDEX usage_hourly_tenant ON usage_hourly (tenant_id, hour)
;
-- Circuit state as the running relay last recorded it (upstream list's `state`).
CREATE TABLE upstream_state (
    name TEXT PRIMARY KEY,
    state TEXT NOT NULL,                  -- closed | open | half-open
    reason TEXT NOT NULL DEFAULT '',
    changed_at INTEGER NOT NULL,
    open_until INTEGER
)
;
-- The running relay's heartbeat: `upstream list` says `unknown` when it is older than 10 s.
CREATE TABLE relay_heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    ts INTEGER NOT NULL,
    pid INTEGER,
    listen TEXT
)
