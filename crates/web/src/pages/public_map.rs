//! The public map of problems, open to everyone. Without a tile server or without JavaScript it
//! is a list of the latest public reports.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::{Layout, error_page, render};
use crate::api::public::{Bounds, newest, read_public_reports};
use crate::auth::MaybeUser;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::views::moscow_time;

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
    reports: Vec<MapRow>,
}

/// A line of the list below the map.
struct MapRow {
    created_text: String,
    category_name: String,
    district_name: Option<String>,
    status: &'static str,
    status_name: String,
}

pub async fn show(State(state): State<AppState>, MaybeUser(signed): MaybeUser) -> Response {
    let rows = read_public_reports(&state, &CITY_BOUNDS, |points| {
        let (latest, _) = newest(points, LIST_LENGTH);
        latest
            .into_iter()
            .map(|point| MapRow {
                created_text: moscow_time(point.created_at),
                category_name: point.category_name.clone(),
                district_name: point.district_name.clone(),
                status: point.status.code(),
                status_name: Tr.status(point.status),
            })
            .collect()
    });
    let reports = match rows.await {
        Ok(rows) => rows,
        Err(error) => return error_page(error),
    };

    let layout = match &signed {
        Some(signed) => Layout::for_user(&state, signed, Tr.t("map-title")).await,
        None => Layout::anonymous(Tr.t("map-title")),
    };
    render(&MapPage { layout, t: Tr, tile_url: state.config.tile_url.clone(), reports })
}
