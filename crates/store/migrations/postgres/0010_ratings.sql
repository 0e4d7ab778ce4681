-- The author's rating of a resolved report: one per report, replaced when the author changes it.
CREATE TABLE report_ratings (
    report_id BIGINT PRIMARY KEY REFERENCES reports (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    score BIGINT NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
