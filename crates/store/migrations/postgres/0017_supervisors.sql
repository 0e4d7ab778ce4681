-- An agency's supervisor is one of its executors with this flag: they work the agency's reports
-- like any executor, receive the escalations of overdue reports and read the agency's figures.
ALTER TABLE users ADD COLUMN supervisor BOOLEAN NOT NULL DEFAULT FALSE;
