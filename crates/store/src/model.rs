//! Records read from and written to the store.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pomoshnik_core::number::ReportNumber;
use pomoshnik_core::role::Role;
use pomoshnik_core::status::{Decision, RejectionReason, Status};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub agency: Option<String>,
    pub confirmed: bool,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    /// Lowercased e-mail address; the login.
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub agency: Option<String>,
    pub confirmed: bool,
    pub created_at: DateTime<Utc>,
}

/// A signed-in session: a web cookie or an API bearer token. Only the token's SHA-256 is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A stored file: an upload waiting for its report (`report_id` is None) or attached to one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    pub id: i64,
    pub owner_id: i64,
    pub report_id: Option<i64>,
    pub storage_key: String,
    pub sha256: String,
    pub size: i64,
    /// File type code, such as `jpeg` or `pdf`.
    pub kind: String,
    pub original_name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewFile {
    pub owner_id: i64,
    pub storage_key: String,
    pub sha256: String,
    pub size: i64,
    pub kind: String,
    pub original_name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: i64,
    pub number: ReportNumber,
    pub author_id: i64,
    pub category_code: String,
    /// The category's name when the report was filed.
    pub category_name: String,
    /// The category's deadline when the report was filed; later catalog changes do not alter it.
    pub deadline_working_days: u32,
    pub agency: Option<String>,
    pub status: Status,
    pub status_before_info_request: Option<Status>,
    pub decision: Option<Decision>,
    pub rejection_reason: Option<RejectionReason>,
    pub latitude: f64,
    pub longitude: f64,
    pub address: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub description: String,
    pub fields: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub deadline_at: Option<DateTime<Utc>>,
    /// Incremented by every change; a change names the version it was based on.
    pub version: i64,
}

/// A report to insert. The store assigns the number and writes the first event and notification.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub author_id: i64,
    /// Client-chosen key that makes a resubmission return the first report instead of a new one.
    pub idempotency_key: Option<String>,
    pub category_code: String,
    pub category_name: String,
    pub deadline_working_days: u32,
    pub latitude: f64,
    pub longitude: f64,
    pub address: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub description: String,
    pub fields: BTreeMap<String, String>,
    /// Pending uploads of the author to attach.
    pub file_ids: Vec<i64>,
    pub created_at: DateTime<Utc>,
}

/// The outcome of inserting a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    New(Report),
    /// The idempotency key was already used: this is the report created the first time.
    Existing(Report),
}

impl Created {
    pub fn report(&self) -> &Report {
        match self {
            Created::New(report) | Created::Existing(report) => report,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportEvent {
    pub id: i64,
    pub report_id: i64,
    pub actor_id: Option<i64>,
    pub actor_role: Role,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub comment: Option<String>,
    pub decision: Option<Decision>,
    pub rejection_reason: Option<RejectionReason>,
    pub agency: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A checked status change and the report fields it sets. The store applies it only if the
/// report still has `expected_version`.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub report_id: i64,
    pub expected_version: i64,
    pub actor_id: i64,
    pub actor_role: Role,
    pub from: Status,
    pub to: Status,
    pub comment: Option<String>,
    pub decision: Option<Decision>,
    pub rejection_reason: Option<RejectionReason>,
    pub agency: Option<String>,
    pub status_before_info_request: Option<Status>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub deadline_at: Option<DateTime<Utc>>,
    /// Who learns of the change.
    pub notify_user_ids: Vec<i64>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub report_number: ReportNumber,
    pub category_name: String,
    pub event: ReportEvent,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// Which reports a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportQueue {
    /// A resident's own reports.
    Author(i64),
    /// Reports waiting for moderation (accepted and under review).
    Moderation,
    /// Reports dispatched to an agency, open or closed.
    Agency(String),
    /// Every report, for administrators.
    All,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPage {
    pub queue: ReportQueue,
    /// Newest first; show reports with ids below this one.
    pub before_id: Option<i64>,
    pub limit: i64,
}
