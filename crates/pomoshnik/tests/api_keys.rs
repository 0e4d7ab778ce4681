//! API-key administration on the `/admin/api-keys` page: an administrator issues a key, an
//! Open311 client files a report with it, and the key stops working once revoked.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;

use common::*;
use pomoshnik_core::role::Role;
use pomoshnik_test_support::on_both_backends;
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(with_service => admin_issues_and_revokes_key, flavor = "multi_thread", worker_threads = 2);

/// Posts a litter report to Open311 with `key` and returns the status and the JSON body.
async fn file_with_key(service: &TestService, key: &str) -> (StatusCode, Value) {
    let form = [
        ("api_key", key),
        ("service_code", "uncleaned_litter_snow"),
        ("lat", "55.7640"),
        ("long", "37.6060"),
        ("address_string", "Москва, Тверская улица, 7"),
        ("description", "Мусор не вывозят уже неделю, контейнеры переполнены."),
    ];
    let response = reqwest::Client::new().post(service.url("/open311/v2/requests.json")).form(&form).send().await.expect("POST failed");
    let status = response.status();
    (status, response.json().await.expect("the response is JSON"))
}

fn issued_key(page: &str) -> String {
    let marker = "<code data-key>";
    let start = page.find(marker).expect("the page shows no issued key") + marker.len();
    let length = page[start..].find('<').expect("the key element is not closed");
    page[start..start + length].to_owned()
}

async fn admin_issues_and_revokes_key(service: &TestService) {
    service.add_user("keys-admin@example.org", Role::Admin, None).await;
    let browser = service.browser();
    sign_in_with_form(service, &browser, "keys-admin@example.org", "/admin/api-keys").await;
    let (status, page) = get_page(service, &browser, "/admin/api-keys").await;
    assert_eq!(status, StatusCode::OK);
    let csrf_token = input_value(&page, "csrf_token");

    // A bad name is rejected with a message and kept in the form.
    let response = browser
        .post(service.url("/admin/api-keys"))
        .form(&[("csrf_token", csrf_token.as_str()), ("name", "City App"), ("agency", "madi")])
        .send()
        .await
        .expect("POST failed");
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.expect("the page is text");
    assert!(page.contains("Имя не подходит"), "no message for an invalid name");
    assert!(page.contains("value=\"City App\""), "the entered name was lost");
    assert!(page.contains("value=\"madi\" selected"), "the chosen agency was lost");
    assert!(!page.contains("data-key>"), "a key was issued for an invalid name");

    let response = browser
        .post(service.url("/admin/api-keys"))
        .form(&[("csrf_token", csrf_token.as_str()), ("name", "city-ui"), ("agency", "")])
        .send()
        .await
        .expect("POST failed");
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.expect("the page is text");
    let key = issued_key(&page);
    assert!(key.starts_with("pomoshnik311_"), "unexpected key {key:?}");
    assert!(page.contains("data-key-name=\"city-ui\""), "the new key is not listed");

    // The key is shown once: the list does not show it again.
    let (_, list) = get_page(service, &browser, "/admin/api-keys").await;
    assert!(!list.contains(&key), "the list shows the secret again");
    assert!(list.contains("data-key-name=\"city-ui\""));

    let (status, body) = file_with_key(service, &key).await;
    assert_eq!(status, StatusCode::CREATED, "the issued key was refused: {body}");
    assert!(body[0]["service_request_id"].as_str().is_some_and(is_report_number), "{body}");

    // A form without the CSRF token changes nothing.
    let response = browser.post(service.url("/admin/api-keys/city-ui/revoke")).form(&[("csrf_token", "wrong")]).send().await.expect("POST failed");
    assert_ne!(response.status(), StatusCode::SEE_OTHER, "a revocation without the form token was accepted");
    let (status, _) = file_with_key(service, &key).await;
    assert_eq!(status, StatusCode::CREATED, "the key stopped working after a rejected revocation");

    let response = browser.post(service.url("/admin/api-keys/city-ui/revoke")).form(&[("csrf_token", csrf_token.as_str())]).send().await.expect("POST failed");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, body) = file_with_key(service, &key).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a revoked key was accepted: {body}");
    assert_eq!(body[0]["code"], "api_key_invalid", "{body}");
    let (_, list) = get_page(service, &browser, "/admin/api-keys").await;
    assert!(list.contains("Отозван"), "the list does not show the key as revoked");

    // Another role sees nothing.
    service.add_user("keys-moderator@example.org", Role::Moderator, None).await;
    let moderator = service.browser();
    sign_in_with_form(service, &moderator, "keys-moderator@example.org", "/staff/queue").await;
    let (status, _) = get_page(service, &moderator, "/admin/api-keys").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
