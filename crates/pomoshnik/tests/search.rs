//! Staff search over reports through the JSON API (`GET /api/v1/reports?q=`) and the search box
//! of the staff queue page, on both database backends.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;

use common::*;
use pomoshnik_core::role::Role;
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(with_service => search_by_role_and_text, flavor = "multi_thread", worker_threads = 2);

/// Reports stored before the search text existed get it when the installation is opened again.
#[tokio::test]
async fn search_text_filled_at_start() {
    let data_dir = tempfile::tempdir().expect("failed to create a temporary data directory");
    let installation = pomoshnik::Installation::new(data_dir.path(), None);
    let store = installation.open_store().await.expect("opening the installation failed");
    let author = pomoshnik::add_user(
        store.as_ref(),
        pomoshnik::UserRequest { email: "old@example.org".into(), role: Role::Resident, agency: None, district: None, supervisor: false, password: PASSWORD.into() },
    )
    .await
    .expect("adding the author failed");
    let now = chrono::Utc::now();
    let report = pomoshnik_store::NewReport {
        author_id: author.id,
        idempotency_key: None,
        category_code: "uncleaned_litter_snow".into(),
        category_name: "Мусор и снег".into(),
        deadline_working_days: 5,
        latitude: 55.764,
        longitude: 37.606,
        address: Some("Москва, Тверская улица, 7".into()),
        occurred_at: now,
        description: "Ёлка на тротуаре".into(),
        fields: Default::default(),
        file_ids: Vec::new(),
        created_at: now,
        area: None,
        h3_cell: None,
    };
    let number = store.create_report(&report).await.expect("filing failed").report().number.to_string();
    store.close().await;

    // As a database migrated from a version without the search text.
    let database_url = installation.database_url.clone();
    let pool = sqlx::SqlitePool::connect(&database_url).await.expect("opening the database failed");
    sqlx::query("UPDATE reports SET search_text = NULL").execute(&pool).await.expect("clearing the search text failed");
    pool.close().await;

    let store = installation.open_store().await.expect("reopening the installation failed");
    let search = pomoshnik_store::ReportSearch { query: "елка".into(), agency: None, district: None, before_id: None, limit: 10 };
    let found: Vec<String> = store.search_reports(&search).await.expect("search failed").iter().map(|report| report.number.to_string()).collect();
    assert_eq!(found, [number], "the old report was not given its search text");
    assert_eq!(store.fill_search_texts(10).await.expect("filling failed"), 0);
    store.close().await;
}

/// Returns the numbers that `GET /api/v1/reports?q=QUERY` lists for the client.
async fn found(client: &ApiClient, query: &str) -> Vec<String> {
    let path = format!("/api/v1/reports?q={}", urlencoding(query));
    let (status, body) = client.get_json(&path).await;
    assert_eq!(status, StatusCode::OK, "search for {query:?}: {body}");
    let reports = body["reports"].as_array().expect("the response lists reports");
    reports.iter().map(|report| report["number"].as_str().expect("a report has a number").to_owned()).collect()
}

fn urlencoding(text: &str) -> String {
    text.bytes().map(|byte| if byte.is_ascii_alphanumeric() { (byte as char).to_string() } else { format!("%{byte:02X}") }).collect()
}

async fn search_by_role_and_text(service: &TestService) {
    let resident = service.resident("search-author@example.org").await;
    let moderator = service.user("search-moderator@example.org", Role::Moderator, None).await;
    let (status, body) = resident.file_report(&parking_report(), &[Upload::photo(TVERSKAYA), Upload::photo(ZELENOGRAD)], None).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {body}");
    let parking = body["number"].as_str().expect("the response has a number").to_owned();
    let mut litter = litter_report(55.7640, 37.6060);
    litter["description"] = "Ёлка лежит на тротуаре уже неделю и мешает пройти.".into();
    let (status, body) = resident.file_report(&litter, &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {body}");
    let tree = body["number"].as_str().expect("the response has a number").to_owned();
    for to in ["under_review", "dispatched"] {
        let (status, body) = moderator.transition(&parking, json!({ "to": to, "comment": "Передано в МАДИ" })).await;
        assert_eq!(status, StatusCode::OK, "{to}: {body}");
    }

    // Moderators find every report, whatever the case, ё or plate spelling.
    assert_eq!(found(&moderator, "ТВЕРСКАЯ").await, [tree.as_str(), parking.as_str()]);
    assert_eq!(found(&moderator, "елка").await, [tree.as_str()]);
    assert_eq!(found(&moderator, "ЁЛКА").await, [tree.as_str()]);
    assert_eq!(found(&moderator, "A123BC 77").await, [parking.as_str()]);
    assert_eq!(found(&moderator, "а123вс77").await, [parking.as_str()]);
    assert_eq!(found(&moderator, &parking).await, [parking.as_str()]);
    assert!(found(&moderator, "Мясницкая").await.is_empty());

    // Executors find only their agency's reports; other agencies find nothing.
    let madi = service.user("search-madi@example.org", Role::Executor, Some("madi")).await;
    assert_eq!(found(&madi, "тверская").await, [parking.as_str()]);
    assert!(found(&madi, "елка").await.is_empty(), "madi found a report not dispatched to it");
    let oati = service.user("search-oati@example.org", Role::Executor, Some("oati")).await;
    assert!(found(&oati, "тверская").await.is_empty(), "oati found madi's report");

    // Residents cannot search, and a too long query is rejected with its field.
    let (status, body) = resident.get_json("/api/v1/reports?q=abc").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "search_staff_only");
    let long = "а".repeat(201);
    let (status, body) = moderator.get_json(&format!("/api/v1/reports?q={}", urlencoding(&long))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["errors"][0]["code"], "search_query_too_long");
    assert_eq!(body["error"]["errors"][0]["field"], "q");

    // The queue page: results for the moderator, only madi's for its executor.
    let browser = service.browser();
    sign_in_with_form(service, &browser, "search-moderator@example.org", "/staff/queue").await;
    let (status, page) = get_page(service, &browser, "/staff/queue?q=%D0%A2%D0%92%D0%95%D0%A0%D0%A1%D0%9A%D0%90%D0%AF").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("role=\"search\""), "the queue has no search box");
    assert!(page.contains("Результаты поиска: «ТВЕРСКАЯ»"), "the heading does not name the query");
    assert!(page.contains("value=\"ТВЕРСКАЯ\""), "the search box lost the query");
    assert!(page.contains(&format!("/reports/{parking}")), "the moderator's results miss the parking report");
    assert!(page.contains(&format!("/reports/{tree}")), "the moderator's results miss the litter report");
    let (status, page) = get_page(service, &browser, &format!("/staff/queue?q={}", urlencoding(&long))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Запрос слишком длинный: не больше 200 символов."), "no message for a too long query");
    assert!(page.contains(&format!("value=\"{long}\"")), "the too long query was not shown again");

    let browser = service.browser();
    sign_in_with_form(service, &browser, "search-madi@example.org", "/staff/queue").await;
    let (status, page) = get_page(service, &browser, "/staff/queue?q=%D1%82%D0%B2%D0%B5%D1%80%D1%81%D0%BA%D0%B0%D1%8F").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("/reports/{parking}")), "madi's executor does not find its report");
    assert!(!page.contains(&format!("/reports/{tree}")), "madi's executor finds a report of another queue");
    let (status, page) = get_page(service, &browser, "/staff/queue?q=%D0%BC%D1%8F%D1%81%D0%BD%D0%B8%D1%86%D0%BA%D0%B0%D1%8F").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Ничего не найдено."), "no message for an empty result");
}
