-- Accounts at external OpenID Connect providers (Госуслуги, mos.ru, Сбер ID) linked to users.
-- `provider` is the provider's code from the configuration file and `subject` the ID token's
-- `sub`, which the provider keeps stable for one person. A person signed in through a provider
-- for the first time gets a new resident account whose e-mail is an undeliverable placeholder:
-- the provider's e-mail claim is not stored, so it cannot collide with, or take over, a local
-- account that has the same address.
CREATE TABLE identities (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (provider, subject),
    -- One account of each provider per user, so the account page lists at most one per button.
    UNIQUE (user_id, provider)
);

-- Sign-ins started at a provider and not yet returned: the state parameter's SHA-256 finds the
-- nonce and PKCE verifier of the request. Rows are deleted when used or once expired.
CREATE TABLE pending_sign_ins (
    state_hash TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    return_path TEXT NOT NULL,
    -- Set when a signed-in user links another provider instead of signing in.
    link_user_id INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX pending_sign_ins_expiry ON pending_sign_ins (expires_at);
