//! Rows as both backends return them, and their conversion into model records. Every column is a
//! type both drivers decode the same way: i64, f64, bool, String and their options.

use chrono::{DateTime, TimeZone, Utc};
use pomoshnik_core::number::ReportNumber;
use pomoshnik_core::role::Role;
use pomoshnik_core::status::{Decision, RejectionReason, Status};

use crate::model::{
    AccountCode, CatalogVersion,
    AuditEntry, Delivery, FailedDelivery, FileMetadata, FileRecord, MapPoint, Notification, OutboxState, Rating, Report, ReportArea, ReportEvent, Session, SupportTicket, User,
    WebhookDelivery, WebhookStatus,
};
use crate::model::{OwnerLookup, RecoveryRequest, RecoveryState, VehicleOwner};
use crate::{Result, StoreError};

pub(crate) fn to_millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

/// Builds a report number from its stored columns.
pub(crate) fn report_number(year: i64, sequence: i64) -> Result<ReportNumber> {
    let year = i32::try_from(year).map_err(|_| StoreError::Corrupt(format!("report year {year}")))?;
    Ok(ReportNumber::new(year, sequence))
}

pub(crate) fn from_millis(millis: i64) -> Result<DateTime<Utc>> {
    Utc.timestamp_millis_opt(millis).single().ok_or_else(|| StoreError::Corrupt(format!("timestamp {millis} out of range")))
}

fn optional_millis(millis: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    millis.map(from_millis).transpose()
}

fn parse_code<T>(code: &str, parse: fn(&str) -> Option<T>, what: &str) -> Result<T> {
    parse(code).ok_or_else(|| StoreError::Corrupt(format!("unknown {what} code {code:?}")))
}

fn parse_optional_code<T>(code: Option<&str>, parse: fn(&str) -> Option<T>, what: &str) -> Result<Option<T>> {
    code.map(|code| parse_code(code, parse, what)).transpose()
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    email: String,
    phone: Option<String>,
    role: String,
    agency_code: Option<String>,
    district_code: Option<String>,
    confirmed: bool,
    disabled: bool,
    supervisor: bool,
    created_at: i64,
    totp_enabled: bool,
}

impl UserRow {
    pub(crate) fn into_user(self) -> Result<User> {
        Ok(User {
            id: self.id,
            email: self.email,
            phone: self.phone,
            role: parse_code(&self.role, Role::from_code, "role")?,
            agency: self.agency_code,
            district: self.district_code,
            confirmed: self.confirmed,
            disabled: self.disabled,
            supervisor: self.supervisor,
            created_at: from_millis(self.created_at)?,
            totp_enabled: self.totp_enabled,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserWithPasswordRow {
    #[sqlx(flatten)]
    pub(crate) user: UserRow,
    pub(crate) password_hash: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionUserRow {
    token_hash: String,
    user_id: i64,
    csrf_token: String,
    session_created_at: i64,
    expires_at: i64,
    #[sqlx(flatten)]
    user: UserRow,
}

impl SessionUserRow {
    pub(crate) fn into_parts(self) -> Result<(Session, User)> {
        let session = Session {
            token_hash: self.token_hash,
            user_id: self.user_id,
            csrf_token: self.csrf_token,
            created_at: from_millis(self.session_created_at)?,
            expires_at: from_millis(self.expires_at)?,
        };
        Ok((session, self.user.into_user()?))
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct FileRow {
    id: i64,
    owner_id: i64,
    report_id: Option<i64>,
    storage_key: String,
    sha256: String,
    size: i64,
    kind: String,
    original_name: String,
    created_at: i64,
    gps_latitude: Option<f64>,
    gps_longitude: Option<f64>,
    taken_at: Option<i64>,
    has_preview: bool,
}

impl FileRow {
    pub(crate) fn into_file(self) -> Result<FileRecord> {
        Ok(FileRecord {
            id: self.id,
            owner_id: self.owner_id,
            report_id: self.report_id,
            storage_key: self.storage_key,
            sha256: self.sha256,
            size: self.size,
            kind: self.kind,
            original_name: self.original_name,
            created_at: from_millis(self.created_at)?,
            metadata: FileMetadata {
                gps_latitude: self.gps_latitude,
                gps_longitude: self.gps_longitude,
                taken_at: optional_millis(self.taken_at)?,
                has_preview: self.has_preview,
            },
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReportRow {
    id: i64,
    year: i64,
    sequence: i64,
    author_id: i64,
    category_code: String,
    category_name: String,
    deadline_working_days: i64,
    agency_code: Option<String>,
    status: String,
    status_before_info_request: Option<String>,
    decision: Option<String>,
    rejection_reason: Option<String>,
    latitude: f64,
    longitude: f64,
    address: Option<String>,
    occurred_at: i64,
    description: String,
    fields: String,
    created_at: i64,
    updated_at: i64,
    dispatched_at: Option<i64>,
    resolved_at: Option<i64>,
    deadline_at: Option<i64>,
    version: i64,
    district_code: Option<String>,
    district_name: Option<String>,
    okrug_code: Option<String>,
    okrug_name: Option<String>,
    h3_cell: Option<i64>,
    duplicate_of_id: Option<i64>,
}

impl ReportRow {
    pub(crate) fn into_report(self) -> Result<Report> {
        let fields = serde_json::from_str(&self.fields).map_err(|error| StoreError::Corrupt(format!("report fields: {error}")))?;

        Ok(Report {
            id: self.id,
            number: report_number(self.year, self.sequence)?,
            author_id: self.author_id,
            category_code: self.category_code,
            category_name: self.category_name,
            deadline_working_days: u32::try_from(self.deadline_working_days).unwrap_or(0),
            agency: self.agency_code,
            status: parse_code(&self.status, Status::from_code, "status")?,
            status_before_info_request: parse_optional_code(self.status_before_info_request.as_deref(), Status::from_code, "status")?,
            decision: parse_optional_code(self.decision.as_deref(), Decision::from_code, "decision")?,
            rejection_reason: parse_optional_code(self.rejection_reason.as_deref(), RejectionReason::from_code, "rejection reason")?,
            latitude: self.latitude,
            longitude: self.longitude,
            address: self.address,
            occurred_at: from_millis(self.occurred_at)?,
            description: self.description,
            fields,
            created_at: from_millis(self.created_at)?,
            updated_at: from_millis(self.updated_at)?,
            dispatched_at: optional_millis(self.dispatched_at)?,
            resolved_at: optional_millis(self.resolved_at)?,
            deadline_at: optional_millis(self.deadline_at)?,
            version: self.version,
            area: match (self.district_code, self.district_name, self.okrug_code, self.okrug_name) {
                (Some(district_code), Some(district_name), Some(okrug_code), Some(okrug_name)) => {
                    Some(ReportArea { district_code, district_name, okrug_code, okrug_name })
                }
                _ => None,
            },
            h3_cell: self.h3_cell,
            duplicate_of_id: self.duplicate_of_id,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MapPointRow {
    id: i64,
    year: i64,
    sequence: i64,
    category_code: String,
    category_name: String,
    status: String,
    latitude: f64,
    longitude: f64,
    created_at: i64,
    updated_at: i64,
    district_name: Option<String>,
}

impl MapPointRow {
    pub(crate) fn into_point(self) -> Result<MapPoint> {
        Ok(MapPoint {
            id: self.id,
            number: report_number(self.year, self.sequence)?,
            category_code: self.category_code,
            category_name: self.category_name,
            status: parse_code(&self.status, Status::from_code, "status")?,
            latitude: self.latitude,
            longitude: self.longitude,
            created_at: from_millis(self.created_at)?,
            updated_at: from_millis(self.updated_at)?,
            district_name: self.district_name,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    id: i64,
    report_id: i64,
    actor_id: Option<i64>,
    actor_role: String,
    from_status: Option<String>,
    to_status: String,
    comment: Option<String>,
    decision: Option<String>,
    rejection_reason: Option<String>,
    agency_code: Option<String>,
    created_at: i64,
}

impl EventRow {
    pub(crate) fn into_event(self) -> Result<ReportEvent> {
        Ok(ReportEvent {
            id: self.id,
            report_id: self.report_id,
            actor_id: self.actor_id,
            actor_role: parse_code(&self.actor_role, Role::from_code, "role")?,
            from_status: parse_optional_code(self.from_status.as_deref(), Status::from_code, "status")?,
            to_status: parse_code(&self.to_status, Status::from_code, "status")?,
            comment: self.comment,
            decision: parse_optional_code(self.decision.as_deref(), Decision::from_code, "decision")?,
            rejection_reason: parse_optional_code(self.rejection_reason.as_deref(), RejectionReason::from_code, "rejection reason")?,
            agency: self.agency_code,
            created_at: from_millis(self.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct NotificationRow {
    notification_id: i64,
    user_id: i64,
    year: i64,
    sequence: i64,
    category_code: String,
    category_name: String,
    notification_created_at: i64,
    read_at: Option<i64>,
    notification_kind: Option<String>,
    message_text: Option<String>,
    #[sqlx(flatten)]
    event: EventRow,
}

impl NotificationRow {
    pub(crate) fn into_notification(self) -> Result<Notification> {
        Ok(Notification {
            id: self.notification_id,
            user_id: self.user_id,
            report_number: report_number(self.year, self.sequence)?,
            category_code: self.category_code,
            category_name: self.category_name,
            event: self.event.into_event()?,
            created_at: from_millis(self.notification_created_at)?,
            read_at: optional_millis(self.read_at)?,
            kind: crate::model::NotificationKind::from_code(self.notification_kind.as_deref())
                .ok_or_else(|| StoreError::Corrupt(format!("unknown notification kind {:?}", self.notification_kind)))?,
            message_text: self.message_text,
        })
    }
}

/// An API key row. The columns carry a `key_` prefix so that the row can be read beside the
/// columns of its user.
#[derive(sqlx::FromRow)]
pub(crate) struct ApiKeyRow {
    key_id: i64,
    key_name: String,
    key_user_id: i64,
    key_created_at: i64,
    key_revoked_at: Option<i64>,
}

impl ApiKeyRow {
    pub(crate) fn into_api_key(self) -> Result<crate::model::ApiKey> {
        Ok(crate::model::ApiKey {
            id: self.key_id,
            name: self.key_name,
            user_id: self.key_user_id,
            created_at: from_millis(self.key_created_at)?,
            revoked_at: optional_millis(self.key_revoked_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ApiKeyUserRow {
    #[sqlx(flatten)]
    key: ApiKeyRow,
    #[sqlx(flatten)]
    user: UserRow,
}

impl ApiKeyUserRow {
    pub(crate) fn into_parts(self) -> Result<(crate::model::ApiKey, User)> {
        Ok((self.key.into_api_key()?, self.user.into_user()?))
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventEntryRow {
    year: i64,
    sequence: i64,
    category_code: String,
    #[sqlx(flatten)]
    event: EventRow,
}

impl EventEntryRow {
    pub(crate) fn into_entry(self) -> Result<crate::model::ReportEventEntry> {
        Ok(crate::model::ReportEventEntry {
            report_number: report_number(self.year, self.sequence)?,
            category_code: self.category_code,
            event: self.event.into_event()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DeliveryRow {
    delivery_id: i64,
    channel: String,
    recipient: String,
    digest: i64,
    attempts: i64,
    unsubscribe_token: String,
    #[sqlx(flatten)]
    notification: NotificationRow,
}

impl DeliveryRow {
    pub(crate) fn into_delivery(self) -> Result<Delivery> {
        Ok(Delivery {
            id: self.delivery_id,
            channel: self.channel,
            recipient: self.recipient,
            digest: self.digest != 0,
            attempts: self.attempts,
            unsubscribe_token: self.unsubscribe_token,
            notification: self.notification.into_notification()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct FailedDeliveryRow {
    id: i64,
    channel: String,
    user_id: i64,
    year: i64,
    sequence: i64,
    attempts: i64,
    last_error: Option<String>,
    created_at: i64,
}

impl FailedDeliveryRow {
    pub(crate) fn into_failed_delivery(self) -> Result<FailedDelivery> {
        Ok(FailedDelivery {
            id: self.id,
            channel: self.channel,
            user_id: self.user_id,
            report_number: report_number(self.year, self.sequence)?,
            attempts: self.attempts,
            last_error: self.last_error.unwrap_or_default(),
            created_at: from_millis(self.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RatingRow {
    report_id: i64,
    user_id: i64,
    score: i64,
    comment: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl RatingRow {
    pub(crate) fn into_rating(self) -> Result<Rating> {
        Ok(Rating {
            report_id: self.report_id,
            user_id: self.user_id,
            score: self.score,
            comment: self.comment,
            created_at: from_millis(self.created_at)?,
            updated_at: from_millis(self.updated_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct IdentityRow {
    provider: String,
    subject: String,
    user_id: i64,
    created_at: i64,
}

impl IdentityRow {
    pub(crate) fn into_identity(self) -> Result<crate::model::Identity> {
        Ok(crate::model::Identity { provider: self.provider, subject: self.subject, user_id: self.user_id, created_at: from_millis(self.created_at)? })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PendingSignInRow {
    state_hash: String,
    provider: String,
    nonce: String,
    pkce_verifier: String,
    return_path: String,
    link_user_id: Option<i64>,
    created_at: i64,
    expires_at: i64,
}

impl PendingSignInRow {
    pub(crate) fn into_pending(self) -> Result<crate::model::PendingSignIn> {
        Ok(crate::model::PendingSignIn {
            state_hash: self.state_hash,
            provider: self.provider,
            nonce: self.nonce,
            pkce_verifier: self.pkce_verifier,
            return_path: self.return_path,
            link_user_id: self.link_user_id,
            created_at: from_millis(self.created_at)?,
            expires_at: from_millis(self.expires_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TicketRow {
    id: i64,
    user_id: i64,
    topic: String,
    report_number: Option<String>,
    text: String,
    created_at: i64,
    closed_at: Option<i64>,
    closed_by: Option<i64>,
}

impl TicketRow {
    pub(crate) fn into_ticket(self) -> Result<SupportTicket> {
        Ok(SupportTicket {
            id: self.id,
            user_id: self.user_id,
            topic: self.topic,
            report_number: self.report_number,
            text: self.text,
            created_at: from_millis(self.created_at)?,
            closed_at: optional_millis(self.closed_at)?,
            closed_by: self.closed_by,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: i64,
    at: i64,
    actor_id: Option<i64>,
    action: String,
    object: String,
    details: String,
}

impl AuditRow {
    pub(crate) fn into_entry(self) -> Result<AuditEntry> {
        Ok(AuditEntry { id: self.id, at: from_millis(self.at)?, actor_id: self.actor_id, action: self.action, object: self.object, details: self.details })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccountCodeRow {
    id: i64,
    user_id: i64,
    purpose: String,
    code_hash: String,
    created_at: i64,
    expires_at: i64,
    attempts: i64,
    used_at: Option<i64>,
}

impl AccountCodeRow {
    pub(crate) fn into_code(self) -> Result<AccountCode> {
        Ok(AccountCode {
            id: self.id,
            user_id: self.user_id,
            purpose: self.purpose,
            code_hash: self.code_hash,
            created_at: from_millis(self.created_at)?,
            expires_at: from_millis(self.expires_at)?,
            attempts: self.attempts,
            used_at: self.used_at.map(from_millis).transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CatalogVersionRow {
    id: i64,
    object: String,
    version: i64,
    at: i64,
    actor_id: Option<i64>,
    definition: String,
}

impl CatalogVersionRow {
    pub(crate) fn into_version(self) -> Result<CatalogVersion> {
        Ok(CatalogVersion { id: self.id, object: self.object, version: self.version, at: from_millis(self.at)?, actor_id: self.actor_id, definition: self.definition })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct WebhookDeliveryRow {
    id: i64,
    report_id: i64,
    destination: String,
    idempotency_key: String,
    payload: String,
    attempts: i64,
}

impl WebhookDeliveryRow {
    pub(crate) fn into_delivery(self) -> WebhookDelivery {
        WebhookDelivery {
            id: self.id,
            report_id: self.report_id,
            destination: self.destination,
            idempotency_key: self.idempotency_key,
            payload: self.payload,
            attempts: self.attempts,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct WebhookStatusRow {
    destination: String,
    state: String,
    attempts: i64,
    last_error: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
}

impl WebhookStatusRow {
    pub(crate) fn into_status(self) -> Result<WebhookStatus> {
        Ok(WebhookStatus {
            state: OutboxState::from_code(&self.state).ok_or_else(|| StoreError::Corrupt(format!("webhook delivery state {}", self.state)))?,
            destination: self.destination,
            attempts: self.attempts,
            last_error: self.last_error,
            created_at: from_millis(self.created_at)?,
            sent_at: self.sent_at.map(from_millis).transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    id: i64,
    report_id: i64,
    author_id: i64,
    author_role: String,
    kind: String,
    text: String,
    created_at: i64,
}

impl MessageRow {
    pub(crate) fn into_message(self) -> Result<crate::model::ReportMessage> {
        Ok(crate::model::ReportMessage {
            id: self.id,
            report_id: self.report_id,
            author_id: self.author_id,
            author_role: Role::from_code(&self.author_role).ok_or_else(|| StoreError::Corrupt(format!("unknown role {}", self.author_role)))?,
            kind: crate::model::MessageKind::from_code(&self.kind).ok_or_else(|| StoreError::Corrupt(format!("unknown message kind {}", self.kind)))?,
            text: self.text,
            created_at: from_millis(self.created_at)?,
            files: Vec::new(),
        })
    }
}

/// A file of a message, with the message's id.
#[derive(sqlx::FromRow)]
pub(crate) struct MessageFileRow {
    pub(crate) message_id: i64,
    #[sqlx(flatten)]
    pub(crate) file: FileRow,
}

#[derive(sqlx::FromRow)]
pub(crate) struct OwnerLookupRow {
    report_id: i64,
    plate: String,
    state: String,
    attempts: i64,
    last_error: Option<String>,
    found: Option<i64>,
    owner_name: Option<String>,
    vehicle: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
}

impl OwnerLookupRow {
    pub(crate) fn into_lookup(self) -> Result<OwnerLookup> {
        let owner = match (self.found, self.owner_name) {
            (Some(1), Some(name)) => Some(VehicleOwner { name, vehicle: self.vehicle }),
            _ => None,
        };
        Ok(OwnerLookup {
            report_id: self.report_id,
            plate: self.plate,
            state: OutboxState::from_code(&self.state).ok_or_else(|| StoreError::Corrupt(format!("owner lookup state {}", self.state)))?,
            attempts: self.attempts,
            last_error: self.last_error,
            owner,
            created_at: from_millis(self.created_at)?,
            completed_at: self.sent_at.map(from_millis).transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RecoveryRequestRow {
    id: i64,
    user_id: i64,
    new_contact: String,
    full_name: String,
    scan_key: Option<String>,
    scan_kind: Option<String>,
    state: String,
    created_at: i64,
    reviewer_id: Option<i64>,
    reviewed_at: Option<i64>,
    refusal_reason: Option<String>,
}

impl RecoveryRequestRow {
    pub(crate) fn into_request(self) -> Result<RecoveryRequest> {
        Ok(RecoveryRequest {
            id: self.id,
            user_id: self.user_id,
            new_contact: self.new_contact,
            full_name: self.full_name,
            scan_key: self.scan_key,
            scan_kind: self.scan_kind,
            state: parse_code(&self.state, RecoveryState::from_code, "recovery state")?,
            created_at: from_millis(self.created_at)?,
            reviewer_id: self.reviewer_id,
            reviewed_at: optional_millis(self.reviewed_at)?,
            refusal_reason: self.refusal_reason,
        })
    }
}
