-- The agency of the report's category at filing. Dispatch assigns it by default, so a later
-- change of the category's agency does not move reports already filed. NULL for reports filed
-- before this column existed; their dispatch uses the category's current agency.
ALTER TABLE reports ADD COLUMN filed_agency_code TEXT;
