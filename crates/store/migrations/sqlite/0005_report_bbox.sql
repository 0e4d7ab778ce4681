-- Bounding-box queries of the public map scan a latitude range, then check longitude.

CREATE INDEX reports_position ON reports (latitude, longitude);
