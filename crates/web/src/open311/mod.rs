//! Open311 GeoReport v2 under `/open311/v2`, for city-wide apps and aggregators that speak the
//! standard (<http://wiki.open311.org/GeoReport_v2>). Every resource comes as JSON or XML, chosen
//! by its suffix: `services.json`, `services.xml`.
//!
//! - `discovery`: the service discovery document.
//! - `services`, `services/{service_code}`: categories and their extra fields.
//! - `POST requests`: files a report with an API key (see [`clients`]).
//! - `requests`, `requests/{id}`, `tokens/{id}`: public views of reports, without personal data.
//! - `servicerequestupdates`: status changes in a time range, the common extension of
//!   GeoReport v2 that FixMyStreet defined.
//!
//! Reports are filed synchronously, so a token is never needed: `tokens/{id}` accepts the report
//! number and returns it as both `service_request_id` and `token`.
//!
//! NOTE: the router's cross-site check still applies to `POST requests`, so a browser page on
//! another origin that sends an `Origin` header is rejected even with a valid `api_key`.

pub mod clients;
mod errors;
mod format;
mod requests;
mod services;

use axum::extract::{Form, Path, State};
use axum::extract::rejection::FormRejection;
use axum::http::header::HOST;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::{Router, extract::Query};

pub use errors::{ErrorItem, Open311Error};
pub use format::{Document, Format, Value};

use crate::state::AppState;

/// The one jurisdiction this server serves. GeoReport v2 needs `jurisdiction_id` only on
/// servers with several, and a request that names another one gets 404.
pub const JURISDICTION_ID: &str = "moscow";

/// Location of the GeoReport v2 specification, as the discovery document names it.
const SPECIFICATION_URL: &str = "http://wiki.open311.org/GeoReport_v2";

/// When the services or this discovery document last changed, so that clients know when to
/// refresh their cached copies.
// NOTE: the catalog records no modification time, so an administrator's edit of a category does
// not move this date.
const CHANGESET: &str = "2026-12-04T00:00:00+03:00";

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for format in Format::ALL {
        let extension = format.extension();
        router = router
            .route(
                &format!("/discovery.{extension}"),
                get(move |State(state): State<AppState>, headers: HeaderMap| async move { discovery(&state, &headers).into_response(format, StatusCode::OK) }),
            )
            .route(
                &format!("/services.{extension}"),
                get(move |State(state): State<AppState>, uri: Uri| async move {
                    respond(format, async { services::list(&state, &Params::from_uri(&uri)?).await }.await)
                }),
            )
            .route(
                &format!("/requests.{extension}"),
                get(move |State(state): State<AppState>, uri: Uri| async move {
                    respond(format, async { requests::list(&state, &Params::from_uri(&uri)?).await }.await)
                })
                .post(move |State(state): State<AppState>, uri: Uri, form: Result<Form<Vec<(String, String)>>, FormRejection>| async move {
                    let created = async {
                        let Ok(Form(pairs)) = form else {
                            return Err(Open311Error::bad_request("form_invalid"));
                        };
                        // An api_key in the query string is accepted too, as some clients send it there.
                        let mut params = Params::from_uri(&uri)?;
                        params.0.extend(pairs);
                        requests::create(&state, &params).await
                    }
                    .await;
                    match created {
                        Ok(document) => document.into_response(format, StatusCode::CREATED),
                        Err(error) => error.into_response(format),
                    }
                }),
            )
            .route(
                &format!("/servicerequestupdates.{extension}"),
                get(move |State(state): State<AppState>, uri: Uri| async move {
                    respond(format, async { requests::updates(&state, &Params::from_uri(&uri)?).await }.await)
                }),
            );
    }

    router
        .route("/services/{file}", get(service_definition))
        .route("/requests/{file}", get(request))
        .route("/tokens/{file}", get(token))
        .fallback(|uri: Uri| async move { Open311Error::not_found("not_found").into_response(format_of_path(uri.path())) })
}

fn respond(format: Format, result: Result<Document, Open311Error>) -> Response {
    match result {
        Ok(document) => document.into_response(format, StatusCode::OK),
        Err(error) => error.into_response(format),
    }
}

/// Returns the format an unknown path requests, so that even its 404 comes in that format.
fn format_of_path(path: &str) -> Format {
    if path.ends_with(".xml") { Format::Xml } else { Format::Json }
}

/// Runs `handler` for a resource named `{id}.{json|xml}`; another suffix is a 404.
async fn by_id<F>(file: &str, uri: &Uri, handler: impl FnOnce(String, Params) -> F) -> Response
where
    F: Future<Output = Result<Document, Open311Error>>,
{
    let Some((id, format)) = format::split_resource(file) else {
        return Open311Error::not_found("not_found").into_response(format_of_path(file));
    };
    let result = match Params::from_uri(uri) {
        Ok(params) => handler(id.to_owned(), params).await,
        Err(error) => Err(error),
    };
    respond(format, result)
}

async fn service_definition(State(state): State<AppState>, Path(file): Path<String>, uri: Uri) -> Response {
    by_id(&file, &uri, |code, params| async move { services::definition(&state, &params, &code).await }).await
}

async fn request(State(state): State<AppState>, Path(file): Path<String>, uri: Uri) -> Response {
    by_id(&file, &uri, |id, params| async move { requests::show(&state, &params, &id).await }).await
}

async fn token(State(state): State<AppState>, Path(file): Path<String>, uri: Uri) -> Response {
    by_id(&file, &uri, |id, params| async move { requests::token(&state, &params, &id).await }).await
}

/// Builds the discovery document. The endpoint URL is built from the request's `Host` header, with
/// `https` when the service runs behind an HTTPS public address.
fn discovery(state: &AppState, headers: &HeaderMap) -> Document {
    let host = headers.get(HOST).and_then(|value| value.to_str().ok()).unwrap_or("localhost");
    let scheme = if state.config.secure_cookies { "https" } else { "http" };
    let formats = Format::ALL.into_iter().map(|format| Value::text(format.media_type())).collect();
    let endpoint = Value::Record(vec![
        ("specification", Value::text(SPECIFICATION_URL)),
        ("url", Value::text(format!("{scheme}://{host}/open311/v2"))),
        ("changeset", Value::text(CHANGESET)),
        ("type", Value::text("production")),
        ("formats", Value::List("format", formats)),
    ]);

    Document::new(
        "discovery",
        Value::Record(vec![
            ("changeset", Value::text(CHANGESET)),
            ("contact", Value::Null),
            ("key_service", Value::text(crate::i18n::Tr.t("open311-key-service"))),
            ("endpoints", Value::List("endpoint", vec![endpoint])),
        ]),
    )
}

/// Query or form parameters in the order they came.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    fn from_uri(uri: &Uri) -> Result<Params, Open311Error> {
        match Query::<Vec<(String, String)>>::try_from_uri(uri) {
            Ok(Query(pairs)) => Ok(Params(pairs)),
            Err(_) => Err(Open311Error::bad_request("query_invalid")),
        }
    }

    /// Returns the last non-empty value of `name`, trimmed.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().filter(|(key, _)| key == name).map(|(_, value)| value.trim()).find(|value| !value.is_empty())
    }

    /// Returns every value of `name`, each split at commas, as GeoReport v2 lets list parameters be
    /// repeated or comma-separated.
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .flat_map(|(_, value)| value.split(','))
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .collect()
    }

    pub fn check_jurisdiction(&self) -> Result<(), Open311Error> {
        match self.get("jurisdiction_id") {
            Some(jurisdiction) if jurisdiction != JURISDICTION_ID => {
                Err(Open311Error::with_args(StatusCode::NOT_FOUND, "jurisdiction_unknown", &[("jurisdiction", JURISDICTION_ID.to_owned())]))
            }
            _ => Ok(()),
        }
    }

    /// Returns whether `extensions=true` requests the fields beyond GeoReport v2.
    pub fn extensions(&self) -> bool {
        self.get("extensions") == Some("true")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(pairs.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect())
    }

    #[test]
    fn list_parameters_split_at_commas() {
        let params = params(&[("service_code", "a, b"), ("service_code", "c"), ("status", "")]);
        assert_eq!(params.list("service_code"), ["a", "b", "c"]);
        assert!(params.list("status").is_empty());
        assert_eq!(params.get("service_code"), Some("c"));
        assert_eq!(params.get("status"), None);
    }

    #[test]
    fn other_jurisdiction_is_not_found() {
        assert!(params(&[]).check_jurisdiction().is_ok());
        assert!(params(&[("jurisdiction_id", JURISDICTION_ID)]).check_jurisdiction().is_ok());
        let error = params(&[("jurisdiction_id", "spb")]).check_jurisdiction().unwrap_err();
        assert_eq!(error.status, StatusCode::NOT_FOUND);
        assert_eq!(error.errors[0].code, "jurisdiction_unknown");
    }
}
