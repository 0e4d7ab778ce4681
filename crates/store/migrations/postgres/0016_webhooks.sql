-- Dispatch of reports to agency systems by webhook (docs/WEBHOOKS.md). Each status change that
-- puts a report into `dispatched` gets one row per destination of its agency, written in the
-- transaction of the change (the outbox); the worker posts them.

-- Destinations this installation posts to, with the agency each serves. The service rewrites
-- the list at start from its configuration; URLs and secrets stay in the configuration.
CREATE TABLE webhook_destinations (
    name TEXT PRIMARY KEY,
    agency_code TEXT NOT NULL
);

-- state: 'pending' until the destination answered 2xx, then 'sent'; 'failed' after the last
-- attempt failed. payload is the exact JSON body, the same on every attempt.
-- locked_until: a worker that claimed the row owns it until then.
CREATE TABLE webhook_deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES reports (id),
    event_id BIGINT NOT NULL REFERENCES report_events (id),
    destination TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    UNIQUE (event_id, destination)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at, id);
CREATE INDEX webhook_deliveries_report ON webhook_deliveries (report_id, id);
