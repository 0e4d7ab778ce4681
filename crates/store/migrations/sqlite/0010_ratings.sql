-- The author's rating of a resolved report: one per report, replaced when the author changes it.
CREATE TABLE report_ratings (
    report_id INTEGER PRIMARY KEY REFERENCES reports (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
