-- An agency's queue lists its reports newest first (`WHERE agency_code = $1 AND id < $2 ORDER BY
-- id DESC`). `reports_agency` puts `status` between the two columns, so that list had to read and
-- sort every report of the agency.

CREATE INDEX reports_agency_queue ON reports (agency_code, id);
