use axum::Json;
use axum::extract::State;
use pomoshnik_store::NotificationFilter;
use serde::Serialize;

use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::NotificationView;

const PAGE_SIZE: i64 = 100;

#[derive(Serialize)]
pub struct NotificationList {
    notifications: Vec<NotificationView>,
    unread: i64,
}

pub async fn list(State(state): State<AppState>, ApiUser(signed): ApiUser) -> Result<Json<NotificationList>, ApiError> {
    let notifications = state.store.notifications(&NotificationFilter::latest(signed.user.id, PAGE_SIZE)).await?;
    let unread = state.store.unread_notifications(signed.user.id).await?;
    Ok(Json(NotificationList { notifications: notifications.iter().map(NotificationView::new).collect(), unread }))
}
