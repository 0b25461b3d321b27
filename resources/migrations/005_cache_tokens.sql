-- Schema 5: Anthropic's prompt-cache tokens are metered as their own counts (they are also in
-- prompt_tokens) and priced at the model's cache prices (USD per million cache-read and
-- cache-write tokens); a price without them uses 0.1× (read) and 1.25× (write) its input price.
-- No comment may follow a column here: SQLite appends the column's text to the stored CREATE
-- TABLE, where a trailing comment would swallow its closing parenthesis.
ALTER TABLE usage ADD COLUMN cache_read_tokens INTEGER NOT NULL DEFAULT 0
;
ALTER TABLE usage ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0
;
ALTER TABLE prices ADD COLUMN cache_read REAL
;
ALTER TABLE prices ADD COLUMN cache_write REAL
;
