-- Routing rules: reports of a category filed in one district go to another agency than the
-- category's own. Filing copies the rule's agency into `reports.filed_agency_code`, so adding
-- or removing a rule changes only reports filed afterwards. Each change is versioned in
-- `catalog_versions` as `routing:CATEGORY:DISTRICT`.
CREATE TABLE routing_rules (
    category_code TEXT NOT NULL REFERENCES categories (code),
    -- The district's 8-digit OKTMO code, as in the geo crate's district list.
    district_code TEXT NOT NULL,
    agency_code TEXT NOT NULL REFERENCES agencies (code),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (category_code, district_code)
);

-- Whether dispatching a report to the agency posts it to the agency's webhook destinations. An
-- administrator turns it off while the agency's system cannot take reports; dispatch then
-- writes no webhook deliveries and the agency works the report in its queue only.
ALTER TABLE agencies ADD COLUMN webhook_dispatch BOOLEAN NOT NULL DEFAULT TRUE;
