-- The dashboard counts the reports filed in a period (`WHERE created_at >= $1 AND created_at <
-- $2`, served by `reports_created` of 0003), for all agencies or for one, and lists the open
-- reports past their deadline (`WHERE status IN (…) AND deadline_at < $1 ORDER BY
-- deadline_at`). Without these indexes the figures of one agency and the overdue list would
-- read every report of the agency or of the open statuses.

CREATE INDEX reports_agency_created ON reports (agency_code, created_at);
CREATE INDEX reports_status_deadline ON reports (status, deadline_at);
