//! `GET /api/v1/dashboard`: the figures of `/admin/dashboard` as JSON, for the same people.

use axum::Json;
use axum::extract::{Query, State};
use chrono::Utc;

use crate::auth::ApiUser;
use crate::dashboard::{self, Dashboard, DashboardQuery};
use crate::error::ApiError;
use crate::state::AppState;

pub async fn show(State(state): State<AppState>, ApiUser(signed): ApiUser, Query(query): Query<DashboardQuery>) -> Result<Json<Dashboard>, ApiError> {
    let access = dashboard::access_of(&signed.user)?;
    let catalog = state.store.catalog().await?;
    let now = Utc::now();
    let period = dashboard::period_of(&query, dashboard::moscow_today(now))?;
    let agency = dashboard::agency_of(&access, &query, &catalog)?;
    Ok(Json(dashboard::load(&state, &catalog, period, agency, now).await?))
}
