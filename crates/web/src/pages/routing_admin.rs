//! Routing rules for administrators: a report of a category filed in a district goes to the
//! rule's agency instead of the category's own. The store applies the rules at filing, for the
//! API, the web form and Open311 alike, and copies the agency into the report, so adding or
//! removing a rule changes only reports filed afterwards. Each change is a new version of
//! `routing:CATEGORY:DISTRICT` and an audit log entry.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use pomoshnik_core::catalog::Catalog;
use pomoshnik_core::role::Role;
use pomoshnik_store::{RoutingRule, StoreError};
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::auth::{PageUser, Signed};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin_routing.html")]
struct RoutingPage {
    layout: Layout,
    t: Tr,
    rules: Vec<RuleRow>,
    categories: Vec<(String, String)>,
    districts: Vec<(String, String)>,
    agencies: Vec<(String, String)>,
    /// The values of the add form, kept when it is refused.
    form: RuleForm,
    error: Option<String>,
    notice: Option<String>,
}

struct RuleRow {
    category_code: String,
    category_name: String,
    district_code: String,
    district_name: String,
    agency_name: String,
    /// The category's own agency, which the rule overrides.
    default_agency_name: String,
    created_text: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct RuleForm {
    csrf_token: Option<String>,
    #[serde(default)]
    category: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    agency: String,
}

#[derive(Deserialize)]
pub struct RoutingQuery {
    done: Option<String>,
}

fn is_admin(signed: &Signed) -> bool {
    signed.user.role == Role::Admin
}

fn agency_name(catalog: &Catalog, code: &str) -> String {
    catalog.agency(code).map_or_else(|| code.to_owned(), |agency| agency.short_name.clone())
}

/// `GET /admin/catalog/routing`: the rules and the form that adds one.
pub async fn show(State(state): State<AppState>, PageUser(signed): PageUser, Query(query): Query<RoutingQuery>) -> Response {
    if !is_admin(&signed) {
        return error_page(ApiError::not_found());
    }
    let notice = query.done.filter(|done| ["added", "removed"].contains(&done.as_str())).map(|done| Tr.t(&format!("agencies-routing-done-{done}")));
    routing_page(&state, &signed, RuleForm::default(), None, notice, StatusCode::OK).await
}

async fn routing_page(state: &AppState, signed: &Signed, form: RuleForm, error: Option<String>, notice: Option<String>, status: StatusCode) -> Response {
    let (catalog, rules) = match tokio::try_join!(state.store.catalog(), state.store.routing_rules()) {
        Ok(loaded) => loaded,
        Err(error) => return error_page(error.into()),
    };
    let district_name = |code: &str| state.city.districts().find(|(district, _)| district.code == code).map_or_else(|| code.to_owned(), |(district, _)| district.name.clone());
    let rules = rules
        .iter()
        .map(|rule| {
            let category = catalog.category(&rule.category_code);
            RuleRow {
                category_code: rule.category_code.clone(),
                category_name: category.map_or_else(|| rule.category_code.clone(), |category| category.name.clone()),
                district_code: rule.district_code.clone(),
                district_name: district_name(&rule.district_code),
                agency_name: agency_name(&catalog, &rule.agency_code),
                default_agency_name: category.map(|category| agency_name(&catalog, &category.agency)).unwrap_or_default(),
                created_text: crate::views::moscow_time(rule.created_at),
            }
        })
        .collect();
    let categories = catalog.categories.iter().map(|category| (category.code.clone(), category.name.clone())).collect();
    let agencies = catalog.agencies.iter().map(|agency| (agency.code.clone(), agency.short_name.clone())).collect();
    let mut districts: Vec<(String, String)> = state.city.districts().map(|(district, _)| (district.code.clone(), district.name.clone())).collect();
    districts.sort_by(|left, right| left.1.cmp(&right.1));

    let layout = Layout::for_user(state, signed, Tr.t("agencies-routing-title")).await;
    let mut response = render(&RoutingPage { layout, t: Tr, rules, categories, districts, agencies, form, error, notice });
    *response.status_mut() = status;
    response
}

/// Checks the codes of a new rule against the catalog and the city's districts, and returns
/// the Russian message saying what is wrong.
fn check_rule(state: &AppState, catalog: &Catalog, form: &RuleForm) -> Result<(), String> {
    let Some(category) = catalog.category(&form.category) else {
        return Err(Tr.t("agencies-routing-error-category"));
    };
    if !state.city.districts().any(|(district, _)| district.code == form.district) {
        return Err(Tr.t("agencies-routing-error-district"));
    }
    if catalog.agency(&form.agency).is_none() {
        return Err(Tr.t("agencies-routing-error-agency"));
    }
    if category.agency == form.agency {
        return Err(Tr.t("agencies-routing-error-same-agency"));
    }
    Ok(())
}

async fn audit(state: &AppState, signed: &Signed, action: &str, object: String, details: String) {
    if let Err(error) = crate::audit::record(state.store.as_ref(), Some(signed.user.id), action, object.clone(), details).await {
        tracing::error!(%error, admin_id = signed.user.id, object, action, "could not write the audit log entry of a routing change");
    }
}

/// `POST /admin/catalog/routing`: adds a rule for reports filed from now on.
pub async fn add(State(state): State<AppState>, PageUser(signed): PageUser, Form(form): Form<RuleForm>) -> Response {
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
    if let Err(message) = check_rule(&state, &catalog, &form) {
        return routing_page(&state, &signed, form, Some(message), None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    let rule = RoutingRule { category_code: form.category.clone(), district_code: form.district.clone(), agency_code: form.agency.clone(), created_at: Utc::now() };
    let version = match state.store.add_routing_rule(&rule, Some(signed.user.id)).await {
        Ok(version) => version,
        Err(StoreError::Duplicate(_)) => {
            let message = Tr.t("agencies-routing-error-duplicate");
            return routing_page(&state, &signed, form, Some(message), None, StatusCode::CONFLICT).await;
        }
        Err(error) => return error_page(error.into()),
    };
    let object = format!("routing:{}:{}", rule.category_code, rule.district_code);
    audit(&state, &signed, "routing.add", object, format!("version={version} agency={}", rule.agency_code)).await;
    tracing::info!(admin_id = signed.user.id, category = rule.category_code, district = rule.district_code, agency = rule.agency_code, version, "routing rule added");
    Redirect::to("/admin/catalog/routing?done=added").into_response()
}

#[derive(Deserialize)]
pub struct RemoveForm {
    csrf_token: Option<String>,
    #[serde(default)]
    category: String,
    #[serde(default)]
    district: String,
}

/// `POST /admin/catalog/routing/remove`: removes a rule; reports filed under it keep their agency.
pub async fn remove(State(state): State<AppState>, PageUser(signed): PageUser, Form(form): Form<RemoveForm>) -> Response {
    if !is_admin(&signed) {
        return error_page(ApiError::not_found());
    }
    if let Err(error) = signed.check_csrf(form.csrf_token.as_deref()) {
        return error_page(error);
    }
    let version = match state.store.remove_routing_rule(&form.category, &form.district, Some(signed.user.id), Utc::now()).await {
        Ok(version) => version,
        Err(error) => return error_page(error.into()),
    };
    let object = format!("routing:{}:{}", form.category, form.district);
    audit(&state, &signed, "routing.remove", object, format!("version={version}")).await;
    tracing::info!(admin_id = signed.user.id, category = form.category, district = form.district, version, "routing rule removed");
    Redirect::to("/admin/catalog/routing?done=removed").into_response()
}
