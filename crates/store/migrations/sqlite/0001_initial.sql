-- Times are UTC milliseconds since the Unix epoch in INTEGER columns, the same representation as
-- on PostgreSQL, so both backends return identical values.

CREATE TABLE category_groups (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE agencies (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE categories (
    code TEXT PRIMARY KEY,
    group_code TEXT NOT NULL REFERENCES category_groups (code),
    agency_code TEXT NOT NULL REFERENCES agencies (code),
    position INTEGER NOT NULL,
    definition TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    agency_code TEXT REFERENCES agencies (code),
    confirmed INTEGER NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE report_counters (
    year INTEGER PRIMARY KEY,
    last_sequence INTEGER NOT NULL
);

CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    year INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    author_id INTEGER NOT NULL REFERENCES users (id),
    idempotency_key TEXT,
    category_code TEXT NOT NULL REFERENCES categories (code),
    category_name TEXT NOT NULL,
    deadline_working_days INTEGER NOT NULL,
    agency_code TEXT REFERENCES agencies (code),
    status TEXT NOT NULL,
    status_before_info_request TEXT,
    decision TEXT,
    rejection_reason TEXT,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL,
    address TEXT,
    occurred_at INTEGER NOT NULL,
    description TEXT NOT NULL,
    fields TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    dispatched_at INTEGER,
    resolved_at INTEGER,
    deadline_at INTEGER,
    version INTEGER NOT NULL,
    UNIQUE (year, sequence),
    UNIQUE (author_id, idempotency_key)
);
CREATE INDEX reports_author ON reports (author_id, id);
CREATE INDEX reports_agency ON reports (agency_code, status, id);
CREATE INDEX reports_status ON reports (status, id);

CREATE TABLE report_events (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports (id),
    actor_id INTEGER REFERENCES users (id),
    actor_role TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    comment TEXT,
    decision TEXT,
    rejection_reason TEXT,
    agency_code TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX report_events_report ON report_events (report_id, id);

CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users (id),
    report_id INTEGER REFERENCES reports (id),
    storage_key TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    kind TEXT NOT NULL,
    original_name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX files_report ON files (report_id);
CREATE INDEX files_owner_pending ON files (owner_id, report_id);
CREATE INDEX files_sha256 ON files (sha256);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    report_id INTEGER NOT NULL REFERENCES reports (id),
    event_id INTEGER NOT NULL REFERENCES report_events (id),
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX notifications_user ON notifications (user_id, id);
