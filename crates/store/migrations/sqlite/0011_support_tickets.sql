-- Questions sent through the support form, queued for moderators until one of them closes it.
CREATE TABLE support_tickets (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    topic TEXT NOT NULL,
    report_number TEXT,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    closed_at INTEGER,
    closed_by INTEGER REFERENCES users (id)
);
CREATE INDEX support_tickets_open ON support_tickets (closed_at, id);
