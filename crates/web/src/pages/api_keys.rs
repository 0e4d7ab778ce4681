//! API-key administration for administrators: the list of keys, issuing a key (shown once) and
//! revoking one. It uses the same store methods as `pomoshnik api-key`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use pomoshnik_core::role::Role;
use pomoshnik_store::StoreError;
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::auth::{PageUser, Signed};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::open311::clients::{self, ClientError};
use crate::state::AppState;
use crate::views::moscow_time;

#[derive(Template)]
#[template(path = "admin_api_keys.html")]
struct ApiKeysPage {
    layout: Layout,
    t: Tr,
    keys: Vec<KeyView>,
    /// Agencies offered in the form, as code and name.
    agencies: Vec<(String, String)>,
    /// The key just issued, shown only in the response to the form.
    issued: Option<String>,
    error: Option<String>,
    /// Values of the form, kept after a rejected submission.
    name: String,
    agency: String,
}

struct KeyView {
    name: String,
    agency: String,
    created_text: String,
    revoked_text: Option<String>,
}

#[derive(Deserialize)]
pub struct CreateForm {
    csrf_token: Option<String>,
    #[serde(default)]
    name: String,
    /// Agency code; empty for an Open311 client.
    #[serde(default)]
    agency: String,
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf_token: Option<String>,
}

/// The page with an optional issued key, error and form values.
async fn page(state: &AppState, signed: &Signed, issued: Option<String>, error: Option<String>, name: String, agency: String) -> Response {
    let (keys, catalog) = match (state.store.list_api_keys().await, state.store.catalog().await) {
        (Ok(keys), Ok(catalog)) => (keys, catalog),
        (Err(error), _) | (_, Err(error)) => return error_page(error.into()),
    };
    let mut views = Vec::with_capacity(keys.len());
    for key in keys {
        let account_agency = match state.store.user(key.user_id).await {
            Ok(account) => account.and_then(|account| account.agency),
            Err(error) => return error_page(error.into()),
        };
        let agency_text = match account_agency {
            Some(code) => catalog.agency(&code).map(|agency| agency.short_name.clone()).unwrap_or(code),
            None => Tr.t("apikeys-open311-client"),
        };
        views.push(KeyView {
            name: key.name,
            agency: agency_text,
            created_text: moscow_time(key.created_at),
            revoked_text: key.revoked_at.map(moscow_time),
        });
    }
    let agencies = catalog.agencies.iter().map(|agency| (agency.code.clone(), agency.short_name.clone())).collect();
    let layout = Layout::for_user(state, signed, Tr.t("apikeys-title")).await;
    render(&ApiKeysPage { layout, t: Tr, keys: views, agencies, issued, error, name, agency })
}

/// `GET /admin/api-keys`: the keys, for administrators.
pub async fn list(State(state): State<AppState>, PageUser(signed): PageUser) -> Response {
    if signed.user.role != Role::Admin {
        return error_page(ApiError::not_found());
    }
    page(&state, &signed, None, None, String::new(), String::new()).await
}

/// `POST /admin/api-keys`: issues a key and shows it once. A rejected form is shown again with
/// its values and the reason.
pub async fn create(State(state): State<AppState>, PageUser(signed): PageUser, Form(form): Form<CreateForm>) -> Response {
    if signed.user.role != Role::Admin {
        return error_page(ApiError::not_found());
    }
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    let name = form.name.trim().to_owned();
    let agency = form.agency.trim().to_owned();
    let issued = if agency.is_empty() {
        clients::create_client(state.store.as_ref(), &name).await
    } else {
        match state.store.catalog().await {
            Ok(catalog) if catalog.agency(&agency).is_none() => {
                return page(&state, &signed, None, Some(Tr.t("apikeys-agency-unknown")), name, agency).await;
            }
            Ok(_) => clients::create_agency_key(state.store.as_ref(), &name, &agency).await,
            Err(error) => return error_page(error.into()),
        }
    };
    match issued {
        Ok(issued) => {
            let object = format!("api_key:{}", issued.api_key.id);
            if let Err(error) = crate::audit::record(state.store.as_ref(), Some(signed.user.id), "api_key.create", object, "").await {
                tracing::warn!(%error, api_key.id = issued.api_key.id, "could not record the key's creation in the audit log");
            }
            page(&state, &signed, Some(issued.key), None, String::new(), String::new()).await
        }
        Err(ClientError::InvalidName(_)) => {
            let message = Tr.t_with("apikeys-name-invalid", &[("max", (clients::MAX_CLIENT_NAME_CHARS as i64).into())]);
            page(&state, &signed, None, Some(message), name, agency).await
        }
        Err(ClientError::NameTaken(_)) => page(&state, &signed, None, Some(Tr.t("apikeys-name-taken")), name, agency).await,
        Err(ClientError::Store(error)) => error_page(error.into()),
    }
}

/// `POST /admin/api-keys/{name}/revoke`: revokes a key. Its account and reports stay.
pub async fn revoke(State(state): State<AppState>, PageUser(signed): PageUser, Path(name): Path<String>, Form(form): Form<RevokeForm>) -> Response {
    if signed.user.role != Role::Admin {
        return error_page(ApiError::not_found());
    }
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    match state.store.revoke_api_key(&name, Utc::now()).await {
        Ok(key) => {
            tracing::info!(api_key.id = key.id, admin_id = signed.user.id, "API key revoked");
            if let Err(error) = crate::audit::record(state.store.as_ref(), Some(signed.user.id), "api_key.revoke", format!("api_key:{}", key.id), "").await {
                tracing::warn!(%error, api_key.id = key.id, "could not record the revocation in the audit log");
            }
            Redirect::to("/admin/api-keys").into_response()
        }
        Err(StoreError::NotFound) => error_page(ApiError::not_found()),
        Err(error) => error_page(error.into()),
    }
}
