-- What the service read from a photo or video: its GPS position and capture time (UTC
-- milliseconds), and whether metadata-free preview copies exist.

ALTER TABLE files ADD COLUMN gps_latitude DOUBLE PRECISION;
ALTER TABLE files ADD COLUMN gps_longitude DOUBLE PRECISION;
ALTER TABLE files ADD COLUMN taken_at BIGINT;
ALTER TABLE files ADD COLUMN has_preview BOOLEAN NOT NULL DEFAULT FALSE;
