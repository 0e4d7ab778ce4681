-- Two-factor authentication with TOTP (RFC 6238): the shared secret in base32 while it is on,
-- and the last time step accepted, so that one code signs in only once.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

-- Single-use recovery codes for a lost authenticator, as SHA-256 of the code.
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at INTEGER
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id, code_hash);
