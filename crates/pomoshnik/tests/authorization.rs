//! The authorisation matrix: every route of the service, requested by every kind of caller, with
//! the status each caller gets. Page routes are called with the session cookie (and the form's
//! CSRF token for writes), API routes with a bearer token. A route added to the routers without a
//! row here fails `routes_have_rows`.

#[allow(dead_code, reason = "the shared helpers include some that only other test binaries use")]
mod common;

use std::collections::BTreeSet;

use common::*;
use pomoshnik_core::role::Role;
use pomoshnik_test_support::on_both_backends;
use reqwest::multipart::Form;
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

on_both_backends!(with_service => authorization_matrix, flavor = "multi_thread", worker_threads = 2);

/// The callers, in the order of the columns of [`ROUTES`].
const CALLERS: [&str; 7] = ["anonymous", "author", "other resident", "moderator", "madi executor", "oati executor", "admin"];

/// One route and the status each caller in [`CALLERS`] gets.
struct Row {
    method: &'static str,
    path: &'static str,
    expected: [u16; 7],
}

const fn row(method: &'static str, path: &'static str, expected: [u16; 7]) -> Row {
    Row { method, path, expected }
}

/// The matrix. Placeholders: `{number}` is a parking report filed by the author and dispatched
/// to madi. Its category is marked `personal_data`, so only those who see the report get its
/// thumbnail. Joining uses a fresh report like it, so the matrix's report stays invisible to
/// the other resident.
/// `{file_id}` its photo, `{category}` and `{code}` a category any resident may file in (the agency form gets madi), `{*file}` a bundled
/// front-end file, `{variant}` the photo's thumbnail, `{provider}` a sign-in provider code that
/// this service has not configured (`tests/oidc_sign_in.rs` covers configured providers), `{name}` an API key name never issued. Routes that need query parameters get them from [`query_of`].
#[rustfmt::skip]
const ROUTES: &[Row] = &[
    //                                                         anon  author other  moder  madi  oati  admin
    row("GET",    "/",                                        [200,  200,   200,   303,   303,  303,  303]),
    row("GET",    "/login",                                   [200,  200,   200,   200,   200,  200,  200]),
    row("POST",   "/login",                                   [401,  303,   303,   303,   303,  303,  303]),
    row("POST",   "/logout",                                  [303,  303,   303,   303,   303,  303,  303]),
    row("GET",    "/account",                                 [303,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/register",                                [200,  200,   200,   200,   200,  200,  200]),
    row("POST",   "/register",                                [422,  422,   422,   422,   422,  422,  422]),
    row("GET",    "/account/confirm",                         [303,  303,   303,   303,   303,  303,  303]),
    row("POST",   "/account/confirm",                         [303,  303,   303,   303,   303,  303,  303]),
    row("POST",   "/account/confirm/resend",                  [303,  303,   303,   303,   303,  303,  303]),
    row("GET",    "/password/reset",                          [200,  200,   200,   200,   200,  200,  200]),
    row("POST",   "/password/reset",                          [303,  303,   303,   303,   303,  303,  303]),
    row("GET",    "/password/reset/code",                     [200,  200,   200,   200,   200,  200,  200]),
    row("POST",   "/password/reset/code",                     [422,  422,   422,   422,   422,  422,  422]),
    row("POST",   "/account/sessions/end",                    [303,  403,   403,   403,   403,  403,  403]),
    row("GET",    "/password/recovery",                       [200,  200,   200,   200,   200,  200,  200]),
    row("POST",   "/password/recovery",                       [403,  403,   403,   403,   403,  403,  403]),
    row("GET",    "/password/recovery/sent",                  [200,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/password/change",                         [303,  303,   303,   303,   303,  303,  303]),
    row("POST",   "/password/change",                         [303,  303,   303,   303,   303,  303,  303]),
    row("GET",    "/staff/recovery",                          [303,  404,   404,   200,   404,  404,  200]),
    row("GET",    "/staff/recovery/{id}",                     [303,  404,   404,   404,   404,  404,  404]),
    row("GET",    "/staff/recovery/{id}/scan",                [303,  404,   404,   404,   404,  404,  404]),
    row("POST",   "/staff/recovery/{id}/approve",             [303,  404,   404,   404,   404,  404,  404]),
    row("POST",   "/staff/recovery/{id}/refuse",              [303,  404,   404,   404,   404,  404,  404]),
    row("GET",    "/login/2fa",                               [200,  200,   200,   200,   200,  200,  200]),
    row("POST",   "/login/2fa",                               [401,  401,   401,   401,   401,  401,  401]),
    row("GET",    "/account/2fa",                             [303,  200,   200,   200,   200,  200,  200]),
    row("POST",   "/account/2fa/enable",                      [303,  422,   422,   422,   422,  422,  422]),
    row("POST",   "/account/2fa/disable",                     [303,  303,   303,   303,   303,  303,  303]),
    row("GET",    "/auth/{provider}/login",                   [404,  404,   404,   404,   404,  404,  404]),
    row("POST",   "/auth/{provider}/link",                    [303,  404,   404,   404,   404,  404,  404]),
    row("GET",    "/auth/{provider}/callback",                [404,  404,   404,   404,   404,  404,  404]),
    row("GET",    "/reports/new",                             [303,  200,   200,   403,   403,  403,  403]),
    row("GET",    "/reports/new/{category}",                  [303,  200,   200,   403,   403,  403,  403]),
    row("POST",   "/reports/new/{category}",                  [303,  303,   303,   403,   403,  403,  403]),
    row("GET",    "/my/reports",                              [303,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/notifications",                           [303,  200,   200,   200,   200,  200,  200]),
    row("POST",   "/notifications/settings",                  [303,  303,   303,   303,   303,  303,  303]),
    row("POST",   "/notifications/read",                      [303,  303,   303,   303,   303,  303,  303]),
    row("GET",    "/unsubscribe/{token}",                     [200,  200,   200,   200,   200,  200,  200]),
    row("POST",   "/unsubscribe/{token}",                     [404,  404,   404,   404,   404,  404,  404]),
    row("GET",    "/admin/deliveries",                        [303,  404,   404,   404,   404,  404,  200]),
    row("GET",    "/admin",                                   [303,  404,   404,   404,   404,  404,  200]),
    row("GET",    "/admin/dashboard",                         [303,  404,   404,   404,   404,  404,  200]),
    row("GET",    "/admin/audit",                             [303,  404,   404,   404,   404,  404,  200]),
    row("POST",   "/admin/deliveries/retry",                  [303,  404,   404,   404,   404,  404,  303]),
    row("GET",    "/admin/api-keys",                          [303,  404,   404,   404,   404,  404,  200]),
    row("POST",   "/admin/api-keys",                          [303,  404,   404,   404,   404,  404,  200]),
    row("POST",   "/admin/api-keys/{name}/revoke",            [303,  404,   404,   404,   404,  404,  404]),
    row("GET",    "/admin/webhooks",                          [303,  404,   404,   404,   404,  404,  200]),
    row("POST",   "/admin/webhooks/retry",                    [303,  404,   404,   404,   404,  404,  303]),
    row("GET",    "/admin/staff",                             [303,  404,   404,   404,   404,  404,  200]),
    row("POST",   "/admin/staff",                             [303,  404,   404,   404,   404,  404,  303]),
    row("POST",   "/admin/staff/{id}",                        [303,  404,   404,   404,   404,  404,  404]),
    row("POST",   "/admin/staff/{id}/disabled",               [303,  404,   404,   404,   404,  404,  404]),
    row("GET",    "/admin/catalog",                           [303,  404,   404,   404,   404,  404,  200]),
    row("GET",    "/admin/calendar",                          [303,  404,   404,   404,   404,  404,  200]),
    row("POST",   "/admin/calendar",                          [303,  404,   404,   404,   404,  404,  303]),
    row("POST",   "/admin/catalog/categories",                [303,  404,   404,   404,   404,  404,  422]),
    row("GET",    "/admin/catalog/categories/{code}",         [303,  404,   404,   404,   404,  404,  200]),
    row("GET",    "/admin/catalog/agencies",                  [303,  404,   404,   404,   404,  404,  200]),
    row("POST",   "/admin/catalog/agencies",                  [303,  404,   404,   404,   404,  404,  422]),
    row("GET",    "/admin/catalog/agencies/{code}",           [303,  404,   404,   404,   404,  404,  200]),
    row("GET",    "/admin/catalog/routing",                   [303,  404,   404,   404,   404,  404,  200]),
    row("POST",   "/admin/catalog/routing",                   [303,  404,   404,   404,   404,  404,  422]),
    row("POST",   "/admin/catalog/routing/remove",            [303,  404,   404,   404,   404,  404,  404]),
    row("GET",    "/reports/{number}",                        [303,  200,   404,   200,   200,  404,  200]),
    row("POST",   "/reports/{number}/rating",                 [303,  409,   404,   403,   403,  404,  403]),
    row("GET",    "/reports/{number}/answer.pdf",             [303,  409,   404,   409,   409,  404,  409]),
    row("POST",   "/reports/{number}/transitions",            [303,  403,   404,   403,   303,  404,  303]),
    row("POST",   "/reports/{number}/followers",              [303,  409,   303,   403,   403,  403,  403]),
    row("POST",   "/reports/{number}/messages",               [303,  303,   404,   303,   303,  404,  303]),
    row("POST",   "/reports/{number}/question",               [303,  409,   404,   404,   404,  404,  404]),
    row("POST",   "/reports/{number}/reopen",                 [303,  409,   404,   404,   404,  404,  404]),
    row("GET",    "/reports/{number}/thumbnail",              [303,  200,   404,   200,   200,  404,  200]),
    row("GET",    "/reports/{number}/files/{file_id}",        [303,  200,   404,   200,   200,  404,  200]),
    row("GET",    "/reports/{number}/files/{file_id}/{variant}", [303, 200, 404,   200,   200,  404,  200]),
    row("GET",    "/staff/queue",                             [303,  404,   404,   200,   200,  200,  200]),
    row("GET",    "/static/style.css",                        [200,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/static/form.js",                          [200,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/static/categories.js",                    [200,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/static/public_map.js",                    [200,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/help",                                    [200,  200,   200,   200,   200,  200,  200]),
    row("POST",   "/help/tickets",                            [303,  303,   303,   303,   303,  303,  303]),
    row("GET",    "/staff/tickets",                           [303,  404,   404,   200,   404,  404,  200]),
    row("POST",   "/staff/tickets/{id}/close",                [303,  404,   404,   404,   404,  404,  404]),
    row("GET",    "/live",                                    [303,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/static/live.js",                          [200,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/static/push.js",                          [200,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/sw.js",                                   [200,  200,   200,   200,   200,  200,  200]),
    // Web Push is off in this service (tests/web_push.rs covers it on).
    row("POST",   "/push/subscriptions",                      [303,  404,   404,   404,   404,  404,  404]),
    row("POST",   "/push/subscriptions/delete",               [303,  404,   404,   404,   404,  404,  404]),
    row("GET",    "/map",                                     [200,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/static/vendor/leaflet/{*file}",           [200,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/api/v1/openapi.json",                     [200,  200,   200,   200,   200,  200,  200]),
    row("POST",   "/api/v1/session",                          [401,  200,   200,   200,   200,  200,  200]),
    row("DELETE", "/api/v1/session",                          [401,  204,   204,   204,   204,  204,  204]),
    row("GET",    "/api/v1/categories",                       [200,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/api/v1/reports",                          [401,  200,   200,   200,   200,  200,  200]),
    row("POST",   "/api/v1/reports",                          [401,  201,   201,   403,   403,  403,  403]),
    row("GET",    "/api/v1/dashboard",                        [401,  404,   404,   404,   404,  404,  200]),
    row("GET",    "/api/v1/reports/nearby",                   [401,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/api/v1/reports/{number}",                 [401,  200,   404,   200,   200,  404,  200]),
    row("POST",   "/api/v1/reports/{number}/transitions",     [401,  403,   404,   403,   200,  404,  200]),
    row("POST",   "/api/v1/reports/{number}/rating",          [401,  409,   404,   403,   403,  404,  403]),
    row("POST",   "/api/v1/reports/{number}/followers",       [401,  409,   201,   403,   403,  403,  403]),
    row("GET",    "/api/v1/reports/{number}/thumbnail",       [401,  200,   404,   200,   200,  404,  200]),
    row("GET",    "/api/v1/reports/{number}/files/{file_id}", [401,  200,   404,   200,   200,  404,  200]),
    row("GET",    "/api/v1/reports/{number}/files/{file_id}/{variant}", [401, 200, 404, 200,   200,  404,  200]),
    row("GET",    "/api/v1/notifications",                    [401,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/api/v1/public/reports",                   [200,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/api/v1/open-data/reports",                [200,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/api/v1/geocode/search",                   [401,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/api/v1/geocode/reverse",                  [401,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/healthz",                                 [200,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/readyz",                                  [200,  200,   200,   200,   200,  200,  200]),
    row("GET",    "/metrics",                                 [200,  200,   200,   200,   200,  200,  200]),
];

/// The category used for `{category}` and for filing: it needs no photo and no extra field.
/// Filing requests carry no file, because the server responds to a rejected request
/// before reading its body, and a client still sending a large body may see the connection
/// reset instead of the response.
const CATEGORY: &str = "uncleaned_litter_snow";

const LITTER_DESCRIPTION: &str = "Во дворе третий день не вывозят мусор, контейнеры переполнены.";

/// Returns the query string a GET of `path` needs to succeed.
fn query_of(path: &str) -> &'static str {
    match path {
        "/api/v1/reports/nearby" => "?category=parking_violation&lat=55.7640&lon=37.6060",
        "/api/v1/geocode/search" => "?q=%D0%A2%D0%B2%D0%B5%D1%80%D1%81%D0%BA%D0%B0%D1%8F",
        "/api/v1/geocode/reverse" => "?lat=55.7640&lon=37.6060",
        "/api/v1/public/reports" => "?bbox=37.5,55.7,37.7,55.8&zoom=12",
        _ => "",
    }
}

/// The route declarations, read from the sources of the routers at compile time.
const PAGE_ROUTES_SOURCE: &str = include_str!("../../web/src/pages/mod.rs");
const API_ROUTES_SOURCE: &str = include_str!("../../web/src/api/mod.rs");
const ROOT_ROUTES_SOURCE: &str = include_str!("../../web/src/lib.rs");

/// Where `api::routes()` is nested in the root router.
const API_PREFIX: &str = "/api/v1";

/// The `.merge(…)` and `.nest(…)` arguments of the root router that this matrix accounts for:
/// the pages and the API, whose sources are read above, and Open311, whose routes are built
/// per format at run time and whose access rules (public reads, API-key writes, no personal
/// data) are tested route by route in `tests/open311.rs`.
const COVERED_ROUTERS: [&str; 3] = ["pages::routes()", "\"/api/v1\", api::routes()", "\"/open311/v2\", open311::routes()"];

const HTTP_METHODS: [&str; 7] = ["get", "post", "put", "delete", "patch", "head", "options"];

/// Finds each `.route("PATH", get(…).post(…))` in a router's source and returns the
/// `(METHOD, PREFIX + PATH)` pairs it declares.
fn declared_routes(source: &str, prefix: &str) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for declaration in source.split(".route(").skip(1) {
        let arguments = until_closing_parenthesis(declaration);
        let path = arguments.split('"').nth(1).unwrap_or_else(|| panic!("a .route( call without a path literal: {arguments}"));

        // A method router is a chain such as `get(handler).post(handler)`: the method names are
        // the identifiers that open a parenthesis at the top level of the arguments.
        let mut depth = 0;
        let mut methods = Vec::new();
        for (index, character) in arguments.char_indices() {
            match character {
                '(' => {
                    if depth == 0 {
                        let before = &arguments[..index];
                        let start = before.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |position| position + 1);
                        let name = &before[start..];
                        if HTTP_METHODS.contains(&name) {
                            methods.push(name.to_uppercase());
                        }
                    }
                    depth += 1;
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        assert!(!methods.is_empty(), "no HTTP method found in the route declaration {arguments}");
        for method in methods {
            routes.insert((method, format!("{prefix}{path}")));
        }
    }
    routes
}

/// The text up to the parenthesis that closes the one opened just before `text`.
fn until_closing_parenthesis(text: &str) -> &str {
    let mut depth = 1;
    for (index, character) in text.char_indices() {
        match character {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[..index];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses after .route(: {text}");
}

#[test]
fn routes_have_rows() {
    for call in [".merge(", ".nest("] {
        for declaration in ROOT_ROUTES_SOURCE.split(call).skip(1) {
            let arguments = until_closing_parenthesis(declaration);
            assert!(
                COVERED_ROUTERS.contains(&arguments),
                "lib.rs adds the routes of {call}{arguments}), which tests/authorization.rs does not read: add its source and its rows"
            );
        }
    }

    let mut declared = declared_routes(PAGE_ROUTES_SOURCE, "");
    declared.extend(declared_routes(API_ROUTES_SOURCE, API_PREFIX));
    declared.extend(declared_routes(ROOT_ROUTES_SOURCE, ""));
    let tabled: BTreeSet<(String, String)> = ROUTES.iter().map(|row| (row.method.to_owned(), row.path.to_owned())).collect();

    for (method, path) in declared.difference(&tabled) {
        panic!("route {method} {path} is declared in a router but has no row in ROUTES of tests/authorization.rs");
    }
    for (method, path) in tabled.difference(&declared) {
        panic!("ROUTES has a row for {method} {path}, which no router declares");
    }
    assert_eq!(tabled.len(), ROUTES.len(), "ROUTES lists a route twice");
}

/// A caller: anonymous, or a signed-in account with both a web session and an API
/// token.
struct Caller {
    name: &'static str,
    email: Option<String>,
    /// A client with the session cookie; for the anonymous caller, without one.
    browser: Client,
    /// The CSRF token of the browser session.
    csrf_token: String,
    api: Option<ApiClient>,
}

impl Caller {
    async fn anonymous(service: &TestService) -> Caller {
        Caller { name: CALLERS[0], email: None, browser: service.browser(), csrf_token: String::new(), api: None }
    }

    async fn signed_in(service: &TestService, name: &'static str, email: &str, role: Role, agency: Option<&str>) -> Caller {
        let api = service.user(email, role, agency).await;
        let (browser, csrf_token) = browser_session(service, email).await;
        Caller { name, email: Some(email.to_owned()), browser, csrf_token, api: Some(api) }
    }

    /// A request with this caller's credential: the session cookie for pages, the bearer token
    /// for the API.
    fn request(&self, service: &TestService, method: Method, path: &str) -> RequestBuilder {
        let url = service.url(path);
        match (&self.api, path.starts_with(API_PREFIX)) {
            (Some(api), true) => no_redirects().request(method, url).bearer_auth(&api.token),
            _ => self.browser.request(method, url),
        }
    }
}

fn no_redirects() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("failed to build the HTTP client")
}

/// Signs a new browser in through the form and returns it with the CSRF token of its session.
async fn browser_session(service: &TestService, email: &str) -> (Client, String) {
    let browser = service.browser();
    sign_in_with_form(service, &browser, email, "/my/reports").await;
    let (status, html) = get_page(service, &browser, "/my/reports").await;
    assert_eq!(status, StatusCode::OK, "/my/reports of {email}");
    let csrf_token = input_value(&html, "csrf_token");
    (browser, csrf_token)
}

/// The report of the matrix and the accounts needed to make more like it.
struct Fixture {
    number: String,
    file_id: String,
    author: ApiClient,
    moderator: ApiClient,
}

impl Fixture {
    /// Files a parking report with photos as the author and has the moderator dispatch it to
    /// madi, the agency of its category.
    async fn dispatched_report(author: &ApiClient, moderator: &ApiClient) -> Value {
        let photos = [Upload::photo(TVERSKAYA), Upload::photo(ZELENOGRAD)];
        let (status, report) = author.file_report(&parking_report(), &photos, None).await;
        assert_eq!(status, StatusCode::CREATED, "filing failed: {report}");
        let number = report["number"].as_str().expect("report has a number").to_owned();
        for to in ["under_review", "dispatched"] {
            let (status, body) = moderator.transition(&number, json!({ "to": to })).await;
            assert_eq!(status, StatusCode::OK, "{to} of {number}: {body}");
        }
        let report = moderator.report(&number).await;
        assert_eq!(report["agency"]["code"], "madi", "{report}");
        report
    }

    /// The number of a new report in the same state as the matrix's, for a request that
    /// changes it.
    async fn fresh_number(&self) -> String {
        let report = Fixture::dispatched_report(&self.author, &self.moderator).await;
        report["number"].as_str().expect("report has a number").to_owned()
    }
}

/// Sends the request of `row` as `caller` and returns the status.
async fn send(service: &TestService, fixture: &Fixture, row: &Row, caller: &Caller) -> StatusCode {
    let path = row
        .path
        .replace("{number}", &fixture.number)
        .replace("{file_id}", &fixture.file_id)
        .replace("{variant}", "thumbnail")
        .replace("{category}", CATEGORY)
        .replace("{code}", CATEGORY)
        .replace("{*file}", "leaflet.js")
        .replace("{token}", "not-a-delivery-token")
        .replace("{id}", "999999")
        .replace("{provider}", "mosru")
        .replace("{name}", "no-such-key");
    let request = match (row.method, row.path) {
        // `{code}` is a category code elsewhere; this form needs an agency's.
        ("GET", "/admin/catalog/agencies/{code}") => caller.request(service, Method::GET, "/admin/catalog/agencies/madi"),
        ("GET", _) => caller.request(service, Method::GET, &format!("{path}{}", query_of(row.path))),

        ("POST", "/login") => {
            let login = caller.email.clone().unwrap_or_else(|| "nobody@example.ru".to_owned());
            no_redirects().post(service.url("/login")).form(&[("login", login.as_str()), ("password", PASSWORD), ("next", "/my/reports")])
        }
        ("POST", "/logout") => {
            // A session of its own, so that the caller's session stays for the other routes.
            let (browser, csrf_token) = match &caller.email {
                Some(email) => browser_session(service, email).await,
                None => (service.browser(), String::new()),
            };
            browser.post(service.url("/logout")).form(&[("csrf_token", csrf_token)])
        }
        ("POST", "/reports/new/{category}") => {
            let form = Form::new()
                .text("csrf_token", caller.csrf_token.clone())
                .text("idempotency_key", format!("matrix-{}", caller.name.replace(' ', "-")))
                .text("address", "Москва, улица Арбат, 10")
                .text("latitude", "55.7512")
                .text("longitude", "37.5930")
                .text("occurred_at", local_time_an_hour_ago())
                .text("description", LITTER_DESCRIPTION);
            caller.request(service, Method::POST, &path).multipart(form)
        }
        // An invalid login, so that nothing is registered.
        ("POST", "/register") => caller.request(service, Method::POST, &path).form(&[("login", "not a login"), ("password", "x"), ("password_repeat", "x")]),
        // Everyone is confirmed already, so these only redirect to the profile.
        ("POST", "/account/confirm") | ("POST", "/account/confirm/resend") => {
            caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str()), ("code", "123456")])
        }
        ("POST", "/password/reset") => caller.request(service, Method::POST, &path).form(&[("login", "+7 999 000 00 00")]),
        ("POST", "/password/reset/code") => caller
            .request(service, Method::POST, &path)
            .form(&[("login", "+7 999 000 00 00"), ("code", "123456"), ("password", "matrix new password"), ("password_repeat", "matrix new password")]),
        // No sign-in is waiting for its second factor, so the code is never checked.
        ("POST", "/login/2fa") => caller.request(service, Method::POST, &path).form(&[("code", "123456"), ("next", "/")]),
        // A wrong code, so that nobody's two-factor authentication changes; disabling it is
        // a redirect for callers who never turned it on.
        ("POST", "/account/2fa/enable") | ("POST", "/account/2fa/disable") => caller
            .request(service, Method::POST, &path)
            .form(&[("csrf_token", caller.csrf_token.as_str()), ("secret", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"), ("code", "12345x")]),
        // A forged token: signing out everywhere would end the sessions the other rows use.
        ("POST", "/account/sessions/end") => caller.request(service, Method::POST, &path).form(&[("csrf_token", "forged")]),
        // A client without the form's cookie, so the CSRF check rejects it before anything is
        // stored or counted against the limits.
        ("POST", "/password/recovery") => {
            let form = Form::new().text("csrf_token", "matrix").text("login", "nobody@example.ru").text("full_name", "Проверка").text("new_contact", "+7 999 000 00 00");
            no_redirects().post(service.url(&path)).multipart(form)
        }
        // Nobody has a temporary password, so signed-in callers are sent to their profile.
        ("POST", "/password/change") => caller
            .request(service, Method::POST, &path)
            .form(&[("csrf_token", caller.csrf_token.as_str()), ("password", "matrix new password"), ("password_repeat", "matrix new password")]),
        ("POST", "/staff/recovery/{id}/approve") | ("POST", "/staff/recovery/{id}/refuse") => {
            caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str()), ("reason", "Проверка доступа")])
        }
        ("POST", "/help/tickets") => caller
            .request(service, Method::POST, &path)
            .form(&[("csrf_token", caller.csrf_token.as_str()), ("topic", "other"), ("text", "Проверка доступа")]),
        ("POST", "/staff/tickets/{id}/close") => caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str())]),
        ("POST", "/notifications/settings") => {
            caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str()), ("mode", "digest")])
        }
        ("POST", "/notifications/read") => caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str())]),
        ("POST", "/push/subscriptions") | ("POST", "/push/subscriptions/delete") => caller
            .request(service, Method::POST, &path)
            .json(&json!({ "csrf_token": caller.csrf_token, "endpoint": "https://fcm.googleapis.com/fcm/send/matrix" })),
        ("POST", "/unsubscribe/{token}") => caller.request(service, Method::POST, &path).form(&[("List-Unsubscribe", "One-Click")]),
        ("POST", "/admin/staff") => caller.request(service, Method::POST, &path).form(&[
            ("csrf_token", caller.csrf_token.as_str()),
            ("email", "matrix.moderator@example.ru"),
            ("password", PASSWORD),
            ("role", "moderator"),
        ]),
        ("POST", "/admin/calendar") => {
            // The shipped 2027 file changes no day, so the administrator's import succeeds.
            let document = include_str!("../../core/data/calendar/ru_2027_calendar.xml");
            let form = Form::new()
                .text("csrf_token", caller.csrf_token.clone())
                .part("file", reqwest::multipart::Part::bytes(document.as_bytes().to_vec()).file_name("calendar.xml"));
            caller.request(service, Method::POST, &path).multipart(form)
        }
        ("POST", "/admin/catalog/categories") => {
            // A new category without a code: the administrator gets the form back with the reason.
            caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str()), ("original_code", "_new")])
        }
        ("POST", "/admin/catalog/agencies") => {
            // A new agency without a code: the administrator gets the form back with the reason.
            caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str()), ("original_code", "_new")])
        }
        // A district code that no district has: the administrator's rule is rejected and there
        // is no rule to remove, so the matrix changes no routing.
        ("POST", "/admin/catalog/routing") | ("POST", "/admin/catalog/routing/remove") => caller
            .request(service, Method::POST, &path)
            .form(&[("csrf_token", caller.csrf_token.as_str()), ("category", CATEGORY), ("district", "00000000"), ("agency", "oati")]),
        ("POST", "/admin/staff/{id}") => caller
            .request(service, Method::POST, &path)
            .form(&[("csrf_token", caller.csrf_token.as_str()), ("role", "executor"), ("agency", "madi")]),
        ("POST", "/admin/staff/{id}/disabled") => {
            caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str()), ("disabled", "true")])
        }
        ("POST", "/admin/deliveries/retry") => caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str())]),
        ("POST", "/admin/api-keys") => {
            caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str()), ("name", "matrix-key"), ("agency", "")])
        }
        ("POST", "/admin/webhooks/retry") => caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str())]),
        ("POST", "/admin/api-keys/{name}/revoke") => caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str())]),
        ("POST", "/auth/{provider}/link") => caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str())]),
        ("POST", "/reports/{number}/followers") => {
            let number = fixture.fresh_number().await;
            let path = format!("/reports/{number}/followers");
            caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str())])
        }
        ("POST", "/api/v1/reports/{number}/followers") => {
            let number = fixture.fresh_number().await;
            caller.request(service, Method::POST, &format!("/api/v1/reports/{number}/followers")).json(&json!({}))
        }
        ("POST", "/reports/{number}/transitions") => {
            let number = fixture.fresh_number().await;
            let path = format!("/reports/{number}/transitions");
            caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str()), ("to", "in_progress")])
        }

        ("POST", "/api/v1/session") => {
            let login = caller.email.clone().unwrap_or_else(|| "nobody@example.ru".to_owned());
            no_redirects().post(service.url(&path)).json(&json!({ "login": login, "password": PASSWORD }))
        }
        ("DELETE", "/api/v1/session") => {
            // A token of its own, so that the caller's token stays for the other routes.
            let request = no_redirects().delete(service.url(&path));
            match &caller.email {
                Some(email) => request.bearer_auth(service.sign_in(email).await.token),
                None => request,
            }
        }
        ("POST", "/api/v1/reports") => {
            let report = json!({
                "category": CATEGORY,
                "lat": 55.7512,
                "lon": 37.5930,
                "occurred_at": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
                "description": LITTER_DESCRIPTION,
            });
            caller.request(service, Method::POST, &path).multipart(Form::new().text("report", report.to_string()))
        }
        ("POST", "/api/v1/reports/{number}/transitions") => {
            let number = fixture.fresh_number().await;
            let path = format!("/api/v1/reports/{number}/transitions");
            caller.request(service, Method::POST, &path).json(&json!({ "to": "in_progress" }))
        }

        ("POST", "/reports/{number}/messages") => {
            let form = Form::new().text("csrf_token", caller.csrf_token.clone()).text("text", "Проверка доступа к переписке");
            caller.request(service, Method::POST, &path).multipart(form)
        }
        ("POST", "/reports/{number}/question") => {
            caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str()), ("text", "Когда будет ответ?")])
        }
        ("POST", "/reports/{number}/reopen") => {
            let form = Form::new().text("csrf_token", caller.csrf_token.clone()).text("comment", "Проблема осталась");
            caller.request(service, Method::POST, &path).multipart(form)
        }
        ("POST", "/reports/{number}/rating") => {
            caller.request(service, Method::POST, &path).form(&[("csrf_token", caller.csrf_token.as_str()), ("score", "5")])
        }
        ("POST", "/api/v1/reports/{number}/rating") => caller.request(service, Method::POST, &path).json(&json!({ "score": 5 })),

        (method, path) => panic!("no request is defined for {method} {path}: add one to send()"),
    };
    let response = request.send().await.unwrap_or_else(|error| panic!("{} {path} as {} failed: {error}", row.method, caller.name));
    response.status()
}

/// Returns the Moscow time of an hour ago as a `datetime-local` input sends it.
fn local_time_an_hour_ago() -> String {
    let time = chrono::Utc::now() - chrono::Duration::hours(1);
    time.with_timezone(&pomoshnik_core::deadline::CITY_TIME_ZONE).format("%Y-%m-%dT%H:%M").to_string()
}

async fn authorization_matrix(service: &TestService) {
    let callers = [
        Caller::anonymous(service).await,
        Caller::signed_in(service, CALLERS[1], "author@example.ru", Role::Resident, None).await,
        Caller::signed_in(service, CALLERS[2], "other@example.ru", Role::Resident, None).await,
        Caller::signed_in(service, CALLERS[3], "moderator@example.ru", Role::Moderator, None).await,
        Caller::signed_in(service, CALLERS[4], "executor.madi@example.ru", Role::Executor, Some("madi")).await,
        Caller::signed_in(service, CALLERS[5], "executor.oati@example.ru", Role::Executor, Some("oati")).await,
        Caller::signed_in(service, CALLERS[6], "admin@example.ru", Role::Admin, None).await,
    ];
    let author = callers[1].api.clone().expect("the author has a token");
    let moderator = callers[3].api.clone().expect("the moderator has a token");

    let report = Fixture::dispatched_report(&author, &moderator).await;
    let number = report["number"].as_str().expect("report has a number").to_owned();
    let file_url = report["files"][0]["url"].as_str().expect("the report has a file").to_owned();
    let file_id = file_url.rsplit('/').next().expect("the file URL has segments").to_owned();
    let fixture = Fixture { number, file_id, author, moderator };

    let mut failures = Vec::new();
    for row in ROUTES {
        for (caller, expected) in callers.iter().zip(row.expected) {
            let actual = send(service, &fixture, row, caller).await;
            if actual.as_u16() != expected {
                failures.push(format!("{} {} as {}: expected {expected}, got {}", row.method, row.path, caller.name, actual.as_u16()));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} cells differ:\n{}", failures.len(), ROUTES.len() * CALLERS.len(), failures.join("\n"));

    // The matrix's report itself was only read, never changed.
    let report = fixture.moderator.report(&fixture.number).await;
    assert_eq!(report["status"], "dispatched", "{report}");
}
