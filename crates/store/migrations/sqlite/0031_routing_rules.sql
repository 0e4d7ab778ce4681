-- Routing rules: reports of a category filed in one district go to another agency than the
-- category's own. Filing copies the rule's agency into `reports.filed_agency_code`, so adding
-- or removing a rule changes only reports filed afterwards. Each change is versioned in
-- `catalog_versions` as `routing:CATEGORY:DISTRICT`.
CREATE TABLE routing_rules (
    category_code TEXT NOT NULL REFERENCES categories (code),
    -- The district's 8-digit OKTMO code, as in the geo crate's district list.
    district_code TEXT NOT NULL,
    agency_code TEXT NOT NULL REFERENCES agencies (code),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (category_code, district_code)
);
