//! Agency administration for administrators: the list of agencies and a form that creates or
//! changes one (name, code, district units, supervisors, whether dispatch posts reports to the
//! agency's webhooks). Each save is a new numbered version of `agency:CODE`
//! (`Store::save_agency`) and an audit log entry. Webhook destinations are listed by name but
//! not edited here, because their URLs and secrets come from the configuration file.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use pomoshnik_core::catalog::{Agency, Catalog};
use pomoshnik_core::role::Role;
use pomoshnik_store::{AgencySettings, User};
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::auth::{PageUser, Signed};
use crate::error::ApiError;
use crate::i18n::{Arg, Tr};
use crate::state::AppState;

/// The path segment of the form that creates an agency; no agency code starts with `_`.
const NEW: &str = "_new";

/// The maximum length of a name, in characters.
const MAX_NAME_CHARS: usize = 300;

#[derive(Template)]
#[template(path = "admin_agencies.html")]
struct AgenciesPage {
    layout: Layout,
    t: Tr,
    agencies: Vec<AgencyRow>,
    notice: Option<String>,
}

struct AgencyRow {
    code: String,
    short_name: String,
    name: String,
    by_district: bool,
    executors: usize,
    /// E-mail addresses of the supervisors.
    supervisors: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin_agency.html")]
struct AgencyPage {
    layout: Layout,
    t: Tr,
    /// Whether the form creates an agency rather than changing `form.code`.
    creating: bool,
    form: AgencyForm,
    /// The agency's executors as (id, e-mail, district code, chosen as supervisor).
    executors: Vec<(i64, String, String, bool)>,
    /// Names of the webhook destinations configured for the agency.
    destinations: Vec<String>,
    error: Option<String>,
    /// Saved versions as (number, Moscow time, actor id).
    versions: Vec<(i64, String, String)>,
}

#[derive(Default, Clone)]
struct AgencyForm {
    csrf_token: Option<String>,
    /// `_new` for a new agency, otherwise the code of the agency being changed.
    original_code: String,
    code: String,
    name: String,
    short_name: String,
    by_district: bool,
    /// Ids of the executors ticked as supervisors.
    supervisor_ids: Vec<i64>,
    /// Whether a supervisor value was not a number.
    invalid_supervisor: bool,
    /// Whether dispatch posts the agency's reports to its webhook destinations.
    webhook_dispatch: bool,
}

impl AgencyForm {
    fn of_agency(agency: &Agency, executors: &[&User], webhook_dispatch: bool) -> AgencyForm {
        AgencyForm {
            original_code: agency.code.clone(),
            code: agency.code.clone(),
            name: agency.name.clone(),
            short_name: agency.short_name.clone(),
            by_district: agency.by_district,
            supervisor_ids: executors.iter().filter(|user| user.supervisor).map(|user| user.id).collect(),
            webhook_dispatch,
            ..AgencyForm::default()
        }
    }

    fn blank() -> AgencyForm {
        AgencyForm { original_code: NEW.to_owned(), webhook_dispatch: true, ..AgencyForm::default() }
    }

    /// Reads the posted fields. The supervisor checkboxes repeat the name `supervisor`, which
    /// serde_urlencoded cannot collect into a struct field, so the fields arrive as pairs.
    fn from_pairs(pairs: Vec<(String, String)>) -> AgencyForm {
        let mut form = AgencyForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "csrf_token" => form.csrf_token = Some(value),
                "original_code" => form.original_code = value,
                "code" => form.code = value,
                "name" => form.name = value,
                "short_name" => form.short_name = value,
                "by_district" => form.by_district = true,
                "webhook_dispatch" => form.webhook_dispatch = true,
                "supervisor" => match value.parse() {
                    Ok(id) => form.supervisor_ids.push(id),
                    Err(_) => form.invalid_supervisor = true,
                },
                _ => {}
            }
        }
        form
    }
}

#[derive(Deserialize)]
pub struct AgenciesQuery {
    saved: Option<String>,
}

fn is_admin(signed: &Signed) -> bool {
    signed.user.role == Role::Admin
}

/// Enabled and disabled executors of the agency, ordered by id.
fn executors_of<'a>(staff: &'a [User], agency_code: &str) -> Vec<&'a User> {
    staff.iter().filter(|user| user.role == Role::Executor && user.agency.as_deref() == Some(agency_code)).collect()
}

/// `GET /admin/catalog/agencies`: the agencies with their executors and supervisors.
pub async fn list(State(state): State<AppState>, PageUser(signed): PageUser, Query(query): Query<AgenciesQuery>) -> Response {
    if !is_admin(&signed) {
        return error_page(ApiError::not_found());
    }
    let (catalog, staff) = match tokio::try_join!(state.store.catalog(), state.store.staff_users()) {
        Ok(loaded) => loaded,
        Err(error) => return error_page(error.into()),
    };
    let agencies = catalog
        .agencies
        .iter()
        .map(|agency| {
            let executors = executors_of(&staff, &agency.code);
            AgencyRow {
                code: agency.code.clone(),
                short_name: agency.short_name.clone(),
                name: agency.name.clone(),
                by_district: agency.by_district,
                executors: executors.len(),
                supervisors: executors.iter().filter(|user| user.supervisor).map(|user| user.email.clone()).collect(),
            }
        })
        .collect();
    let notice = query.saved.map(|code| Tr.t_with("agencies-saved", &[("code", code.into())]));
    let layout = Layout::for_user(&state, &signed, Tr.t("agencies-title")).await;
    render(&AgenciesPage { layout, t: Tr, agencies, notice })
}

/// `GET /admin/catalog/agencies/{code}`: the form of one agency, or of a new one for `_new`.
pub async fn edit(State(state): State<AppState>, PageUser(signed): PageUser, Path(code): Path<String>) -> Response {
    if !is_admin(&signed) {
        return error_page(ApiError::not_found());
    }
    let (catalog, staff) = match tokio::try_join!(state.store.catalog(), state.store.staff_users()) {
        Ok(loaded) => loaded,
        Err(error) => return error_page(error.into()),
    };
    let form = if code == NEW {
        AgencyForm::blank()
    } else {
        let Some(agency) = catalog.agency(&code) else {
            return error_page(ApiError::not_found());
        };
        let webhook_dispatch = match state.store.agency_webhook_dispatch(&code).await {
            Ok(enabled) => enabled,
            Err(error) => return error_page(error.into()),
        };
        AgencyForm::of_agency(agency, &executors_of(&staff, &code), webhook_dispatch)
    };
    agency_page(&state, &signed, &staff, form, None, StatusCode::OK).await
}

async fn agency_page(state: &AppState, signed: &Signed, staff: &[User], form: AgencyForm, error: Option<String>, status: StatusCode) -> Response {
    let creating = form.original_code == NEW;
    let (versions, destinations) = if creating {
        (Vec::new(), Vec::new())
    } else {
        let object = format!("agency:{}", form.original_code);
        let loaded = tokio::try_join!(state.store.catalog_versions(&object), state.store.agency_webhook_destinations(&form.original_code));
        match loaded {
            Ok((versions, destinations)) => {
                let versions = versions
                    .iter()
                    .map(|version| (version.version, crate::views::moscow_time(version.at), version.actor_id.map_or_else(|| "-".to_owned(), |id| format!("user:{id}"))))
                    .collect();
                (versions, destinations)
            }
            Err(error) => return error_page(error.into()),
        }
    };
    let executors = if creating {
        Vec::new()
    } else {
        executors_of(staff, &form.original_code)
            .into_iter()
            .map(|user| (user.id, user.email.clone(), user.district.clone().unwrap_or_default(), form.supervisor_ids.contains(&user.id)))
            .collect()
    };
    let title = if creating { Tr.t("agencies-new-title") } else { Tr.t_with("agencies-edit-title", &[("code", form.original_code.clone().into())]) };
    let layout = Layout::for_user(state, signed, title).await;
    let mut response = render(&AgencyPage { layout, t: Tr, creating, form, executors, destinations, error, versions });
    *response.status_mut() = status;
    response
}

/// Checks the form against the catalog and the agency's executors, and returns the agency with
/// its settings or the Russian message saying what is wrong.
fn checked_agency(catalog: &Catalog, staff: &[User], form: &AgencyForm) -> Result<(Agency, AgencySettings), String> {
    let code = form.code.trim();
    let creating = form.original_code == NEW;
    if creating {
        let valid = !code.is_empty() && code.len() <= 64 && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') && !code.starts_with('_');
        if !valid {
            return Err(Tr.t("agencies-error-code"));
        }
        if catalog.agency(code).is_some() {
            return Err(Tr.t("agencies-error-code-taken"));
        }
    } else if code != form.original_code {
        return Err(Tr.t("agencies-error-code-changed"));
    }

    let name = form.name.trim();
    let short_name = form.short_name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(Tr.t_with("agencies-error-name", &[("max", Arg::Number(MAX_NAME_CHARS as i64))]));
    }
    if short_name.is_empty() || short_name.chars().count() > MAX_NAME_CHARS {
        return Err(Tr.t_with("agencies-error-short-name", &[("max", Arg::Number(MAX_NAME_CHARS as i64))]));
    }

    let executors = executors_of(staff, code);
    // The queue of an executor bound to a district lists only that district's reports, which
    // makes sense only while the agency works by district.
    let bound = executors.iter().filter(|user| user.district.is_some()).count();
    if !form.by_district && bound > 0 {
        return Err(Tr.count("agencies-error-districts-bound", bound as i64));
    }
    let unknown = form.supervisor_ids.iter().any(|id| !executors.iter().any(|user| user.id == *id));
    if form.invalid_supervisor || unknown {
        return Err(Tr.t("agencies-error-supervisor"));
    }

    let agency = Agency { code: code.to_owned(), name: name.to_owned(), short_name: short_name.to_owned(), by_district: form.by_district };
    let mut supervisor_ids = form.supervisor_ids.clone();
    supervisor_ids.sort_unstable();
    supervisor_ids.dedup();
    Ok((agency, AgencySettings { supervisor_ids, webhook_dispatch: form.webhook_dispatch }))
}

/// `POST /admin/catalog/agencies`: creates or changes an agency as its next version and sets
/// the supervisor flag of exactly the ticked executors. The webhook setting applies to
/// dispatches from now on.
pub async fn save(State(state): State<AppState>, PageUser(signed): PageUser, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    if !is_admin(&signed) {
        return error_page(ApiError::not_found());
    }
    let form = AgencyForm::from_pairs(pairs);
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    let (catalog, staff) = match tokio::try_join!(state.store.catalog(), state.store.staff_users()) {
        Ok(loaded) => loaded,
        Err(error) => return error_page(error.into()),
    };
    if form.original_code != NEW && catalog.agency(&form.original_code).is_none() {
        return error_page(ApiError::not_found());
    }

    let (agency, settings) = match checked_agency(&catalog, &staff, &form) {
        Ok(checked) => checked,
        Err(message) => return agency_page(&state, &signed, &staff, form, Some(message), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let version = match state.store.save_agency(&agency, &settings, Some(signed.user.id), Utc::now()).await {
        Ok(version) => version,
        Err(error) => return error_page(error.into()),
    };
    let action = if form.original_code == NEW { "agency.create" } else { "agency.update" };
    let supervisors = settings.supervisor_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let supervisors = if supervisors.is_empty() { "-".to_owned() } else { supervisors };
    let details = format!("version={version} by_district={} webhook_dispatch={} supervisors={supervisors}", agency.by_district, settings.webhook_dispatch);
    if let Err(error) = crate::audit::record(state.store.as_ref(), Some(signed.user.id), action, format!("agency:{}", agency.code), details).await {
        tracing::error!(%error, admin_id = signed.user.id, agency = agency.code, "could not write the audit log entry of an agency change");
    }
    tracing::info!(admin_id = signed.user.id, agency = agency.code, version, "agency saved");
    Redirect::to(&format!("/admin/catalog/agencies?saved={}", agency.code)).into_response()
}
