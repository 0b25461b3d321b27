-- Schema 4: the request log's "errors" and "rejected by limits" filters read these indexes,
-- newest first, so a page is instant even when matching rows are rare among millions (or there
-- are none); only failed or refused requests are in them, so metering the served ones costs
-- nothing more.
CREATE INDEX usage_errors_ts ON usage (ts) WHERE status >= 400
;
CREATE INDEX usage_rejected_ts ON usage (ts) WHERE outcome = 'rejected'
;
