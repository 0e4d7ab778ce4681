//! Open311 errors: an HTTP status and a list of `{code, description}`, rendered as a JSON array
//! or as `<errors><error><code/><description/></error></errors>`. The code is the service's
//! stable error code (the same as in `/api/v1`) and the description its Russian message.

use axum::http::StatusCode;
use axum::response::Response;
use pomoshnik_store::StoreError;

use super::format::{Document, Format, Value};
use crate::error::ApiError;
use crate::i18n::Tr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorItem {
    pub code: String,
    pub description: String,
}

#[derive(Debug)]
pub struct Open311Error {
    pub status: StatusCode,
    pub errors: Vec<ErrorItem>,
}

impl Open311Error {
    pub fn new(status: StatusCode, code: &str) -> Open311Error {
        Open311Error::with_args(status, code, &[])
    }

    /// An error whose message has placeholders, such as `{ $param }`.
    pub fn with_args(status: StatusCode, code: &str, args: &[(&'static str, String)]) -> Open311Error {
        Open311Error { status, errors: vec![ErrorItem { code: code.to_owned(), description: Tr.error(code, args) }] }
    }

    pub fn bad_request(code: &str) -> Open311Error {
        Open311Error::new(StatusCode::BAD_REQUEST, code)
    }

    pub fn forbidden(code: &str) -> Open311Error {
        Open311Error::new(StatusCode::FORBIDDEN, code)
    }

    pub fn not_found(code: &str) -> Open311Error {
        Open311Error::new(StatusCode::NOT_FOUND, code)
    }

    pub fn into_response(self, format: Format) -> Response {
        let items = self
            .errors
            .into_iter()
            .map(|error| Value::Record(vec![("code", Value::Text(error.code)), ("description", Value::Text(error.description))]))
            .collect();
        Document::new("errors", Value::List("error", items)).into_response(format, self.status)
    }
}

/// Keeps every problem of a rejected report. Validation problems (422 in `/api/v1`) become 400,
/// the status GeoReport v2 gives to invalid arguments; other statuses stay.
impl From<ApiError> for Open311Error {
    fn from(error: ApiError) -> Open311Error {
        let status = if error.status == StatusCode::UNPROCESSABLE_ENTITY { StatusCode::BAD_REQUEST } else { error.status };
        let problems = if error.problems.is_empty() { vec![error.problem] } else { error.problems };
        let errors = problems.into_iter().map(|problem| ErrorItem { code: problem.code, description: problem.message }).collect();
        Open311Error { status, errors }
    }
}

impl From<StoreError> for Open311Error {
    fn from(error: StoreError) -> Open311Error {
        Open311Error::from(ApiError::from(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Problem;

    #[test]
    fn validation_problems_become_bad_request() {
        let problems = vec![
            Problem { code: "location_invalid".into(), message: Tr.error("location_invalid", &[]), field: Some("location".into()) },
            Problem { code: "description_too_short".into(), message: "коротко".into(), field: Some("description".into()) },
        ];
        let error = Open311Error::from(ApiError::unprocessable(problems));
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        let codes: Vec<&str> = error.errors.iter().map(|item| item.code.as_str()).collect();
        assert_eq!(codes, ["location_invalid", "description_too_short"]);
        assert!(error.errors[0].description.starts_with("Координаты"), "{:?}", error.errors[0]);
    }

    #[test]
    fn other_statuses_are_kept() {
        let error = Open311Error::from(ApiError::forbidden().with_code("only_residents_file_reports"));
        assert_eq!(error.status, StatusCode::FORBIDDEN);
        assert_eq!(error.errors[0].code, "only_residents_file_reports");
    }
}
