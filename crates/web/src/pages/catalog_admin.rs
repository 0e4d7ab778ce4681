//! Catalog administration for administrators: the list of categories and a form that creates or
//! changes one. Each save is a new numbered version (`Store::save_category`) and an audit log
//! entry. Every page and API reads the catalog from the database per request, so every node
//! serves the change from the next request on. The map index reloads its points when the set of
//! public categories that a request passes it changes.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use pomoshnik_core::catalog::{Catalog, Category, EvidenceRule, FieldDefinition};
use pomoshnik_core::role::Role;
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::auth::{PageUser, Signed};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;

/// The path segment of the form that creates a category; no category code starts with `_`.
const NEW: &str = "_new";

/// The range of deadlines that `Catalog::check` accepts, in working days.
const DEADLINE_DAYS: std::ops::RangeInclusive<u32> = 1..=10;

#[derive(Template)]
#[template(path = "admin_catalog.html")]
struct CatalogPage {
    layout: Layout,
    t: Tr,
    categories: Vec<CategoryRow>,
    notice: Option<String>,
}

struct CategoryRow {
    code: String,
    name: String,
    agency: String,
    deadline_working_days: u32,
}

#[derive(Template)]
#[template(path = "admin_category.html")]
struct CategoryPage {
    layout: Layout,
    t: Tr,
    /// Whether the form creates a category rather than changing `form.code`.
    creating: bool,
    form: CategoryForm,
    groups: Vec<(String, String)>,
    agencies: Vec<(String, String)>,
    error: Option<String>,
    /// Saved versions as (number, Moscow time, actor id).
    versions: Vec<(i64, String, String)>,
}

#[derive(Deserialize, Default, Clone)]
pub struct CategoryForm {
    csrf_token: Option<String>,
    /// `_new` for a new category, otherwise the code of the category being changed.
    #[serde(default)]
    original_code: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    deadline_working_days: String,
    /// Comma-separated search words.
    #[serde(default)]
    keywords: String,
    #[serde(default)]
    min_photos: String,
    media_required: Option<String>,
    personal_data: Option<String>,
    /// The extra fields as JSON, in the catalog's `fields` format.
    #[serde(default)]
    fields: String,
}

impl CategoryForm {
    fn of_category(category: &Category) -> CategoryForm {
        CategoryForm {
            csrf_token: None,
            original_code: category.code.clone(),
            code: category.code.clone(),
            name: category.name.clone(),
            description: category.description.clone(),
            group: category.group.clone(),
            agency: category.agency.clone(),
            deadline_working_days: category.deadline_working_days.to_string(),
            keywords: category.keywords.join(", "),
            min_photos: category.evidence.min_photos.to_string(),
            media_required: category.evidence.media_required.then(|| "on".to_owned()),
            personal_data: category.personal_data.then(|| "on".to_owned()),
            fields: serde_json::to_string_pretty(&category.fields).unwrap_or_default(),
        }
    }

    fn blank() -> CategoryForm {
        CategoryForm { original_code: NEW.to_owned(), deadline_working_days: "10".to_owned(), min_photos: "0".to_owned(), fields: "[]".to_owned(), ..CategoryForm::default() }
    }
}

#[derive(Deserialize)]
pub struct CatalogQuery {
    saved: Option<String>,
}

fn is_admin(signed: &Signed) -> bool {
    signed.user.role == Role::Admin
}

/// `GET /admin/catalog`: the categories with their agency and deadline.
pub async fn list(State(state): State<AppState>, PageUser(signed): PageUser, Query(query): Query<CatalogQuery>) -> Response {
    if !is_admin(&signed) {
        return error_page(ApiError::not_found());
    }
    let catalog = match state.store.catalog().await {
        Ok(catalog) => catalog,
        Err(error) => return error_page(error.into()),
    };
    let categories = catalog
        .categories
        .iter()
        .map(|category| CategoryRow {
            code: category.code.clone(),
            name: category.name.clone(),
            agency: catalog.agency(&category.agency).map_or_else(|| category.agency.clone(), |agency| agency.short_name.clone()),
            deadline_working_days: category.deadline_working_days,
        })
        .collect();
    let notice = query.saved.map(|code| Tr.t_with("admin-catalog-saved", &[("code", code.into())]));
    let layout = Layout::for_user(&state, &signed, Tr.t("admin-catalog-title")).await;
    render(&CatalogPage { layout, t: Tr, categories, notice })
}

/// `GET /admin/catalog/categories/{code}`: the form of one category, or of a new one for `_new`.
pub async fn edit(State(state): State<AppState>, PageUser(signed): PageUser, Path(code): Path<String>) -> Response {
    if !is_admin(&signed) {
        return error_page(ApiError::not_found());
    }
    let catalog = match state.store.catalog().await {
        Ok(catalog) => catalog,
        Err(error) => return error_page(error.into()),
    };
    let form = if code == NEW {
        CategoryForm::blank()
    } else {
        match catalog.category(&code) {
            Some(category) => CategoryForm::of_category(category),
            None => return error_page(ApiError::not_found()),
        }
    };
    category_page(&state, &signed, &catalog, form, None, StatusCode::OK).await
}

async fn category_page(state: &AppState, signed: &Signed, catalog: &Catalog, form: CategoryForm, error: Option<String>, status: StatusCode) -> Response {
    let creating = form.original_code == NEW;
    let versions = if creating {
        Vec::new()
    } else {
        match state.store.catalog_versions(&format!("category:{}", form.original_code)).await {
            Ok(versions) => versions
                .iter()
                .map(|version| (version.version, crate::views::moscow_time(version.at), version.actor_id.map_or_else(|| "-".to_owned(), |id| format!("user:{id}"))))
                .collect(),
            Err(error) => return error_page(error.into()),
        }
    };
    let groups = catalog.groups.iter().map(|group| (group.code.clone(), group.name.clone())).collect();
    let agencies = catalog.agencies.iter().map(|agency| (agency.code.clone(), agency.short_name.clone())).collect();
    let title = if creating { Tr.t("admin-category-new-title") } else { Tr.t_with("admin-category-edit-title", &[("code", form.original_code.clone().into())]) };
    let layout = Layout::for_user(state, signed, title).await;
    let mut response = render(&CategoryPage { layout, t: Tr, creating, form, groups, agencies, error, versions });
    *response.status_mut() = status;
    response
}

/// Builds the category from the form, or returns the Russian message saying what is wrong.
fn checked_category(catalog: &Catalog, form: &CategoryForm) -> Result<Category, String> {
    let code = form.code.trim();
    let creating = form.original_code == NEW;
    if creating {
        let valid = !code.is_empty() && code.len() <= 64 && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') && !code.starts_with('_');
        if !valid {
            return Err(Tr.t("admin-category-error-code"));
        }
        if catalog.category(code).is_some() {
            return Err(Tr.t("admin-category-error-code-taken"));
        }
    } else if code != form.original_code {
        return Err(Tr.t("admin-category-error-code-changed"));
    }

    let name = form.name.trim();
    if name.is_empty() {
        return Err(Tr.t("admin-category-error-name"));
    }
    if catalog.group(&form.group).is_none() {
        return Err(Tr.t("admin-category-error-group"));
    }
    if catalog.agency(&form.agency).is_none() {
        return Err(Tr.t("admin-category-error-agency"));
    }
    let deadline = form.deadline_working_days.trim().parse::<u32>().ok().filter(|days| DEADLINE_DAYS.contains(days));
    let Some(deadline_working_days) = deadline else {
        return Err(Tr.t("admin-category-error-deadline"));
    };
    let Some(min_photos) = form.min_photos.trim().parse::<u32>().ok().filter(|count| *count <= 10) else {
        return Err(Tr.t("admin-category-error-photos"));
    };

    let fields_text = if form.fields.trim().is_empty() { "[]" } else { form.fields.trim() };
    let fields: Vec<FieldDefinition> = match serde_json::from_str(fields_text) {
        Ok(fields) => fields,
        Err(error) => return Err(Tr.t_with("admin-category-error-fields", &[("error", error.to_string().into())])),
    };
    let keywords = form.keywords.split(',').map(|word| word.trim().to_lowercase().replace('ё', "е")).filter(|word| !word.is_empty()).collect();
    Ok(Category {
        code: code.to_owned(),
        name: name.to_owned(),
        description: form.description.trim().to_owned(),
        group: form.group.clone(),
        agency: form.agency.clone(),
        deadline_working_days,
        keywords,
        evidence: EvidenceRule { min_photos, media_required: form.media_required.is_some() || min_photos > 0 },
        personal_data: form.personal_data.is_some(),
        fields,
    })
}

/// `POST /admin/catalog/categories`: creates or changes a category as its next version.
/// Reports filed before keep the agency and deadline they were filed under.
pub async fn save(State(state): State<AppState>, PageUser(signed): PageUser, Form(form): Form<CategoryForm>) -> Response {
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
    if form.original_code != NEW && catalog.category(&form.original_code).is_none() {
        return error_page(ApiError::not_found());
    }

    let category = match checked_category(&catalog, &form) {
        Ok(category) => category,
        Err(message) => return category_page(&state, &signed, &catalog, form, Some(message), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let version = match state.store.save_category(&category, Some(signed.user.id), Utc::now()).await {
        Ok(version) => version,
        Err(error) => return error_page(error.into()),
    };
    let action = if form.original_code == NEW { "category.create" } else { "category.update" };
    let details = format!("version={version} agency={} deadline_working_days={}", category.agency, category.deadline_working_days);
    if let Err(error) = crate::audit::record(state.store.as_ref(), Some(signed.user.id), action, format!("category:{}", category.code), details).await {
        tracing::error!(%error, admin_id = signed.user.id, category = category.code, "could not write the audit log entry of a category change");
    }
    tracing::info!(admin_id = signed.user.id, category = category.code, version, "category saved");
    Redirect::to(&format!("/admin/catalog?saved={}", category.code)).into_response()
}
