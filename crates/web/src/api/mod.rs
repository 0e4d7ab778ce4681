//! The JSON API under `/api/v1`, for mobile apps and agency systems. Its contract is the OpenAPI
//! document served at `/api/v1/openapi.json`.

mod categories;
mod dashboard;
mod extract;
mod geo;

pub use geo::{DUPLICATE_WINDOW, NearbyReport, possible_duplicates};
pub(crate) mod public;
mod notifications;
mod open_data;
pub(crate) mod reports;
mod session;

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::state::AppState;

/// The OpenAPI 3.1 document, kept by hand beside the handlers it describes.
const OPENAPI_DOCUMENT: &str = include_str!("../../openapi.json");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/session", post(session::create).delete(session::delete))
        .route("/categories", get(categories::list))
        .route("/reports", get(reports::list).post(reports::create))
        .route("/reports/nearby", get(geo::nearby))
        .route("/reports/{number}", get(reports::show))
        .route("/geocode/search", get(geo::search))
        .route("/geocode/reverse", get(geo::reverse))
        .route("/reports/{number}/transitions", post(reports::transition))
        .route("/reports/{number}/rating", post(reports::rate))
        .route("/reports/{number}/followers", post(reports::follow))
        .route("/reports/{number}/thumbnail", get(crate::files::duplicate_thumbnail_for_api))
        .route("/reports/{number}/files/{file_id}", get(crate::files::download_for_api))
        .route("/reports/{number}/files/{file_id}/{variant}", get(crate::files::derived_for_api))
        .route("/notifications", get(notifications::list))
        .route("/dashboard", get(dashboard::show))
        .route("/public/reports", get(public::reports))
        .route("/open-data/reports", get(open_data::reports))
        .fallback(|| async { crate::error::ApiError::not_found() })
}

async fn openapi() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], OPENAPI_DOCUMENT)
}
