-- Production calendar years imported by an administrator (`pomoshnik calendar import`). At start
-- every node lays them over the years embedded in the binary, replacing a year given in both.
CREATE TABLE calendar_years (
    year INTEGER PRIMARY KEY,
    -- The imported XML document, in the format of crates/core/data/calendar.
    document TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);
