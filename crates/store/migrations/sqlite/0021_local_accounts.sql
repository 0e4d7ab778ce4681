-- no-transaction
-- Local accounts may sign in with a mobile phone instead of an e-mail address, so `email`
-- becomes optional and `phone` (+7XXXXXXXXXX, unique when set) is added. SQLite cannot drop a
-- NOT NULL constraint, so the table is rebuilt as its documented procedure says: with foreign
-- keys off (outside any transaction), then the rebuild in one transaction. `SELECT *` fails if
-- another migration added a column this rebuild does not know, instead of dropping it silently.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_rebuilt (
    id INTEGER PRIMARY KEY,
    email TEXT UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    agency_code TEXT REFERENCES agencies (code),
    confirmed INTEGER NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    district_code TEXT,
    supervisor INTEGER NOT NULL DEFAULT 0,
    phone TEXT UNIQUE,
    CHECK (email IS NOT NULL OR phone IS NOT NULL)
);
INSERT INTO users_rebuilt SELECT *, NULL FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;

-- One-time codes that confirm a contact or reset a password. Only a salted SHA-256 of the code
-- is kept; a code is used at most once and counts its wrong attempts.
CREATE TABLE account_codes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    used_at INTEGER
);
CREATE INDEX account_codes_user ON account_codes (user_id, purpose, id);
COMMIT;
PRAGMA foreign_keys = ON;
