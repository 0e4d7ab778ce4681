-- Account recovery for people who lost the phone or e-mail they registered with: a request
-- with a passport scan that a moderator approves or refuses. `scan_key` is the storage key of
-- the scan while the request waits for review, and NULL once the scan is deleted.
CREATE TABLE recovery_requests (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    -- The contact that receives the answer: +7XXXXXXXXXX or a lowercased e-mail address.
    new_contact TEXT NOT NULL,
    full_name TEXT NOT NULL,
    scan_key TEXT,
    scan_kind TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'refused')),
    created_at INTEGER NOT NULL,
    reviewer_id INTEGER REFERENCES users (id),
    reviewed_at INTEGER,
    refusal_reason TEXT
);
CREATE INDEX recovery_requests_state ON recovery_requests (state, id);
CREATE INDEX recovery_requests_scan ON recovery_requests (scan_key);

-- Passwords issued by an approved recovery request. While a row exists the account must choose
-- a new password before it can open any other page, and the password stops working at
-- `expires_at`.
CREATE TABLE temporary_passwords (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    expires_at INTEGER NOT NULL
);
