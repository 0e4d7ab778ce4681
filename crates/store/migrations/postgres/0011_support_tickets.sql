-- Questions sent through the support form, queued for moderators until one of them closes it.
CREATE TABLE support_tickets (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    topic TEXT NOT NULL,
    report_number TEXT,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    closed_at BIGINT,
    closed_by BIGINT REFERENCES users (id)
);
CREATE INDEX support_tickets_open ON support_tickets (closed_at, id);
