//! Open311 GeoReport v2 under `/open311/v2`, over real HTTP on both backends. Every endpoint is
//! requested as JSON and as XML, and the two responses must carry the same content: the XML is
//! parsed and turned into the JSON shape before they are compared.

#[allow(dead_code, reason = "the shared helpers serve several test binaries")]
mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use common::*;
use pomoshnik_core::number::ReportNumber;
use pomoshnik_core::role::Role;
use pomoshnik_store::NewReport;
use pomoshnik_test_support::on_both_backends;
use reqwest::{Client, StatusCode};
use serde_json::{Map, Value, json};
use tokio::task::JoinSet;

on_both_backends!(with_service => discovery_and_services, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => filing_and_errors, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => status_filter_and_history, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => list_defaults_and_pages, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => plates_stay_private, flavor = "multi_thread", worker_threads = 2);

/// Tverskaya Street, inside the city.
const LAT: &str = "55.764";
const LONG: &str = "37.606";

const LITTER_DESCRIPTION: &str = "Во дворе третий день не вывозят мусор, контейнеры переполнены.";

/// XML elements whose children form a list, with the name of each child.
const XML_LISTS: [(&str, &str); 8] = [
    ("services", "service"),
    ("service_requests", "request"),
    ("service_request_updates", "request_update"),
    ("errors", "error"),
    ("attributes", "attribute"),
    ("values", "value"),
    ("endpoints", "endpoint"),
    ("formats", "format"),
];

/// An HTTP response.
struct Reply {
    status: StatusCode,
    content_type: String,
    body: String,
}

/// An Open311 client of the test service.
struct Open311 {
    client: Client,
    base_url: String,
}

impl Open311 {
    fn new(service: &TestService) -> Open311 {
        Open311 { client: Client::new(), base_url: service.url("/open311/v2") }
    }

    async fn read(response: reqwest::Response) -> Reply {
        let status = response.status();
        let content_type = response.headers().get("content-type").and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
        let body = response.text().await.expect("failed to read the response body");
        Reply { status, content_type, body }
    }

    /// GETs `resource.format`, such as `services` and `json`.
    async fn get(&self, resource: &str, format: &str, query: &[(&str, &str)]) -> Reply {
        let url = format!("{}/{resource}.{format}", self.base_url);
        let response = self.client.get(&url).query(query).send().await.unwrap_or_else(|error| panic!("GET {url} failed: {error}"));
        Open311::read(response).await
    }

    async fn post(&self, format: &str, form: &[(&str, &str)]) -> Reply {
        let url = format!("{}/requests.{format}", self.base_url);
        let response = self.client.post(&url).form(form).send().await.unwrap_or_else(|error| panic!("POST {url} failed: {error}"));
        Open311::read(response).await
    }

    /// GETs the resource as JSON and as XML, checks that both have `status` and the same content
    /// and that the XML root is `root`, and returns the JSON.
    async fn get_both(&self, resource: &str, query: &[(&str, &str)], status: StatusCode, root: &str) -> Value {
        let json_reply = self.get(resource, "json", query).await;
        let xml_reply = self.get(resource, "xml", query).await;
        let what = format!("GET {resource} {query:?}");
        same_content(&what, json_reply, xml_reply, status, root)
    }

    /// POSTs the form as JSON and as XML and checks both; see [`Open311::get_both`]. Each POST
    /// may file a report, so the two responses are returned for the caller to compare.
    async fn post_both(&self, form: &[(&str, &str)], status: StatusCode, root: &str) -> (Value, Value) {
        let json_reply = self.post("json", form).await;
        let xml_reply = self.post("xml", form).await;
        let what = format!("POST requests {form:?}");
        let json = checked_json(&what, json_reply, status);
        let xml = checked_xml(&what, xml_reply, status, root);
        (json, xml)
    }
}

fn checked_json(what: &str, reply: Reply, status: StatusCode) -> Value {
    assert_eq!(reply.status, status, "{what} as JSON: {}", reply.body);
    assert_eq!(reply.content_type, "application/json; charset=utf-8", "{what} as JSON");
    serde_json::from_str(&reply.body).unwrap_or_else(|error| panic!("{what} as JSON is not JSON ({error}): {}", reply.body))
}

/// Parses the XML answer and returns it in the JSON shape with every scalar as text.
fn checked_xml(what: &str, reply: Reply, status: StatusCode, root: &str) -> Value {
    assert_eq!(reply.status, status, "{what} as XML: {}", reply.body);
    assert_eq!(reply.content_type, "text/xml; charset=utf-8", "{what} as XML");
    assert!(reply.body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), "{what} as XML lacks the declaration: {}", reply.body);
    let document = roxmltree::Document::parse(&reply.body).unwrap_or_else(|error| panic!("{what} as XML does not parse ({error}): {}", reply.body));
    assert_eq!(document.root_element().tag_name().name(), root, "{what} as XML");
    xml_value(document.root_element())
}

fn same_content(what: &str, json_reply: Reply, xml_reply: Reply, status: StatusCode, root: &str) -> Value {
    let json = checked_json(what, json_reply, status);
    let xml = checked_xml(what, xml_reply, status, root);
    assert_eq!(as_text(&json), xml, "{what}: JSON and XML differ");
    json
}

fn xml_value(node: roxmltree::Node) -> Value {
    let name = node.tag_name().name();
    let children: Vec<roxmltree::Node> = node.children().filter(|child| child.is_element()).collect();
    if let Some((_, item)) = XML_LISTS.iter().find(|(list, _)| *list == name) {
        for child in &children {
            assert_eq!(child.tag_name().name(), *item, "an item of <{name}>");
        }
        return Value::Array(children.into_iter().map(xml_value).collect());
    }
    if !children.is_empty() {
        let mut fields = Map::new();
        for child in children {
            let previous = fields.insert(child.tag_name().name().to_owned(), xml_value(child));
            assert!(previous.is_none(), "<{name}> repeats <{}>", child.tag_name().name());
        }
        return Value::Object(fields);
    }
    match node.text() {
        Some(text) if !text.is_empty() => Value::String(text.to_owned()),
        _ => Value::Null,
    }
}

/// Converts JSON numbers and booleans to text and empty text to null, as XML carries them.
fn as_text(value: &Value) -> Value {
    match value {
        Value::Bool(flag) => Value::String(flag.to_string()),
        Value::Number(number) => Value::String(number.to_string()),
        Value::String(text) if text.is_empty() => Value::Null,
        Value::Array(items) => Value::Array(items.iter().map(as_text).collect()),
        Value::Object(fields) => Value::Object(fields.iter().map(|(name, field)| (name.clone(), as_text(field))).collect()),
        other => other.clone(),
    }
}

fn error_codes(errors: &Value) -> Vec<String> {
    let items = errors.as_array().unwrap_or_else(|| panic!("not an error list: {errors}"));
    for item in items {
        let description = item["description"].as_str().unwrap_or_else(|| panic!("error without a description: {item}"));
        assert!(!description.is_empty(), "empty description: {item}");
    }
    items.iter().map(|item| item["code"].as_str().unwrap_or_else(|| panic!("error without a code: {item}")).to_owned()).collect()
}

/// Requests an error in both formats and checks its status and its first code.
async fn expect_get_error(open311: &Open311, resource: &str, query: &[(&str, &str)], status: StatusCode, code: &str) {
    let errors = open311.get_both(resource, query, status, "errors").await;
    assert_eq!(error_codes(&errors)[0], code, "GET {resource} {query:?}: {errors}");
}

async fn expect_post_error(open311: &Open311, form: &[(&str, &str)], status: StatusCode, codes: &[&str]) {
    let (json, xml) = open311.post_both(form, status, "errors").await;
    assert_eq!(as_text(&json), xml, "POST {form:?}: JSON and XML differ");
    assert_eq!(error_codes(&json), codes, "POST {form:?}");
}

fn ids_of(requests: &Value) -> Vec<String> {
    let items = requests.as_array().unwrap_or_else(|| panic!("not a request list: {requests}"));
    items.iter().map(|item| item["service_request_id"].as_str().expect("request has an id").to_owned()).collect()
}

/// Builds a form that files a litter report with `key`.
fn litter_form(key: &str) -> Vec<(&str, &str)> {
    vec![
        ("api_key", key),
        ("service_code", "uncleaned_litter_snow"),
        ("lat", LAT),
        ("long", LONG),
        ("address_string", "Москва, Тверская улица, 7"),
        ("description", LITTER_DESCRIPTION),
        // Contact details are ignored: the report belongs to the key's client account.
        ("email", "someone@example.ru"),
        ("first_name", "Иван"),
    ]
}

/// Files a litter report as JSON and returns its number.
async fn file_litter(open311: &Open311, key: &str) -> String {
    let reply = open311.post("json", &litter_form(key)).await;
    let body = checked_json("POST litter report", reply, StatusCode::CREATED);
    body[0]["service_request_id"].as_str().unwrap_or_else(|| panic!("no service_request_id: {body}")).to_owned()
}

async fn issue_key(service: &TestService, name: &str) -> pomoshnik_web::open311::clients::IssuedKey {
    pomoshnik::add_api_key(service.state.store.as_ref(), name, None).await.unwrap_or_else(|error| panic!("failed to issue key {name}: {error:#}"))
}

async fn discovery_and_services(service: &TestService) {
    let open311 = Open311::new(service);

    let discovery = open311.get_both("discovery", &[], StatusCode::OK, "discovery").await;
    let endpoint = &discovery["endpoints"][0];
    assert_eq!(endpoint["specification"], "http://wiki.open311.org/GeoReport_v2");
    assert_eq!(endpoint["url"], service.url("/open311/v2").as_str());
    assert_eq!(endpoint["type"], "production");
    assert_eq!(endpoint["formats"], json!(["application/json", "text/xml"]));
    assert!(discovery["changeset"].is_string(), "{discovery}");

    let services = open311.get_both("services", &[], StatusCode::OK, "services").await;
    let list = services.as_array().expect("services is a list");
    assert_eq!(list.len(), 8);
    let parking = list.iter().find(|item| item["service_code"] == "parking_violation").expect("parking_violation is a service");
    assert_eq!(parking["metadata"], true);
    assert_eq!(parking["type"], "realtime");
    assert_eq!(parking["group"], "Транспорт");
    assert!(parking["keywords"].as_str().is_some_and(|keywords| keywords.split(", ").any(|word| word == "парковка")), "{parking}");
    assert!(parking["service_name"].as_str().is_some_and(|name| !name.is_empty()), "{parking}");
    let landscaping = list.iter().find(|item| item["service_code"] == "landscaping_violation").expect("landscaping_violation is a service");
    assert_eq!(landscaping["metadata"], false);

    let definition = open311.get_both("services/infrastructure_damage", &[], StatusCode::OK, "service_definition").await;
    assert_eq!(definition["service_code"], "infrastructure_damage");
    let object_type = &definition["attributes"][0];
    assert_eq!(object_type["code"], "object_type");
    assert_eq!(object_type["datatype"], "singlevaluelist");
    assert_eq!(object_type["required"], true);
    assert_eq!(object_type["variable"], true);
    assert_eq!(object_type["order"], 1);
    assert!(object_type["description"].as_str().is_some_and(|label| !label.is_empty()), "{object_type}");
    let keys: Vec<&str> = object_type["values"].as_array().expect("values is a list").iter().map(|value| value["key"].as_str().expect("value has a key")).collect();
    assert!(keys.contains(&"bench"), "{keys:?}");

    let definition = open311.get_both("services/parking_violation", &[], StatusCode::OK, "service_definition").await;
    let plate = &definition["attributes"][0];
    assert_eq!(plate["code"], "plate");
    assert_eq!(plate["datatype"], "string");
    assert!(plate["datatype_description"].as_str().is_some_and(|text| text.contains("А123ВС77")), "{plate}");
    assert_eq!(plate["values"], json!([]));

    let definition = open311.get_both("services/uncleaned_litter_snow", &[], StatusCode::OK, "service_definition").await;
    assert_eq!(definition["attributes"], json!([]));

    // Unknown services, jurisdictions and resources.
    expect_get_error(&open311, "services/potholes", &[], StatusCode::NOT_FOUND, "category_unknown").await;
    expect_get_error(&open311, "services", &[("jurisdiction_id", "spb")], StatusCode::NOT_FOUND, "jurisdiction_unknown").await;
    open311.get_both("services", &[("jurisdiction_id", "moscow")], StatusCode::OK, "services").await;
    expect_get_error(&open311, "nothing", &[], StatusCode::NOT_FOUND, "not_found").await;
    let reply = open311.get("services", "csv", &[]).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
}

async fn filing_and_errors(service: &TestService) {
    let open311 = Open311::new(service);
    let issued = issue_key(service, "city-app").await;
    let key = issued.key.as_str();
    assert!(key.starts_with(pomoshnik_web::open311::clients::API_KEY_PREFIX), "{key}");
    assert_eq!(issued.account.email, "open311+city-app@clients.invalid");
    assert_eq!(issued.account.role, Role::Resident);
    assert!(issued.account.confirmed);

    // Filing, in both formats: two reports of the client account.
    let before = Utc::now();
    let (json, xml) = open311.post_both(&litter_form(key), StatusCode::CREATED, "service_requests").await;
    let mut numbers = Vec::new();
    for created in [&json, &xml] {
        let request = &created[0];
        let number = request["service_request_id"].as_str().unwrap_or_else(|| panic!("no service_request_id: {created}"));
        assert!(is_report_number(number), "{number}");
        assert!(request["service_notice"].as_str().is_some_and(|notice| notice.contains("рабочих дн")), "{created}");
        assert!(request["account_id"].is_null(), "{created}");
        numbers.push(number.to_owned());
    }
    assert_ne!(numbers[0], numbers[1]);
    let stored = service.state.store.report(&numbers[0].parse::<ReportNumber>().unwrap()).await.unwrap().expect("the filed report is stored");
    assert_eq!(stored.author_id, issued.account.id);
    assert_eq!(stored.category_code, "uncleaned_litter_snow");
    assert_eq!(stored.address.as_deref(), Some("Москва, Тверская улица, 7"));
    assert!(stored.occurred_at >= before - Duration::seconds(1), "occurred_at {} is before the request", stored.occurred_at);
    assert!(stored.occurred_at <= Utc::now(), "occurred_at {} is in the future", stored.occurred_at);

    // A list field, and text that XML must escape.
    let tricky = "Скамейка сломана <b>полностью</b> & \"опасна\" — 'осторожно'.";
    let mut form = litter_form(key);
    form.retain(|(name, _)| *name != "service_code" && *name != "description");
    form.extend([("service_code", "infrastructure_damage"), ("attribute[object_type]", "bench"), ("description", tricky)]);
    let (bench, _) = open311.post_both(&form, StatusCode::CREATED, "service_requests").await;
    let bench_number = bench[0]["service_request_id"].as_str().expect("bench report has a number").to_owned();
    let shown = open311.get_both(&format!("requests/{bench_number}"), &[("extensions", "true")], StatusCode::OK, "service_requests").await;
    let request = &shown[0];
    assert_eq!(request["description"], tricky);
    assert_eq!(request["status"], "open");
    assert_eq!(request["service_code"], "infrastructure_damage");
    assert_eq!(request["agency_responsible"], "ГБУ «Жилищник» района");
    assert_eq!(request["lat"], 55.764);
    assert_eq!(request["long"], 37.606);
    assert_eq!(request["extended_attributes"]["detailed_status"], "accepted");
    assert_eq!(request["extended_attributes"]["attributes"][0]["code"], "object_type");
    assert_eq!(request["extended_attributes"]["attributes"][0]["value"], "bench");
    let plain = open311.get_both(&format!("requests/{bench_number}"), &[], StatusCode::OK, "service_requests").await;
    assert!(plain[0].get("extended_attributes").is_none(), "{plain}");

    // Tokens are the report numbers.
    let tokens = open311.get_both(&format!("tokens/{bench_number}"), &[], StatusCode::OK, "service_requests").await;
    assert_eq!(tokens, json!([{ "service_request_id": bench_number, "token": bench_number }]));

    // Keys: missing, unknown, revoked.
    let revoked = issue_key(service, "revoked-app").await;
    let revoked_key = pomoshnik::revoke_api_key(service.state.store.as_ref(), "revoked-app").await.expect("revoking works");
    assert!(revoked_key.revoked_at.is_some());
    let mut no_key = litter_form(key);
    no_key.retain(|(name, _)| *name != "api_key");
    expect_post_error(&open311, &no_key, StatusCode::FORBIDDEN, &["api_key_missing"]).await;
    expect_post_error(&open311, &litter_form("pomoshnik311_not-a-key"), StatusCode::FORBIDDEN, &["api_key_invalid"]).await;
    expect_post_error(&open311, &litter_form(&revoked.key), StatusCode::FORBIDDEN, &["api_key_invalid"]).await;

    // Invalid arguments, with our stable codes.
    let with = |changes: &[(&'static str, &'static str)]| {
        let mut form = litter_form(key);
        for (name, value) in changes {
            form.retain(|(existing, _)| existing != name);
            if !value.is_empty() {
                form.push((*name, *value));
            }
        }
        form
    };
    let cases: [(&[(&str, &str)], StatusCode, &[&str]); 10] = [
        (&[("lat", "north")], StatusCode::BAD_REQUEST, &["location_invalid"]),
        (&[("lat", "95")], StatusCode::BAD_REQUEST, &["location_invalid"]),
        (&[("lat", ""), ("long", "")], StatusCode::BAD_REQUEST, &["location_required"]),
        (&[("service_code", "")], StatusCode::BAD_REQUEST, &["service_code_required"]),
        (&[("service_code", "potholes")], StatusCode::NOT_FOUND, &["category_unknown"]),
        (&[("description", "Мусор")], StatusCode::BAD_REQUEST, &["description_too_short"]),
        (&[("media_url", "http://example.invalid/photo.jpg")], StatusCode::BAD_REQUEST, &["media_url_not_supported"]),
        (&[("attribute[castle]", "yes")], StatusCode::BAD_REQUEST, &["attribute_unknown"]),
        (&[("jurisdiction_id", "spb")], StatusCode::NOT_FOUND, &["jurisdiction_unknown"]),
        // Parking needs photos, which GeoReport v2 cannot send, and the plate is missing.
        (&[("service_code", "parking_violation")], StatusCode::BAD_REQUEST, &["field_required", "photos_too_few"]),
    ];
    for (changes, status, codes) in cases {
        expect_post_error(&open311, &with(changes), status, codes).await;
    }

    // A body that is not a form.
    for format in ["json", "xml"] {
        let url = format!("{}/requests.{format}", open311.base_url);
        let response = open311.client.post(&url).json(&json!({ "api_key": key })).send().await.expect("POST failed");
        let reply = Open311::read(response).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert!(reply.body.contains("form_invalid"), "{}", reply.body);
    }

    // Unknown reports.
    expect_get_error(&open311, "requests/2026-9999999", &[], StatusCode::NOT_FOUND, "not_found").await;
    expect_get_error(&open311, "requests/not-a-number", &[], StatusCode::NOT_FOUND, "not_found").await;
    expect_get_error(&open311, "tokens/2026-9999999", &[], StatusCode::NOT_FOUND, "not_found").await;

    // Client names are unique, and the client account cannot sign in.
    let again = pomoshnik::add_api_key(service.state.store.as_ref(), "city-app", None).await;
    assert!(again.is_err_and(|error| error.to_string().contains("already exists")));
    let keys = service.state.store.list_api_keys().await.expect("listing keys works");
    let states: Vec<(&str, bool)> = keys.iter().map(|key| (key.name.as_str(), key.revoked_at.is_some())).collect();
    assert_eq!(states, [("city-app", false), ("revoked-app", true)]);
    let response = Client::new()
        .post(service.url("/api/v1/session"))
        .json(&json!({ "login": issued.account.email, "password": key }))
        .send()
        .await
        .expect("sign-in request failed");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn status_filter_and_history(service: &TestService) {
    let open311 = Open311::new(service);
    let issued = issue_key(service, "city-app").await;
    let moderator = service.user("moderator@example.ru", Role::Moderator, None).await;
    let executor = service.user("executor@example.ru", Role::Executor, Some("zhilishchnik")).await;
    let start = (Utc::now() - Duration::minutes(1)).to_rfc3339();

    let resolved = file_litter(&open311, &issued.key).await;
    let open = file_litter(&open311, &issued.key).await;

    let comment = "Мусор вывезли, площадку убрали.";
    let steps = [
        (&moderator, json!({ "to": "under_review" })),
        (&moderator, json!({ "to": "dispatched" })),
        (&executor, json!({ "to": "in_progress" })),
        (&executor, json!({ "to": "resolved", "decision": "fixed", "comment": comment })),
    ];
    for (staff, body) in steps {
        let (status, answer) = staff.transition(&resolved, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}: {answer}");
    }

    let closed = open311.get_both("requests", &[("status", "closed")], StatusCode::OK, "service_requests").await;
    assert_eq!(ids_of(&closed), [resolved.as_str()]);
    let request = &closed[0];
    assert_eq!(request["status"], "closed");
    assert_eq!(request["status_notes"], comment);
    assert!(request["expected_datetime"].is_null(), "{request}");

    let still_open = open311.get_both("requests", &[("status", "open")], StatusCode::OK, "service_requests").await;
    assert_eq!(ids_of(&still_open), [open.as_str()]);
    assert!(still_open[0]["status_notes"].is_null(), "{still_open}");

    let both = open311.get_both("requests", &[("status", "open,closed")], StatusCode::OK, "service_requests").await;
    assert_eq!(ids_of(&both), [open.clone(), resolved.clone()], "newest first");

    let extended = open311.get_both("requests", &[("status", "closed"), ("extensions", "true")], StatusCode::OK, "service_requests").await;
    let details = &extended[0]["extended_attributes"];
    assert_eq!(details["detailed_status"], "resolved");
    assert_eq!(details["decision"], "fixed");
    assert!(details["detailed_status_name"].as_str().is_some_and(|name| !name.is_empty()), "{details}");
    assert!(details["decision_name"].as_str().is_some_and(|name| !name.is_empty()), "{details}");

    let other = open311.get_both("requests", &[("service_code", "infrastructure_damage")], StatusCode::OK, "service_requests").await;
    assert_eq!(other, json!([]));
    expect_get_error(&open311, "requests", &[("status", "pending")], StatusCode::BAD_REQUEST, "status_filter_invalid").await;
    expect_get_error(&open311, "requests", &[("service_code", "potholes")], StatusCode::NOT_FOUND, "category_unknown").await;
    expect_get_error(&open311, "requests", &[("start_date", "yesterday")], StatusCode::BAD_REQUEST, "date_invalid").await;

    // Listed ids override the other filters.
    let listed = open311.get_both("requests", &[("service_request_id", &format!("{open},{resolved}")), ("status", "closed")], StatusCode::OK, "service_requests").await;
    let listed_ids: BTreeSet<String> = ids_of(&listed).into_iter().collect();
    assert_eq!(listed_ids, BTreeSet::from([open.clone(), resolved.clone()]));

    // The history of the resolved report.
    let query = [("start_date", start.as_str()), ("extensions", "true")];
    let updates = open311.get_both("servicerequestupdates", &query, StatusCode::OK, "service_request_updates").await;
    let history: Vec<&Value> = updates.as_array().expect("updates is a list").iter().filter(|update| update["service_request_id"] == resolved.as_str()).collect();
    let detailed: Vec<&str> = history.iter().map(|update| update["extended_attributes"]["detailed_status"].as_str().expect("detailed status")).collect();
    assert_eq!(detailed, ["accepted", "under_review", "dispatched", "in_progress", "resolved"]);
    let public: Vec<&str> = history.iter().map(|update| update["status"].as_str().expect("status")).collect();
    assert_eq!(public, ["open", "open", "open", "open", "closed"]);
    assert_eq!(history[4]["description"], comment);
    assert_eq!(history[4]["extended_attributes"]["decision"], "fixed");
    assert!(history.iter().all(|update| update["updated_datetime"].as_str().is_some_and(|time| time.ends_with("+03:00"))), "{updates}");
    let update_ids: BTreeSet<&str> = history.iter().map(|update| update["update_id"].as_str().expect("update id")).collect();
    assert_eq!(update_ids.len(), 5);

    let later = (Utc::now() + Duration::minutes(1)).to_rfc3339();
    let none = open311.get_both("servicerequestupdates", &[("start_date", later.as_str())], StatusCode::OK, "service_request_updates").await;
    assert_eq!(none, json!([]));
    expect_get_error(&open311, "servicerequestupdates", &[("start_date", "2026-13-01T00:00:00Z")], StatusCode::BAD_REQUEST, "date_invalid").await;
}

/// Stores a litter report of `author_id` filed at `created_at`, bypassing the HTTP layer so
/// that its filing time can lie in the past.
fn stored_report(author_id: i64, created_at: DateTime<Utc>) -> NewReport {
    NewReport {
        author_id,
        idempotency_key: None,
        category_code: "uncleaned_litter_snow".into(),
        category_name: "Мусор и снег".into(),
        deadline_working_days: 5,
        latitude: 55.764,
        longitude: 37.606,
        address: None,
        occurred_at: created_at,
        description: LITTER_DESCRIPTION.into(),
        fields: Default::default(),
        file_ids: Vec::new(),
        created_at,
        area: None,
        h3_cell: None,
    }
}

async fn list_defaults_and_pages(service: &TestService) {
    let open311 = Open311::new(service);
    let author = service.add_user("resident@example.ru", Role::Resident, None).await;
    let store = service.state.store.clone();

    let old = store.create_report(&stored_report(author.id, Utc::now() - Duration::days(100))).await.expect("old report is stored");
    let old_number = old.report().number.to_string();

    // 1001 recent reports, one millisecond apart.
    let newest = Utc::now() - Duration::minutes(1);
    let mut tasks = JoinSet::new();
    for worker in 0..4_i64 {
        let store = store.clone();
        tasks.spawn(async move {
            for index in (worker..1001).step_by(4) {
                store.create_report(&stored_report(author.id, newest - Duration::milliseconds(index))).await.expect("recent report is stored");
            }
        });
    }
    while let Some(finished) = tasks.join_next().await {
        finished.expect("a storing task panicked");
    }

    // Defaults: the last 90 days, at most 1000.
    let first = open311.get_both("requests", &[], StatusCode::OK, "service_requests").await;
    let first_ids = ids_of(&first);
    assert_eq!(first_ids.len(), 1000);
    assert!(!first_ids.contains(&old_number), "a report older than 90 days is listed by default");
    let times: Vec<&str> = first.as_array().unwrap().iter().map(|request| request["requested_datetime"].as_str().expect("requested_datetime")).collect();
    let parsed: Vec<DateTime<Utc>> = times.iter().map(|time| DateTime::parse_from_rfc3339(time).expect("W3C time").with_timezone(&Utc)).collect();
    assert!(parsed.windows(2).all(|pair| pair[0] >= pair[1]), "not newest first");

    let second = open311.get_both("requests", &[("page", "2")], StatusCode::OK, "service_requests").await;
    assert_eq!(ids_of(&second).len(), 1);
    assert!(!first_ids.contains(&ids_of(&second)[0]));

    let slice = open311.get_both("requests", &[("page", "3"), ("page_size", "10")], StatusCode::OK, "service_requests").await;
    assert_eq!(ids_of(&slice), first_ids[20..30]);

    // A longer period reaches the old report; an explicit id reaches it too.
    let start = (Utc::now() - Duration::days(120)).to_rfc3339();
    let longer = open311.get_both("requests", &[("start_date", start.as_str()), ("page", "2")], StatusCode::OK, "service_requests").await;
    assert_eq!(ids_of(&longer).len(), 2);
    assert_eq!(ids_of(&longer)[1], old_number);
    let end = (Utc::now() - Duration::days(95)).to_rfc3339();
    let ended = open311.get_both("requests", &[("end_date", end.as_str())], StatusCode::OK, "service_requests").await;
    assert_eq!(ids_of(&ended), [old_number.clone()], "end_date alone covers the 90 days before it");
    let by_id = open311.get_both("requests", &[("service_request_id", old_number.as_str())], StatusCode::OK, "service_requests").await;
    assert_eq!(ids_of(&by_id), [old_number.clone()]);

    expect_get_error(&open311, "requests", &[("page_size", "1001")], StatusCode::BAD_REQUEST, "page_invalid").await;
    expect_get_error(&open311, "requests", &[("page", "0")], StatusCode::BAD_REQUEST, "page_invalid").await;
    expect_get_error(&open311, "requests", &[("page", "two")], StatusCode::BAD_REQUEST, "page_invalid").await;
    let too_many = (1..=1001).map(|sequence| format!("2026-{sequence:07}")).collect::<Vec<_>>().join(",");
    expect_get_error(&open311, "requests", &[("service_request_id", too_many.as_str())], StatusCode::BAD_REQUEST, "too_many_request_ids").await;

    // The history pages the same way.
    let updates = open311.get_both("servicerequestupdates", &[], StatusCode::OK, "service_request_updates").await;
    assert_eq!(updates.as_array().expect("updates is a list").len(), 1000);
    let rest = open311.get_both("servicerequestupdates", &[("page", "2")], StatusCode::OK, "service_request_updates").await;
    assert_eq!(rest.as_array().expect("updates is a list").len(), 1);
}

async fn plates_stay_private(service: &TestService) {
    let open311 = Open311::new(service);
    let resident = service.resident("resident@example.ru").await;
    let moderator = service.user("moderator@example.ru", Role::Moderator, None).await;
    let executor = service.user("executor.madi@example.ru", Role::Executor, Some("madi")).await;

    // The plate is in the field, the description and every staff comment.
    // The service's own example plate, А123ВС77, appears in the service definition, so the
    // report uses another one.
    let mut report = parking_report();
    report["fields"]["plate"] = json!("М456ОР197");
    report["description"] = json!("Автомобиль М456ОР197 стоит на тротуаре у входа в метро и мешает пешеходам.");
    let photos = [Upload::photo(TVERSKAYA), Upload::photo(ZELENOGRAD)];
    let (status, filed) = resident.file_report(&report, &photos, None).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let number = filed["number"].as_str().expect("report has a number").to_owned();

    let steps = [
        (&moderator, json!({ "to": "under_review", "comment": "Проверяем М456ОР197" })),
        (&moderator, json!({ "to": "dispatched", "comment": "Передано: М456ОР197" })),
        (&executor, json!({ "to": "in_progress", "comment": "М456ОР197 в работе" })),
        (&executor, json!({ "to": "resolved", "decision": "confirmed", "comment": "Штраф для М456ОР197 выписан" })),
    ];
    for (staff, body) in steps {
        let (status, answer) = staff.transition(&number, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}: {answer}");
    }

    let open311_key = issue_key(service, "city-app").await;
    file_litter(&open311, &open311_key.key).await;

    let number_path = format!("requests/{number}");
    let token_path = format!("tokens/{number}");
    let reads: [(&str, &[(&str, &str)]); 9] = [
        ("requests", &[]),
        ("requests", &[("extensions", "true")]),
        ("requests", &[("service_request_id", number.as_str()), ("extensions", "true")]),
        (number_path.as_str(), &[]),
        (number_path.as_str(), &[("extensions", "true")]),
        (token_path.as_str(), &[]),
        ("servicerequestupdates", &[]),
        ("servicerequestupdates", &[("extensions", "true")]),
        ("services/parking_violation", &[]),
    ];
    // The plate as stored, in Latin look-alike letters and in lower case.
    let plate_forms = ["М456ОР197", "M456OP197", "м456ор197", "m456op197"];
    for (resource, query) in reads {
        for format in ["json", "xml"] {
            let reply = open311.get(resource, format, query).await;
            assert_eq!(reply.status, StatusCode::OK, "GET {resource}.{format} {query:?}: {}", reply.body);
            for plate in plate_forms {
                assert!(!reply.body.contains(plate), "GET {resource}.{format} {query:?} shows the plate: {}", reply.body);
            }
            assert!(!reply.body.contains("resident@example.ru"), "GET {resource}.{format} {query:?} shows the author");
            assert!(!reply.body.contains("author"), "GET {resource}.{format} {query:?} names an author");
        }
    }

    let shown = open311.get_both(&number_path, &[("extensions", "true")], StatusCode::OK, "service_requests").await;
    let request = &shown[0];
    assert!(request["description"].is_null(), "{request}");
    assert!(request["status_notes"].is_null(), "{request}");
    assert_eq!(request["extended_attributes"]["attributes"], json!([]));
    assert_eq!(request["status"], "closed");
    assert_eq!(request["agency_responsible"], "Московская административная дорожная инспекция");
    assert_eq!(request["lat"], 55.764);
}
