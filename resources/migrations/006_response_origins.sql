-- Schema 6: which upstream created each Responses API response, per tenant, so that a request
-- with previous_response_id stays on that upstream across relay restarts (interface.md §3).
-- The usage writer adds the rows in its batches and deletes those older than 30 days in its
-- retention pass; the relay loads the last 30 days when it starts. Response ids over 200 bytes
-- are never stored.
-- No comment may follow a column here: SQLite keeps the statement's text in the schema.
CREATE TABLE response_origins (
    tenant_id TEXT NOT NULL,
    response_id TEXT NOT NULL,
    upstream TEXT NOT NULL,
    ts INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, response_id)
)
;
CREATE INDEX response_origins_ts ON response_origins (ts)
;
