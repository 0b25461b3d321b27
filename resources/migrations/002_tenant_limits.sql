-- TenantRelay schema, version 2: tenant tiers and limits (interface.md §4 "Limits").
-- NULL = no limit (rpm, tpm, concurrency) or the tier's default (reserved, queue_timeout_ms).
ALTER TABLE tenants ADD COLUMN tier TEXT NOT NULL DEFAULT 'best-effort'
;
ALTER TABLE tenants ADD COLUMN rpm INTEGER
;
ALTER TABLE tenants ADD COLUMN tpm INTEGER
;
ALTER TABLE tenants ADD COLUMN concurrency INTEGER
;
ALTER TABLE tenants ADD COLUMN reserved INTEGER
;
ALTER TABLE tenants ADD COLUMN weight INTEGER NOT NULL DEFAULT 1
;
ALTER TABLE tenants ADD COLUMN queue_timeout_ms INTEGER
