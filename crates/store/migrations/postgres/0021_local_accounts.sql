-- Local accounts may sign in with a mobile phone instead of an e-mail address, so `email`
-- becomes optional and `phone` (+7XXXXXXXXXX, unique when set) is added.
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
ALTER TABLE users ADD COLUMN phone TEXT UNIQUE;
ALTER TABLE users ADD CONSTRAINT users_email_or_phone CHECK (email IS NOT NULL OR phone IS NOT NULL);

-- One-time codes that confirm a contact or reset a password. Only a salted SHA-256 of the code
-- is kept; a code is used at most once and counts its wrong attempts.
CREATE TABLE account_codes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    used_at BIGINT
);
CREATE INDEX account_codes_user ON account_codes (user_id, purpose, id);
