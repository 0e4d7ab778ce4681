//! Catalog administration at /admin/catalog: an administrator creates a category and changes it.
//! Residents file in the new category at once, every save is a numbered version with an audit
//! log entry, and a report filed before a change keeps its deadline and agency.

mod common;

use common::*;
use pomoshnik_core::number::ReportNumber;
use pomoshnik_core::role::Role;
use pomoshnik_store::AuditFilter;
use pomoshnik_test_support::on_both_backends;
use reqwest::{Client, StatusCode};
use serde_json::json;

on_both_backends!(with_service => category_change_spares_filed_reports, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => refused_category_form_keeps_values, flavor = "multi_thread", worker_threads = 2);

const CODE: &str = "yard_pothole";

async fn admin_browser(service: &TestService) -> (Client, String) {
    service.add_user("catalog-admin@example.ru", Role::Admin, None).await;
    let browser = service.browser();
    sign_in_with_form(service, &browser, "catalog-admin@example.ru", "/admin/catalog").await;
    let (status, page) = get_page(service, &browser, "/admin/catalog/categories/_new").await;
    assert_eq!(status, StatusCode::OK);
    let csrf_token = input_value(&page, "csrf_token");
    (browser, csrf_token)
}

/// Builds the form fields of the test category with the given agency and deadline.
fn category_form<'a>(csrf_token: &'a str, original_code: &'a str, agency: &'a str, deadline: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf_token", csrf_token),
        ("original_code", original_code),
        ("code", CODE),
        ("name", "Яма во дворе"),
        ("description", "Выбоина на внутридворовом проезде"),
        ("group", "landscaping"),
        ("agency", agency),
        ("deadline_working_days", deadline),
        ("keywords", "яма, выбоина, Ёлка"),
        ("min_photos", "0"),
        ("fields", "[]"),
    ]
}

async fn post_form(service: &TestService, browser: &Client, form: &[(&str, &str)]) -> (StatusCode, String, String) {
    let response = browser.post(service.url("/admin/catalog/categories")).form(form).send().await.expect("POST /admin/catalog/categories failed");
    let status = response.status();
    let location = response.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    (status, location, response.text().await.unwrap_or_default())
}

fn yard_report() -> serde_json::Value {
    let mut report = litter_report(55.7512, 37.5930);
    report["category"] = CODE.into();
    report
}

async fn category_change_spares_filed_reports(service: &TestService) {
    let (admin, csrf_token) = admin_browser(service).await;
    let store = service.state.store.clone();

    let (status, location, _) = post_form(service, &admin, &category_form(&csrf_token, "_new", "zhilishchnik", "5")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("/admin/catalog?saved={CODE}"));
    let (_, list) = get_page(service, &admin, &location).await;
    assert!(list.contains("Яма во дворе"), "the new category is not listed");

    // The category is offered to residents at once, in the API and in Open311.
    let resident = service.resident("yard@example.ru").await;
    let (status, categories) = resident.get_json("/api/v1/categories").await;
    assert_eq!(status, StatusCode::OK);
    assert!(categories.to_string().contains(CODE), "the API does not offer the new category");
    let services = Client::new().get(service.url("/open311/v2/services.json")).send().await.expect("Open311 request failed");
    assert!(services.text().await.unwrap_or_default().contains(CODE), "Open311 does not offer the new category");
    let (status, page) = get_page(service, &service.browser(), &format!("/reports/new/{CODE}")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the filing form is open to anonymous visitors: {page}");

    let (status, filed) = resident.file_report(&yard_report(), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "filing in the new category failed: {filed}");
    let number: ReportNumber = filed["number"].as_str().expect("no number").parse().expect("invalid number");
    let before = store.report(&number).await.expect("lookup failed").expect("report missing");
    assert_eq!(before.deadline_working_days, 5);

    // The change moves the category to another agency with a longer deadline.
    let (status, _, _) = post_form(service, &admin, &category_form(&csrf_token, CODE, "oati", "8")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let catalog = store.catalog().await.expect("catalog failed");
    let changed = catalog.category(CODE).expect("the category vanished");
    assert_eq!(changed.agency, "oati");
    assert_eq!(changed.deadline_working_days, 8);
    assert_eq!(changed.keywords, vec!["яма", "выбоина", "елка"]);

    // Dispatched after the change, the earlier report still goes to the agency and deadline it
    // was filed under. A report filed now follows the new version.
    service.add_user("catalog-moderator@example.ru", Role::Moderator, None).await;
    let moderator = service.sign_in("catalog-moderator@example.ru").await;
    let number_text = number.to_string();
    for to in ["under_review", "dispatched"] {
        let (status, body) = moderator.transition(&number_text, json!({ "to": to })).await;
        assert_eq!(status, StatusCode::OK, "{to}: {body}");
    }
    let after = store.report(&number).await.expect("lookup failed").expect("report missing");
    assert_eq!(after.deadline_working_days, 5, "the deadline of a filed report changed");
    assert_eq!(after.agency.as_deref(), Some("zhilishchnik"), "a filed report went to the category's new agency");
    let dispatched_at = after.dispatched_at.expect("not dispatched");
    let expected_deadline = pomoshnik_core::deadline::deadline_with_pauses(&service.state.calendar.get(), dispatched_at, 5, &[]);
    assert_eq!(after.deadline_at, expected_deadline);

    let (status, newer) = resident.file_report(&yard_report(), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "{newer}");
    let newer_number = newer["number"].as_str().expect("no number").to_owned();
    for to in ["under_review", "dispatched"] {
        let (status, body) = moderator.transition(&newer_number, json!({ "to": to })).await;
        assert_eq!(status, StatusCode::OK, "{to}: {body}");
    }
    let newer = store.report(&newer_number.parse().expect("invalid number")).await.expect("lookup failed").expect("report missing");
    assert_eq!(newer.deadline_working_days, 8);
    assert_eq!(newer.agency.as_deref(), Some("oati"));

    let versions = store.catalog_versions(&format!("category:{CODE}")).await.expect("versions failed");
    assert_eq!(versions.iter().map(|version| version.version).collect::<Vec<_>>(), vec![2, 1]);
    let (_, edit) = get_page(service, &admin, &format!("/admin/catalog/categories/{CODE}")).await;
    assert!(edit.contains("Версия 2"), "the edit page does not list the versions");

    let entries = store.audit_entries(&AuditFilter { action_prefix: Some("category.".to_owned()), limit: 10, ..AuditFilter::default() }).await.expect("audit failed");
    let actions: Vec<&str> = entries.iter().rev().map(|entry| entry.action.as_str()).collect();
    assert_eq!(actions, vec!["category.create", "category.update"]);
    assert!(entries.iter().all(|entry| entry.object == format!("category:{CODE}")));
    assert_eq!(entries[0].details, "version=2 agency=oati deadline_working_days=8");
}

async fn refused_category_form_keeps_values(service: &TestService) {
    let (admin, csrf_token) = admin_browser(service).await;

    let cases: [(&str, &str, &str); 4] = [
        ("deadline_working_days", "0", "Срок ответа должен быть целым числом рабочих дней от 1 до 10."),
        ("agency", "nonexistent", "Выберите ведомство из списка."),
        ("code", "Bad Code", "Код указан неверно"),
        ("fields", "[{\"code\": 1}]", "Дополнительные поля не разобраны"),
    ];
    for (field, value, message) in cases {
        let mut form = category_form(&csrf_token, "_new", "zhilishchnik", "5");
        for entry in form.iter_mut().filter(|(name, _)| *name == field) {
            entry.1 = value;
        }
        let (status, _, page) = post_form(service, &admin, &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}={value}");
        assert!(page.contains(message), "no message {message:?} for {field}={value}");
        assert!(page.contains("Выбоина на внутридворовом проезде"), "the typed description was lost for {field}={value}");
    }
    let catalog = service.state.store.catalog().await.expect("catalog failed");
    assert!(catalog.category(CODE).is_none(), "a refused form saved the category");

    let (status, _, page) = post_form(service, &admin, &category_form(&csrf_token, "uncleaned_litter_snow", "zhilishchnik", "5")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the code of an existing category was changed");
    assert!(page.contains("Код существующей категории менять нельзя"));
    let (status, _, _) = post_form(service, &admin, &category_form("forged", "_new", "zhilishchnik", "5")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
