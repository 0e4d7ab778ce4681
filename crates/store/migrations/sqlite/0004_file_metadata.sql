-- What the service read from a photo or video: its GPS position and capture time (UTC
-- milliseconds), and whether metadata-free preview copies exist.

ALTER TABLE files ADD COLUMN gps_latitude REAL;
ALTER TABLE files ADD COLUMN gps_longitude REAL;
ALTER TABLE files ADD COLUMN taken_at INTEGER;
ALTER TABLE files ADD COLUMN has_preview INTEGER NOT NULL DEFAULT 0;
