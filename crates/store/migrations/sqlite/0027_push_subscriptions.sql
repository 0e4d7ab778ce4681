-- Browsers that agreed to show this service's notifications (Web Push, RFC 8030 and 8291).
-- The endpoint is the push service's address for one browser; p256dh and auth are the browser's
-- public key and secret (base64url) that encrypt each message to it.
CREATE TABLE push_subscriptions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);
