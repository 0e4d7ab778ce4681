-- The public map keeps its points in memory and asks only for reports changed since its last look
-- (`WHERE updated_at >= $1`); without this index every look would read the whole table.

CREATE INDEX reports_updated ON reports (updated_at);
