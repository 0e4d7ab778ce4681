//! Checks the hand-written OpenAPI document served at `/api/v1/openapi.json` against the code:
//! the routes of `api::routes`, the references inside the document and the codes of statuses,
//! decisions, rejection reasons, roles, file kinds and field datatypes.

use std::collections::BTreeSet;

use pomoshnik_core::catalog::FieldType;
use pomoshnik_core::role::Role;
use pomoshnik_core::status::{Decision, RejectionReason, Status};
use pomoshnik_media::FileKind;
use serde_json::Value;

const DOCUMENT: &str = include_str!("../openapi.json");

/// Every route of `api::routes` in `src/api/mod.rs`, as path and lowercase method. Update this
/// table together with the router and the document.
const ROUTES: &[(&str, &str)] = &[
    ("/openapi.json", "get"),
    ("/session", "post"),
    ("/session", "delete"),
    ("/categories", "get"),
    ("/reports", "get"),
    ("/reports", "post"),
    ("/reports/{number}", "get"),
    ("/reports/{number}/transitions", "post"),
    ("/reports/{number}/rating", "post"),
    ("/reports/{number}/followers", "post"),
    ("/reports/{number}/thumbnail", "get"),
    ("/reports/{number}/files/{file_id}", "get"),
    ("/reports/{number}/files/{file_id}/{variant}", "get"),
    ("/reports/nearby", "get"),
    ("/geocode/search", "get"),
    ("/geocode/reverse", "get"),
    ("/notifications", "get"),
    ("/dashboard", "get"),
    ("/public/reports", "get"),
    ("/open-data/reports", "get"),
];

/// Routes whose handlers take no `ApiUser`, so they work without a bearer token.
const PUBLIC_ROUTES: &[(&str, &str)] = &[("/openapi.json", "get"), ("/session", "post"), ("/categories", "get"), ("/public/reports", "get"), ("/open-data/reports", "get")];

const HTTP_METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("openapi.json is not valid JSON")
}

/// Returns the string values of the `enum` of `components/schemas/NAME`.
fn schema_enum(document: &Value, name: &str) -> Vec<String> {
    let values = document["components"]["schemas"][name]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("components/schemas/{name} has no enum array"));
    let mut codes = Vec::with_capacity(values.len());
    for value in values {
        let code = value.as_str().unwrap_or_else(|| panic!("{name} enum contains non-string {value}"));
        codes.push(code.to_owned());
    }
    codes
}

fn codes(values: impl IntoIterator<Item = &'static str>) -> Vec<String> {
    values.into_iter().map(str::to_owned).collect()
}

/// Collects every `$ref` string in the document, with the JSON pointer of the object holding it.
fn collect_refs(value: &Value, pointer: &str, refs: &mut Vec<(String, String)>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                if key == "$ref" {
                    if let Value::String(target) = member {
                        refs.push((pointer.to_owned(), target.clone()));
                    }
                }
                let escaped = key.replace('~', "~0").replace('/', "~1");
                collect_refs(member, &format!("{pointer}/{escaped}"), refs);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                collect_refs(item, &format!("{pointer}/{index}"), refs);
            }
        }
        _ => {}
    }
}

/// Returns the operations of the document as path and method.
fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().expect("document has no paths object");
    let mut found = BTreeSet::new();
    for (path, item) in paths {
        let item = item.as_object().unwrap_or_else(|| panic!("path item {path} is not an object"));
        for method in item.keys().filter(|key| HTTP_METHODS.contains(&key.as_str())) {
            found.insert((path.clone(), method.clone()));
        }
    }
    found
}

/// Returns whether the operation can be called without credentials: its own `security` or the
/// document's is empty, or contains an empty requirement.
fn is_public(document: &Value, path: &str, method: &str) -> bool {
    let operation = &document["paths"][path][method];
    let security = operation.get("security").unwrap_or(&document["security"]);
    match security.as_array() {
        None => true,
        Some(requirements) => requirements.is_empty() || requirements.iter().any(|requirement| requirement.as_object().is_some_and(|members| members.is_empty())),
    }
}

#[test]
fn version_is_openapi_3_1() {
    let document = document();
    let version = document["openapi"].as_str().expect("`openapi` is missing or not a string");
    assert!(version.starts_with("3.1"), "`openapi` is {version:?}, expected 3.1.x");
}

#[test]
fn servers_point_at_api_prefix() {
    let document = document();
    assert_eq!(document["servers"], serde_json::json!([{ "url": "/api/v1" }]));
}

#[test]
fn every_route_is_documented() {
    let documented = operations(&document());
    for (path, method) in ROUTES {
        assert!(documented.contains(&(path.to_string(), method.to_string())), "{} {path} is routed but missing from openapi.json", method.to_uppercase());
    }
}

#[test]
fn no_operation_without_route() {
    let routed: BTreeSet<(String, String)> = ROUTES.iter().map(|(path, method)| (path.to_string(), method.to_string())).collect();
    for (path, method) in operations(&document()) {
        assert!(routed.contains(&(path.clone(), method.clone())), "openapi.json documents {} {path}, which the router does not serve", method.to_uppercase());
    }
}

#[test]
fn security_matches_handlers() {
    let document = document();
    let scheme = &document["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(scheme["type"], "http", "bearerAuth must be an HTTP scheme");
    assert_eq!(scheme["scheme"], "bearer", "bearerAuth must use the bearer scheme");

    for (path, method) in ROUTES {
        let expected_public = PUBLIC_ROUTES.contains(&(path, method));
        let public = is_public(&document, path, method);
        assert_eq!(public, expected_public, "{} {path}: documented as public = {public}, handler needs a token = {}", method.to_uppercase(), !expected_public);
    }
}

#[test]
fn protected_operations_document_401() {
    let document = document();
    for (path, method) in ROUTES.iter().filter(|route| !PUBLIC_ROUTES.contains(route)) {
        let responses = &document["paths"][path][method]["responses"];
        assert!(responses.get("401").is_some(), "{} {path} needs a token but documents no 401 response", method.to_uppercase());
    }
}

#[test]
fn every_ref_resolves() {
    let document = document();
    let mut refs = Vec::new();
    collect_refs(&document, "", &mut refs);
    assert!(!refs.is_empty(), "document contains no $ref at all");

    for (location, target) in refs {
        let pointer = target.strip_prefix('#').unwrap_or_else(|| panic!("{location}: $ref {target:?} is not local to the document"));
        assert!(pointer.starts_with("/components/"), "{location}: $ref {target:?} does not point into components");
        assert!(document.pointer(pointer).is_some(), "{location}: $ref {target:?} does not resolve");
    }
}

#[test]
fn status_enum_matches_code() {
    let expected = codes(Status::ALL.map(Status::code));
    assert_eq!(schema_enum(&document(), "Status"), expected);
}

#[test]
fn decision_enum_matches_code() {
    let expected = codes(Decision::ALL.map(Decision::code));
    assert_eq!(schema_enum(&document(), "Decision"), expected);
}

#[test]
fn rejection_reason_enum_matches_code() {
    let expected = codes(RejectionReason::ALL.map(RejectionReason::code));
    assert_eq!(schema_enum(&document(), "RejectionReason"), expected);
}

#[test]
fn role_enum_matches_code() {
    let expected = codes(Role::ALL.map(Role::code));
    assert_eq!(schema_enum(&document(), "Role"), expected);
}

#[test]
fn file_kind_enum_matches_code() {
    let document = document();
    let expected = codes(FileKind::ALL.map(FileKind::code));
    assert_eq!(schema_enum(&document, "FileKind"), expected);

    let download = &document["paths"]["/reports/{number}/files/{file_id}"]["get"]["responses"]["200"]["content"];
    let documented: BTreeSet<&str> = download.as_object().expect("file download has no 200 content").keys().map(String::as_str).collect();
    let served: BTreeSet<&str> = FileKind::ALL.iter().map(|kind| kind.mime_type()).collect();
    assert_eq!(documented, served, "media types of the file download differ from FileKind::mime_type");
}

/// Returns the serde code of a datatype. The exhaustive match fails to compile when a variant is
/// added, so the list in `field_datatype_enum_matches_code` cannot silently fall behind.
fn datatype_code(datatype: FieldType) -> String {
    match datatype {
        FieldType::String | FieldType::Number | FieldType::Datetime | FieldType::Text | FieldType::Singlevaluelist | FieldType::Multivaluelist => {
            serde_json::to_value(datatype).expect("FieldType serialises").as_str().expect("FieldType serialises to a string").to_owned()
        }
    }
}

#[test]
fn field_datatype_enum_matches_code() {
    let all = [FieldType::String, FieldType::Number, FieldType::Datetime, FieldType::Text, FieldType::Singlevaluelist, FieldType::Multivaluelist];
    let expected: Vec<String> = all.into_iter().map(datatype_code).collect();
    assert_eq!(schema_enum(&document(), "FieldDatatype"), expected);
}

/// Every path routed in `src/api/mod.rs` appears in [`ROUTES`], so a new endpoint cannot be
/// added without its documentation.
#[test]
fn routes_table_matches_router() {
    let source = include_str!("../src/api/mod.rs");
    for declaration in source.split(".route(\"").skip(1) {
        let path = &declaration[..declaration.find('"').expect("route path is closed")];
        assert!(ROUTES.iter().any(|(routed, _)| *routed == path), "{path} is routed in api/mod.rs but missing from ROUTES");
    }
}
