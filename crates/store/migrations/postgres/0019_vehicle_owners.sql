-- Owner lookups in the vehicle registry for reports with a plate. Each row is queued when the
-- report is filed and completed by the worker, so a registry that is down or slow never holds up
-- the filing. The owner found is personal data: only executors of the report's agency read it.

-- state: 'pending' until the registry answered, then 'sent' (done, with or without an owner);
-- 'failed' after the last attempt failed. found = 1 when the registry knew the plate.
-- locked_until: a worker that claimed the row owns it until then.
CREATE TABLE vehicle_owner_lookups (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id BIGINT NOT NULL UNIQUE REFERENCES reports (id),
    plate TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT,
    last_error TEXT,
    found BIGINT,
    owner_name TEXT,
    vehicle TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX vehicle_owner_lookups_due ON vehicle_owner_lookups (state, next_attempt_at, id);
