-- Schema 7: key labels and expiry, and the addresses a tenant's callers may come from
-- (interface.md §2 `key issue --label --expires`, `tenant add/set --allow-ips`).
-- api_keys.expires_at: ms since epoch at which the key stops working; NULL = never. The relay
-- compares it with its clock on every request, so no change is needed when it comes.
-- tenants.allow_ips: comma-separated CIDR blocks in canonical form; NULL = every address.
-- No comment may follow a column here: SQLite keeps the statement's text in the schema.
ALTER TABLE api_keys ADD COLUMN label TEXT
;
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER
;
ALTER TABLE tenants ADD COLUMN allow_ips TEXT
