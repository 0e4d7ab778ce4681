//! Persistence of Pomoshnik behind one [`Store`] trait, implemented for SQLite (the embedded
//! default) and PostgreSQL (scaled-out deployments). Both implementations run the same SQL where
//! the dialects agree and pass the same conformance suite.

mod changes;
mod dashboard;
mod model;
mod postgres;
mod rows;
mod shared;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pomoshnik_core::catalog::Catalog;
use pomoshnik_core::number::ReportNumber;

pub use changes::Change;
pub use dashboard::{AgencyFigures, CodeCount, DailyCount, DashboardScope, OverdueReport};
pub use model::*;
pub use postgres::{DEFAULT_POOL_SIZE, PostgresStore};
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the record was changed by someone else; reload it and try again")]
    Conflict,
    #[error("a record with this {0} already exists")]
    Duplicate(&'static str),
    #[error("record not found")]
    NotFound,
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[async_trait]
pub trait Store: Send + Sync {
    fn backend(&self) -> Backend;

    async fn migrate(&self) -> Result<()>;

    /// Checks that the database answers.
    async fn ping(&self) -> Result<()>;

    /// Waits for open connections to be returned, then closes them, so that SQLite can
    /// checkpoint its write-ahead log before the process exits.
    async fn close(&self);

    /// Loads the catalog into an empty database; returns whether it did.
    async fn load_catalog_if_empty(&self, catalog: &Catalog) -> Result<bool>;
    async fn catalog(&self) -> Result<Catalog>;

    async fn create_user(&self, user: &NewUser) -> Result<User>;
    async fn user(&self, id: i64) -> Result<Option<User>>;
    /// Returns the user with this (lowercased) e-mail and the password hash.
    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>>;

    async fn create_session(&self, session: &Session) -> Result<()>;
    /// Returns an unexpired session and its enabled user.
    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<(Session, User)>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    async fn add_file(&self, file: &NewFile) -> Result<FileRecord>;
    async fn file(&self, id: i64) -> Result<Option<FileRecord>>;
    /// Returns the owner's uploads not yet attached to a report, among `ids`.
    async fn pending_files(&self, owner_id: i64, ids: &[i64]) -> Result<Vec<FileRecord>>;
    async fn report_files(&self, report_id: i64) -> Result<Vec<FileRecord>>;
    /// Deletes uploads never attached to a report and created before `before`; returns their
    /// storage keys so the caller can remove the content if no other record uses it.
    async fn delete_pending_files(&self, before: DateTime<Utc>) -> Result<Vec<String>>;
    /// Deletes the owner's listed uploads that are not attached to a report.
    async fn delete_pending_files_by_id(&self, owner_id: i64, ids: &[i64]) -> Result<()>;
    /// Numbers of other reports that have a file with this SHA-256.
    async fn reports_sharing_file(&self, sha256: &str, except_report_id: i64) -> Result<Vec<ReportNumber>>;
    /// Whether a file record or a recovery request refers to this storage key.
    async fn storage_key_in_use(&self, storage_key: &str) -> Result<bool>;

    /// Inserts a report with the next number of its year, attaches the files and records the
    /// first event and the author's notification, all in one transaction.
    async fn create_report(&self, report: &NewReport) -> Result<Created>;
    async fn report(&self, number: &ReportNumber) -> Result<Option<Report>>;
    async fn reports(&self, page: &ReportPage) -> Result<Vec<Report>>;
    /// What the public map needs of every report changed (filed or moved on) at or after `since`,
    /// in no particular order.
    async fn map_points_changed_since(&self, since: DateTime<Utc>) -> Result<Vec<MapPoint>>;
    /// Open reports matching the query, newest first.
    async fn nearby_reports(&self, query: &NearbyQuery) -> Result<Vec<Report>>;
    async fn report_events(&self, report_id: i64) -> Result<Vec<ReportEvent>>;
    /// Applies a status change with its event and notifications in one transaction; fails with
    /// [`StoreError::Conflict`] if the report's version is no longer `expected_version`.
    async fn apply_status_change(&self, change: &StatusChange) -> Result<Report>;

    async fn report_by_id(&self, id: i64) -> Result<Option<Report>>;
    /// Makes the user a follower of the report: it appears in their list and its notifications
    /// reach them. Returns false when they already follow it or filed it themselves, which
    /// changes nothing.
    async fn add_follower(&self, report_id: i64, user_id: i64, at: DateTime<Utc>) -> Result<bool>;
    async fn is_follower(&self, report_id: i64, user_id: i64) -> Result<bool>;
    /// Ids of the users who follow the report.
    async fn report_followers(&self, report_id: i64) -> Result<Vec<i64>>;
    /// Refreshes the query planner's statistics where they are missing or out of date. Without
    /// them SQLite picks a poor index for the map's bounding-box query.
    async fn optimize(&self) -> Result<()>;

    /// The person's notifications that pass the filter, newest first.
    async fn notifications(&self, filter: &NotificationFilter) -> Result<Vec<Notification>>;
    async fn unread_notifications(&self, user_id: i64) -> Result<i64>;
    /// Marks the user's notifications about one report as read.
    async fn mark_notifications_read(&self, user_id: i64, report_id: i64, at: DateTime<Utc>) -> Result<()>;
    /// Marks every unread notification of the user as read and returns how many there were.
    async fn mark_all_notifications_read(&self, user_id: i64, at: DateTime<Utc>) -> Result<u64>;
    /// Creates the client account and its API key in one transaction. Fails with
    /// [`StoreError::Duplicate`] when the key name (`"api key name"`) or the account's e-mail
    /// (`"email"`) is taken.
    async fn create_api_key(&self, key: &NewApiKey) -> Result<(ApiKey, User)>;
    /// Returns the key with this SHA-256 and its account, revoked or not.
    async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<(ApiKey, User)>>;
    async fn list_api_keys(&self) -> Result<Vec<ApiKey>>;
    /// Revokes the key named `name`; a key revoked before is returned unchanged. Fails with
    /// [`StoreError::NotFound`] when no key has this name.
    async fn revoke_api_key(&self, name: &str, at: DateTime<Utc>) -> Result<ApiKey>;
    /// One page of the reports filed within a period, oldest first.
    async fn reports_filed_between(&self, page: &FiledPage) -> Result<Vec<Report>>;
    /// Reports matching the filter, newest first.
    async fn filtered_reports(&self, filter: &ReportFilter) -> Result<Vec<Report>>;
    /// Status changes within the range, oldest first.
    async fn events_in_range(&self, range: &EventRange) -> Result<Vec<ReportEventEntry>>;
    /// Comments of staff members (any role but resident) on the listed reports, as
    /// `(report id, comment)` in the order they were written.
    async fn staff_comments(&self, report_ids: &[i64]) -> Result<Vec<(i64, String)>>;

    /// Replaces the list of channels that new notifications are delivered through.
    async fn set_delivery_channels(&self, channels: &[&str]) -> Result<()>;
    /// Returns the modes the user chose, by channel. A channel not listed has the mode of
    /// [`DeliveryMode::default_for`].
    async fn delivery_modes(&self, user_id: i64) -> Result<Vec<(String, DeliveryMode)>>;
    /// Sets the user's mode for one channel. Deliveries already written keep their mode.
    async fn set_delivery_mode(&self, user_id: i64, channel: &str, mode: DeliveryMode, at: DateTime<Utc>) -> Result<()>;
    /// Turns off the channel of the delivery with this unsubscribe token for its recipient and
    /// returns `(user id, channel)`, or None for an unknown token.
    async fn unsubscribe(&self, token: &str, at: DateTime<Utc>) -> Result<Option<(i64, String)>>;
    /// Claims up to `limit` pending deliveries of `channel` due at `now` that no other worker has
    /// claimed, oldest due first, and reserves them until `lease_until`. A recipient's digest
    /// deliveries share their due time, so they usually arrive in one batch.
    async fn claim_deliveries(&self, channel: &str, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: i64) -> Result<Vec<Delivery>>;
    async fn mark_delivered(&self, ids: &[i64], at: DateTime<Utc>) -> Result<()>;
    /// Records a failed attempt: the deliveries are retried at `retry_at`, or marked failed for
    /// good when it is None.
    async fn mark_delivery_failed(&self, ids: &[i64], error: &str, retry_at: Option<DateTime<Utc>>) -> Result<()>;
    /// Returns the number of deliveries not yet sent or failed for good.
    async fn pending_deliveries(&self) -> Result<i64>;
    /// Deliveries that failed for good, newest first.
    async fn failed_deliveries(&self, limit: i64) -> Result<Vec<FailedDelivery>>;
    /// Puts deliveries that failed for good back in the queue, due at `at`, and returns how many.
    async fn retry_failed_deliveries(&self, ids: &[i64], at: DateTime<Utc>) -> Result<u64>;

    /// Saves a browser's push subscription for the user. An endpoint saved before, by this or
    /// another person, now belongs to this user with the new keys.
    async fn save_push_subscription(&self, subscription: &PushSubscription) -> Result<()>;
    /// The user's push subscriptions, oldest first.
    async fn push_subscriptions(&self, user_id: i64) -> Result<Vec<PushSubscription>>;
    /// Deletes the subscription with this endpoint when it belongs to the user (any user when
    /// `user_id` is None) and returns whether one was deleted.
    async fn delete_push_subscription(&self, endpoint: &str, user_id: Option<i64>) -> Result<bool>;

    /// Replaces the list of webhook destinations that new dispatches are written for.
    async fn set_webhook_destinations(&self, destinations: &[WebhookDestination]) -> Result<()>;
    /// Claims up to `limit` pending webhook deliveries due at `now`, as
    /// [`Store::claim_deliveries`] does for e-mail.
    async fn claim_webhook_deliveries(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: i64) -> Result<Vec<WebhookDelivery>>;
    async fn mark_webhook_delivered(&self, ids: &[i64], at: DateTime<Utc>) -> Result<()>;
    /// Records a failed attempt: the deliveries are retried at `retry_at`, or marked failed for
    /// good when it is None.
    async fn mark_webhook_failed(&self, ids: &[i64], error: &str, retry_at: Option<DateTime<Utc>>) -> Result<()>;
    /// Returns the number of webhook deliveries not yet acknowledged or failed for good.
    async fn pending_webhook_deliveries(&self) -> Result<i64>;
    /// Webhook deliveries that failed for good, newest first.
    async fn failed_webhook_deliveries(&self, limit: i64) -> Result<Vec<FailedWebhookDelivery>>;
    /// Puts webhook deliveries that failed for good back in the queue, due at `at` with their
    /// attempts reset, and returns how many.
    async fn retry_failed_webhook_deliveries(&self, ids: &[i64], at: DateTime<Utc>) -> Result<u64>;
    /// The webhook deliveries of the report's latest dispatch, by destination name.
    async fn report_webhook_status(&self, report_id: i64) -> Result<Vec<WebhookStatus>>;

    // Staff search over reports.
    /// Reports whose search text contains `search.query`, newest first.
    async fn search_reports(&self, search: &ReportSearch) -> Result<Vec<Report>>;
    /// Computes the search text of up to `limit` reports filed before it was stored, and returns
    /// how many it filled. Zero means every report has one.
    async fn fill_search_texts(&self, limit: i64) -> Result<u64>;

    // Vehicle registry: owner lookups of plates, queued when a report with a plate is filed.
    /// Claims up to `limit` pending owner lookups due at `now`, as [`Store::claim_deliveries`]
    /// does for e-mail.
    async fn claim_owner_lookups(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: i64) -> Result<Vec<OwnerLookupTask>>;
    /// Records the registry's response: the owner, or None when the registry does not know the plate.
    async fn complete_owner_lookup(&self, id: i64, owner: Option<&VehicleOwner>, at: DateTime<Utc>) -> Result<()>;
    /// Records a failed attempt: the lookup is retried at `retry_at`, or marked failed for good
    /// when it is None.
    async fn mark_owner_lookup_failed(&self, id: i64, error: &str, retry_at: Option<DateTime<Utc>>) -> Result<()>;
    /// Returns the report's owner lookup, or None when the report has no plate.
    async fn owner_lookup(&self, report_id: i64) -> Result<Option<OwnerLookup>>;

    /// Stores the rating of a report, replacing an earlier one and keeping its first time.
    async fn rate_report(&self, report_id: i64, user_id: i64, score: i64, comment: Option<&str>, at: DateTime<Utc>) -> Result<Rating>;
    async fn report_rating(&self, report_id: i64) -> Result<Option<Rating>>;

    /// Stores a support question and returns it with its id.
    async fn create_ticket(&self, user_id: i64, topic: &str, report_number: Option<&str>, text: &str, at: DateTime<Utc>) -> Result<SupportTicket>;
    /// Open support questions, oldest first.
    async fn open_tickets(&self, limit: i64) -> Result<Vec<SupportTicket>>;
    /// Closes an open question. Fails with [`StoreError::NotFound`] when no open question has this id.
    async fn close_ticket(&self, id: i64, closed_by: i64, at: DateTime<Utc>) -> Result<()>;

    /// Appends an entry to the audit log and returns its id.
    async fn record_audit(&self, entry: &NewAuditEntry) -> Result<i64>;
    /// Entries of the audit log matching the filter, newest first.
    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>>;

    // Dialogue

    /// Stores a message of a report's dialogue, attaches the author's listed pending uploads to
    /// it and notifies the listed people, in one transaction.
    async fn create_message(&self, message: &NewMessage) -> Result<ReportMessage>;
    /// The report's messages with their files, oldest first.
    async fn report_messages(&self, report_id: i64) -> Result<Vec<ReportMessage>>;
    /// Ids of the enabled executors who handle the report: those of its agency, within its
    /// district for executors bound to one.
    async fn report_executors(&self, report_id: i64) -> Result<Vec<i64>>;
    /// Notifies each supervisor of the agency of every open report past its deadline that was
    /// not escalated to them yet, records the escalations and returns them.
    async fn escalate_overdue(&self, now: DateTime<Utc>) -> Result<Vec<Escalation>>;

    // Local accounts: registration by phone or e-mail, one-time codes, sessions.
    /// Creates an unconfirmed resident. Fails with [`StoreError::Duplicate`] (`"phone"` or
    /// `"email"`, whichever the registration uses) when the login is taken.
    async fn register_user(&self, registration: &NewRegistration) -> Result<User>;
    /// Returns the user with this phone (+7XXXXXXXXXX) and the password hash.
    async fn user_by_phone(&self, phone: &str) -> Result<Option<(User, String)>>;
    async fn confirm_user(&self, user_id: i64) -> Result<()>;
    /// Sets a password the person chose, which ends a temporary password. Fails with
    /// [`StoreError::NotFound`] for an unknown user.
    async fn set_password_hash(&self, user_id: i64, password_hash: &str) -> Result<()>;
    /// Stores a new code and marks the user's unused codes of the same purpose used, so only the
    /// newest one works. Returns its id.
    async fn create_account_code(&self, code: &NewAccountCode) -> Result<i64>;
    /// The user's newest code of this purpose, used or not.
    async fn latest_account_code(&self, user_id: i64, purpose: &str) -> Result<Option<AccountCode>>;
    /// Counts one wrong attempt and returns the attempts so far.
    async fn count_account_code_attempt(&self, id: i64) -> Result<i64>;
    /// Marks the code used; returns false when it was used already, so a code works once even
    /// when two requests race.
    async fn use_account_code(&self, id: i64, at: DateTime<Utc>) -> Result<bool>;
    /// Turns TOTP on with `secret` (base32) or off with None, and replaces the recovery codes
    /// with `recovery_code_hashes` (SHA-256 hex). Forgets the last accepted time step.
    async fn set_two_factor(&self, user_id: i64, secret: Option<&str>, recovery_code_hashes: &[String]) -> Result<()>;
    async fn totp_secret(&self, user_id: i64) -> Result<Option<String>>;
    /// Records `step` as the last accepted TOTP time step; returns false when it is not newer
    /// than the last one, so each code signs in only once.
    async fn accept_totp_step(&self, user_id: i64, step: i64) -> Result<bool>;
    /// Marks the unused recovery code with this hash used; returns false when there is none.
    async fn use_recovery_code(&self, user_id: i64, code_hash: &str, at: DateTime<Utc>) -> Result<bool>;
    async fn unused_recovery_codes(&self, user_id: i64) -> Result<i64>;
    /// Deletes every session of the user and returns how many there were.
    async fn delete_user_sessions(&self, user_id: i64) -> Result<u64>;

    // Account recovery with a passport scan, reviewed by moderators.

    /// Stores a pending recovery request and returns it.
    async fn create_recovery_request(&self, request: &NewRecoveryRequest) -> Result<RecoveryRequest>;
    async fn recovery_request(&self, id: i64) -> Result<Option<RecoveryRequest>>;
    /// Pending recovery requests, oldest first.
    async fn pending_recovery_requests(&self, limit: i64) -> Result<Vec<RecoveryRequest>>;
    /// Returns the number of the user's recovery requests created at or after `since`, in any state.
    async fn count_recovery_requests_since(&self, user_id: i64, since: DateTime<Utc>) -> Result<i64>;
    /// Approves a pending request in one transaction: clears its scan key, sets the temporary
    /// password and its expiry, makes the request's new contact the account's only, confirmed
    /// contact and deletes the account's sessions. Fails with [`StoreError::NotFound`] when no
    /// pending request has this id, and with [`StoreError::Duplicate`] (`"phone"` or `"email"`)
    /// when another account has the new contact.
    async fn approve_recovery_request(&self, id: i64, approval: &RecoveryApproval) -> Result<RecoveryRequest>;
    /// Refuses a pending request with a reason and clears its scan key. Fails with
    /// [`StoreError::NotFound`] when no pending request has this id.
    async fn refuse_recovery_request(&self, id: i64, reviewer_id: i64, reason: &str, at: DateTime<Utc>) -> Result<RecoveryRequest>;
    /// Returns when the user's temporary password expires, or None when the password is not temporary.
    async fn temporary_password_expiry(&self, user_id: i64) -> Result<Option<DateTime<Utc>>>;

    // Staff administration (the administrators' /admin/staff pages).

    /// Staff accounts (every role but resident), disabled or not, ordered by id.
    async fn staff_users(&self) -> Result<Vec<User>>;
    /// Sets the role, agency, district unit and supervisor flag of an account. Fails with
    /// [`StoreError::NotFound`] when no user has this id.
    async fn update_staff(&self, user_id: i64, update: &StaffUpdate) -> Result<User>;
    /// Disables or enables an account. A disabled account cannot sign in, and its sessions and
    /// API keys are refused. Fails with [`StoreError::NotFound`] when no user has this id.
    async fn set_user_disabled(&self, user_id: i64, disabled: bool) -> Result<User>;

    // Catalog administration (the administrators' /admin/catalog pages).

    /// Creates or replaces a category and records the new definition as the category's next
    /// version, in one transaction; returns that version number. Filed reports keep the name,
    /// agency and deadline they copied at filing. The caller checks the category against the
    /// catalog first: an unknown group or agency fails with a database error.
    async fn save_category(&self, category: &pomoshnik_core::catalog::Category, actor_id: Option<i64>, at: DateTime<Utc>) -> Result<i64>;
    /// The agency of the report's category when the report was filed, which dispatch assigns
    /// unless the moderator picks another. None for reports filed before this was recorded.
    async fn filed_agency(&self, report_id: i64) -> Result<Option<String>>;
    /// The saved versions of a catalog object such as `category:parking_violation`, newest first.
    async fn catalog_versions(&self, object: &str) -> Result<Vec<CatalogVersion>>;
    /// Creates or replaces an agency with its webhook dispatch setting and makes exactly the
    /// listed executors of the agency its supervisors. Ids that are not executors of this agency
    /// are ignored. In the same transaction it records the definition with the settings as the
    /// next version of `agency:CODE`, and returns that version number.
    async fn save_agency(&self, agency: &pomoshnik_core::catalog::Agency, settings: &AgencySettings, actor_id: Option<i64>, at: DateTime<Utc>) -> Result<i64>;
    /// Returns whether dispatching a report to the agency posts it to its webhook destinations.
    /// Fails with [`StoreError::NotFound`] for an unknown agency.
    async fn agency_webhook_dispatch(&self, agency_code: &str) -> Result<bool>;
    /// Returns the routing rules, ordered by category and district.
    async fn routing_rules(&self) -> Result<Vec<RoutingRule>>;
    /// Adds a routing rule and records it as the next version of `routing:CATEGORY:DISTRICT`;
    /// returns that version number. Reports filed from now on in the district go to the rule's
    /// agency. Fails with [`StoreError::Duplicate`] (`"routing rule"`) when the category has a
    /// rule for the district already. The caller checks the codes first: an unknown category
    /// or agency fails with a database error.
    async fn add_routing_rule(&self, rule: &RoutingRule, actor_id: Option<i64>) -> Result<i64>;
    /// Removes a routing rule and records the removal (definition `null`) as the next version of
    /// `routing:CATEGORY:DISTRICT`; returns that version number. Reports filed before keep the
    /// agency they were filed under. Fails with [`StoreError::NotFound`] when there is no such rule.
    async fn remove_routing_rule(&self, category_code: &str, district_code: &str, actor_id: Option<i64>, at: DateTime<Utc>) -> Result<i64>;
    /// Names of the configured webhook destinations of an agency, in order.
    async fn agency_webhook_destinations(&self, agency_code: &str) -> Result<Vec<String>>;

    // Production calendar import (`pomoshnik calendar import`).

    /// Stores an imported calendar year, replacing an earlier import of that year.
    async fn save_calendar_year(&self, year: i32, document: &str, at: DateTime<Utc>) -> Result<()>;
    /// The imported calendar documents, by ascending year.
    async fn calendar_documents(&self) -> Result<Vec<String>>;
    /// The `(number, dispatched at, deadline)` of every open report with a deadline: the dates
    /// between the two are the working days its deadline was counted over.
    async fn open_deadline_spans(&self) -> Result<Vec<(String, DateTime<Utc>, DateTime<Utc>)>>;

    // Dashboards: figures for administrators and agency supervisors, computed in SQL with the
    // same results on both backends. The definitions are in `dashboard.rs`.

    /// Reports of the scope per Moscow calendar day, by ascending day; days without reports
    /// are left out.
    async fn dashboard_daily_counts(&self, scope: &DashboardScope) -> Result<Vec<DailyCount>>;
    /// Reports of the scope per category code, largest count first.
    async fn dashboard_category_counts(&self, scope: &DashboardScope) -> Result<Vec<CodeCount>>;
    /// Reports of the scope per district code, largest count first; reports outside every
    /// district have no code and come last among equal counts.
    async fn dashboard_district_counts(&self, scope: &DashboardScope) -> Result<Vec<CodeCount>>;
    /// Per agency: answered share, resolution time percentiles and ratings of the scope's
    /// reports, and the reports overdue at `now` (filed at any time). Ordered by agency code.
    async fn dashboard_agency_figures(&self, scope: &DashboardScope, now: DateTime<Utc>) -> Result<Vec<AgencyFigures>>;
    /// Open reports past their deadline at `now`, of one agency or all, longest overdue first,
    /// at most `limit`.
    async fn dashboard_overdue_reports(&self, agency: Option<&str>, now: DateTime<Utc>, limit: i64) -> Result<Vec<OverdueReport>>;

    /// Returns the user linked to the provider's subject, disabled or not.
    async fn user_by_identity(&self, provider: &str, subject: &str) -> Result<Option<User>>;
    /// Creates the user and links the provider's subject to it in one transaction. Fails with
    /// [`StoreError::Duplicate`] (`"identity"`) when the subject is linked already, as when two
    /// first sign-ins of one person race, and (`"email"`) when the e-mail is taken.
    async fn create_user_with_identity(&self, user: &NewUser, provider: &str, subject: &str) -> Result<User>;
    /// Links the provider's subject to an existing user. Fails with [`StoreError::Duplicate`]:
    /// `"identity"` when the subject is linked to any user, `"provider"` when the user has
    /// another account of this provider linked.
    async fn link_identity(&self, identity: &Identity) -> Result<()>;
    /// Returns the user's linked accounts, ordered by provider code.
    async fn identities(&self, user_id: i64) -> Result<Vec<Identity>>;
    async fn create_pending_sign_in(&self, pending: &PendingSignIn) -> Result<()>;
    /// Deletes and returns the unexpired pending sign-in with this state hash, so each state is
    /// used at most once. Deletes every expired pending sign-in as well.
    async fn take_pending_sign_in(&self, state_hash: &str, now: DateTime<Utc>) -> Result<Option<PendingSignIn>>;

    /// Subscribes to the changes committed from now on by any node of the installation: through
    /// PostgreSQL LISTEN/NOTIFY, or in process on SQLite. A receiver that falls behind, or a
    /// listener that reconnects ([`Change::Missed`]), may have missed changes.
    fn subscribe_changes(&self) -> tokio::sync::broadcast::Receiver<Change>;

    /// Counts one hit of the rate-limited `key` in its fixed window of length `window` and
    /// returns the window with the new count. A window that ended by `now` is replaced by one
    /// starting at `now`. Concurrent hits from any node are all counted.
    async fn hit_rate_limit(&self, key: &str, now: DateTime<Utc>, window: chrono::Duration) -> Result<RateWindow>;
    /// Returns the current window of `key` without counting, or None when it has none.
    async fn rate_limit(&self, key: &str, now: DateTime<Utc>, window: chrono::Duration) -> Result<Option<RateWindow>>;
    /// Forgets the hits of `key`, as after a successful sign-in.
    async fn clear_rate_limit(&self, key: &str) -> Result<()>;
    /// Deletes the windows started before `before` and returns how many.
    async fn delete_rate_limits_before(&self, before: DateTime<Utc>) -> Result<u64>;
}

/// Opens the store named by `url`: `sqlite://PATH` (created if missing) or `postgres://…`.
/// Any other scheme is rejected.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    connect_with_pool_size(url, DEFAULT_POOL_SIZE).await
}

/// Opens the store like [`connect`], with at most `pool_size` PostgreSQL connections. SQLite
/// keeps its own pool of 8, because it runs one writer at a time whatever the pool.
pub async fn connect_with_pool_size(url: &str, pool_size: u32) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect_with_pool_size(url, pool_size).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}
