-- TenantRelay schema, version 1. Statements are separated by lines holding only ";".
CREATE TABLE config_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
)
;
INSERT INTO config_state (id, version) VALUES (1, 1)
;
CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    models TEXT,                          -- JSON array, NULL = all models
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
)
;
CREATE TABLE api_keys (
    hash TEXT PRIMARY KEY,                -- hex SHA-256 of the whole key
    prefix TEXT NOT NULL,                 -- first 12 characters
    tenant_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used INTEGER,
    revoked INTEGER NOT NULL DEFAULT 0
)
;
CREATE INDEX api_keys_prefix ON api_keys (prefix)
;
CREATE INDEX api_keys_tenant ON api_keys (tenant_id)
;
CREATE TABLE upstreams (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL DEFAULT 'openai',
    base_url TEXT NOT NULL,
    api_key_env TEXT,
    api_key TEXT,
    max_connections INTEGER NOT NULL DEFAULT 8,
    timeout_ms INTEGER NOT NULL DEFAULT 60000,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
)
;
CREATE TABLE routes (
    model TEXT PRIMARY KEY,
    targets TEXT NOT NULL                 -- JSON array of "UPSTREAM:MODEL"
)
;
CREATE TABLE aliases (
    alias TEXT PRIMARY KEY,
    model TEXT NOT NULL
)
;
CREATE TABLE prices (
    model TEXT PRIMARY KEY,
    input REAL NOT NULL,                  -- USD per million prompt tokens
    output REAL NOT NULL                  -- USD per million completion tokens
)
;
CREATE TABLE usage (
    id INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,                  -- ms since epoch, when the request finished
    request_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    key_prefix TEXT NOT NULL,
    outcome TEXT NOT NULL,                -- served | rejected
    endpoint TEXT NOT NULL,
    requested_model TEXT,
    served_model TEXT,
    upstream TEXT,
    status INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    priced INTEGER NOT NULL DEFAULT 0,
    latency_ms INTEGER NOT NULL DEFAULT 0,
    ttfb_ms INTEGER,
    streamed INTEGER NOT NULL DEFAULT 0,
    estimated INTEGER NOT NULL DEFAULT 0,
    error TEXT
)
;
CREATE INDEX usage_tenant_ts ON usage (tenant_id, ts)
;
CREATE INDEX usage_ts ON usage (ts)
;
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    tenant_id TEXT,
    details TEXT NOT NULL                 -- JSON {"before":..., "after":...}
)
;
CREATE INDEX audit_tenant ON audit (tenant_id, ts)
;
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
