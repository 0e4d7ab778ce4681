//! Sign-in through OpenID Connect providers over real HTTP: the service against the
//! `oidc-provider` package and a stand-in issuing defective ID tokens, both run by Node on
//! 127.0.0.1 (see `tests/oidc-provider/provider.mjs`). Each scenario runs on SQLite and on
//! PostgreSQL.

mod common;
mod oidc;

use common::*;
use oidc::TestProviders;
use pomoshnik_core::role::Role;
use pomoshnik_test_support::{DatabaseKind, on_both_backends};
use reqwest::{Client, Response, StatusCode, Url};

on_both_backends!(with_providers => first_sign_in_creates_cabinet);
on_both_backends!(with_providers => linked_provider_opens_same_cabinet);
on_both_backends!(with_providers => local_email_not_merged);
on_both_backends!(with_providers => defective_id_tokens_rejected);
on_both_backends!(with_providers => state_mismatch_rejected);
on_both_backends!(with_providers => esia_needs_confirmed_account);
on_both_backends!(with_providers => other_issuer_rejected);

/// Starts the providers and the service configured with them, and runs `scenario`.
async fn with_providers(kind: DatabaseKind, scenario: impl AsyncFnOnce(&TestService, &TestProviders)) {
    let mut providers = None;
    let service = TestService::start_with_providers(kind, |base_url| {
        let started = TestProviders::start(base_url);
        let configs = started.all();
        providers = Some(started);
        configs
    })
    .await;
    let providers = providers.expect("the providers were started");
    scenario(&service, &providers).await;
    service.stop().await;
}

fn location(response: &Response) -> String {
    let value = response.headers().get("location").unwrap_or_else(|| panic!("a {} response has no Location header", response.status()));
    value.to_str().expect("Location is ASCII").to_owned()
}

/// Returns the value of cookie `name` set by the response, if any.
fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response.headers().get_all("set-cookie").iter().filter_map(|value| value.to_str().ok()).find_map(|header| {
        let (pair, _) = header.split_once(';').unwrap_or((header, ""));
        let (key, value) = pair.split_once('=')?;
        (key == name && !value.is_empty()).then(|| value.to_owned())
    })
}

/// Follows `response`, a redirect to a provider, through the provider's pages, signs in there
/// as `account` when the provider shows its form, and returns the service callback URL the
/// provider redirects to, without requesting it.
async fn through_provider(service: &TestService, client: &Client, response: Response, account: &str) -> Url {
    let callback_prefix = service.url("/auth/");
    let mut current = response.url().clone();
    let mut response = response;
    for _ in 0..20 {
        let status = response.status();
        if status.is_redirection() {
            let target = current.join(&location(&response)).expect("Location is a valid URL");
            if target.as_str().starts_with(&callback_prefix) && target.path().ends_with("/callback") {
                return target;
            }
            response = client.get(target.clone()).send().await.unwrap_or_else(|error| panic!("GET {target} failed: {error}"));
            current = target;
            continue;
        }

        let body = response.text().await.expect("failed to read the provider's page");
        assert_eq!(status, StatusCode::OK, "the provider answered {current} with {status}: {body}");
        assert!(body.contains("name=\"account\""), "the provider's page at {current} has no sign-in form: {body}");
        let action = body.split("action=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("the sign-in form has an action");
        let target = current.join(action).expect("the form action is a valid URL");
        response = client.post(target.clone()).form(&[("account", account)]).send().await.unwrap_or_else(|error| panic!("POST {target} failed: {error}"));
        current = target;
    }
    panic!("no redirect to the service's callback within 20 steps");
}

/// Starts a sign-in through `provider` and returns the service callback URL it leads to.
async fn callback_url(service: &TestService, client: &Client, provider: &str, account: &str) -> Url {
    let path = format!("/auth/{provider}/login");
    let start = client.get(service.url(&path)).send().await.unwrap_or_else(|error| panic!("GET {path} failed: {error}"));
    assert_eq!(start.status(), StatusCode::SEE_OTHER, "{path} did not redirect to the provider");
    assert!(set_cookie(&start, "pomoshnik_sign_in").is_some(), "{path} set no pending sign-in cookie");
    through_provider(service, client, start, account).await
}

/// Signs in through `provider` as `account` and returns the callback's response.
async fn sign_in_through(service: &TestService, client: &Client, provider: &str, account: &str) -> Response {
    let callback = callback_url(service, client, provider, account).await;
    client.get(callback.clone()).send().await.unwrap_or_else(|error| panic!("GET {callback} failed: {error}"))
}

async fn linked_user_id(service: &TestService, provider: &str, subject: &str) -> Option<i64> {
    let user = service.state.store.user_by_identity(provider, subject).await.expect("identity lookup failed");
    user.map(|user| user.id)
}

// Scenarios.

async fn first_sign_in_creates_cabinet(service: &TestService, _providers: &TestProviders) {
    let client = service.browser();
    let response = sign_in_through(service, &client, "mosru", "resident-one").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/my/reports");
    let first_token = set_cookie(&response, "pomoshnik_session").expect("the sign-in set no session cookie");

    let (status, page) = get_page(service, &client, "/my/reports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Мои обращения"), "the cabinet page lacks its heading: {page}");

    let user = service.state.store.user_by_identity("mosru", "resident-one").await.expect("identity lookup failed").expect("no account was created");
    assert_eq!(user.role, Role::Resident);
    assert!(user.confirmed);
    assert!(user.email.ends_with("@identities.invalid"), "the provider's e-mail must not become the login: {}", user.email);

    // A second sign-in in the same browser opens the same cabinet with a new session.
    let again = sign_in_through(service, &client, "mosru", "resident-one").await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let second_token = set_cookie(&again, "pomoshnik_session").expect("the second sign-in set no session cookie");
    assert_ne!(first_token, second_token, "the session must rotate at sign-in");
    assert_eq!(linked_user_id(service, "mosru", "resident-one").await, Some(user.id));

    let replaced = no_redirect_client().get(service.url("/my/reports")).header("cookie", format!("pomoshnik_session={first_token}")).send().await.expect("GET failed");
    assert_eq!(replaced.status(), StatusCode::SEE_OTHER, "the replaced session must no longer open the cabinet");

    // Another browser signing in as the same person reaches the same cabinet.
    let other_browser = service.browser();
    let third = sign_in_through(service, &other_browser, "mosru", "resident-one").await;
    assert_eq!(third.status(), StatusCode::SEE_OTHER);
    assert_eq!(linked_user_id(service, "mosru", "resident-one").await, Some(user.id));
}

fn no_redirect_client() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("failed to build the HTTP client")
}

async fn linked_provider_opens_same_cabinet(service: &TestService, _providers: &TestProviders) {
    let local = service.add_user("linker@example.ru", Role::Resident, None).await;
    let client = service.browser();
    sign_in_with_form(service, &client, "linker@example.ru", "/my/reports").await;

    let (status, page) = get_page(service, &client, "/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Привязать"), "the account page offers no link button: {page}");
    let csrf_token = input_value(&page, "csrf_token");

    let without_token = client.post(service.url("/auth/sberid/link")).form(&[("csrf_token", "wrong")]).send().await.expect("POST failed");
    assert_eq!(without_token.status(), StatusCode::FORBIDDEN, "linking needs the session's CSRF token");

    let start = client.post(service.url("/auth/sberid/link")).form(&[("csrf_token", csrf_token.as_str())]).send().await.expect("POST failed");
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let callback = through_provider(service, &client, start, "linker-at-sber").await;
    let linked = client.get(callback).send().await.expect("GET callback failed");
    assert_eq!(linked.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&linked), "/account");
    assert!(set_cookie(&linked, "pomoshnik_session").is_none(), "linking must keep the current session");

    let (_, page) = get_page(service, &client, "/account").await;
    assert!(page.contains("привязан"), "the account page does not show the linked provider: {page}");
    assert_eq!(linked_user_id(service, "sberid", "linker-at-sber").await, Some(local.id));

    let other_browser = service.browser();
    let signed_in = sign_in_through(service, &other_browser, "sberid", "linker-at-sber").await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let (status, _) = get_page(service, &other_browser, "/my/reports").await;
    assert_eq!(status, StatusCode::OK);
    let session = set_cookie(&signed_in, "pomoshnik_session").expect("no session cookie");
    let (_, user) = service.state.store.session(&sha256_hex(session.as_bytes()), chrono::Utc::now()).await.expect("session lookup failed").expect("no session");
    assert_eq!(user.id, local.id, "the linked provider must open the local account's cabinet");
}

async fn local_email_not_merged(service: &TestService, _providers: &TestProviders) {
    service.add_user("taken@example.ru", Role::Resident, None).await;
    let client = service.browser();

    // The test provider's account "taken" has the verified e-mail taken@example.ru.
    let response = sign_in_through(service, &client, "mosru", "taken").await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(set_cookie(&response, "pomoshnik_session").is_none());
    let page = response.text().await.expect("failed to read the page");
    assert!(page.contains("Профиль"), "the page must tell how to link the provider: {page}");
    assert_eq!(linked_user_id(service, "mosru", "taken").await, None);
}

async fn defective_id_tokens_rejected(service: &TestService, _providers: &TestProviders) {
    for defect in ["expired", "wrong-nonce", "wrong-audience"] {
        let client = service.browser();
        let response = sign_in_through(service, &client, defect, "ignored").await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "an ID token with defect {defect} was not rejected");
        assert!(set_cookie(&response, "pomoshnik_session").is_none(), "{defect}: a session was opened");
        let page = response.text().await.expect("failed to read the page");
        assert!(page.contains("не прошёл проверку"), "{defect}: the page does not explain the rejection: {page}");
        assert_eq!(linked_user_id(service, defect, &format!("crafted-{defect}")).await, None, "{defect}: an account was created");
    }

    // The stand-in's token without a defect is accepted, so the rejections above come from
    // the defects and not from the stand-in.
    let client = service.browser();
    let response = sign_in_through(service, &client, "valid", "ignored").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(linked_user_id(service, "valid", "crafted-valid").await.is_some());
}

async fn state_mismatch_rejected(service: &TestService, _providers: &TestProviders) {
    let client = service.browser();
    let callback = callback_url(service, &client, "mosru", "state-person").await;

    let response = client.get(with_parameter(&callback, "state", "another-state")).send().await.expect("GET failed");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "a callback with another state was accepted");
    let page = response.text().await.expect("failed to read the page");
    assert!(page.contains("Начните вход заново"), "the page does not explain the rejection: {page}");

    // The same callback in a browser that did not start the sign-in has no state cookie.
    let other_browser = service.browser();
    let response = other_browser.get(callback.clone()).send().await.expect("GET failed");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "a callback without the state cookie was accepted");
    assert_eq!(linked_user_id(service, "mosru", "state-person").await, None);

    // The browser that started it still finishes the sign-in, because a rejected callback does
    // not use up the pending sign-in. A second use of the same state is rejected.
    let response = signed_callback(&client, &callback).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the genuine callback failed");
    assert!(linked_user_id(service, "mosru", "state-person").await.is_some());
    let replay = signed_callback(&client, &callback).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST, "a used state was accepted again");
}

/// Replaces the value of `name` in the query of `url`.
fn with_parameter(url: &Url, name: &str, value: &str) -> Url {
    let pairs: Vec<(String, String)> =
        url.query_pairs().map(|(key, old)| if key == name { (key.into_owned(), value.to_owned()) } else { (key.into_owned(), old.into_owned()) }).collect();
    let mut changed = url.clone();
    changed.query_pairs_mut().clear().extend_pairs(pairs);
    changed
}

async fn other_issuer_rejected(service: &TestService, _providers: &TestProviders) {
    let client = service.browser();
    let callback = callback_url(service, &client, "mosru", "mix-up-person").await;
    assert!(callback.query_pairs().any(|(key, _)| key == "iss"), "oidc-provider sends iss (RFC 9207): {callback}");

    let response = client.get(with_parameter(&callback, "iss", "http://127.0.0.1:1")).send().await.expect("GET failed");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "a callback naming another issuer was accepted");
    let page = response.text().await.expect("failed to read the page");
    assert!(page.contains("не прошёл проверку"), "the page does not explain the rejection: {page}");
    assert_eq!(linked_user_id(service, "mosru", "mix-up-person").await, None);
}

async fn signed_callback(client: &Client, callback: &Url) -> Response {
    client.get(callback.clone()).send().await.expect("GET callback failed")
}

async fn esia_needs_confirmed_account(service: &TestService, _providers: &TestProviders) {
    let client = service.browser();
    // The test provider marks account "unconfirmed" as `trusted: false` in userinfo.
    let response = sign_in_through(service, &client, "esia", "unconfirmed").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "an unconfirmed ESIA account was accepted");
    assert!(set_cookie(&response, "pomoshnik_session").is_none());
    let page = response.text().await.expect("failed to read the page");
    assert!(page.contains("Подтвердите учётную запись на Госуслугах"), "the page does not tell how to confirm the account: {page}");
    assert_eq!(linked_user_id(service, "esia", "unconfirmed").await, None);

    let confirmed = sign_in_through(service, &service.browser(), "esia", "confirmed-person").await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&confirmed), "/my/reports");
    assert!(linked_user_id(service, "esia", "confirmed-person").await.is_some());
}
