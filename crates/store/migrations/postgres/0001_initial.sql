-- Times are UTC milliseconds since the Unix epoch in BIGINT columns, the same representation as
-- on PostgreSQL, so both backends return identical values.

CREATE TABLE category_groups (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    position BIGINT NOT NULL
);

CREATE TABLE agencies (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    position BIGINT NOT NULL
);

CREATE TABLE categories (
    code TEXT PRIMARY KEY,
    group_code TEXT NOT NULL REFERENCES category_groups (code),
    agency_code TEXT NOT NULL REFERENCES agencies (code),
    position BIGINT NOT NULL,
    definition TEXT NOT NULL
);

CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    agency_code TEXT REFERENCES agencies (code),
    confirmed BOOLEAN NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE report_counters (
    year BIGINT PRIMARY KEY,
    last_sequence BIGINT NOT NULL
);

CREATE TABLE reports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    year BIGINT NOT NULL,
    sequence BIGINT NOT NULL,
    author_id BIGINT NOT NULL REFERENCES users (id),
    idempotency_key TEXT,
    category_code TEXT NOT NULL REFERENCES categories (code),
    category_name TEXT NOT NULL,
    deadline_working_days BIGINT NOT NULL,
    agency_code TEXT REFERENCES agencies (code),
    status TEXT NOT NULL,
    status_before_info_request TEXT,
    decision TEXT,
    rejection_reason TEXT,
    latitude DOUBLE PRECISION NOT NULL,
    longitude DOUBLE PRECISION NOT NULL,
    address TEXT,
    occurred_at BIGINT NOT NULL,
    description TEXT NOT NULL,
    fields TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    dispatched_at BIGINT,
    resolved_at BIGINT,
    deadline_at BIGINT,
    version BIGINT NOT NULL,
    UNIQUE (year, sequence),
    UNIQUE (author_id, idempotency_key)
);
CREATE INDEX reports_author ON reports (author_id, id);
CREATE INDEX reports_agency ON reports (agency_code, status, id);
CREATE INDEX reports_status ON reports (status, id);

CREATE TABLE report_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES reports (id),
    actor_id BIGINT REFERENCES users (id),
    actor_role TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    comment TEXT,
    decision TEXT,
    rejection_reason TEXT,
    agency_code TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX report_events_report ON report_events (report_id, id);

CREATE TABLE files (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES users (id),
    report_id BIGINT REFERENCES reports (id),
    storage_key TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    kind TEXT NOT NULL,
    original_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX files_report ON files (report_id);
CREATE INDEX files_owner_pending ON files (owner_id, report_id);
CREATE INDEX files_sha256 ON files (sha256);

CREATE TABLE notifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    report_id BIGINT NOT NULL REFERENCES reports (id),
    event_id BIGINT NOT NULL REFERENCES report_events (id),
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
