-- Keys of Open311 clients. Each key files reports on behalf of its client account, a resident
-- account created together with the key. Only the key's SHA-256 (lowercase hex) is stored.

CREATE TABLE api_keys (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- The public Open311 lists select reports by filing time and status changes by their time.
CREATE INDEX reports_created ON reports (created_at, id);
CREATE INDEX report_events_created ON report_events (created_at, id);
