//! Staff administration for administrators: the list of staff accounts, creating moderators,
//! executors and administrators, changing their role, agency and district unit, and disabling
//! or enabling them. Disabling deletes the person's sessions at once, and every change is
//! written to the audit log.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use pomoshnik_core::catalog::Catalog;
use pomoshnik_core::role::Role;
use pomoshnik_store::{NewUser, StaffUpdate, StoreError, User};
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::auth::{MIN_PASSWORD_CHARS, PageUser, Signed, hash_password, normalize_email};
use crate::error::ApiError;
use crate::i18n::{Arg, Tr};
use crate::state::AppState;
use crate::views::moscow_time;

/// Roles an administrator may give; residents register themselves.
const STAFF_ROLES: [Role; 3] = [Role::Moderator, Role::Executor, Role::Admin];

#[derive(Template)]
#[template(path = "admin_staff.html")]
struct StaffPage {
    layout: Layout,
    t: Tr,
    rows: Vec<StaffRow>,
    roles: Vec<(&'static str, String)>,
    agencies: Vec<(String, String)>,
    districts: Vec<(String, String)>,
    /// The creation form, with the values typed into a refused one.
    new: StaffForm,
    create_error: Option<String>,
    notice: Option<String>,
}

struct StaffRow {
    id: i64,
    email: String,
    created_text: String,
    disabled: bool,
    is_self: bool,
    /// The stored settings, or those typed into a refused change of this row.
    form: StaffForm,
    error: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct StaffForm {
    csrf_token: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    district: String,
    /// A checkbox: present when ticked.
    supervisor: Option<String>,
}

impl StaffForm {
    fn of_user(user: &User) -> StaffForm {
        StaffForm {
            role: user.role.code().to_owned(),
            agency: user.agency.clone().unwrap_or_default(),
            district: user.district.clone().unwrap_or_default(),
            supervisor: user.supervisor.then(|| "on".to_owned()),
            ..StaffForm::default()
        }
    }

    fn is_supervisor(&self) -> bool {
        self.supervisor.is_some()
    }
}

#[derive(Deserialize)]
pub struct StaffQuery {
    done: Option<String>,
}

fn is_admin(signed: &Signed) -> bool {
    signed.user.role == Role::Admin
}

/// `GET /admin/staff`: the staff accounts and the form that creates one.
pub async fn list(State(state): State<AppState>, PageUser(signed): PageUser, Query(query): Query<StaffQuery>) -> Response {
    if !is_admin(&signed) {
        return error_page(ApiError::not_found());
    }
    let notice = query.done.filter(|code| ["created", "updated", "disabled", "enabled"].contains(&code.as_str())).map(|code| Tr.t(&format!("admin-staff-done-{code}")));
    let new = StaffForm { role: Role::Executor.code().to_owned(), ..StaffForm::default() };
    staff_page(&state, &signed, new, None, None, notice, StatusCode::OK).await
}

/// Renders the page; `row_error` re-shows one row's refused change with its message.
async fn staff_page(state: &AppState, signed: &Signed, new: StaffForm, create_error: Option<String>, row_error: Option<(i64, StaffForm, String)>, notice: Option<String>, status: StatusCode) -> Response {
    let (users, catalog) = match tokio::try_join!(state.store.staff_users(), state.store.catalog()) {
        Ok(loaded) => loaded,
        Err(error) => return error_page(error.into()),
    };
    let rows = users
        .iter()
        .map(|user| {
            let (form, error) = match &row_error {
                Some((id, form, message)) if *id == user.id => (form.clone(), Some(message.clone())),
                _ => (StaffForm::of_user(user), None),
            };
            StaffRow { id: user.id, email: user.email.clone(), created_text: moscow_time(user.created_at), disabled: user.disabled, is_self: user.id == signed.user.id, form, error }
        })
        .collect();
    let roles = STAFF_ROLES.iter().map(|role| (role.code(), Tr.t(&format!("admin-staff-role-{}", role.code())))).collect();
    let agencies = catalog.agencies.iter().map(|agency| (agency.code.clone(), agency.short_name.clone())).collect();
    let mut districts: Vec<(String, String)> = state.city.districts().map(|(district, _)| (district.code.clone(), district.name.clone())).collect();
    districts.sort_by(|left, right| left.1.cmp(&right.1));

    let layout = Layout::for_user(state, signed, Tr.t("admin-staff-title")).await;
    let mut response = render(&StaffPage { layout, t: Tr, rows, roles, agencies, districts, new, create_error, notice });
    *response.status_mut() = status;
    response
}

/// Checks the role, agency, district unit and supervisor flag of a form against the catalog and
/// the city's districts, and returns them or the Russian message saying what is wrong.
fn checked_settings(state: &AppState, catalog: &Catalog, form: &StaffForm) -> Result<StaffUpdate, String> {
    let Some(role) = Role::from_code(&form.role).filter(|role| STAFF_ROLES.contains(role)) else {
        return Err(Tr.t("admin-staff-error-role"));
    };
    let agency = Some(form.agency.trim().to_owned()).filter(|code| !code.is_empty());
    let district = Some(form.district.trim().to_owned()).filter(|code| !code.is_empty());
    if role != Role::Executor {
        if agency.is_some() || district.is_some() || form.is_supervisor() {
            return Err(Tr.t("admin-staff-error-not-executor"));
        }
        return Ok(StaffUpdate { role, agency: None, district: None, supervisor: false });
    }

    let Some(agency_code) = agency else {
        return Err(Tr.t("admin-staff-error-agency-missing"));
    };
    let Some(found) = catalog.agencies.iter().find(|known| known.code == agency_code) else {
        return Err(Tr.t("admin-staff-error-agency-unknown"));
    };
    if let Some(code) = &district {
        if !found.by_district {
            return Err(Tr.t_with("admin-staff-error-district-agency", &[("agency", Arg::from(found.short_name.as_str()))]));
        }
        if !state.city.districts().any(|(known, _)| &known.code == code) {
            return Err(Tr.t("admin-staff-error-district-unknown"));
        }
    }
    Ok(StaffUpdate { role, agency: Some(agency_code), district, supervisor: form.is_supervisor() })
}

/// Formats an account's settings for the audit log: codes only, no personal data.
fn settings_details(update: &StaffUpdate) -> String {
    format!(
        "role={} agency={} district={} supervisor={}",
        update.role.code(),
        update.agency.as_deref().unwrap_or("-"),
        update.district.as_deref().unwrap_or("-"),
        update.supervisor
    )
}

async fn audit(state: &AppState, signed: &Signed, action: &str, user_id: i64, details: String) {
    if let Err(error) = crate::audit::record(state.store.as_ref(), Some(signed.user.id), action, format!("user:{user_id}"), details).await {
        tracing::error!(%error, admin_id = signed.user.id, user_id, action, "could not write the audit log entry of a staff change");
    }
}

fn looks_like_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !email.contains(char::is_whitespace),
        None => false,
    }
}

/// `POST /admin/staff`: creates a confirmed staff account with the password the administrator
/// gives them.
pub async fn create(State(state): State<AppState>, PageUser(signed): PageUser, Form(mut form): Form<StaffForm>) -> Response {
    if !is_admin(&signed) {
        return error_page(ApiError::not_found());
    }
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    let catalog = match state.store.catalog().await {
        Ok(catalog) => catalog,
        Err(error) => return error_page(error.into()),
    };
    let email = normalize_email(&form.email);
    let checked = if !looks_like_email(&email) {
        Err(Tr.t("admin-staff-error-email"))
    } else if form.password.chars().count() < MIN_PASSWORD_CHARS {
        Err(Tr.count("admin-staff-error-password", MIN_PASSWORD_CHARS as i64))
    } else {
        checked_settings(&state, &catalog, &form)
    };
    let settings = match checked {
        Ok(settings) => settings,
        Err(message) => {
            // The password is never sent back into the page.
            form.password.clear();
            return staff_page(&state, &signed, form, Some(message), None, None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };

    let password_hash = match hash_password(std::mem::take(&mut form.password)).await {
        Ok(hash) => hash,
        Err(error) => return error_page(ApiError::internal(error)),
    };
    let details = settings_details(&settings);
    let new_user = NewUser {
        email,
        password_hash,
        role: settings.role,
        agency: settings.agency,
        district: settings.district,
        confirmed: true,
        supervisor: settings.supervisor,
        created_at: Utc::now(),
    };
    match state.store.create_user(&new_user).await {
        Ok(user) => {
            tracing::info!(admin_id = signed.user.id, user.id = user.id, role = user.role.code(), "staff account created");
            audit(&state, &signed, "staff.create", user.id, details).await;
            Redirect::to("/admin/staff?done=created").into_response()
        }
        Err(StoreError::Duplicate(_)) => staff_page(&state, &signed, form, Some(Tr.t("admin-staff-error-duplicate")), None, None, StatusCode::CONFLICT).await,
        Err(error) => error_page(error.into()),
    }
}

/// Loads a staff account for a change by an administrator: residents and unknown ids are 404,
/// and administrators cannot change or disable themselves, so that someone else always can.
async fn target(state: &AppState, signed: &Signed, id: i64) -> Result<User, Response> {
    let user = match state.store.user(id).await {
        Ok(Some(user)) if user.role.is_staff() => user,
        Ok(_) => return Err(error_page(ApiError::not_found())),
        Err(error) => return Err(error_page(error.into())),
    };
    if user.id == signed.user.id {
        let mut error = ApiError::forbidden();
        error.problem.message = Tr.t("admin-staff-error-self");
        return Err(error_page(error));
    }
    Ok(user)
}

/// `POST /admin/staff/{id}`: changes the role, agency, district unit and supervisor flag.
pub async fn update(State(state): State<AppState>, PageUser(signed): PageUser, Path(id): Path<i64>, Form(form): Form<StaffForm>) -> Response {
    if !is_admin(&signed) {
        return error_page(ApiError::not_found());
    }
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    let user = match target(&state, &signed, id).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let catalog = match state.store.catalog().await {
        Ok(catalog) => catalog,
        Err(error) => return error_page(error.into()),
    };

    let settings = match checked_settings(&state, &catalog, &form) {
        Ok(settings) => settings,
        Err(message) => {
            let new = StaffForm { role: Role::Executor.code().to_owned(), ..StaffForm::default() };
            return staff_page(&state, &signed, new, None, Some((user.id, form, message)), None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let before = StaffUpdate { role: user.role, agency: user.agency.clone(), district: user.district.clone(), supervisor: user.supervisor };
    if before == settings {
        return Redirect::to("/admin/staff").into_response();
    }

    if let Err(error) = state.store.update_staff(user.id, &settings).await {
        return error_page(error.into());
    }
    // A person whose role or agency changed signs in again, so no page keeps showing them what
    // they may no longer open.
    if let Err(error) = state.store.delete_user_sessions(user.id).await {
        tracing::error!(%error, user.id = user.id, "could not end the sessions of a changed staff account");
    }
    tracing::info!(admin_id = signed.user.id, user.id = user.id, role = settings.role.code(), "staff account changed");
    let action = if before.role != settings.role { "staff.role_change" } else { "staff.update" };
    audit(&state, &signed, action, user.id, format!("from {} to {}", settings_details(&before), settings_details(&settings))).await;
    Redirect::to("/admin/staff?done=updated").into_response()
}

#[derive(Deserialize)]
pub struct DisabledForm {
    csrf_token: Option<String>,
    /// `true` disables the account, `false` enables it.
    disabled: bool,
}

/// `POST /admin/staff/{id}/disabled`: disables an account and ends its sessions at once, or
/// enables it again. A disabled executor's API keys are refused as well (see
/// [`crate::auth::current`]).
pub async fn set_disabled(State(state): State<AppState>, PageUser(signed): PageUser, Path(id): Path<i64>, Form(form): Form<DisabledForm>) -> Response {
    if !is_admin(&signed) {
        return error_page(ApiError::not_found());
    }
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    let user = match target(&state, &signed, id).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    if let Err(error) = state.store.set_user_disabled(user.id, form.disabled).await {
        return error_page(error.into());
    }
    let (action, done) = if form.disabled {
        let ended = match state.store.delete_user_sessions(user.id).await {
            Ok(ended) => ended,
            Err(error) => return error_page(error.into()),
        };
        tracing::info!(admin_id = signed.user.id, user.id = user.id, sessions = ended, "staff account disabled");
        ("staff.disable", "disabled")
    } else {
        tracing::info!(admin_id = signed.user.id, user.id = user.id, "staff account enabled");
        ("staff.enable", "enabled")
    };
    audit(&state, &signed, action, user.id, String::new()).await;
    Redirect::to(&format!("/admin/staff?done={done}")).into_response()
}
