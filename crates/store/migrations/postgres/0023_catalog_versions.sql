-- Every change of the catalog made by an administrator, with the definition as it became. The
-- `categories` table keeps only the current definition; reports copy what they depend on (name,
-- agency, deadline) at filing, so a later version never changes a filed report.
CREATE TABLE catalog_versions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- What changed, such as `category:parking_violation`.
    object TEXT NOT NULL,
    -- 1 for the first change of the object, then counting up.
    version BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_id BIGINT REFERENCES users (id),
    -- The object's definition after the change, as JSON.
    definition TEXT NOT NULL,
    UNIQUE (object, version)
);

-- The agency of the report's category at filing. Dispatch assigns it by default, so a later
-- change of the category's agency does not move reports already filed. NULL for reports filed
-- before this column existed; their dispatch uses the category's current agency.
ALTER TABLE reports ADD COLUMN filed_agency_code TEXT;
