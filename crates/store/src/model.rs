//! Records read from and written to the store.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pomoshnik_core::number::ReportNumber;
use pomoshnik_core::role::Role;
use pomoshnik_core::status::{Decision, RejectionReason, Status};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    /// Lowercased e-mail address; empty for an account registered with a phone only.
    pub email: String,
    /// Mobile phone as +7XXXXXXXXXX, for accounts registered with one.
    pub phone: Option<String>,
    pub role: Role,
    pub agency: Option<String>,
    /// The district unit an executor of a district agency belongs to; None sees every district.
    pub district: Option<String>,
    pub confirmed: bool,
    pub disabled: bool,
    /// An executor who supervises their agency: receives escalations and reads its figures.
    pub supervisor: bool,
    pub created_at: DateTime<Utc>,
    /// Whether sign-in asks for a TOTP code after the password.
    pub totp_enabled: bool,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    /// Lowercased e-mail address; the login.
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub agency: Option<String>,
    /// District code of an executor's unit, for agencies organised by district.
    pub district: Option<String>,
    pub confirmed: bool,
    /// Only for executors: see [`User::supervisor`].
    pub supervisor: bool,
    pub created_at: DateTime<Utc>,
}

/// The settings of a staff account that an administrator changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffUpdate {
    pub role: Role,
    /// Only for executors: the agency whose reports they work.
    pub agency: Option<String>,
    /// Only for executors of an agency organised by district: see [`User::district`].
    pub district: Option<String>,
    /// Only for executors: see [`User::supervisor`].
    pub supervisor: bool,
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
#[derive(Debug, Clone, PartialEq)]
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
    pub metadata: FileMetadata,
}

/// Metadata read from a photo or video when it was stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileMetadata {
    pub gps_latitude: Option<f64>,
    pub gps_longitude: Option<f64>,
    pub taken_at: Option<DateTime<Utc>>,
    /// Whether metadata-free preview and thumbnail copies exist.
    pub has_preview: bool,
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
    pub metadata: FileMetadata,
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
    /// The district and okrug the point lies in; None for reports filed before districts were
    /// recorded.
    pub area: Option<ReportArea>,
    /// H3 cell of the point at resolution 10, stored as i64 (the bits of the u64 index).
    pub h3_cell: Option<i64>,
    /// The report this one was rejected as a duplicate of.
    pub duplicate_of_id: Option<i64>,
}

/// The administrative area of a report's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportArea {
    pub district_code: String,
    pub district_name: String,
    pub okrug_code: String,
    pub okrug_name: String,
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
    pub area: Option<ReportArea>,
    pub h3_cell: Option<i64>,
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
    /// The original, when the report is rejected as its duplicate. The store records the link
    /// and makes the report's author a follower of the original in the same transaction.
    pub duplicate_of_id: Option<i64>,
    /// Users notified of the change.
    pub notify_user_ids: Vec<i64>,
    /// JSON body for the webhook destinations of `agency`. When set, the store writes one
    /// webhook delivery per destination of that agency in the transaction of the change.
    pub webhook_payload: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub report_number: ReportNumber,
    pub category_code: String,
    pub category_name: String,
    pub event: ReportEvent,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    /// Subject of the notification. For a message or an escalation, `event` is the report's latest
    /// status change.
    pub kind: NotificationKind,
    /// The text of the message it announces, for [`NotificationKind::Message`].
    pub message_text: Option<String>,
}

/// Subject of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    /// A change of the report's status.
    Status,
    /// A message in the report's dialogue.
    Message,
    /// The report is overdue; sent to the agency's supervisors.
    Escalation,
}

impl NotificationKind {
    /// Returns the stored code, or None for a status change.
    pub fn code(self) -> Option<&'static str> {
        match self {
            NotificationKind::Status => None,
            NotificationKind::Message => Some("message"),
            NotificationKind::Escalation => Some("escalation"),
        }
    }

    pub fn from_code(code: Option<&str>) -> Option<NotificationKind> {
        match code {
            None => Some(NotificationKind::Status),
            Some("message") => Some(NotificationKind::Message),
            Some("escalation") => Some(NotificationKind::Escalation),
            Some(_) => None,
        }
    }
}

/// Which of a person's notifications a list shows. Unset fields do not filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationFilter {
    pub user_id: i64,
    /// Created at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Created before this time.
    pub until: Option<DateTime<Utc>>,
    /// The status the report moved to.
    pub status: Option<Status>,
    pub category_code: Option<String>,
    pub unread_only: bool,
    pub limit: i64,
}

impl NotificationFilter {
    /// The user's latest notifications, at most `limit`.
    pub fn latest(user_id: i64, limit: i64) -> NotificationFilter {
        NotificationFilter { user_id, since: None, until: None, status: None, category_code: None, unread_only: false, limit }
    }
}

/// Open reports of one category filed since a time, in any of the given H3 cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearbyQuery {
    pub category_code: String,
    pub cells: Vec<i64>,
    pub since: DateTime<Utc>,
    pub limit: i64,
}

/// What the public map shows of a report: where, what and how far it got, and nothing the author
/// wrote or anything about the author.
#[derive(Debug, Clone, PartialEq)]
pub struct MapPoint {
    pub id: i64,
    pub number: ReportNumber,
    pub category_code: String,
    pub category_name: String,
    pub status: Status,
    pub latitude: f64,
    pub longitude: f64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub district_name: Option<String>,
}

/// The set of reports a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportQueue {
    /// A resident's own reports and the reports they follow.
    Author(i64),
    /// Reports waiting for moderation (accepted and under review).
    Moderation,
    /// Reports dispatched to an agency, open or closed.
    Agency(String),
    /// Reports dispatched to an agency organised by district, in one district.
    AgencyDistrict { agency: String, district: String },
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

/// A staff search over reports, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSearch {
    /// The query as `pomoshnik_core::report_search::normalise_query` returns it.
    pub query: String,
    /// Only reports of this agency, for executors.
    pub agency: Option<String>,
    /// Only reports in this district (OKTMO code), for executors bound to one.
    pub district: Option<String>,
    /// Show reports with ids below this one.
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// A key of an Open311 client. Reports filed with it belong to the client account `user_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: i64,
    /// The client's name, unique among all keys ever issued.
    pub name: String,
    pub user_id: i64,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key to issue together with the client account it files reports for.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: String,
    /// Lowercase hex SHA-256 of the key; the key itself is never stored.
    pub key_hash: String,
    pub account: NewUser,
    pub created_at: DateTime<Utc>,
}

/// Reports filed within a time range, for the public Open311 list. Empty `categories` or
/// `statuses` select all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFilter {
    pub categories: Vec<String>,
    pub statuses: Vec<Status>,
    /// Inclusive bounds of the filing time.
    pub created_from: DateTime<Utc>,
    pub created_until: DateTime<Utc>,
    /// Reports to skip, newest first.
    pub offset: i64,
    pub limit: i64,
}

/// One page of the reports filed within a period, in filing order. Pages continue after the last
/// report of the previous one, so a long export neither skips nor repeats a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiledPage {
    /// Inclusive start of the filing time.
    pub from: DateTime<Utc>,
    /// Exclusive end of the filing time.
    pub until: DateTime<Utc>,
    /// Filing time and id of the last report of the previous page.
    pub after: Option<(DateTime<Utc>, i64)>,
    pub limit: i64,
}

/// Status changes of all reports within a time range, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRange {
    /// Inclusive bounds of the change time.
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub offset: i64,
    pub limit: i64,
}

/// A status change with the number and category of its report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportEventEntry {
    pub report_number: ReportNumber,
    pub category_code: String,
    pub event: ReportEvent,
}

/// A person's choice of timing for notifications on one delivery channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryMode {
    /// A message for every notification, as soon as the worker sends it.
    Immediate,
    /// One message a day with every notification since the previous one.
    Digest,
    Off,
}

impl DeliveryMode {
    pub const ALL: [DeliveryMode; 3] = [DeliveryMode::Immediate, DeliveryMode::Digest, DeliveryMode::Off];

    pub fn code(self) -> &'static str {
        match self {
            DeliveryMode::Immediate => "immediate",
            DeliveryMode::Digest => "digest",
            DeliveryMode::Off => "off",
        }
    }

    pub fn from_code(code: &str) -> Option<DeliveryMode> {
        DeliveryMode::ALL.into_iter().find(|mode| mode.code() == code)
    }

    /// Returns the mode of a channel for a person who has not chosen one: off for `sms`,
    /// because every text message costs the city money, and immediate for the other channels.
    pub fn default_for(channel: &str) -> DeliveryMode {
        if channel == "sms" { DeliveryMode::Off } else { DeliveryMode::Immediate }
    }
}

/// A delivery of one notification through one channel, claimed by a worker until `locked_until`.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub channel: String,
    /// The recipient's address on the channel: the e-mail address, or the phone (+7XXXXXXXXXX)
    /// for `sms`. Empty when the account has none, and unused by Web Push.
    pub recipient: String,
    pub digest: bool,
    /// Attempts so far, this one included.
    pub attempts: i64,
    pub unsubscribe_token: String,
    pub notification: Notification,
}

/// A browser subscribed to Web Push for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSubscription {
    pub user_id: i64,
    /// The push service's address for this browser.
    pub endpoint: String,
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The browser's authentication secret, base64url.
    pub auth: String,
    pub created_at: DateTime<Utc>,
}

/// A delivery whose last attempt failed for good, for the administrators' list.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedDelivery {
    pub id: i64,
    pub channel: String,
    pub user_id: i64,
    pub report_number: ReportNumber,
    pub attempts: i64,
    pub last_error: String,
    pub created_at: DateTime<Utc>,
}

/// An agency system that receives the reports dispatched to its agency by webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDestination {
    /// Unique name from the configuration, such as `gati-main`.
    pub name: String,
    pub agency_code: String,
}

/// One dispatch of one report to one destination, claimed by a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub id: i64,
    pub report_id: i64,
    pub destination: String,
    /// Sent with every attempt, so the destination can recognise a repeated request.
    pub idempotency_key: String,
    /// The JSON body, the same on every attempt.
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// State of a row of an outbox table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    /// Not yet acknowledged; the worker tries again at the next attempt time.
    Pending,
    /// Acknowledged by the recipient.
    Sent,
    /// The last attempt failed and no more are made.
    Failed,
}

impl OutboxState {
    pub fn code(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
        }
    }

    pub fn from_code(code: &str) -> Option<OutboxState> {
        [OutboxState::Pending, OutboxState::Sent, OutboxState::Failed].into_iter().find(|state| state.code() == code)
    }
}

/// How the latest dispatch of a report to one destination stands, for the staff's report card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookStatus {
    pub destination: String,
    pub state: OutboxState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The author's rating of how a report was handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub report_id: i64,
    pub user_id: i64,
    /// From 1 (very bad) to 5 (excellent).
    pub score: i64,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An account at an external OpenID Connect provider, linked to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The provider's code in the configuration file, such as `esia` or `mosru`.
    pub provider: String,
    /// The ID token's `sub` claim.
    pub subject: String,
    pub user_id: i64,
    pub created_at: DateTime<Utc>,
}

/// A sign-in sent to a provider and not yet returned to the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignIn {
    /// Lowercase hex SHA-256 of the `state` parameter.
    pub state_hash: String,
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// Local path to open after the sign-in.
    pub return_path: String,
    /// The signed-in user who links the provider's account, or None for a sign-in.
    pub link_user_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A question sent through the support form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportTicket {
    pub id: i64,
    pub user_id: i64,
    /// Topic code, such as `account` or `report`.
    pub topic: String,
    /// Report the question is about, as the person typed it.
    pub report_number: Option<String>,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<i64>,
}

/// The current fixed window of a rate-limited key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWindow {
    pub window_start: DateTime<Utc>,
    /// Hits counted in the window, the latest included.
    pub count: i64,
}

/// One entry of the audit log: who did what to which object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// None for the service itself or a person who was not signed in.
    pub actor_id: Option<i64>,
    /// Dotted code of what happened, such as `sign_in.success` or `category.update`.
    pub action: String,
    /// What it happened to, such as `user:42` or `category:parking`.
    pub object: String,
    /// Detail for administrators; never personal data.
    pub details: String,
}

/// An entry to append to the audit log.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub action: String,
    pub object: String,
    pub details: String,
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only entries of this person.
    pub actor_id: Option<i64>,
    /// Only entries whose action starts with this prefix, such as `sign_in.`.
    pub action_prefix: Option<String>,
    /// Only entries older than this id, for the next page.
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Why a message of the dialogue was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Message,
    /// The author asks about a report that has not moved for a long time.
    Question,
    /// The author answers an information request.
    Answer,
    /// Materials the author sent when reopening the report.
    Reopen,
}

impl MessageKind {
    pub const ALL: [MessageKind; 4] = [MessageKind::Message, MessageKind::Question, MessageKind::Answer, MessageKind::Reopen];

    pub fn code(self) -> &'static str {
        match self {
            MessageKind::Message => "message",
            MessageKind::Question => "question",
            MessageKind::Answer => "answer",
            MessageKind::Reopen => "reopen",
        }
    }

    pub fn from_code(code: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// A message to store, with the author's pending uploads to attach and the people to notify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub report_id: i64,
    pub author_id: i64,
    pub author_role: Role,
    pub kind: MessageKind,
    pub text: String,
    pub file_ids: Vec<i64>,
    pub notify_user_ids: Vec<i64>,
    pub at: DateTime<Utc>,
}

/// A message of a report's dialogue with its files.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportMessage {
    pub id: i64,
    pub report_id: i64,
    pub author_id: i64,
    pub author_role: Role,
    pub kind: MessageKind,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub files: Vec<FileRecord>,
}

/// An overdue report escalated to one supervisor by [`crate::Store::escalate_overdue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escalation {
    pub report_id: i64,
    pub supervisor_id: i64,
}

/// Code of the category field that contains a vehicle's plate, in its normalised form. A report
/// filed with one gets an owner lookup in the vehicle registry.
pub const PLATE_FIELD: &str = "plate";

/// The registered owner of a plate, as a vehicle registry returns it. It is personal data:
/// only executors of the report's agency see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VehicleOwner {
    /// Full name of a person or the name of an organisation.
    pub name: String,
    /// Make and model, such as `Лада Веста`, when the registry returns them.
    pub vehicle: Option<String>,
}

/// A queued owner lookup claimed by a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerLookupTask {
    pub id: i64,
    pub report_id: i64,
    /// The plate in its normalised form, such as `А123ВС77`.
    pub plate: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// The owner lookup of one report. `state` is [`OutboxState::Sent`] once the registry responded, and
/// `owner` is then None when the registry does not know the plate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerLookup {
    pub report_id: i64,
    pub plate: String,
    pub state: OutboxState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub owner: Option<VehicleOwner>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A webhook delivery whose attempts ran out, for the administrators' list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedWebhookDelivery {
    pub id: i64,
    pub destination: String,
    pub report_number: ReportNumber,
    pub attempts: i64,
    pub last_error: String,
    pub created_at: DateTime<Utc>,
}
/// A resident registering a local account with an e-mail address or a mobile phone; the account
/// starts unconfirmed.
#[derive(Debug, Clone)]
pub struct NewRegistration {
    /// Lowercased e-mail address, when the login is one.
    pub email: Option<String>,
    /// +7XXXXXXXXXX, when the login is a phone.
    pub phone: Option<String>,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

/// A one-time code sent to confirm a contact (`confirm`) or reset a password (`reset`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccountCode {
    pub user_id: i64,
    pub purpose: String,
    /// Salted hash of the code, never the code.
    pub code_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountCode {
    pub id: i64,
    pub user_id: i64,
    pub purpose: String,
    pub code_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Wrong codes entered so far.
    pub attempts: i64,
    pub used_at: Option<DateTime<Utc>>,
}

/// One saved version of a catalog object, as an administrator left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogVersion {
    pub id: i64,
    /// What changed, such as `category:parking_violation`.
    pub object: String,
    /// 1 for the first change of the object, then counting up.
    pub version: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    /// The definition after the change, as JSON.
    pub definition: String,
}

/// Review state of an account recovery request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryState {
    Pending,
    Approved,
    Refused,
}

impl RecoveryState {
    pub fn code(self) -> &'static str {
        match self {
            RecoveryState::Pending => "pending",
            RecoveryState::Approved => "approved",
            RecoveryState::Refused => "refused",
        }
    }

    pub fn from_code(code: &str) -> Option<RecoveryState> {
        [RecoveryState::Pending, RecoveryState::Approved, RecoveryState::Refused].into_iter().find(|state| state.code() == code)
    }
}

/// A request to restore access to an account whose contact is lost, as the form sends it.
#[derive(Debug, Clone)]
pub struct NewRecoveryRequest {
    pub user_id: i64,
    /// The contact that receives the decision: +7XXXXXXXXXX or a lowercased e-mail address.
    pub new_contact: String,
    /// Full name as written in the passport.
    pub full_name: String,
    /// Storage key of the passport scan in the file store.
    pub scan_key: String,
    /// File kind code of the scan (`jpeg`, `png` or `pdf`).
    pub scan_kind: String,
    pub created_at: DateTime<Utc>,
}

/// An account recovery request and its review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryRequest {
    pub id: i64,
    pub user_id: i64,
    pub new_contact: String,
    pub full_name: String,
    /// Storage key of the passport scan; None once the request is reviewed and the scan deleted.
    pub scan_key: Option<String>,
    pub scan_kind: Option<String>,
    pub state: RecoveryState,
    pub created_at: DateTime<Utc>,
    pub reviewer_id: Option<i64>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub refusal_reason: Option<String>,
}

/// Changes that approving a recovery request makes to the account.
#[derive(Debug, Clone)]
pub struct RecoveryApproval {
    pub reviewer_id: i64,
    pub at: DateTime<Utc>,
    /// Hash of the temporary password that replaces the account's password.
    pub password_hash: String,
    /// When the temporary password stops working.
    pub expires_at: DateTime<Utc>,
}

/// A routing rule: reports of `category_code` filed in `district_code` go to `agency_code`
/// instead of the category's own agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingRule {
    pub category_code: String,
    /// The district's OKTMO code.
    pub district_code: String,
    pub agency_code: String,
    pub created_at: DateTime<Utc>,
}

/// Settings of an agency kept outside the catalog's `Agency`: its supervisors and webhook dispatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencySettings {
    /// Executors of the agency who are its supervisors.
    pub supervisor_ids: Vec<i64>,
    /// Whether dispatching a report to the agency posts it to the agency's webhook destinations.
    pub webhook_dispatch: bool,
}
