use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::extract::ApiJson;
use crate::auth::{self, ApiUser};
use crate::error::ApiError;
use crate::limits::ClientAddress;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct Credentials {
    login: String,
    password: String,
}

#[derive(Serialize)]
pub struct SessionCreated {
    token: String,
    user: UserInfo,
}

#[derive(Serialize)]
struct UserInfo {
    id: i64,
    role: &'static str,
    agency: Option<String>,
}

pub async fn create(State(state): State<AppState>, ClientAddress(address): ClientAddress, ApiJson(credentials): ApiJson<Credentials>) -> Result<Json<SessionCreated>, ApiError> {
    let (user, token) = auth::sign_in(&state, &credentials.login, &credentials.password, address).await?;
    let user = UserInfo { id: user.id, role: user.role.code(), agency: user.agency };
    Ok(Json(SessionCreated { token, user }))
}

pub async fn delete(State(state): State<AppState>, ApiUser(signed): ApiUser) -> Result<axum::http::StatusCode, ApiError> {
    state.store.delete_session(&signed.session.token_hash).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
