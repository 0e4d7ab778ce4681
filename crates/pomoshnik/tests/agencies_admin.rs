//! Agency administration and routing rules at /admin/catalog/agencies and
//! /admin/catalog/routing: an administrator creates an agency, names its supervisors and routes
//! one category's reports in one district to it. The rule applies to reports filed while it
//! exists; reports filed before it or after its removal go to the category's agency.

mod common;

use common::*;
use pomoshnik_core::role::Role;
use pomoshnik_store::AuditFilter;
use pomoshnik_test_support::on_both_backends;
use reqwest::{Client, StatusCode};
use serde_json::json;

on_both_backends!(with_service => routing_rule_sends_reports_to_agency, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => admin_routes_refuse_others, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_service => refused_forms_explain_problem, flavor = "multi_thread", worker_threads = 2);

const AGENCY: &str = "gbu_yards";
/// Litter reports go to the district «Жилищник» services unless a rule names another agency.
const CATEGORY: &str = "uncleaned_litter_snow";
const DEFAULT_AGENCY: &str = "zhilishchnik";
/// A point in the district that the rule covers.
const ROUTED_POINT: (f64, f64) = (55.7512, 37.5930);

const ADMIN: &str = "agencies-admin@example.ru";

async fn admin_browser(service: &TestService) -> (Client, String) {
    service.add_user(ADMIN, Role::Admin, None).await;
    let browser = service.browser();
    sign_in_with_form(service, &browser, ADMIN, "/admin/catalog").await;
    let (status, page) = get_page(service, &browser, "/admin/catalog/agencies/_new").await;
    assert_eq!(status, StatusCode::OK);
    let csrf_token = input_value(&page, "csrf_token");
    (browser, csrf_token)
}

async fn post_form(service: &TestService, browser: &Client, path: &str, form: &[(&str, &str)]) -> (StatusCode, String, String) {
    let response = browser.post(service.url(path)).form(form).send().await.unwrap_or_else(|error| panic!("POST {path} failed: {error}"));
    let status = response.status();
    let location = response.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    (status, location, response.text().await.unwrap_or_default())
}

/// Builds the agency form as a browser sends it, with webhook dispatch ticked as the blank form
/// shows it.
fn agency_form<'a>(csrf_token: &'a str, original_code: &'a str, name: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("csrf_token", csrf_token), ("original_code", original_code), ("code", AGENCY), ("name", name), ("short_name", "ГБУ Дворы"), ("webhook_dispatch", "on")]
}

/// Returns the OKTMO code of the district that contains the point.
fn district_of(service: &TestService, (lat, lon): (f64, f64)) -> String {
    service.state.city.locate(lat, lon).district().expect("the point is in no district").code.clone()
}

/// Files a litter report at the point and returns its number.
async fn file_at(resident: &ApiClient, (lat, lon): (f64, f64)) -> String {
    let (status, filed) = resident.file_report(&litter_report(lat, lon), &[], None).await;
    assert_eq!(status, StatusCode::CREATED, "filing failed: {filed}");
    filed["number"].as_str().expect("no number").to_owned()
}

async fn dispatch(moderator: &ApiClient, number: &str) {
    for to in ["under_review", "dispatched"] {
        let (status, body) = moderator.transition(number, json!({ "to": to })).await;
        assert_eq!(status, StatusCode::OK, "{number} to {to}: {body}");
    }
}

/// Numbers of the reports that the user's report list shows.
async fn listed_numbers(client: &ApiClient) -> Vec<String> {
    let (status, list) = client.get_json("/api/v1/reports").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["reports"].as_array().expect("reports is an array").iter().map(|report| report["number"].as_str().expect("no number").to_owned()).collect()
}

async fn routing_rule_sends_reports_to_agency(service: &TestService) {
    let (admin, csrf_token) = admin_browser(service).await;
    let store = service.state.store.clone();
    let (admin_user, _) = store.user_by_email(ADMIN).await.expect("lookup failed").expect("admin missing");

    // The new agency is listed and offered in the category form at once.
    let (status, location, _) = post_form(service, &admin, "/admin/catalog/agencies", &agency_form(&csrf_token, "_new", "ГБУ «Дворы»")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("/admin/catalog/agencies?saved={AGENCY}"));
    let (_, list) = get_page(service, &admin, &location).await;
    assert!(list.contains("ГБУ «Дворы»"), "the new agency is not listed");
    let (_, category_page) = get_page(service, &admin, &format!("/admin/catalog/categories/{CATEGORY}")).await;
    assert!(category_page.contains(&format!("value=\"{AGENCY}\"")), "the category form does not offer the new agency");
    assert!(store.agency_webhook_dispatch(AGENCY).await.expect("lookup failed"), "the ticked webhook box was not saved");

    // The administrator renames the agency, makes one of its two executors a supervisor and
    // unticks webhook dispatch.
    let chosen = service.add_user("yard-chief@example.ru", Role::Executor, Some(AGENCY)).await;
    let other = service.add_user("yard-worker@example.ru", Role::Executor, Some(AGENCY)).await;
    let (status, edit) = get_page(service, &admin, &format!("/admin/catalog/agencies/{AGENCY}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(edit.contains("yard-chief@example.ru"), "the form does not offer the first executor");
    assert!(edit.contains("yard-worker@example.ru"), "the form does not offer the second executor");
    let chosen_id = chosen.id.to_string();
    let mut form = agency_form(&csrf_token, AGENCY, "ГБУ «Дворы города»");
    form.retain(|(name, _)| *name != "webhook_dispatch");
    form.push(("supervisor", &chosen_id));
    let (status, _, page) = post_form(service, &admin, "/admin/catalog/agencies", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    assert!(store.user(chosen.id).await.unwrap().expect("user missing").supervisor, "the chosen executor is no supervisor");
    assert!(!store.user(other.id).await.unwrap().expect("user missing").supervisor, "an executor not chosen became a supervisor");
    let catalog = store.catalog().await.expect("catalog failed");
    assert_eq!(catalog.agency(AGENCY).expect("agency missing").name, "ГБУ «Дворы города»");
    assert!(!store.agency_webhook_dispatch(AGENCY).await.expect("lookup failed"), "the unticked webhook box was not saved");
    let (_, edit) = get_page(service, &admin, &format!("/admin/catalog/agencies/{AGENCY}")).await;
    assert!(edit.contains("name=\"webhook_dispatch\">"), "the form shows webhook dispatch ticked");

    let resident = service.resident("yards-resident@example.ru").await;
    service.add_user("yards-moderator@example.ru", Role::Moderator, None).await;
    let moderator = service.sign_in("yards-moderator@example.ru").await;
    let yard_executor = service.sign_in("yard-worker@example.ru").await;
    let district_executor = service.user("district-executor@example.ru", Role::Executor, Some(DEFAULT_AGENCY)).await;

    let routed_district = district_of(service, ROUTED_POINT);
    let other_point = service
        .state
        .city
        .districts()
        .map(|(district, _)| district.code.clone())
        .find(|code| *code != routed_district)
        .and_then(|code| service.state.city.district_interior_point(&code))
        .map(|point| (point.lat, point.lon))
        .expect("a second district");

    let filed_before = file_at(&resident, ROUTED_POINT).await;

    let rule_form = [("csrf_token", csrf_token.as_str()), ("category", CATEGORY), ("district", routed_district.as_str()), ("agency", AGENCY)];
    let (status, location, _) = post_form(service, &admin, "/admin/catalog/routing", &rule_form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/admin/catalog/routing?done=added");
    let (_, routing_page) = get_page(service, &admin, &location).await;
    assert!(routing_page.contains(&format!("rule-{CATEGORY}-{routed_district}")), "the rule is not listed");

    let routed = file_at(&resident, ROUTED_POINT).await;
    let elsewhere = file_at(&resident, other_point).await;
    for number in [&filed_before, &routed, &elsewhere] {
        dispatch(&moderator, number).await;
    }
    let yard_queue = listed_numbers(&yard_executor).await;
    assert!(yard_queue.contains(&routed), "the rule's agency does not see the routed report");
    assert!(!yard_queue.contains(&filed_before), "a report filed before the rule went to the rule's agency");
    assert!(!yard_queue.contains(&elsewhere), "a report from another district went to the rule's agency");
    let district_queue = listed_numbers(&district_executor).await;
    assert!(!district_queue.contains(&routed), "the category's agency sees the routed report");
    assert!(district_queue.contains(&filed_before), "a report filed before the rule left the category's agency");
    assert!(district_queue.contains(&elsewhere), "a report from another district left the category's agency");

    // Removing the rule changes only reports filed afterwards.
    let remove_form = [("csrf_token", csrf_token.as_str()), ("category", CATEGORY), ("district", routed_district.as_str())];
    let (status, location, _) = post_form(service, &admin, "/admin/catalog/routing/remove", &remove_form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/admin/catalog/routing?done=removed");
    let filed_after = file_at(&resident, ROUTED_POINT).await;
    dispatch(&moderator, &filed_after).await;
    let after = store.report(&filed_after.parse().expect("invalid number")).await.expect("lookup failed").expect("report missing");
    assert_eq!(after.agency.as_deref(), Some(DEFAULT_AGENCY), "a removed rule still routes");
    let routed_report = store.report(&routed.parse().expect("invalid number")).await.expect("lookup failed").expect("report missing");
    assert_eq!(routed_report.agency.as_deref(), Some(AGENCY), "removing the rule moved a routed report");
    assert!(listed_numbers(&yard_executor).await.contains(&routed), "the routed report left its agency's queue");

    // Every change is a version and an audit entry of the administrator.
    let agency_versions = store.catalog_versions(&format!("agency:{AGENCY}")).await.expect("versions failed");
    assert_eq!(agency_versions.iter().map(|version| version.version).collect::<Vec<_>>(), vec![2, 1]);
    assert!(agency_versions.iter().all(|version| version.actor_id == Some(admin_user.id)));
    let rule_versions = store.catalog_versions(&format!("routing:{CATEGORY}:{routed_district}")).await.expect("versions failed");
    assert_eq!(rule_versions.iter().map(|version| version.version).collect::<Vec<_>>(), vec![2, 1]);
    assert!(rule_versions.iter().all(|version| version.actor_id == Some(admin_user.id)));

    let mut actions = Vec::new();
    for prefix in ["agency.", "routing."] {
        let entries = store.audit_entries(&AuditFilter { action_prefix: Some(prefix.to_owned()), limit: 10, ..AuditFilter::default() }).await.expect("audit failed");
        assert!(entries.iter().all(|entry| entry.actor_id == Some(admin_user.id)), "an {prefix} entry lacks the actor");
        actions.extend(entries.iter().rev().map(|entry| (entry.action.clone(), entry.object.clone())));
    }
    let rule_object = format!("routing:{CATEGORY}:{routed_district}");
    let expected = [
        ("agency.create", format!("agency:{AGENCY}")),
        ("agency.update", format!("agency:{AGENCY}")),
        ("routing.add", rule_object.clone()),
        ("routing.remove", rule_object),
    ];
    assert_eq!(actions, expected.map(|(action, object)| (action.to_owned(), object)));
    let updates = store.audit_entries(&AuditFilter { action_prefix: Some("agency.update".to_owned()), limit: 1, ..AuditFilter::default() }).await.expect("audit failed");
    assert_eq!(updates[0].details, format!("version=2 by_district=false webhook_dispatch=false supervisors={}", chosen.id));
}

async fn admin_routes_refuse_others(service: &TestService) {
    let (admin, csrf_token) = admin_browser(service).await;
    let store = service.state.store.clone();

    service.add_user("routes-resident@example.ru", Role::Resident, None).await;
    service.add_user("routes-moderator@example.ru", Role::Moderator, None).await;
    service.add_user("routes-executor@example.ru", Role::Executor, Some("madi")).await;
    for email in ["routes-resident@example.ru", "routes-moderator@example.ru", "routes-executor@example.ru"] {
        let browser = service.browser();
        sign_in_with_form(service, &browser, email, "/account").await;
        let (status, account) = get_page(service, &browser, "/account").await;
        assert_eq!(status, StatusCode::OK, "{email} cannot open their account page");
        // A valid token of their own session, so that only the role check can refuse them.
        let their_token = input_value(&account, "csrf_token");
        for path in ["/admin/catalog/agencies", "/admin/catalog/agencies/madi", "/admin/catalog/agencies/_new", "/admin/catalog/routing"] {
            let (status, _) = get_page(service, &browser, path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{email} GET {path}");
        }
        let posts: [(&str, Vec<(&str, &str)>); 3] = [
            ("/admin/catalog/agencies", agency_form(&their_token, "_new", "Чужое ведомство")),
            ("/admin/catalog/routing", vec![("csrf_token", &their_token), ("category", CATEGORY), ("district", "45375000"), ("agency", "madi")]),
            ("/admin/catalog/routing/remove", vec![("csrf_token", &their_token), ("category", CATEGORY), ("district", "45375000")]),
        ];
        for (path, form) in posts {
            let (status, _, _) = post_form(service, &browser, path, &form).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{email} POST {path}");
        }
    }

    // The administrator's own forms need the page's CSRF token.
    let district = district_of(service, ROUTED_POINT);
    for token in ["", "forged-token"] {
        let (status, _, _) = post_form(service, &admin, "/admin/catalog/agencies", &agency_form(token, "_new", "ГБУ «Дворы»")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "agency saved with token {token:?}");
        let rule = [("csrf_token", token), ("category", CATEGORY), ("district", district.as_str()), ("agency", "madi")];
        let (status, _, _) = post_form(service, &admin, "/admin/catalog/routing", &rule).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "rule added with token {token:?}");
    }
    assert!(store.catalog().await.expect("catalog failed").agency(AGENCY).is_none(), "a refused form created the agency");
    assert!(store.routing_rules().await.expect("rules failed").is_empty(), "a refused form added a rule");

    // With the token the same rule is added, and removing it needs the token too.
    let rule = [("csrf_token", csrf_token.as_str()), ("category", CATEGORY), ("district", district.as_str()), ("agency", "madi")];
    let (status, _, _) = post_form(service, &admin, "/admin/catalog/routing", &rule).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let remove = [("csrf_token", "forged-token"), ("category", CATEGORY), ("district", district.as_str())];
    let (status, _, _) = post_form(service, &admin, "/admin/catalog/routing/remove", &remove).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(store.routing_rules().await.expect("rules failed").len(), 1, "a forged removal removed the rule");
    let (status, _) = get_page(service, &admin, "/admin/catalog/agencies/unknown_agency").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn refused_forms_explain_problem(service: &TestService) {
    let (admin, csrf_token) = admin_browser(service).await;
    let store = service.state.store.clone();
    let district = district_of(service, ROUTED_POINT);

    let agency_cases: [(&str, &str, &str); 3] = [
        ("code", "Bad Code", "Код указан неверно"),
        ("code", DEFAULT_AGENCY, "Ведомство с таким кодом уже есть"),
        ("name", "  ", "Укажите полное название"),
    ];
    for (field, value, message) in agency_cases {
        let mut form = agency_form(&csrf_token, "_new", "ГБУ «Дворы»");
        for entry in form.iter_mut().filter(|(name, _)| *name == field) {
            entry.1 = value;
        }
        let (status, _, page) = post_form(service, &admin, "/admin/catalog/agencies", &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}={value:?}");
        assert!(page.contains(message), "no message {message:?} for {field}={value:?}");
        assert!(page.contains("ГБУ Дворы"), "the refused form lost the short name for {field}={value:?}");
    }

    // An executor of another agency cannot become this agency's supervisor.
    let stranger = service.add_user("madi-executor@example.ru", Role::Executor, Some("madi")).await;
    let stranger_id = stranger.id.to_string();
    let mut form = agency_form(&csrf_token, "_new", "ГБУ «Дворы»");
    form.push(("supervisor", &stranger_id));
    let (status, _, page) = post_form(service, &admin, "/admin/catalog/agencies", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Руководителем можно выбрать только исполнителя этого ведомства"), "{page}");
    assert!(!store.user(stranger.id).await.unwrap().expect("user missing").supervisor);

    // A district agency with executors bound to districts keeps working by district.
    service.add_user_in_district("bound-executor@example.ru", Role::Executor, Some(DEFAULT_AGENCY), Some(&district)).await;
    let zhilishchnik = store.catalog().await.expect("catalog failed").agency(DEFAULT_AGENCY).expect("agency missing").clone();
    let form = [("csrf_token", csrf_token.as_str()), ("original_code", DEFAULT_AGENCY), ("code", DEFAULT_AGENCY), ("name", zhilishchnik.name.as_str()), ("short_name", zhilishchnik.short_name.as_str())];
    let (status, _, page) = post_form(service, &admin, "/admin/catalog/agencies", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("1 исполнитель ведомства закреплён за районом"), "{page}");
    assert!(store.catalog().await.expect("catalog failed").agency(DEFAULT_AGENCY).expect("agency missing").by_district);

    let rule_cases: [(&str, &str, &str, &str); 4] = [
        ("no_such_category", district.as_str(), "madi", "Выберите категорию из списка."),
        (CATEGORY, "00000000", "madi", "Выберите район из списка."),
        (CATEGORY, district.as_str(), "no_such_agency", "Выберите ведомство из списка."),
        (CATEGORY, district.as_str(), DEFAULT_AGENCY, "Это ведомство и так отвечает за категорию."),
    ];
    for (category, rule_district, agency, message) in rule_cases {
        let form = [("csrf_token", csrf_token.as_str()), ("category", category), ("district", rule_district), ("agency", agency)];
        let (status, _, page) = post_form(service, &admin, "/admin/catalog/routing", &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{category} {rule_district} {agency}");
        assert!(page.contains(message), "no message {message:?} for {category} {rule_district} {agency}");
    }
    assert!(store.routing_rules().await.expect("rules failed").is_empty(), "a refused rule was added");

    let form = [("csrf_token", csrf_token.as_str()), ("category", CATEGORY), ("district", district.as_str()), ("agency", "madi")];
    let (status, _, _) = post_form(service, &admin, "/admin/catalog/routing", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let duplicate = [("csrf_token", csrf_token.as_str()), ("category", CATEGORY), ("district", district.as_str()), ("agency", "oati")];
    let (status, _, page) = post_form(service, &admin, "/admin/catalog/routing", &duplicate).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("правило уже есть"), "{page}");
    let rules = store.routing_rules().await.expect("rules failed");
    assert_eq!(rules.iter().map(|rule| rule.agency_code.as_str()).collect::<Vec<_>>(), vec!["madi"], "the duplicate replaced the rule");

    let missing = [("csrf_token", csrf_token.as_str()), ("category", "parking_violation"), ("district", district.as_str())];
    let (status, _, _) = post_form(service, &admin, "/admin/catalog/routing/remove", &missing).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "removing a missing rule");
}
