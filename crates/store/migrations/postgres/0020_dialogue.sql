-- The dialogue on a report between its author and the staff who handle it, the files attached
-- to its messages, notifications about messages and escalations of overdue reports.

-- kind: 'message', 'question' (the author asks about a report that has not moved), 'answer' (the
-- author answers an information request) or 'reopen' (materials sent with «Вопрос не решён»).
CREATE TABLE report_messages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES reports (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    author_role TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX report_messages_report ON report_messages (report_id, id);

-- A file of a message also carries the report's id; files of messages are not evidence.
ALTER TABLE files ADD COLUMN message_id BIGINT REFERENCES report_messages (id);

-- NULL kind: a status change (event_id). 'message': a message (message_id), event_id then names
-- the report's latest event. 'escalation': the report is overdue, sent to a supervisor.
ALTER TABLE notifications ADD COLUMN kind TEXT;
ALTER TABLE notifications ADD COLUMN message_id BIGINT REFERENCES report_messages (id);

-- Each supervisor is told of an overdue report once.
CREATE TABLE report_escalations (
    report_id BIGINT NOT NULL REFERENCES reports (id),
    supervisor_id BIGINT NOT NULL REFERENCES users (id),
    escalated_at BIGINT NOT NULL,
    PRIMARY KEY (report_id, supervisor_id)
);
