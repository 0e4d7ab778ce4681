-- What people did that the city's operations team must be able to trace: sign-ins, role and
-- catalog changes, staff actions. Rows are only ever appended.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    -- Who acted; NULL for the service itself or a person not signed in.
    actor_id INTEGER REFERENCES users (id),
    -- What happened, as a dotted code such as `sign_in.success` or `category.update`.
    action TEXT NOT NULL,
    -- What it happened to, such as `user:42` or `category:parking`.
    object TEXT NOT NULL,
    -- Free detail without personal data, shown to administrators as is.
    details TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
