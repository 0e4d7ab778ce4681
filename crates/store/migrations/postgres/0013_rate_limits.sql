-- Fixed-window counters of rate limits, shared by every node: one row per limited key (such as
-- failed sign-ins of one account), with the start of its current window in milliseconds.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
