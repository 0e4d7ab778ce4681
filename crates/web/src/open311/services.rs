//! `GET services` and `GET services/{service_code}`: the catalog's categories as Open311
//! services, and a category's extra form fields as the attributes of its service definition.

use pomoshnik_core::catalog::{Catalog, Category, FieldDefinition, FieldFormat, FieldType};

use super::Params;
use super::errors::Open311Error;
use super::format::{Document, Value};
use crate::i18n::Tr;
use crate::state::AppState;

/// Every category is filed and numbered while the client waits, so each service is `realtime`
/// in GeoReport v2 terms (no `token` step).
const SERVICE_TYPE: &str = "realtime";

pub async fn list(state: &AppState, params: &Params) -> Result<Document, Open311Error> {
    params.check_jurisdiction()?;
    let catalog = state.store.catalog().await?;
    let services = catalog.categories.iter().map(|category| service(&catalog, category)).collect();
    Ok(Document::new("services", Value::List("service", services)))
}

pub async fn definition(state: &AppState, params: &Params, service_code: &str) -> Result<Document, Open311Error> {
    params.check_jurisdiction()?;
    let catalog = state.store.catalog().await?;
    let category = catalog.category(service_code).ok_or_else(|| Open311Error::not_found("category_unknown"))?;

    let attributes = category.fields.iter().enumerate().map(|(index, field)| attribute(field, index + 1)).collect();
    Ok(Document::new(
        "service_definition",
        Value::Record(vec![("service_code", Value::text(&category.code)), ("attributes", Value::List("attribute", attributes))]),
    ))
}

fn service(catalog: &Catalog, category: &Category) -> Value {
    let group = catalog.group(&category.group).map_or_else(|| category.group.clone(), |group| group.name.clone());
    Value::Record(vec![
        ("service_code", Value::text(&category.code)),
        ("service_name", Value::text(&category.name)),
        ("description", Value::text(&category.description)),
        ("metadata", Value::Bool(!category.fields.is_empty())),
        ("type", Value::text(SERVICE_TYPE)),
        ("keywords", Value::text(category.keywords.join(", "))),
        ("group", Value::text(group)),
    ])
}

/// Builds one field as a service definition attribute, with `order` counted from 1.
fn attribute(field: &FieldDefinition, order: usize) -> Value {
    let values = field
        .values
        .iter()
        .map(|allowed| Value::Record(vec![("key", Value::text(&allowed.key)), ("name", Value::text(&allowed.name))]))
        .collect();
    let datatype_description = match field.format {
        Some(FieldFormat::Plate) => Value::text(Tr.t("open311-plate-datatype-description")),
        None => Value::Null,
    };

    Value::Record(vec![
        // Every field is the resident's input, never an informational note.
        ("variable", Value::Bool(true)),
        ("code", Value::text(&field.code)),
        ("datatype", Value::text(datatype_name(field.datatype))),
        ("required", Value::Bool(field.required)),
        ("datatype_description", datatype_description),
        ("order", Value::Integer(order as i64)),
        ("description", Value::text(&field.label)),
        ("values", Value::List("value", values)),
    ])
}

/// Returns the GeoReport v2 datatype name, which the catalog's field types follow one to one.
pub fn datatype_name(datatype: FieldType) -> &'static str {
    match datatype {
        FieldType::String => "string",
        FieldType::Number => "number",
        FieldType::Datetime => "datetime",
        FieldType::Text => "text",
        FieldType::Singlevaluelist => "singlevaluelist",
        FieldType::Multivaluelist => "multivaluelist",
    }
}
