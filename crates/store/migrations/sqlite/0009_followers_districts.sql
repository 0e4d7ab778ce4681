-- Residents who follow a report they did not file: they joined it from the list of possible
-- duplicates, or a moderator closed their own report as a duplicate of it. Followers see the
-- report in «Мои обращения» and get its notifications.
CREATE TABLE report_followers (
    report_id INTEGER NOT NULL REFERENCES reports (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, report_id)
);
CREATE INDEX report_followers_report ON report_followers (report_id);

-- The report this one was rejected as a duplicate of.
ALTER TABLE reports ADD COLUMN duplicate_of_id INTEGER REFERENCES reports (id);

-- Agencies with one unit per district, such as the district «Жилищник» services. An executor of
-- such an agency may be bound to one district and then sees only that district's reports.
ALTER TABLE agencies ADD COLUMN by_district INTEGER NOT NULL DEFAULT 0;
-- The Moscow catalog loaded by earlier versions has no such flag; its district agency is
-- 'zhilishchnik'. Other installations have no agency with this code and are not affected.
UPDATE agencies SET by_district = 1 WHERE code = 'zhilishchnik';
ALTER TABLE users ADD COLUMN district_code TEXT;

-- The queue of a district unit: its agency's reports in one district, newest first.
CREATE INDEX reports_agency_district_queue ON reports (agency_code, district_code, id);
