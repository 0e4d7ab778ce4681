-- Delivery of notifications outside the cabinet. Every notification row gets one delivery row
-- per enabled channel in the transaction that writes it (the outbox); a worker sends them.

-- Channels this installation can deliver through, such as 'email'. The service rewrites the
-- list at start from its configuration.
CREATE TABLE delivery_channels (
    code TEXT PRIMARY KEY
);

-- How a person wants a channel: 'immediate' (the default when no row exists), 'digest' (one
-- message a day) or 'off'.
CREATE TABLE notification_preferences (
    user_id INTEGER NOT NULL REFERENCES users (id),
    channel TEXT NOT NULL,
    mode TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, channel)
);

-- state: 'pending' until sent, then 'sent'; 'failed' after the last attempt failed.
-- digest = 1 rows wait until next_attempt_at, the next digest time, and go out together.
-- locked_until: a worker that claimed the row owns it until then.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    notification_id INTEGER NOT NULL REFERENCES notifications (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    digest INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    locked_until INTEGER,
    last_error TEXT,
    unsubscribe_token TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    UNIQUE (notification_id, channel)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at, id);
