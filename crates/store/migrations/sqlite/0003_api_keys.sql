-- Keys of Open311 clients. Each key files reports on behalf of its client account, a resident
-- account created together with the key. Only the key's SHA-256 (lowercase hex) is stored.

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- The public Open311 lists select reports by filing time and status changes by their time.
CREATE INDEX reports_created ON reports (created_at, id);
CREATE INDEX report_events_created ON report_events (created_at, id);
