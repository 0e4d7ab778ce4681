//! Third-party front-end files compiled into the binary, so pages load nothing from other sites.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

/// Leaflet 1.9.4 from npm; see `static/vendor/leaflet/SOURCES.md`.
const LEAFLET_FILES: [(&str, &str, &[u8]); 7] = [
    ("leaflet.js", "text/javascript; charset=utf-8", include_bytes!("../../static/vendor/leaflet/leaflet.js")),
    ("leaflet.css", "text/css; charset=utf-8", include_bytes!("../../static/vendor/leaflet/leaflet.css")),
    ("images/marker-icon.png", "image/png", include_bytes!("../../static/vendor/leaflet/images/marker-icon.png")),
    ("images/marker-icon-2x.png", "image/png", include_bytes!("../../static/vendor/leaflet/images/marker-icon-2x.png")),
    ("images/marker-shadow.png", "image/png", include_bytes!("../../static/vendor/leaflet/images/marker-shadow.png")),
    ("images/layers.png", "image/png", include_bytes!("../../static/vendor/leaflet/images/layers.png")),
    ("images/layers-2x.png", "image/png", include_bytes!("../../static/vendor/leaflet/images/layers-2x.png")),
];

pub async fn leaflet(Path(file): Path<String>) -> Response {
    match LEAFLET_FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => ([(CONTENT_TYPE, *content_type), (CACHE_CONTROL, "public, max-age=86400")], *bytes).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
