//! The public map of problems, open to everyone. Without a tile server or without JavaScript it
//! is a list of the latest public reports.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::{Layout, error_page, render};
use crate::api::public::{Bounds, public_reports};
use crate::auth::MaybeUser;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::views::ReportView;

/// Rows in the list below the map.
const LIST_LENGTH: usize = 50;

/// Moscow with New Moscow and Zelenograd, with a margin.
const CITY_BOUNDS: Bounds = Bounds { min_lon: 36.75, min_lat: 55.10, max_lon: 37.99, max_lat: 56.03 };

#[derive(Template)]
#[template(path = "public_map.html")]
struct MapPage {
    layout: Layout,
    t: Tr,
    tile_url: Option<String>,
    reports: Vec<ReportView>,
}

pub async fn show(State(state): State<AppState>, MaybeUser(signed): MaybeUser) -> Response {
    let (reports, _) = match public_reports(&state, &CITY_BOUNDS).await {
        Ok(found) => found,
        Err(error) => return error_page(error),
    };
    let catalog = match state.store.catalog().await {
        Ok(catalog) => catalog,
        Err(error) => return error_page(error.into()),
    };
    let reports = reports.iter().take(LIST_LENGTH).map(|report| ReportView::summary(&state, report, &catalog)).collect();

    let layout = match &signed {
        Some(signed) => Layout::for_user(&state, signed, Tr.t("map-title")).await,
        None => Layout::anonymous(Tr.t("map-title")),
    };
    render(&MapPage { layout, t: Tr, tile_url: state.config.tile_url.clone(), reports })
}
