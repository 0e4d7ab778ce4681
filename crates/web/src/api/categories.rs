use axum::Json;
use axum::extract::State;
use pomoshnik_core::catalog::{Category, EvidenceRule, FieldDefinition};
use pomoshnik_core::search::CategoryIndex;
use serde::{Deserialize, Serialize};

use super::extract::ApiQuery;
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::Named;

#[derive(Serialize)]
pub struct CategoryView {
    code: String,
    name: String,
    description: String,
    group: Named,
    agency: Named,
    deadline_working_days: u32,
    keywords: Vec<String>,
    evidence: EvidenceRule,
    fields: Vec<FieldDefinition>,
}

#[derive(Serialize)]
pub struct CategoryList {
    categories: Vec<CategoryView>,
}

#[derive(Deserialize)]
pub struct SearchQuery {
    /// Words to search for; the result is then ordered by relevance.
    q: Option<String>,
}

pub async fn list(State(state): State<AppState>, ApiQuery(search): ApiQuery<SearchQuery>) -> Result<Json<CategoryList>, ApiError> {
    let catalog = state.store.catalog().await?;
    let selected: Vec<&Category> = match search.q.as_deref().map(str::trim).filter(|query| !query.is_empty()) {
        Some(query) => CategoryIndex::new(&catalog).search(query, catalog.categories.len()).into_iter().filter_map(|code| catalog.category(code)).collect(),
        None => catalog.categories.iter().collect(),
    };
    let categories = selected
        .into_iter()
        .map(|category| {
            let group = catalog.group(&category.group).map(|group| group.name.clone()).unwrap_or_default();
            let agency = catalog.agency(&category.agency).map(|agency| agency.name.clone()).unwrap_or_default();
            CategoryView {
                code: category.code.clone(),
                name: category.name.clone(),
                description: category.description.clone(),
                group: Named { code: category.group.clone(), name: group },
                agency: Named { code: category.agency.clone(), name: agency },
                deadline_working_days: category.deadline_working_days,
                keywords: category.keywords.clone(),
                evidence: category.evidence,
                fields: category.fields.clone(),
            }
        })
        .collect();
    Ok(Json(CategoryList { categories }))
}
