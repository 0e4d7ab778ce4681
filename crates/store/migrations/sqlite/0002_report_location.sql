-- Where a report is: the district and okrug it lies in, and its H3 cell (resolution 10, as a
-- signed 64-bit integer) for finding open reports of the same category nearby.

ALTER TABLE reports ADD COLUMN district_code TEXT;
ALTER TABLE reports ADD COLUMN district_name TEXT;
ALTER TABLE reports ADD COLUMN okrug_code TEXT;
ALTER TABLE reports ADD COLUMN okrug_name TEXT;
ALTER TABLE reports ADD COLUMN h3_cell INTEGER;

CREATE INDEX reports_nearby ON reports (category_code, h3_cell, created_at);
