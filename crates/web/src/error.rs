//! Errors a request can end with. Each has an HTTP status, a stable code for programs and a
//! Russian message for people; the JSON API returns
//! `{"error": {"code", "message", "field"?, "errors"?}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pomoshnik_core::transition::TransitionError;
use pomoshnik_core::validation::FieldError;
use pomoshnik_media::UploadError;
use pomoshnik_store::StoreError;
use serde::Serialize;

use crate::i18n::Tr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Problem {
    pub fn from_field_error(error: &FieldError) -> Problem {
        Problem { code: error.code.to_owned(), message: Tr.error(error.code, &error.args), field: Some(error.field.clone()) }
    }

    pub fn from_upload_error(error: &UploadError) -> Problem {
        let mut args = vec![("file", error.file_name().unwrap_or_default().to_owned())];
        if let UploadError::TooLarge { limit_bytes, .. } = error {
            args.push(("limit", (limit_bytes / (1024 * 1024)).to_string()));
        }
        Problem { code: error.code().to_owned(), message: Tr.error(error.code(), &args), field: Some("files".to_owned()) }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub problem: Problem,
    pub problems: Vec<Problem>,
    /// Seconds for the `Retry-After` header of a rate-limited request.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str) -> ApiError {
        ApiError { status, problem: Problem { code: code.to_owned(), message: Tr.error(code, &[]), field: None }, problems: Vec::new(), retry_after: None }
    }

    /// Replaces the code and message, keeping the status.
    pub fn with_code(mut self, code: &str) -> ApiError {
        self.problem.code = code.to_owned();
        self.problem.message = Tr.error(code, &[]);
        self
    }

    pub fn with_field(mut self, field: &str) -> ApiError {
        self.problem.field = Some(field.to_owned());
        self
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found")
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized")
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden")
    }

    pub fn bad_request(code: &str) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code)
    }

    /// Several problems at once; the first is the main one.
    pub fn unprocessable(problems: Vec<Problem>) -> ApiError {
        let problem = problems.first().cloned().unwrap_or_else(|| Problem { code: "invalid".into(), message: Tr.error("invalid", &[]), field: None });
        ApiError { status: StatusCode::UNPROCESSABLE_ENTITY, problem, problems, retry_after: None }
    }

    /// Logs the cause and hides it from the client.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "request failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::Conflict => ApiError::new(StatusCode::CONFLICT, "conflict"),
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Duplicate(what) => ApiError::new(StatusCode::CONFLICT, &format!("duplicate_{}", what.replace(' ', "_"))),
            other => ApiError::internal(other),
        }
    }
}

impl From<TransitionError> for ApiError {
    fn from(error: TransitionError) -> ApiError {
        let status = match error {
            TransitionError::Forbidden => StatusCode::FORBIDDEN,
            TransitionError::NotAllowed { .. } => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let field = match error {
            TransitionError::DecisionRequired => Some("decision"),
            TransitionError::ReasonRequired => Some("reason"),
            TransitionError::OriginalRequired => Some("duplicate_of"),
            TransitionError::CommentRequired | TransitionError::CommentTooLong => Some("comment"),
            TransitionError::AgencyRequired | TransitionError::SameAgency => Some("agency"),
            _ => None,
        };
        let mut api_error = ApiError::new(status, error.code());
        api_error.problem.field = field.map(str::to_owned);
        api_error
    }
}

impl From<UploadError> for ApiError {
    fn from(error: UploadError) -> ApiError {
        if let UploadError::Storage(cause) = &error {
            return ApiError::internal(cause);
        }
        let status = match error {
            UploadError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            UploadError::TypeNotAllowed { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError { status, problem: Problem::from_upload_error(&error), problems: Vec::new(), retry_after: None }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorContent<'a>,
}

#[derive(Serialize)]
struct ErrorContent<'a> {
    #[serde(flatten)]
    problem: &'a Problem,
    #[serde(skip_serializing_if = "<[Problem]>::is_empty")]
    errors: &'a [Problem],
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorContent { problem: &self.problem, errors: &self.problems } };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        response
    }
}
