//! Conformance suite of the `Store` trait. Every scenario runs once on SQLite and once on
//! PostgreSQL. The PostgreSQL tests need a running server: see
//! `pomoshnik_test_support::TestDatabase::postgres`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use pomoshnik_core::catalog::Catalog;
use pomoshnik_core::number::ReportNumber;
use pomoshnik_core::role::Role;
use pomoshnik_core::status::{Decision, RejectionReason, Status};
use pomoshnik_store::{
    AccountCode, AuditFilter, Change, Created, Delivery, DeliveryMode, Escalation, FileMetadata, FileRecord, FiledPage, Identity, MessageKind, NearbyQuery,
    NewAccountCode, NewAuditEntry, NewFile, NewMessage, NewRegistration, NewReport, NewUser, NotificationFilter, NotificationKind, OutboxState, PendingSignIn,
    AgencySettings, PushSubscription, Report, ReportArea, ReportPage, ReportQueue, ReportSearch, RoutingRule, Session, StaffUpdate, StatusChange, Store, StoreError, User, VehicleOwner,
    WebhookDestination, connect,
};
use pomoshnik_test_support::on_both_backends;
use support::with_store;

on_both_backends!(with_store => catalog_loads_once);
on_both_backends!(with_store => users_unique_email);
on_both_backends!(with_store => sessions_expire_and_delete);
on_both_backends!(with_store => report_numbers_by_moscow_year);
on_both_backends!(with_store => idempotency_key_returns_first);
on_both_backends!(with_store => numbers_unique_under_concurrency, flavor = "multi_thread", worker_threads = 4);
on_both_backends!(with_store => idempotency_key_under_concurrency, flavor = "multi_thread", worker_threads = 4);
on_both_backends!(with_store => files_attach_and_clean_up);
on_both_backends!(with_store => pending_files_delete_by_id);
on_both_backends!(with_store => status_change_checks_version);
on_both_backends!(with_store => status_change_concurrent_conflict, flavor = "multi_thread", worker_threads = 4);
on_both_backends!(with_store => report_lists_by_queue);
on_both_backends!(with_store => notifications_read_per_report);
on_both_backends!(with_store => notifications_filtered_and_all_read);
on_both_backends!(with_store => nearby_reports_by_cell);
on_both_backends!(with_store => map_points_follow_changes);
on_both_backends!(with_store => filed_pages_continue);
on_both_backends!(with_store => deliveries_follow_modes);
on_both_backends!(with_store => deliveries_retry_then_fail);
on_both_backends!(with_store => rating_replaced_keeps_first_time);
on_both_backends!(with_store => identities_link_and_find);
on_both_backends!(with_store => rate_limit_fixed_windows);
on_both_backends!(with_store => changes_announced_after_commit, flavor = "multi_thread", worker_threads = 2);
on_both_backends!(with_store => pending_sign_in_taken_once);
on_both_backends!(with_store => deliveries_claimed_once, flavor = "multi_thread", worker_threads = 4);
on_both_backends!(with_store => followers_join_once);
on_both_backends!(with_store => duplicate_rejection_follows_original);
on_both_backends!(with_store => agency_district_queue);
on_both_backends!(with_store => optimize_succeeds);
on_both_backends!(with_store => tickets_open_until_closed);
on_both_backends!(with_store => audit_log_filters_newest_first);
on_both_backends!(with_store => push_deliveries_need_subscription);
on_both_backends!(with_store => local_accounts_register_and_codes);
on_both_backends!(with_store => webhook_deliveries_per_destination);
on_both_backends!(with_store => dialogue_messages_files_and_notifications);
on_both_backends!(with_store => dialogue_executors_and_escalation);
on_both_backends!(with_store => owner_lookups_retry_then_complete);
on_both_backends!(with_store => search_matches_normalised_text);
on_both_backends!(with_store => failed_webhooks_listed_and_retried);
on_both_backends!(with_store => staff_changed_and_disabled);
on_both_backends!(with_store => category_saved_as_versions);
on_both_backends!(with_store => agency_saved_with_supervisors);
on_both_backends!(with_store => routing_rule_sets_filed_agency);
on_both_backends!(with_store => agency_webhook_dispatch_switched);
on_both_backends!(with_store => calendar_years_replaced);

#[tokio::test]
async fn connect_rejects_unknown_scheme() {
    let outcome = connect("mysql://x").await;

    assert!(
        matches!(&outcome, Err(StoreError::UnsupportedUrl(url)) if url == "mysql://x"),
        "expected UnsupportedUrl, got {:?}",
        outcome.err()
    );
}

// Scenarios.

async fn catalog_loads_once(store: Arc<dyn Store>) {
    let catalog = Catalog::moscow_default();

    store.migrate().await.expect("first migration failed");
    store.migrate().await.expect("second migration failed");
    store.ping().await.expect("ping failed");

    let first_load = store.load_catalog_if_empty(&catalog).await.expect("first catalog load failed");
    let second_load = store.load_catalog_if_empty(&catalog).await.expect("second catalog load failed");
    assert!(first_load, "an empty database should take the catalog");
    assert!(!second_load, "a database with a catalog should keep it");

    let stored = store.catalog().await.expect("catalog read failed");
    assert_eq!(stored.groups, catalog.groups);
    assert_eq!(stored.agencies, catalog.agencies);
    assert_eq!(stored.categories, catalog.categories);
}

async fn users_unique_email(store: Arc<dyn Store>) {
    prepare(&store).await;
    let agency = Catalog::moscow_default().agencies[0].code.clone();
    let new_user = NewUser {
        email: "ivan@example.org".to_owned(),
        password_hash: "$argon2id$v=19$hash".to_owned(),
        role: Role::Executor,
        agency: Some(agency.clone()),
        district: None,
        confirmed: true,
        supervisor: true,
        created_at: utc("2026-03-01T10:00:00.123Z"),
    };

    let created = store.create_user(&new_user).await.expect("user creation failed");
    assert!(created.id > 0);
    assert_eq!(created.email, "ivan@example.org");
    assert_eq!(created.role, Role::Executor);
    assert_eq!(created.agency, Some(agency));
    assert!(created.confirmed);
    assert!(!created.disabled);
    assert!(created.supervisor);
    assert_eq!(created.created_at, new_user.created_at);

    let duplicate = store
        .create_user(&NewUser {
            password_hash: "other".to_owned(),
            ..new_user.clone()
        })
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Duplicate("email"))),
        "expected Duplicate(\"email\"), got {duplicate:?}"
    );

    let (found, password_hash) = store
        .user_by_email("ivan@example.org")
        .await
        .expect("lookup by e-mail failed")
        .expect("user not found by e-mail");
    assert_eq!(found, created);
    assert_eq!(password_hash, "$argon2id$v=19$hash");
    let missing = store.user_by_email("nobody@example.org").await.expect("lookup by e-mail failed");
    assert!(missing.is_none());

    let by_id = store.user(created.id).await.expect("lookup by id failed");
    assert_eq!(by_id, Some(created.clone()));
    let missing = store.user(created.id + 1000).await.expect("lookup by id failed");
    assert!(missing.is_none());
}

async fn sessions_expire_and_delete(store: Arc<dyn Store>) {
    prepare(&store).await;
    let user = add_user(&store, "resident@example.org", Role::Resident).await;
    let now = utc("2026-04-01T12:00:00Z");
    let live = Session {
        token_hash: "live-hash".to_owned(),
        user_id: user.id,
        csrf_token: "csrf-1".to_owned(),
        created_at: now - Duration::hours(1),
        expires_at: now + Duration::days(30),
    };
    let expired = Session {
        token_hash: "expired-hash".to_owned(),
        expires_at: now - Duration::seconds(1),
        ..live.clone()
    };
    store.create_session(&live).await.expect("session creation failed");
    store.create_session(&expired).await.expect("session creation failed");

    let (session, session_user) = store
        .session("live-hash", now)
        .await
        .expect("session lookup failed")
        .expect("live session not found");
    assert_eq!(session, live);
    assert_eq!(session_user, user);

    let expired_lookup = store.session("expired-hash", now).await.expect("session lookup failed");
    assert!(expired_lookup.is_none(), "an expired session should not be returned");
    let after_expiry = store.session("live-hash", live.expires_at).await.expect("session lookup failed");
    assert!(after_expiry.is_none(), "a session should not be returned at its expiry time");
    let unknown = store.session("unknown-hash", now).await.expect("session lookup failed");
    assert!(unknown.is_none());

    store.delete_session("live-hash").await.expect("session deletion failed");
    let deleted = store.session("live-hash", now).await.expect("session lookup failed");
    assert!(deleted.is_none(), "a deleted session should not be returned");
}

async fn report_numbers_by_moscow_year(store: Arc<dyn Store>) {
    prepare(&store).await;
    let author = add_user(&store, "author@example.org", Role::Resident).await;
    let mut new_report = report_draft(author.id, utc("2026-05-01T09:15:30.123Z"));
    new_report.address = Some("Тверская ул., 1".to_owned());
    new_report.fields = BTreeMap::from([("plate".to_owned(), "А123ВС777".to_owned()), ("side".to_owned(), "left".to_owned())]);

    let first = new_only(store.create_report(&new_report).await.expect("first report creation failed"));
    assert_eq!(first.number.to_string(), "2026-0000001");
    assert_eq!(first.author_id, author.id);
    assert_eq!(first.status, Status::Accepted);
    assert_eq!(first.version, 1);
    assert_eq!(first.category_code, new_report.category_code);
    assert_eq!(first.category_name, new_report.category_name);
    assert_eq!(first.deadline_working_days, new_report.deadline_working_days);
    assert_eq!(first.latitude, new_report.latitude);
    assert_eq!(first.longitude, new_report.longitude);
    assert_eq!(first.address, new_report.address);
    assert_eq!(first.occurred_at, new_report.occurred_at);
    assert_eq!(first.description, new_report.description);
    assert_eq!(first.fields, new_report.fields);
    assert_eq!(first.created_at, new_report.created_at);
    assert_eq!(first.updated_at, new_report.created_at);
    assert_eq!(first.agency, None);
    assert_eq!(first.status_before_info_request, None);
    assert_eq!(first.decision, None);
    assert_eq!(first.rejection_reason, None);
    assert_eq!(first.dispatched_at, None);
    assert_eq!(first.resolved_at, None);
    assert_eq!(first.deadline_at, None);

    let reloaded = store.report(&first.number).await.expect("report lookup failed");
    assert_eq!(reloaded, Some(first.clone()));

    let events = store.report_events(first.id).await.expect("event list failed");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].report_id, first.id);
    assert_eq!(events[0].actor_id, Some(author.id));
    assert_eq!(events[0].actor_role, Role::Resident);
    assert_eq!(events[0].from_status, None);
    assert_eq!(events[0].to_status, Status::Accepted);
    assert_eq!(events[0].created_at, new_report.created_at);

    let notifications = store.notifications(&NotificationFilter::latest(author.id, 10)).await.expect("notification list failed");
    assert_eq!(notifications.len(), 1);
    assert_eq!(notifications[0].report_number, first.number);
    assert_eq!(notifications[0].category_name, first.category_name);
    assert_eq!(notifications[0].event, events[0]);
    assert_eq!(notifications[0].read_at, None);
    assert_eq!(store.unread_notifications(author.id).await.expect("unread count failed"), 1);

    let second = new_only(
        store
            .create_report(&report_draft(author.id, utc("2026-05-02T10:00:00Z")))
            .await
            .expect("second report creation failed"),
    );
    assert_eq!(second.number.to_string(), "2026-0000002");

    // 22:30 UTC on 31 December is 01:30 on 1 January in Moscow (UTC+3), so the number is 2027's.
    let new_year = new_only(
        store
            .create_report(&report_draft(author.id, utc("2026-12-31T22:30:00Z")))
            .await
            .expect("new year report creation failed"),
    );
    assert_eq!(new_year.number, ReportNumber::new(2027, 1));
    assert_eq!(new_year.number.to_string(), "2027-0000001");

    let missing = store.report(&ReportNumber::new(2026, 3)).await.expect("report lookup failed");
    assert!(missing.is_none());
}

async fn idempotency_key_returns_first(store: Arc<dyn Store>) {
    prepare(&store).await;
    let author = add_user(&store, "author@example.org", Role::Resident).await;
    let other_author = add_user(&store, "other@example.org", Role::Resident).await;
    let mut keyed = report_draft(author.id, utc("2026-06-01T08:00:00Z"));
    keyed.idempotency_key = Some("submission-1".to_owned());

    let first = new_only(store.create_report(&keyed).await.expect("first submission failed"));

    let resubmitted = store.create_report(&keyed).await.expect("resubmission failed");
    let Created::Existing(existing) = resubmitted else {
        panic!("a resubmission with the same key should return Created::Existing, got {resubmitted:?}");
    };
    assert_eq!(existing.id, first.id);
    assert_eq!(existing.number, first.number);

    let unkeyed = new_only(
        store
            .create_report(&report_draft(author.id, utc("2026-06-01T08:05:00Z")))
            .await
            .expect("report creation failed"),
    );
    assert_eq!(
        unkeyed.number,
        ReportNumber::new(2026, 2),
        "the resubmission should not consume a number"
    );

    let mut other_keyed = keyed.clone();
    other_keyed.author_id = other_author.id;
    let other = new_only(store.create_report(&other_keyed).await.expect("other author's submission failed"));
    assert_ne!(other.id, first.id);
    assert_eq!(other.number, ReportNumber::new(2026, 3));

    let own_reports = store
        .reports(&page(ReportQueue::Author(author.id), None, 10))
        .await
        .expect("report list failed");
    assert_eq!(own_reports.len(), 2);
}

async fn numbers_unique_under_concurrency(store: Arc<dyn Store>) {
    prepare(&store).await;
    let author = add_user(&store, "author@example.org", Role::Resident).await;

    let mut tasks = Vec::new();
    for index in 0..40 {
        let store = store.clone();
        let draft = report_draft(author.id, utc("2026-07-01T08:00:00Z") + Duration::seconds(index));
        tasks.push(tokio::spawn(async move { store.create_report(&draft).await }));
    }
    let mut sequences = BTreeSet::new();
    for task in tasks {
        let report = new_only(
            task.await
                .expect("report task panicked")
                .expect("concurrent report creation failed"),
        );
        assert_eq!(report.number.year, 2026);
        sequences.insert(report.number.sequence);
    }

    let expected: BTreeSet<i64> = (1..=40).collect();
    assert_eq!(sequences, expected);
}

async fn idempotency_key_under_concurrency(store: Arc<dyn Store>) {
    prepare(&store).await;
    let author = add_user(&store, "author@example.org", Role::Resident).await;
    let mut keyed = report_draft(author.id, utc("2026-07-01T08:00:00Z"));
    keyed.idempotency_key = Some("double-click".to_owned());

    let mut tasks = Vec::new();
    for _ in 0..10 {
        let store = store.clone();
        let draft = keyed.clone();
        tasks.push(tokio::spawn(async move { store.create_report(&draft).await }));
    }
    let mut new_count = 0;
    let mut report_ids = BTreeSet::new();
    for task in tasks {
        let created = task.await.expect("report task panicked").expect("concurrent submission failed");
        if matches!(created, Created::New(_)) {
            new_count += 1;
        }
        report_ids.insert(created.report().id);
    }
    assert_eq!(new_count, 1, "exactly one submission should create the report");
    assert_eq!(report_ids.len(), 1, "every submission should return the same report");

    let all = store.reports(&page(ReportQueue::All, None, 100)).await.expect("report list failed");
    assert_eq!(all.len(), 1);

    let next = new_only(
        store
            .create_report(&report_draft(author.id, utc("2026-07-01T09:00:00Z")))
            .await
            .expect("report creation failed"),
    );
    assert_eq!(
        next.number,
        ReportNumber::new(2026, 2),
        "the repeated submissions should not consume numbers"
    );
}

async fn files_attach_and_clean_up(store: Arc<dyn Store>) {
    prepare(&store).await;
    let owner = add_user(&store, "owner@example.org", Role::Resident).await;
    let stranger = add_user(&store, "stranger@example.org", Role::Resident).await;
    let old = utc("2026-08-01T08:00:00Z");
    let recent = utc("2026-08-02T08:00:00Z");
    let cutoff = utc("2026-08-01T20:00:00Z");

    let photo = add_file(&store, owner.id, "key-photo", old).await;
    assert_eq!(photo.owner_id, owner.id);
    assert_eq!(photo.report_id, None);
    assert_eq!(photo.storage_key, "key-photo");
    assert_eq!(photo.sha256, "sha-key-photo");
    assert_eq!(photo.size, 1024);
    assert_eq!(photo.kind, "jpeg");
    assert_eq!(photo.original_name, "key-photo.jpg");
    assert_eq!(photo.created_at, old);
    assert_eq!(store.file(photo.id).await.expect("file lookup failed"), Some(photo.clone()));

    let video = add_file(&store, owner.id, "key-video", old).await;
    let old_pending = add_file(&store, owner.id, "key-old-pending", old).await;
    let recent_pending = add_file(&store, owner.id, "key-recent-pending", recent).await;
    let strangers_file = add_file(&store, stranger.id, "key-stranger", old).await;
    // Two records of the same content share a storage key.
    let shared_attached = add_file(&store, owner.id, "key-shared", old).await;
    let shared_pending = add_file(&store, stranger.id, "key-shared", old).await;

    let pending = store
        .pending_files(owner.id, &[photo.id, video.id, strangers_file.id])
        .await
        .expect("pending file list failed");
    assert_eq!(
        ids(&pending),
        vec![photo.id, video.id],
        "only the owner's files should be pending for the owner"
    );

    let mut with_files = report_draft(owner.id, utc("2026-08-01T09:00:00Z"));
    with_files.file_ids = vec![photo.id, video.id, shared_attached.id];
    let report = new_only(store.create_report(&with_files).await.expect("report with files failed"));
    let attached = store.report_files(report.id).await.expect("report file list failed");
    assert_eq!(ids(&attached), vec![photo.id, video.id, shared_attached.id]);
    assert!(
        attached.iter().all(|file| file.report_id == Some(report.id)),
        "attached files should name their report: {attached:?}"
    );
    let still_pending = store
        .pending_files(owner.id, &[photo.id, video.id])
        .await
        .expect("pending file list failed");
    assert!(
        still_pending.is_empty(),
        "attached files should no longer be pending: {still_pending:?}"
    );

    let mut with_strangers_file = report_draft(owner.id, utc("2026-08-01T10:00:00Z"));
    with_strangers_file.file_ids = vec![old_pending.id, strangers_file.id];
    let rejected = store.create_report(&with_strangers_file).await;
    assert!(
        matches!(rejected, Err(StoreError::NotFound)),
        "attaching another owner's file should fail with NotFound, got {rejected:?}"
    );
    let all = store.reports(&page(ReportQueue::All, None, 100)).await.expect("report list failed");
    assert_eq!(ids_of_reports(&all), vec![report.id], "the failed report should leave no record");
    let old_pending_after = store.file(old_pending.id).await.expect("file lookup failed");
    assert_eq!(
        old_pending_after.map(|file| file.report_id),
        Some(None),
        "the failed report should leave its files unattached"
    );
    let next = new_only(
        store
            .create_report(&report_draft(owner.id, utc("2026-08-01T11:00:00Z")))
            .await
            .expect("report creation failed"),
    );
    assert_eq!(
        next.number,
        ReportNumber::new(2026, 2),
        "the failed report should not consume a number"
    );

    let mut deleted_keys = store.delete_pending_files(cutoff).await.expect("pending file deletion failed");
    deleted_keys.sort();
    assert_eq!(
        deleted_keys,
        vec!["key-old-pending".to_owned(), "key-shared".to_owned(), "key-stranger".to_owned()]
    );
    assert_eq!(store.file(old_pending.id).await.expect("file lookup failed"), None);
    assert_eq!(store.file(strangers_file.id).await.expect("file lookup failed"), None);
    assert_eq!(store.file(shared_pending.id).await.expect("file lookup failed"), None);
    assert!(
        store.file(recent_pending.id).await.expect("file lookup failed").is_some(),
        "a recent pending file should be kept"
    );
    assert!(
        store.file(photo.id).await.expect("file lookup failed").is_some(),
        "an attached file should be kept"
    );

    assert!(store.storage_key_in_use("key-photo").await.expect("storage key check failed"));
    assert!(
        store.storage_key_in_use("key-shared").await.expect("storage key check failed"),
        "the attached copy still uses the key"
    );
    assert!(!store.storage_key_in_use("key-old-pending").await.expect("storage key check failed"));
    assert!(
        !store
            .storage_key_in_use("key-never-stored")
            .await
            .expect("storage key check failed")
    );
}

async fn pending_files_delete_by_id(store: Arc<dyn Store>) {
    prepare(&store).await;
    let owner = add_user(&store, "owner@example.org", Role::Resident).await;
    let stranger = add_user(&store, "stranger@example.org", Role::Resident).await;
    let at = utc("2026-08-01T08:00:00Z");
    let own_pending = add_file(&store, owner.id, "key-own-pending", at).await;
    let own_attached = add_file(&store, owner.id, "key-own-attached", at).await;
    let strangers_pending = add_file(&store, stranger.id, "key-stranger", at).await;
    let mut with_file = report_draft(owner.id, at);
    with_file.file_ids = vec![own_attached.id];
    create_report_only(&store, &with_file).await;

    store
        .delete_pending_files_by_id(
            owner.id,
            &[own_pending.id, own_attached.id, strangers_pending.id, own_pending.id + 1000],
        )
        .await
        .expect("pending file deletion by id failed");

    assert_eq!(
        store.file(own_pending.id).await.expect("file lookup failed"),
        None,
        "the owner's pending file should be deleted"
    );
    assert!(
        store.file(own_attached.id).await.expect("file lookup failed").is_some(),
        "an attached file should be kept"
    );
    assert!(
        store.file(strangers_pending.id).await.expect("file lookup failed").is_some(),
        "another owner's file should be kept"
    );
}

async fn status_change_checks_version(store: Arc<dyn Store>) {
    prepare(&store).await;
    let agency = Catalog::moscow_default().agencies[0].code.clone();
    let author = add_user(&store, "author@example.org", Role::Resident).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;
    let executor = add_user(&store, "executor@example.org", Role::Executor).await;
    let report = new_only(
        store
            .create_report(&report_draft(author.id, utc("2026-09-01T08:00:00Z")))
            .await
            .expect("report creation failed"),
    );

    let mut dispatch = change(&report, moderator.id, Status::Dispatched, utc("2026-09-01T09:00:00.250Z"));
    dispatch.actor_role = Role::Moderator;
    dispatch.comment = Some("Передано в инспекцию".to_owned());
    dispatch.decision = Some(Decision::Confirmed);
    dispatch.agency = Some(agency.clone());
    dispatch.dispatched_at = Some(dispatch.at);
    dispatch.deadline_at = Some(utc("2026-09-02T21:00:00Z"));
    dispatch.notify_user_ids = vec![author.id, executor.id];

    let dispatched = store.apply_status_change(&dispatch).await.expect("status change failed");
    assert_eq!(dispatched.version, 2);
    assert_eq!(dispatched.status, Status::Dispatched);
    assert_eq!(dispatched.agency, Some(agency.clone()));
    assert_eq!(dispatched.decision, Some(Decision::Confirmed));
    assert_eq!(dispatched.dispatched_at, dispatch.dispatched_at);
    assert_eq!(dispatched.deadline_at, dispatch.deadline_at);
    assert_eq!(dispatched.updated_at, dispatch.at);
    assert_eq!(dispatched.created_at, report.created_at);
    assert_eq!(
        store.report(&report.number).await.expect("report lookup failed"),
        Some(dispatched.clone())
    );

    let events = store.report_events(report.id).await.expect("event list failed");
    assert_eq!(events.len(), 2);
    let event = &events[1];
    assert_eq!(event.actor_id, Some(moderator.id));
    assert_eq!(event.actor_role, Role::Moderator);
    assert_eq!(event.from_status, Some(Status::Accepted));
    assert_eq!(event.to_status, Status::Dispatched);
    assert_eq!(event.comment, dispatch.comment);
    assert_eq!(event.decision, Some(Decision::Confirmed));
    assert_eq!(event.rejection_reason, None);
    assert_eq!(event.agency, Some(agency.clone()));
    assert_eq!(event.created_at, dispatch.at);

    let author_notifications = store.notifications(&NotificationFilter::latest(author.id, 10)).await.expect("notification list failed");
    assert_eq!(author_notifications.len(), 2);
    assert_eq!(author_notifications[0].event, *event);
    let executor_notifications = store.notifications(&NotificationFilter::latest(executor.id, 10)).await.expect("notification list failed");
    assert_eq!(executor_notifications.len(), 1);
    assert_eq!(executor_notifications[0].event, *event);
    assert_eq!(executor_notifications[0].created_at, dispatch.at);
    let moderator_notifications = store.notifications(&NotificationFilter::latest(moderator.id, 10)).await.expect("notification list failed");
    assert!(moderator_notifications.is_empty(), "only the listed users should be notified");

    let mut stale = change(&report, moderator.id, Status::Rejected, utc("2026-09-01T10:00:00Z"));
    stale.rejection_reason = Some(RejectionReason::Duplicate);
    stale.notify_user_ids = vec![author.id];
    let stale_outcome = store.apply_status_change(&stale).await;
    assert!(
        matches!(stale_outcome, Err(StoreError::Conflict)),
        "a stale version should fail with Conflict, got {stale_outcome:?}"
    );

    let mut wrong_status = stale.clone();
    wrong_status.expected_version = 2;
    let wrong_status_outcome = store.apply_status_change(&wrong_status).await;
    assert!(
        matches!(wrong_status_outcome, Err(StoreError::Conflict)),
        "a change from a status the report no longer has should fail with Conflict, got {wrong_status_outcome:?}"
    );

    assert_eq!(
        store.report(&report.number).await.expect("report lookup failed"),
        Some(dispatched.clone()),
        "a rejected change should leave the report as it was"
    );
    assert_eq!(
        store.report_events(report.id).await.expect("event list failed").len(),
        2,
        "a rejected change should record no event"
    );
    assert_eq!(
        store.unread_notifications(author.id).await.expect("unread count failed"),
        2,
        "a rejected change should notify nobody"
    );

    let mut reject = change(&dispatched, executor.id, Status::Rejected, utc("2026-09-01T11:00:00Z"));
    reject.actor_role = Role::Executor;
    reject.agency = Some(agency.clone());
    reject.rejection_reason = Some(RejectionReason::NotAViolation);
    reject.resolved_at = Some(reject.at);
    let rejected = store.apply_status_change(&reject).await.expect("second status change failed");
    assert_eq!(rejected.version, 3);
    assert_eq!(rejected.rejection_reason, Some(RejectionReason::NotAViolation));
    assert_eq!(rejected.resolved_at, Some(reject.at));
    let last_event = store
        .report_events(report.id)
        .await
        .expect("event list failed")
        .pop()
        .expect("no events");
    assert_eq!(last_event.rejection_reason, Some(RejectionReason::NotAViolation));
    assert_eq!(last_event.from_status, Some(Status::Dispatched));
}

async fn status_change_concurrent_conflict(store: Arc<dyn Store>) {
    prepare(&store).await;
    let author = add_user(&store, "author@example.org", Role::Resident).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;

    // Several rounds make it likely that the two changes really overlap at least once.
    for round in 0..5 {
        let created_at = utc("2026-09-01T08:00:00Z") + Duration::minutes(round);
        let report = new_only(
            store
                .create_report(&report_draft(author.id, created_at))
                .await
                .expect("report creation failed"),
        );

        let review = change(&report, moderator.id, Status::UnderReview, created_at + Duration::seconds(1));
        let mut reject = change(&report, moderator.id, Status::Rejected, created_at + Duration::seconds(2));
        reject.rejection_reason = Some(RejectionReason::Abusive);
        let review_task = tokio::spawn({
            let store = store.clone();
            async move { store.apply_status_change(&review).await }
        });
        let reject_task = tokio::spawn({
            let store = store.clone();
            async move { store.apply_status_change(&reject).await }
        });
        let outcomes = [
            review_task.await.expect("status change task panicked"),
            reject_task.await.expect("status change task panicked"),
        ];

        let applied: Vec<&Report> = outcomes.iter().filter_map(|outcome| outcome.as_ref().ok()).collect();
        let conflicts = outcomes
            .iter()
            .filter(|outcome| matches!(outcome, Err(StoreError::Conflict)))
            .count();
        assert_eq!(
            applied.len(),
            1,
            "round {round}: exactly one change should succeed, got {outcomes:?}"
        );
        assert_eq!(
            conflicts, 1,
            "round {round}: the other change should fail with Conflict, got {outcomes:?}"
        );
        assert_eq!(applied[0].version, 2);

        let stored = store
            .report(&report.number)
            .await
            .expect("report lookup failed")
            .expect("report not found");
        assert_eq!(&stored, applied[0], "round {round}: the stored report should be the applied change");
        let events = store.report_events(report.id).await.expect("event list failed");
        assert_eq!(events.len(), 2, "round {round}: only the applied change should record an event");
    }
}

async fn report_lists_by_queue(store: Arc<dyn Store>) {
    prepare(&store).await;
    let catalog = Catalog::moscow_default();
    let first_agency = catalog.agencies[0].code.clone();
    let second_agency = catalog.agencies[1].code.clone();
    let alice = add_user(&store, "alice@example.org", Role::Resident).await;
    let boris = add_user(&store, "boris@example.org", Role::Resident).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;
    let start = utc("2026-10-01T08:00:00Z");

    // Created in this order, so ids increase from alice_dispatched to alice_accepted.
    let alice_dispatched = create(&store, alice.id, start).await;
    let boris_dispatched = create(&store, boris.id, start + Duration::minutes(1)).await;
    let alice_reviewed = create(&store, alice.id, start + Duration::minutes(2)).await;
    let boris_rejected = create(&store, boris.id, start + Duration::minutes(3)).await;
    let alice_accepted = create(&store, alice.id, start + Duration::minutes(4)).await;

    let at = start + Duration::hours(1);
    let mut to_first_agency = change(&alice_dispatched, moderator.id, Status::Dispatched, at);
    to_first_agency.agency = Some(first_agency.clone());
    let mut to_second_agency = change(&boris_dispatched, moderator.id, Status::Dispatched, at);
    to_second_agency.agency = Some(second_agency.clone());
    let mut rejection = change(&boris_rejected, moderator.id, Status::Rejected, at);
    rejection.rejection_reason = Some(RejectionReason::OutsideCity);
    for status_change in [
        to_first_agency,
        to_second_agency,
        change(&alice_reviewed, moderator.id, Status::UnderReview, at),
        rejection,
    ] {
        store.apply_status_change(&status_change).await.expect("status change failed");
    }

    let list = |queue: ReportQueue, before: Option<&Report>, limit: i64| {
        let store = store.clone();
        let before_id = before.map(|report| report.id);
        async move { ids_of_reports(&store.reports(&page(queue, before_id, limit)).await.expect("report list failed")) }
    };

    assert_eq!(
        list(ReportQueue::Author(alice.id), None, 10).await,
        ids_of_reports(&[&alice_accepted, &alice_reviewed, &alice_dispatched])
    );
    assert_eq!(
        list(ReportQueue::Author(alice.id), None, 2).await,
        ids_of_reports(&[&alice_accepted, &alice_reviewed])
    );
    assert_eq!(
        list(ReportQueue::Author(alice.id), Some(&alice_reviewed), 2).await,
        ids_of_reports(&[&alice_dispatched])
    );
    assert_eq!(
        list(ReportQueue::Author(alice.id), Some(&alice_dispatched), 2).await,
        Vec::<i64>::new()
    );
    assert_eq!(
        list(ReportQueue::Author(boris.id), None, 10).await,
        ids_of_reports(&[&boris_rejected, &boris_dispatched])
    );
    assert_eq!(list(ReportQueue::Author(moderator.id), None, 10).await, Vec::<i64>::new());

    assert_eq!(
        list(ReportQueue::Moderation, None, 10).await,
        ids_of_reports(&[&alice_accepted, &alice_reviewed])
    );
    assert_eq!(
        list(ReportQueue::Moderation, Some(&alice_accepted), 10).await,
        ids_of_reports(&[&alice_reviewed])
    );

    assert_eq!(
        list(ReportQueue::Agency(first_agency.clone()), None, 10).await,
        ids_of_reports(&[&alice_dispatched])
    );
    assert_eq!(
        list(ReportQueue::Agency(second_agency.clone()), None, 10).await,
        ids_of_reports(&[&boris_dispatched])
    );
    assert_eq!(
        list(ReportQueue::Agency(catalog.agencies[2].code.clone()), None, 10).await,
        Vec::<i64>::new()
    );

    let everything = [
        &alice_accepted,
        &boris_rejected,
        &alice_reviewed,
        &boris_dispatched,
        &alice_dispatched,
    ];
    assert_eq!(list(ReportQueue::All, None, 10).await, ids_of_reports(&everything));
    assert_eq!(
        list(ReportQueue::All, Some(&boris_rejected), 2).await,
        ids_of_reports(&[&alice_reviewed, &boris_dispatched])
    );

    let listed = store.reports(&page(ReportQueue::All, None, 1)).await.expect("report list failed");
    let newest = store.report(&alice_accepted.number).await.expect("report lookup failed");
    assert_eq!(
        listed.first(),
        newest.as_ref(),
        "a listed report should equal the report looked up by number"
    );
}

async fn notifications_read_per_report(store: Arc<dyn Store>) {
    prepare(&store).await;
    let author = add_user(&store, "author@example.org", Role::Resident).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;
    let start = utc("2026-11-01T08:00:00Z");
    let first = create(&store, author.id, start).await;
    let second = create(&store, author.id, start + Duration::minutes(1)).await;

    let mut review = change(&first, moderator.id, Status::UnderReview, start + Duration::minutes(2));
    review.notify_user_ids = vec![author.id, moderator.id];
    store.apply_status_change(&review).await.expect("status change failed");

    let notifications = store.notifications(&NotificationFilter::latest(author.id, 10)).await.expect("notification list failed");
    let order: Vec<(ReportNumber, Status)> = notifications
        .iter()
        .map(|notification| (notification.report_number, notification.event.to_status))
        .collect();
    assert_eq!(
        order,
        vec![
            (first.number, Status::UnderReview),
            (second.number, Status::Accepted),
            (first.number, Status::Accepted)
        ],
        "newest first"
    );
    assert!(notifications.iter().all(|notification| notification.user_id == author.id));
    assert_eq!(notifications[0].created_at, review.at);

    let limited = store.notifications(&NotificationFilter::latest(author.id, 2)).await.expect("notification list failed");
    assert_eq!(limited, notifications[..2].to_vec());

    assert_eq!(store.unread_notifications(author.id).await.expect("unread count failed"), 3);
    assert_eq!(store.unread_notifications(moderator.id).await.expect("unread count failed"), 1);

    let read_at = start + Duration::hours(1);
    store
        .mark_notifications_read(author.id, first.id, read_at)
        .await
        .expect("marking notifications read failed");

    assert_eq!(store.unread_notifications(author.id).await.expect("unread count failed"), 1);
    assert_eq!(
        store.unread_notifications(moderator.id).await.expect("unread count failed"),
        1,
        "another user's notifications should stay unread"
    );
    for notification in store.notifications(&NotificationFilter::latest(author.id, 10)).await.expect("notification list failed") {
        let expected_read_at = if notification.report_number == first.number {
            Some(read_at)
        } else {
            None
        };
        assert_eq!(
            notification.read_at, expected_read_at,
            "notification {} about {}",
            notification.id, notification.report_number
        );
    }

    // Marking again keeps the first read time.
    store
        .mark_notifications_read(author.id, first.id, read_at + Duration::hours(1))
        .await
        .expect("marking notifications read failed");
    let reread = store.notifications(&NotificationFilter::latest(author.id, 10)).await.expect("notification list failed");
    assert_eq!(reread[0].read_at, Some(read_at));
}

async fn notifications_filtered_and_all_read(store: Arc<dyn Store>) {
    prepare(&store).await;
    let author = add_user(&store, "filters@example.org", Role::Resident).await;
    let moderator = add_user(&store, "filters-moderator@example.org", Role::Moderator).await;
    let start = utc("2026-11-01T08:00:00Z");
    let first = create(&store, author.id, start).await;
    let mut other = report_draft(author.id, start + Duration::minutes(1));
    let other_category = Catalog::moscow_default().categories[1].clone();
    other.category_code = other_category.code.clone();
    other.category_name = other_category.name.clone();
    let second = create_report_only(&store, &other).await;
    let mut review = change(&first, moderator.id, Status::UnderReview, start + Duration::minutes(2));
    review.notify_user_ids = vec![author.id, moderator.id];
    store.apply_status_change(&review).await.expect("status change failed");

    let listed = |filter: NotificationFilter| {
        let store = store.clone();
        async move {
            let notifications = store.notifications(&filter).await.expect("notification list failed");
            notifications.into_iter().map(|notification| (notification.report_number, notification.event.to_status)).collect::<Vec<_>>()
        }
    };
    let all = NotificationFilter::latest(author.id, 10);

    let by_status = NotificationFilter { status: Some(Status::UnderReview), ..all.clone() };
    assert_eq!(listed(by_status).await, vec![(first.number, Status::UnderReview)]);

    let by_category = NotificationFilter { category_code: Some(other_category.code.clone()), ..all.clone() };
    assert_eq!(listed(by_category).await, vec![(second.number, Status::Accepted)]);

    let since = NotificationFilter { since: Some(start + Duration::minutes(1)), ..all.clone() };
    assert_eq!(listed(since).await, vec![(first.number, Status::UnderReview), (second.number, Status::Accepted)]);

    let until = NotificationFilter { until: Some(start + Duration::minutes(1)), ..all.clone() };
    assert_eq!(listed(until).await, vec![(first.number, Status::Accepted)], "the end of the period is excluded");

    let read_at = start + Duration::hours(1);
    store.mark_notifications_read(author.id, second.id, read_at).await.expect("marking notifications read failed");
    let unread = NotificationFilter { unread_only: true, ..all.clone() };
    assert_eq!(listed(unread.clone()).await, vec![(first.number, Status::UnderReview), (first.number, Status::Accepted)]);

    let marked = store.mark_all_notifications_read(author.id, read_at + Duration::hours(1)).await.expect("marking all read failed");
    assert_eq!(marked, 2);
    assert!(listed(unread).await.is_empty());
    assert_eq!(store.unread_notifications(author.id).await.expect("unread count failed"), 0);
    assert_eq!(store.unread_notifications(moderator.id).await.expect("unread count failed"), 1, "another user's notification stays unread");
    let second_read_at = store.notifications(&all).await.expect("notification list failed").into_iter().find(|notification| notification.report_number == second.number).and_then(|notification| notification.read_at);
    assert_eq!(second_read_at, Some(read_at), "an earlier read time is kept");
}

// Fixtures.

async fn prepare(store: &Arc<dyn Store>) {
    store.migrate().await.expect("migration failed");
    store
        .load_catalog_if_empty(&Catalog::moscow_default())
        .await
        .expect("catalog load failed");
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap_or_else(|error| panic!("invalid test time {text:?}: {error}"))
}

async fn add_user(store: &Arc<dyn Store>, email: &str, role: Role) -> User {
    let agency = (role == Role::Executor).then(|| Catalog::moscow_default().agencies[0].code.clone());
    let new_user = NewUser {
        email: email.to_owned(),
        password_hash: format!("hash-of-{email}"),
        role,
        agency,
        district: None,
        confirmed: true,
        supervisor: false,
        created_at: utc("2026-01-15T12:00:00Z"),
    };
    store
        .create_user(&new_user)
        .await
        .unwrap_or_else(|error| panic!("failed to create user {email}: {error}"))
}

async fn add_file(store: &Arc<dyn Store>, owner_id: i64, storage_key: &str, created_at: DateTime<Utc>) -> FileRecord {
    let new_file = NewFile {
        owner_id,
        storage_key: storage_key.to_owned(),
        sha256: format!("sha-{storage_key}"),
        size: 1024,
        kind: "jpeg".to_owned(),
        original_name: format!("{storage_key}.jpg"),
        created_at,
        metadata: FileMetadata::default(),
    };
    store
        .add_file(&new_file)
        .await
        .unwrap_or_else(|error| panic!("failed to add file {storage_key}: {error}"))
}

fn report_draft(author_id: i64, created_at: DateTime<Utc>) -> NewReport {
    let category = Catalog::moscow_default().categories[0].clone();
    NewReport {
        author_id,
        idempotency_key: None,
        category_code: category.code,
        category_name: category.name,
        deadline_working_days: category.deadline_working_days,
        latitude: 55.757_864,
        longitude: 37.611_576,
        address: None,
        occurred_at: created_at - Duration::minutes(30),
        description: "Автомобиль на тротуаре".to_owned(),
        fields: BTreeMap::from([("plate".to_owned(), "А123ВС777".to_owned())]),
        file_ids: Vec::new(),
        created_at,
        area: None,
        h3_cell: None,
    }
}

async fn create(store: &Arc<dyn Store>, author_id: i64, created_at: DateTime<Utc>) -> Report {
    create_report_only(store, &report_draft(author_id, created_at)).await
}

async fn create_report_only(store: &Arc<dyn Store>, new_report: &NewReport) -> Report {
    new_only(store.create_report(new_report).await.expect("report creation failed"))
}

/// Returns the report of a `Created::New`, failing the test on `Created::Existing`.
fn new_only(created: Created) -> Report {
    match created {
        Created::New(report) => report,
        Created::Existing(report) => panic!("expected a new report, got the existing report {}", report.number),
    }
}

/// Builds a change of `report` from its current status and version to `to` that notifies no user.
fn change(report: &Report, actor_id: i64, to: Status, at: DateTime<Utc>) -> StatusChange {
    StatusChange {
        report_id: report.id,
        expected_version: report.version,
        actor_id,
        actor_role: Role::Moderator,
        from: report.status,
        to,
        comment: None,
        decision: None,
        rejection_reason: None,
        agency: report.agency.clone(),
        status_before_info_request: None,
        dispatched_at: report.dispatched_at,
        resolved_at: report.resolved_at,
        deadline_at: report.deadline_at,
        duplicate_of_id: None,
        notify_user_ids: Vec::new(),
        webhook_payload: None,
        at,
    }
}

fn page(queue: ReportQueue, before_id: Option<i64>, limit: i64) -> ReportPage {
    ReportPage { queue, before_id, limit }
}

fn ids(files: &[FileRecord]) -> Vec<i64> {
    files.iter().map(|file| file.id).collect()
}

fn ids_of_reports<R: std::borrow::Borrow<Report>>(reports: &[R]) -> Vec<i64> {
    reports.iter().map(|report| report.borrow().id).collect()
}

fn tverskoy() -> ReportArea {
    ReportArea {
        district_code: "tverskoy".to_owned(),
        district_name: "Тверской район".to_owned(),
        okrug_code: "cao".to_owned(),
        okrug_name: "Центральный административный округ".to_owned(),
    }
}

async fn nearby_reports_by_cell(store: Arc<dyn Store>) {
    prepare(&store).await;
    let author = add_user(&store, "nearby@example.org", Role::Resident).await;
    let now = utc("2026-06-10T12:00:00Z");

    let mut near = report_draft(author.id, now - Duration::days(2));
    near.area = Some(tverskoy());
    near.h3_cell = Some(0x08a1_1aa6_a4db_ffff_u64 as i64);
    let near = create_report_only(&store, &near).await;

    let mut other_cell = report_draft(author.id, now - Duration::days(1));
    other_cell.h3_cell = Some(42);
    create_report_only(&store, &other_cell).await;

    let mut too_old = report_draft(author.id, now - Duration::days(40));
    too_old.h3_cell = near.h3_cell;
    create_report_only(&store, &too_old).await;

    let mut other_category = report_draft(author.id, now - Duration::days(1));
    other_category.category_code = Catalog::moscow_default().categories[1].code.clone();
    other_category.h3_cell = near.h3_cell;
    create_report_only(&store, &other_category).await;

    assert_eq!(near.area, Some(tverskoy()));
    let loaded = store.report(&near.number).await.unwrap().unwrap();
    assert_eq!(loaded.area, Some(tverskoy()));
    assert_eq!(loaded.h3_cell, near.h3_cell);

    let mut cells: Vec<i64> = (1..=30).collect();
    cells.push(near.h3_cell.unwrap());
    let query = NearbyQuery { category_code: near.category_code.clone(), cells, since: now - Duration::days(30), limit: 10 };
    let found: Vec<ReportNumber> = store.nearby_reports(&query).await.unwrap().into_iter().map(|report| report.number).collect();
    assert_eq!(found, vec![near.number], "only the recent open report of the category in a listed cell");

    let change = StatusChange {
        report_id: near.id,
        expected_version: near.version,
        actor_id: author.id,
        actor_role: Role::Moderator,
        from: Status::Accepted,
        to: Status::Rejected,
        comment: None,
        decision: None,
        rejection_reason: Some(RejectionReason::Duplicate),
        agency: None,
        status_before_info_request: None,
        dispatched_at: None,
        resolved_at: None,
        deadline_at: None,
        duplicate_of_id: None,
        notify_user_ids: Vec::new(),
        webhook_payload: None,
        at: now,
    };
    store.apply_status_change(&change).await.unwrap();
    assert!(store.nearby_reports(&query).await.unwrap().is_empty(), "a rejected report is no longer a possible duplicate");
}

async fn filed_pages_continue(store: Arc<dyn Store>) {
    prepare(&store).await;
    let author = add_user(&store, "pages@example.org", Role::Resident).await;
    let start = utc("2026-03-01T09:00:00Z");
    // Three reports share one filing time, so pages must also continue by id.
    let times = [start - Duration::days(1), start, start, start, start + Duration::hours(1), start + Duration::days(2)];
    let mut created = Vec::new();
    for time in times {
        created.push(create(&store, author.id, time).await);
    }

    let mut page = FiledPage { from: start, until: start + Duration::days(2), after: None, limit: 2 };
    let mut seen = Vec::new();
    loop {
        let reports = store.reports_filed_between(&page).await.expect("page failed");
        let Some(last) = reports.last() else { break };
        assert!(reports.len() <= 2);
        page.after = Some((last.created_at, last.id));
        seen.extend(reports.iter().map(|report| report.number));
    }
    let expected: Vec<ReportNumber> = created[1..5].iter().map(|report| report.number).collect();
    assert_eq!(seen, expected, "the period includes its start, excludes its end, and no report repeats");
}

async fn map_points_follow_changes(store: Arc<dyn Store>) {
    prepare(&store).await;
    let author = add_user(&store, "map@example.org", Role::Resident).await;
    let now = utc("2026-06-10T12:00:00Z");

    let mut old = report_draft(author.id, now - Duration::days(200));
    old.latitude = 55.71;
    old.longitude = 37.61;
    create_report_only(&store, &old).await;

    let mut recent = report_draft(author.id, now - Duration::days(1));
    recent.latitude = 55.75;
    recent.longitude = 37.62;
    recent.area = Some(tverskoy());
    let recent = create_report_only(&store, &recent).await;

    let points = store.map_points_changed_since(now - Duration::days(90)).await.unwrap();
    assert_eq!(points.len(), 1, "only the report changed in the window: {points:?}");
    let point = &points[0];
    assert_eq!((point.id, &point.number, point.status), (recent.id, &recent.number, Status::Accepted));
    assert_eq!((point.latitude, point.longitude), (55.75, 37.62));
    assert_eq!((&point.category_code, &point.category_name), (&recent.category_code, &recent.category_name));
    assert_eq!(point.created_at, recent.created_at);
    assert_eq!(point.district_name, Some(tverskoy().district_name));

    assert!(store.map_points_changed_since(now).await.unwrap().is_empty(), "nothing changed since now");

    let change = StatusChange {
        report_id: recent.id,
        expected_version: recent.version,
        actor_id: author.id,
        actor_role: Role::Moderator,
        from: Status::Accepted,
        to: Status::Rejected,
        comment: None,
        decision: None,
        rejection_reason: Some(RejectionReason::Duplicate),
        agency: None,
        status_before_info_request: None,
        dispatched_at: None,
        resolved_at: None,
        deadline_at: None,
        duplicate_of_id: None,
        notify_user_ids: Vec::new(),
        webhook_payload: None,
        at: now + Duration::minutes(5),
    };
    store.apply_status_change(&change).await.unwrap();
    let changed = store.map_points_changed_since(now).await.unwrap();
    assert_eq!(changed.iter().map(|point| (point.id, point.status)).collect::<Vec<_>>(), vec![(recent.id, Status::Rejected)]);
    assert_eq!(changed[0].updated_at, now + Duration::minutes(5));
}

async fn deliveries_follow_modes(store: Arc<dyn Store>) {
    prepare(&store).await;
    // 10:00 Moscow time, an hour after the digest.
    let start = utc("2026-11-02T07:00:00Z");
    let immediate = add_user(&store, "immediate@example.org", Role::Resident).await;
    let digest = add_user(&store, "digest@example.org", Role::Resident).await;
    let off = add_user(&store, "off@example.org", Role::Resident).await;
    store.set_delivery_mode(digest.id, "email", DeliveryMode::Digest, start).await.expect("setting a mode failed");
    store.set_delivery_mode(off.id, "email", DeliveryMode::Off, start).await.expect("setting a mode failed");

    // No channel is enabled yet, so this report's notification has no delivery.
    create(&store, immediate.id, start).await;
    store.set_delivery_channels(&["email"]).await.expect("setting channels failed");
    let first = create(&store, immediate.id, start + Duration::minutes(1)).await;
    create(&store, digest.id, start + Duration::minutes(2)).await;
    create(&store, digest.id, start + Duration::minutes(3)).await;
    create(&store, off.id, start + Duration::minutes(4)).await;

    let now = start + Duration::minutes(5);
    let lease = now + Duration::minutes(5);
    let claimed = store.claim_deliveries("email", now, lease, 10).await.expect("claim failed");
    assert_eq!(recipients(&claimed), vec!["immediate@example.org"], "only the immediate delivery is due");
    let delivery = &claimed[0];
    assert_eq!(delivery.notification.report_number, first.number);
    assert_eq!(delivery.notification.event.to_status, Status::Accepted);
    assert_eq!(delivery.channel, "email");
    assert_eq!(delivery.attempts, 1);
    assert!(!delivery.digest);
    assert_eq!(store.pending_deliveries().await.expect("count failed"), 3);

    store.mark_delivered(&[delivery.id], now).await.expect("marking delivered failed");
    let after_lease = store.claim_deliveries("email", lease, lease + Duration::minutes(5), 10).await.expect("claim failed");
    assert!(after_lease.is_empty(), "a sent delivery was claimed again: {after_lease:?}");

    // Both digest deliveries come due at the next 09:00 Moscow time, together.
    let digest_time = utc("2026-11-03T06:00:00Z");
    let early = store.claim_deliveries("email", digest_time - Duration::seconds(1), digest_time, 10).await.expect("claim failed");
    assert!(early.is_empty(), "digest deliveries were due before the digest time: {early:?}");
    let digests = store.claim_deliveries("email", digest_time, digest_time + Duration::minutes(5), 10).await.expect("claim failed");
    assert_eq!(recipients(&digests), vec!["digest@example.org", "digest@example.org"]);
    assert!(digests.iter().all(|delivery| delivery.digest));

    // The unsubscribe token of a message turns its channel off for its recipient.
    let unsubscribed = store.unsubscribe(&delivery.unsubscribe_token, now).await.expect("unsubscribe failed");
    assert_eq!(unsubscribed, Some((immediate.id, "email".to_owned())));
    assert_eq!(store.delivery_modes(immediate.id).await.expect("modes failed"), vec![("email".to_owned(), DeliveryMode::Off)]);
    create(&store, immediate.id, now).await;
    assert_eq!(store.pending_deliveries().await.expect("count failed"), 2, "an unsubscribed person got a new delivery");
    assert_eq!(store.unsubscribe("no-such-token", now).await.expect("unsubscribe failed"), None);
}

async fn push_deliveries_need_subscription(store: Arc<dyn Store>) {
    prepare(&store).await;
    let start = utc("2026-11-02T07:00:00Z");
    let subscribed = add_user(&store, "subscribed@example.org", Role::Resident).await;
    let other = add_user(&store, "other@example.org", Role::Resident).await;
    store.set_delivery_channels(&["email", "push"]).await.expect("setting channels failed");
    let subscription = |user_id: i64, keys: &str| PushSubscription {
        user_id,
        endpoint: "http://127.0.0.1:9/push/abc".to_owned(),
        p256dh: format!("{keys}-key"),
        auth: format!("{keys}-auth"),
        created_at: start,
    };
    store.save_push_subscription(&subscription(subscribed.id, "first")).await.expect("saving failed");
    // The same browser subscribing again replaces its keys.
    store.save_push_subscription(&subscription(subscribed.id, "second")).await.expect("saving failed");
    assert_eq!(store.push_subscriptions(subscribed.id).await.expect("list failed"), vec![subscription(subscribed.id, "second")]);

    create(&store, subscribed.id, start).await;
    create(&store, other.id, start).await;
    let now = start + Duration::minutes(1);
    let pushes = store.claim_deliveries("push", now, now + Duration::minutes(5), 10).await.expect("claim failed");
    assert_eq!(recipients(&pushes), vec!["subscribed@example.org"], "a person without a browser subscription got a push delivery");
    assert!(pushes.iter().all(|delivery| delivery.channel == "push"));
    let emails = store.claim_deliveries("email", now, now + Duration::minutes(5), 10).await.expect("claim failed");
    assert_eq!(recipients(&emails), vec!["subscribed@example.org", "other@example.org"]);

    assert!(!store.delete_push_subscription("http://127.0.0.1:9/push/abc", Some(other.id)).await.expect("delete failed"), "another person deleted the subscription");
    assert!(store.delete_push_subscription("http://127.0.0.1:9/push/abc", Some(subscribed.id)).await.expect("delete failed"));
    assert!(store.push_subscriptions(subscribed.id).await.expect("list failed").is_empty());
}

async fn deliveries_retry_then_fail(store: Arc<dyn Store>) {
    prepare(&store).await;
    store.set_delivery_channels(&["email"]).await.expect("setting channels failed");
    let start = utc("2026-11-02T07:00:00Z");
    let author = add_user(&store, "author@example.org", Role::Resident).await;
    let report = create(&store, author.id, start).await;

    let claimed = store.claim_deliveries("email", start, start + Duration::minutes(5), 10).await.expect("claim failed");
    assert_eq!(claimed.len(), 1);
    let reserved = store.claim_deliveries("email", start + Duration::minutes(1), start + Duration::minutes(6), 10).await.expect("claim failed");
    assert!(reserved.is_empty(), "a delivery reserved by a worker was claimed again");
    // A worker that died keeps the delivery only until its lease ends.
    let reclaimed = store.claim_deliveries("email", start + Duration::minutes(5), start + Duration::minutes(10), 10).await.expect("claim failed");
    assert_eq!(reclaimed.len(), 1);
    assert_eq!(reclaimed[0].attempts, 2);

    let retry_at = start + Duration::minutes(30);
    store.mark_delivery_failed(&[claimed[0].id], "connection refused", Some(retry_at)).await.expect("marking failed failed");
    let before_retry = store.claim_deliveries("email", retry_at - Duration::seconds(1), retry_at, 10).await.expect("claim failed");
    assert!(before_retry.is_empty(), "a delivery was retried before its time");
    let retried = store.claim_deliveries("email", retry_at, retry_at + Duration::minutes(5), 10).await.expect("claim failed");
    assert_eq!(retried.len(), 1);

    store.mark_delivery_failed(&[claimed[0].id], "550 mailbox unavailable", None).await.expect("marking failed failed");
    assert_eq!(store.pending_deliveries().await.expect("count failed"), 0);
    let failed = store.failed_deliveries(10).await.expect("failed list failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].report_number, report.number);
    assert_eq!(failed[0].last_error, "550 mailbox unavailable");
    assert_eq!(failed[0].attempts, 3);
    let later = retry_at + Duration::days(1);
    assert!(store.claim_deliveries("email", later, later, 10).await.expect("claim failed").is_empty(), "a failed delivery was claimed");

    assert_eq!(store.retry_failed_deliveries(&[failed[0].id], later).await.expect("retry failed"), 1);
    assert!(store.failed_deliveries(10).await.expect("failed list failed").is_empty());
    assert_eq!(store.claim_deliveries("email", later, later + Duration::minutes(5), 10).await.expect("claim failed").len(), 1);
}

async fn deliveries_claimed_once(store: Arc<dyn Store>) {
    prepare(&store).await;
    store.set_delivery_channels(&["email"]).await.expect("setting channels failed");
    let start = utc("2026-11-02T07:00:00Z");
    let author = add_user(&store, "author@example.org", Role::Resident).await;
    for minute in 0..40 {
        create(&store, author.id, start + Duration::seconds(minute)).await;
    }

    let now = start + Duration::minutes(1);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let store = store.clone();
        workers.spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = store.claim_deliveries("email", now, now + Duration::minutes(5), 3).await.expect("claim failed");
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|delivery| delivery.id));
            }
        });
    }
    let mut all = Vec::new();
    while let Some(mine) = workers.join_next().await {
        all.extend(mine.expect("a worker panicked"));
    }
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 40, "each of 40 deliveries is claimed once: {all:?}");
    assert_eq!(distinct.len(), 40);
}

fn recipients(deliveries: &[Delivery]) -> Vec<&str> {
    deliveries.iter().map(|delivery| delivery.recipient.as_str()).collect()
}

async fn rating_replaced_keeps_first_time(store: Arc<dyn Store>) {
    prepare(&store).await;
    let start = utc("2026-11-02T07:00:00Z");
    let author = add_user(&store, "author@example.org", Role::Resident).await;
    let report = create(&store, author.id, start).await;
    assert_eq!(store.report_rating(report.id).await.expect("reading the rating failed"), None);

    let first = store.rate_report(report.id, author.id, 2, Some("Долго"), start).await.expect("rating failed");
    assert_eq!((first.score, first.comment.as_deref()), (2, Some("Долго")));
    let later = start + Duration::hours(1);
    let second = store.rate_report(report.id, author.id, 5, None, later).await.expect("rating again failed");
    assert_eq!(second.score, 5);
    assert_eq!(second.comment, None);
    assert_eq!(second.created_at, start, "the first rating time is kept");
    assert_eq!(second.updated_at, later);
    assert_eq!(store.report_rating(report.id).await.expect("reading the rating failed"), Some(second));

    let invalid = store.rate_report(report.id, author.id, 9, None, later).await;
    assert!(invalid.is_err(), "the database accepted a score of 9");
}

async fn identities_link_and_find(store: Arc<dyn Store>) {
    prepare(&store).await;
    let at = utc("2026-03-01T10:00:00.123Z");
    let new_user = NewUser {
        email: "esia+first@identities.invalid".to_owned(),
        password_hash: "!unusable".to_owned(),
        role: Role::Resident,
        agency: None,
        district: None,
        confirmed: true,
        supervisor: false,
        created_at: at,
    };

    let created = store.create_user_with_identity(&new_user, "esia", "subject-1").await.expect("user creation with identity failed");
    assert_eq!(created.email, new_user.email);
    assert_eq!(created.role, Role::Resident);
    assert!(created.confirmed);

    let found = store.user_by_identity("esia", "subject-1").await.expect("identity lookup failed");
    assert_eq!(found.as_ref().map(|user| user.id), Some(created.id));
    let other_provider = store.user_by_identity("mosru", "subject-1").await.expect("identity lookup failed");
    assert!(other_provider.is_none(), "a subject is unique per provider only");

    let second_user = NewUser { email: "esia+second@identities.invalid".to_owned(), ..new_user.clone() };
    let repeated = store.create_user_with_identity(&second_user, "esia", "subject-1").await;
    assert!(matches!(repeated, Err(StoreError::Duplicate("identity"))), "expected Duplicate(\"identity\"), got {repeated:?}");
    let after_rollback = store.user_by_email("esia+second@identities.invalid").await.expect("user lookup failed");
    assert!(after_rollback.is_none(), "the user of a failed link must be rolled back");

    let mosru = Identity { provider: "mosru".to_owned(), subject: "mos-42".to_owned(), user_id: created.id, created_at: at };
    store.link_identity(&mosru).await.expect("linking a second provider failed");
    let linked = store.identities(created.id).await.expect("identity list failed");
    let pairs: Vec<(&str, &str)> = linked.iter().map(|identity| (identity.provider.as_str(), identity.subject.as_str())).collect();
    assert_eq!(pairs, vec![("esia", "subject-1"), ("mosru", "mos-42")]);
    assert_eq!(linked[1], mosru);

    let resident = add_user(&store, "resident@example.org", Role::Resident).await;
    let taken_subject = store.link_identity(&Identity { user_id: resident.id, ..mosru.clone() }).await;
    assert!(matches!(taken_subject, Err(StoreError::Duplicate("identity"))), "expected Duplicate(\"identity\"), got {taken_subject:?}");
    let second_of_provider = store.link_identity(&Identity { subject: "mos-43".to_owned(), ..mosru.clone() }).await;
    assert!(matches!(second_of_provider, Err(StoreError::Duplicate("provider"))), "expected Duplicate(\"provider\"), got {second_of_provider:?}");
    assert!(store.identities(resident.id).await.expect("identity list failed").is_empty());
}

async fn pending_sign_in_taken_once(store: Arc<dyn Store>) {
    prepare(&store).await;
    let resident = add_user(&store, "linker@example.org", Role::Resident).await;
    let now = utc("2026-03-01T10:00:00.000Z");
    let pending = PendingSignIn {
        state_hash: "a".repeat(64),
        provider: "mosru".to_owned(),
        nonce: "nonce-1".to_owned(),
        pkce_verifier: "verifier-1".to_owned(),
        return_path: "/my/reports".to_owned(),
        link_user_id: Some(resident.id),
        created_at: now,
        expires_at: now + Duration::minutes(10),
    };
    let expired = PendingSignIn { state_hash: "b".repeat(64), link_user_id: None, expires_at: now + Duration::minutes(1), ..pending.clone() };
    store.create_pending_sign_in(&pending).await.expect("pending sign-in creation failed");
    store.create_pending_sign_in(&expired).await.expect("pending sign-in creation failed");
    let repeated = store.create_pending_sign_in(&pending).await;
    assert!(matches!(repeated, Err(StoreError::Duplicate("state"))), "expected Duplicate(\"state\"), got {repeated:?}");

    let later = now + Duration::minutes(2);
    let taken = store.take_pending_sign_in(&pending.state_hash, later).await.expect("taking the pending sign-in failed");
    assert_eq!(taken, Some(pending.clone()));
    let again = store.take_pending_sign_in(&pending.state_hash, later).await.expect("taking the pending sign-in failed");
    assert_eq!(again, None, "a state must be usable once");
    let after_expiry = store.take_pending_sign_in(&expired.state_hash, later).await.expect("taking the pending sign-in failed");
    assert_eq!(after_expiry, None, "an expired pending sign-in must not be returned");
    let unknown = store.take_pending_sign_in(&"c".repeat(64), now).await.expect("taking the pending sign-in failed");
    assert_eq!(unknown, None);
}

async fn followers_join_once(store: Arc<dyn Store>) {
    prepare(&store).await;
    let alice = add_user(&store, "alice@example.org", Role::Resident).await;
    let boris = add_user(&store, "boris@example.org", Role::Resident).await;
    let start = utc("2026-10-01T08:00:00Z");
    let original = create(&store, alice.id, start).await;
    let boris_own = create(&store, boris.id, start + Duration::minutes(1)).await;

    assert!(!store.is_follower(original.id, boris.id).await.expect("follower lookup failed"));
    assert!(store.add_follower(original.id, boris.id, start + Duration::hours(1)).await.expect("joining failed"));
    assert!(!store.add_follower(original.id, boris.id, start + Duration::hours(2)).await.expect("joining again failed"), "a second join adds nothing");
    assert!(!store.add_follower(original.id, alice.id, start + Duration::hours(1)).await.expect("joining failed"), "the author does not follow her own report");

    assert!(store.is_follower(original.id, boris.id).await.expect("follower lookup failed"));
    assert!(!store.is_follower(original.id, alice.id).await.expect("follower lookup failed"));
    assert_eq!(store.report_followers(original.id).await.expect("follower list failed"), vec![boris.id]);
    assert_eq!(store.report_followers(boris_own.id).await.expect("follower list failed"), Vec::<i64>::new());

    // Boris's list contains his own report and the followed one, newest first, and pages across both.
    let listed = store.reports(&page(ReportQueue::Author(boris.id), None, 10)).await.expect("report list failed");
    assert_eq!(ids_of_reports(&listed), ids_of_reports(&[&boris_own, &original]));
    let first_page = store.reports(&page(ReportQueue::Author(boris.id), None, 1)).await.expect("report list failed");
    assert_eq!(ids_of_reports(&first_page), vec![boris_own.id]);
    let second_page = store.reports(&page(ReportQueue::Author(boris.id), Some(boris_own.id), 1)).await.expect("report list failed");
    assert_eq!(ids_of_reports(&second_page), vec![original.id]);
    let alice_list = store.reports(&page(ReportQueue::Author(alice.id), None, 10)).await.expect("report list failed");
    assert_eq!(ids_of_reports(&alice_list), vec![original.id]);

    let by_id = store.report_by_id(original.id).await.expect("report lookup failed");
    assert_eq!(by_id.as_ref().map(|report| report.number.clone()), Some(original.number.clone()));
    assert!(store.report_by_id(original.id + 1000).await.expect("report lookup failed").is_none());
}

async fn duplicate_rejection_follows_original(store: Arc<dyn Store>) {
    prepare(&store).await;
    let alice = add_user(&store, "alice@example.org", Role::Resident).await;
    let boris = add_user(&store, "boris@example.org", Role::Resident).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;
    let start = utc("2026-10-01T08:00:00Z");
    let original = create(&store, alice.id, start).await;
    let duplicate = create(&store, boris.id, start + Duration::minutes(5)).await;
    let alice_again = create(&store, alice.id, start + Duration::minutes(6)).await;

    let mut rejection = change(&duplicate, moderator.id, Status::Rejected, start + Duration::hours(1));
    rejection.rejection_reason = Some(RejectionReason::Duplicate);
    rejection.duplicate_of_id = Some(original.id);
    rejection.notify_user_ids = vec![boris.id];
    let rejected = store.apply_status_change(&rejection).await.expect("rejection failed");

    assert_eq!(rejected.status, Status::Rejected);
    assert_eq!(rejected.duplicate_of_id, Some(original.id));
    let stored = store.report(&duplicate.number).await.expect("report lookup failed").expect("report not found");
    assert_eq!(stored.duplicate_of_id, Some(original.id));
    assert!(store.is_follower(original.id, boris.id).await.expect("follower lookup failed"), "the duplicate's author follows the original");
    let untouched = store.report(&original.number).await.expect("report lookup failed").expect("report not found");
    assert_eq!(untouched.duplicate_of_id, None);
    assert_eq!(untouched.version, original.version, "the original itself does not change");

    // Alice's second report of the same problem: she already gets the original's notifications.
    let mut own = change(&alice_again, moderator.id, Status::Rejected, start + Duration::hours(1));
    own.rejection_reason = Some(RejectionReason::Duplicate);
    own.duplicate_of_id = Some(original.id);
    store.apply_status_change(&own).await.expect("rejection failed");
    assert_eq!(store.report_followers(original.id).await.expect("follower list failed"), vec![boris.id]);
}

async fn agency_district_queue(store: Arc<dyn Store>) {
    prepare(&store).await;
    let agency = "zhilishchnik".to_owned();
    let catalog = store.catalog().await.expect("catalog failed");
    assert!(catalog.agency(&agency).is_some_and(|found| found.by_district), "the stored catalog marks {agency} as organised by district");
    assert!(catalog.agencies.iter().filter(|found| found.code != agency).all(|found| !found.by_district));

    let alice = add_user(&store, "alice@example.org", Role::Resident).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;
    let start = utc("2026-10-01T08:00:00Z");
    let mut basmanny = tverskoy();
    basmanny.district_code = "basmanny".to_owned();
    basmanny.district_name = "Басманный район".to_owned();

    let mut reports = Vec::new();
    for (minute, area) in [(0, Some(tverskoy())), (1, Some(basmanny.clone())), (2, Some(tverskoy())), (3, None)] {
        let mut draft = report_draft(alice.id, start + Duration::minutes(minute));
        draft.area = area;
        let report = create_report_only(&store, &draft).await;
        let mut dispatch = change(&report, moderator.id, Status::Dispatched, start + Duration::hours(1));
        dispatch.agency = Some(agency.clone());
        reports.push(store.apply_status_change(&dispatch).await.expect("dispatch failed"));
    }

    let district = |code: &str| ReportQueue::AgencyDistrict { agency: agency.clone(), district: code.to_owned() };
    let tverskoy_list = store.reports(&page(district("tverskoy"), None, 10)).await.expect("report list failed");
    assert_eq!(ids_of_reports(&tverskoy_list), ids_of_reports(&[&reports[2], &reports[0]]));
    let tverskoy_second = store.reports(&page(district("tverskoy"), Some(reports[2].id), 10)).await.expect("report list failed");
    assert_eq!(ids_of_reports(&tverskoy_second), vec![reports[0].id]);
    let basmanny_list = store.reports(&page(district("basmanny"), None, 10)).await.expect("report list failed");
    assert_eq!(ids_of_reports(&basmanny_list), vec![reports[1].id]);
    let whole_agency = store.reports(&page(ReportQueue::Agency(agency.clone()), None, 10)).await.expect("report list failed");
    assert_eq!(whole_agency.len(), 4, "an executor without a district sees every district");

    let executor = store
        .create_user(&NewUser {
            email: "basmanny@example.org".to_owned(),
            password_hash: "hash".to_owned(),
            role: Role::Executor,
            agency: Some(agency.clone()),
            district: Some("basmanny".to_owned()),
            confirmed: true,
            supervisor: false,
            created_at: start,
        })
        .await
        .expect("user creation failed");
    assert_eq!(executor.district.as_deref(), Some("basmanny"));
    let found = store.user(executor.id).await.expect("user lookup failed").expect("user not found");
    assert_eq!(found.district.as_deref(), Some("basmanny"));
}

async fn optimize_succeeds(store: Arc<dyn Store>) {
    prepare(&store).await;
    let alice = add_user(&store, "alice@example.org", Role::Resident).await;
    create(&store, alice.id, utc("2026-10-01T08:00:00Z")).await;
    store.optimize().await.expect("the first optimize failed");
    store.optimize().await.expect("a repeated optimize failed");
}

/// The statistics that `optimize` gathers make SQLite use the position index for the map's
/// bounding-box query instead of `reports_nearby`, which reads about half the table.
#[tokio::test]
async fn sqlite_optimize_analyzes_reports() {
    let database = pomoshnik_test_support::TestDatabase::sqlite();
    let store = connect(database.url()).await.expect("failed to open the SQLite store");
    prepare(&store).await;
    let alice = add_user(&store, "alice@example.org", Role::Resident).await;
    let start = utc("2026-10-01T08:00:00Z");
    for minute in 0..50 {
        create(&store, alice.id, start + Duration::minutes(minute)).await;
    }

    let inspector = sqlx::SqlitePool::connect(database.url()).await.expect("failed to open a second connection");
    let tables_before: Vec<(String,)> = sqlx::query_as("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        .fetch_all(&inspector)
        .await
        .expect("schema query failed");
    assert!(tables_before.is_empty(), "a new database has no statistics yet");

    store.optimize().await.expect("optimize failed");

    let (analyzed,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'reports'")
        .fetch_one(&inspector)
        .await
        .expect("statistics query failed");
    assert!(analyzed > 0, "optimize left no statistics for the reports table");
    inspector.close().await;
    store.close().await;
}

async fn tickets_open_until_closed(store: Arc<dyn Store>) {
    prepare(&store).await;
    let at = utc("2026-11-02T07:00:00Z");
    let resident = add_user(&store, "asker@example.org", Role::Resident).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;

    let first = store.create_ticket(resident.id, "report", Some("2026-0000001"), "Где мой ответ?", at).await.expect("ticket failed");
    let second = store.create_ticket(resident.id, "account", None, "Не приходит код", at + Duration::minutes(1)).await.expect("ticket failed");
    assert_eq!(first.report_number.as_deref(), Some("2026-0000001"));
    assert_eq!(first.closed_at, None);
    let open = store.open_tickets(10).await.expect("open list failed");
    assert_eq!(open, vec![first.clone(), second.clone()], "oldest first");

    store.close_ticket(first.id, moderator.id, at + Duration::hours(1)).await.expect("closing failed");
    let open = store.open_tickets(10).await.expect("open list failed");
    assert_eq!(open, vec![second]);
    let again = store.close_ticket(first.id, moderator.id, at + Duration::hours(2)).await;
    assert!(matches!(again, Err(StoreError::NotFound)), "a closed ticket was closed again: {again:?}");
}

async fn audit_log_filters_newest_first(store: Arc<dyn Store>) {
    prepare(&store).await;
    let at = utc("2026-11-02T07:00:00Z");
    let admin = add_user(&store, "admin@example.org", Role::Admin).await;
    let entry = |actor_id: Option<i64>, action: &str, minutes: i64| NewAuditEntry {
        at: at + Duration::minutes(minutes),
        actor_id,
        action: action.to_owned(),
        object: "user:1".to_owned(),
        details: format!("{action} at minute {minutes}"),
    };
    let first = store.record_audit(&entry(Some(admin.id), "sign_in.success", 0)).await.expect("audit failed");
    let failed = store.record_audit(&entry(None, "sign_in.failure", 1)).await.expect("audit failed");
    let signin_like = store.record_audit(&entry(Some(admin.id), "sign_inx.other", 2)).await.expect("audit failed");
    let change = store.record_audit(&entry(Some(admin.id), "category.update", 3)).await.expect("audit failed");

    let all = store.audit_entries(&AuditFilter { limit: 10, ..AuditFilter::default() }).await.expect("list failed");
    assert_eq!(all.iter().map(|entry| entry.id).collect::<Vec<_>>(), vec![change, signin_like, failed, first], "newest first");
    assert_eq!(all[3].at, at);
    assert_eq!(all[3].details, "sign_in.success at minute 0");
    assert_eq!(all[2].actor_id, None);

    // `_` in the prefix is a plain character, not a wildcard.
    let sign_ins = AuditFilter { action_prefix: Some("sign_in.".to_owned()), limit: 10, ..AuditFilter::default() };
    let found = store.audit_entries(&sign_ins).await.expect("list failed");
    assert_eq!(found.iter().map(|entry| entry.id).collect::<Vec<_>>(), vec![failed, first]);

    let by_admin = AuditFilter { actor_id: Some(admin.id), limit: 2, ..AuditFilter::default() };
    let page = store.audit_entries(&by_admin).await.expect("list failed");
    assert_eq!(page.iter().map(|entry| entry.id).collect::<Vec<_>>(), vec![change, signin_like]);
    let next = store.audit_entries(&AuditFilter { before_id: Some(signin_like), ..by_admin }).await.expect("list failed");
    assert_eq!(next.iter().map(|entry| entry.id).collect::<Vec<_>>(), vec![first]);
}

async fn staff_changed_and_disabled(store: Arc<dyn Store>) {
    prepare(&store).await;
    let now = utc("2026-11-02T07:00:00Z");
    add_user(&store, "resident@example.org", Role::Resident).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;
    let admin = add_user(&store, "admin@example.org", Role::Admin).await;

    let staff = store.staff_users().await.expect("staff list failed");
    assert_eq!(staff.iter().map(|user| user.id).collect::<Vec<_>>(), vec![moderator.id, admin.id], "residents are not staff");

    let update = StaffUpdate { role: Role::Executor, agency: Some("madi".to_owned()), district: None, supervisor: true };
    let changed = store.update_staff(moderator.id, &update).await.expect("staff update failed");
    assert_eq!(changed.role, Role::Executor);
    assert_eq!(changed.agency.as_deref(), Some("madi"));
    assert!(changed.supervisor);
    assert_eq!(store.user(moderator.id).await.expect("lookup failed"), Some(changed));
    let missing = store.update_staff(admin.id + 1000, &update).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");

    for token_hash in ["first-device", "second-device"] {
        let session = Session { token_hash: token_hash.to_owned(), user_id: moderator.id, csrf_token: "csrf".to_owned(), created_at: now, expires_at: now + Duration::days(1) };
        store.create_session(&session).await.expect("session creation failed");
    }
    let admin_session = Session { token_hash: "admin-device".to_owned(), user_id: admin.id, csrf_token: "csrf".to_owned(), created_at: now, expires_at: now + Duration::days(1) };
    store.create_session(&admin_session).await.expect("session creation failed");

    let disabled = store.set_user_disabled(moderator.id, true).await.expect("disabling failed");
    assert!(disabled.disabled);
    let refused = store.session("first-device", now).await.expect("session lookup failed");
    assert!(refused.is_none(), "a disabled account's session was accepted");
    assert_eq!(store.delete_user_sessions(moderator.id).await.expect("deleting sessions failed"), 2);
    assert_eq!(store.delete_user_sessions(moderator.id).await.expect("deleting sessions failed"), 0);
    let enabled = store.set_user_disabled(moderator.id, false).await.expect("enabling failed");
    assert!(!enabled.disabled);
    let after_enable = store.session("first-device", now).await.expect("session lookup failed");
    assert!(after_enable.is_none(), "a deleted session came back after enabling");
    let other = store.session("admin-device", now).await.expect("session lookup failed");
    assert!(other.is_some(), "another user's session was deleted");
}

async fn category_saved_as_versions(store: Arc<dyn Store>) {
    prepare(&store).await;
    let at = utc("2026-11-02T07:00:00Z");
    let admin = add_user(&store, "admin@example.org", Role::Admin).await;
    let before = store.catalog().await.expect("catalog failed");
    let resident = add_user(&store, "resident@example.org", Role::Resident).await;
    let filed_before = create_report_only(&store, &report_draft(resident.id, at)).await;
    let mut changed = before.categories[0].clone();
    changed.deadline_working_days += 3;
    changed.agency = before.agencies.iter().find(|agency| agency.code != changed.agency).expect("a second agency").code.clone();
    changed.name = "Изменённая категория".to_owned();

    let first = store.save_category(&changed, Some(admin.id), at).await.expect("saving failed");
    assert_eq!(first, 1);
    // `report_draft` files in the first category, the one changed here.
    let filed_after = create_report_only(&store, &report_draft(resident.id, at)).await;
    assert_eq!(store.filed_agency(filed_after.id).await.expect("filed agency failed"), Some(changed.agency.clone()), "a new report has the old agency");
    let after = store.catalog().await.expect("catalog failed");
    assert_eq!(after.categories.len(), before.categories.len(), "a change added a category");
    assert_eq!(store.filed_agency(filed_before.id).await.expect("filed agency failed").as_deref(), Some(before.categories[0].agency.as_str()));
    assert_eq!(after.categories[0], changed, "the change is not in the catalog or moved in the list");

    let mut created = before.categories[0].clone();
    created.code = "new_category".to_owned();
    assert_eq!(store.save_category(&created, Some(admin.id), at).await.expect("saving failed"), 1);
    let after = store.catalog().await.expect("catalog failed");
    assert_eq!(after.categories.last(), Some(&created), "a new category is not at the end");

    changed.deadline_working_days += 1;
    let second = store.save_category(&changed, None, at + Duration::minutes(5)).await.expect("saving failed");
    assert_eq!(second, 2);
    let versions = store.catalog_versions(&format!("category:{}", changed.code)).await.expect("versions failed");
    assert_eq!(versions.iter().map(|version| version.version).collect::<Vec<_>>(), vec![2, 1], "newest first");
    assert_eq!(versions[1].actor_id, Some(admin.id));
    assert_eq!(versions[1].at, at);
    assert_eq!(versions[0].actor_id, None);
    let stored: pomoshnik_core::catalog::Category = serde_json::from_str(&versions[0].definition).expect("the version is not a category");
    assert_eq!(stored, changed);
}

async fn agency_saved_with_supervisors(store: Arc<dyn Store>) {
    prepare(&store).await;
    let at = utc("2026-11-02T07:00:00Z");
    let admin = add_user(&store, "admin@example.org", Role::Admin).await;
    // `add_user` puts executors into the first agency of the catalog.
    let agency_code = Catalog::moscow_default().agencies[0].code.clone();
    let first = add_user(&store, "first@example.org", Role::Executor).await;
    let second = add_user(&store, "second@example.org", Role::Executor).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;

    let created = pomoshnik_core::catalog::Agency { code: "gbu_test".to_owned(), name: "Тестовое учреждение".to_owned(), short_name: "ГБУ Тест".to_owned(), by_district: true };
    assert_eq!(store.save_agency(&created, &agency_settings(&[], true), Some(admin.id), at).await.expect("saving failed"), 1);
    let catalog = store.catalog().await.expect("catalog failed");
    assert_eq!(catalog.agencies.last(), Some(&created), "a new agency is not at the end");

    let mut changed = catalog.agency(&agency_code).expect("agency missing").clone();
    changed.name = "Изменённое название".to_owned();
    // The moderator is not an executor of the agency, so the flag does not reach them.
    let version = store.save_agency(&changed, &agency_settings(&[first.id, moderator.id], true), Some(admin.id), at).await.expect("saving failed");
    assert_eq!(version, 1);
    assert!(store.user(first.id).await.unwrap().expect("user missing").supervisor, "the chosen executor is no supervisor");
    assert!(!store.user(second.id).await.unwrap().expect("user missing").supervisor, "an executor not chosen became a supervisor");
    assert!(!store.user(moderator.id).await.unwrap().expect("user missing").supervisor, "a moderator became a supervisor");
    let catalog = store.catalog().await.expect("catalog failed");
    assert_eq!(catalog.agency(&agency_code), Some(&changed));
    assert_eq!(catalog.agencies[0].code, agency_code, "a changed agency moved in the list");

    let version = store.save_agency(&changed, &agency_settings(&[second.id], false), None, at + Duration::minutes(5)).await.expect("saving failed");
    assert_eq!(version, 2);
    assert!(!store.user(first.id).await.unwrap().expect("user missing").supervisor, "a supervisor not chosen again kept the flag");
    assert!(store.user(second.id).await.unwrap().expect("user missing").supervisor);

    let versions = store.catalog_versions(&format!("agency:{agency_code}")).await.expect("versions failed");
    assert_eq!(versions.iter().map(|version| version.version).collect::<Vec<_>>(), vec![2, 1], "newest first");
    assert_eq!(versions[1].actor_id, Some(admin.id));
    assert_eq!(versions[0].actor_id, None);
    let definition: serde_json::Value = serde_json::from_str(&versions[1].definition).expect("the version is not JSON");
    assert_eq!(definition["name"], "Изменённое название");
    assert_eq!(definition["supervisor_ids"], serde_json::json!([first.id]), "the version lists ids that are not the agency's executors");
    let latest: serde_json::Value = serde_json::from_str(&versions[0].definition).expect("the version is not JSON");
    assert_eq!(latest["webhook_dispatch"], false);
}

fn agency_settings(supervisor_ids: &[i64], webhook_dispatch: bool) -> AgencySettings {
    AgencySettings { supervisor_ids: supervisor_ids.to_vec(), webhook_dispatch }
}

async fn agency_webhook_dispatch_switched(store: Arc<dyn Store>) {
    prepare(&store).await;
    let at = utc("2026-11-02T07:00:00Z");
    store.set_webhook_destinations(&[destination("madi-main", "madi")]).await.expect("setting destinations failed");
    let author = add_user(&store, "author@example.org", Role::Resident).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;
    let madi = store.catalog().await.expect("catalog failed").agency("madi").expect("madi missing").clone();
    assert!(store.agency_webhook_dispatch("madi").await.expect("lookup failed"), "webhook dispatch is off by default");
    let missing = store.agency_webhook_dispatch("nobody").await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "an unknown agency: {missing:?}");

    store.save_agency(&madi, &agency_settings(&[], false), None, at).await.expect("saving failed");
    assert!(!store.agency_webhook_dispatch("madi").await.expect("lookup failed"));
    let quiet = create(&store, author.id, at).await;
    let quiet = store.apply_status_change(&change(&quiet, moderator.id, Status::UnderReview, at)).await.expect("review failed");
    dispatch_to_madi(&store, &quiet, moderator.id, at).await;
    assert_eq!(store.pending_webhook_deliveries().await.expect("count failed"), 0, "a dispatch with webhooks off wrote a delivery");

    store.save_agency(&madi, &agency_settings(&[], true), None, at).await.expect("saving failed");
    let posted = create(&store, author.id, at).await;
    let posted = store.apply_status_change(&change(&posted, moderator.id, Status::UnderReview, at)).await.expect("review failed");
    dispatch_to_madi(&store, &posted, moderator.id, at).await;
    assert_eq!(store.pending_webhook_deliveries().await.expect("count failed"), 1, "a dispatch with webhooks on wrote no delivery");
    assert!(store.report_webhook_status(quiet.id).await.expect("status failed").is_empty(), "turning webhooks on posted an earlier dispatch");
}

async fn routing_rule_sets_filed_agency(store: Arc<dyn Store>) {
    prepare(&store).await;
    let at = utc("2026-11-02T07:00:00Z");
    let admin = add_user(&store, "admin@example.org", Role::Admin).await;
    let resident = add_user(&store, "resident@example.org", Role::Resident).await;
    // `report_draft` files in the first category of the catalog.
    let category = Catalog::moscow_default().categories[0].clone();
    let other_agency = Catalog::moscow_default().agencies.iter().find(|agency| agency.code != category.agency).expect("a second agency").code.clone();
    let in_district = || {
        let mut draft = report_draft(resident.id, at);
        draft.area = Some(tverskoy());
        draft
    };

    let before = create_report_only(&store, &in_district()).await;
    let rule = RoutingRule { category_code: category.code.clone(), district_code: "tverskoy".to_owned(), agency_code: other_agency.clone(), created_at: at };
    assert_eq!(store.add_routing_rule(&rule, Some(admin.id)).await.expect("adding failed"), 1);
    assert_eq!(store.routing_rules().await.expect("rules failed"), vec![rule.clone()]);
    let duplicate = store.add_routing_rule(&RoutingRule { agency_code: category.agency.clone(), ..rule.clone() }, Some(admin.id)).await;
    assert!(matches!(duplicate, Err(StoreError::Duplicate("routing rule"))), "a second rule for the district was accepted: {duplicate:?}");

    let routed = create_report_only(&store, &in_district()).await;
    let elsewhere = create(&store, resident.id, at).await;
    assert_eq!(store.filed_agency(routed.id).await.unwrap().as_deref(), Some(other_agency.as_str()), "the rule did not route the report");
    assert_eq!(store.filed_agency(elsewhere.id).await.unwrap().as_deref(), Some(category.agency.as_str()), "the rule routed a report outside its district");
    assert_eq!(store.filed_agency(before.id).await.unwrap().as_deref(), Some(category.agency.as_str()), "the rule moved a report filed before it");

    let removed = store.remove_routing_rule(&category.code, "tverskoy", Some(admin.id), at + Duration::minutes(5)).await.expect("removing failed");
    assert_eq!(removed, 2);
    assert!(store.routing_rules().await.expect("rules failed").is_empty());
    let missing = store.remove_routing_rule(&category.code, "tverskoy", Some(admin.id), at).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "removing a missing rule: {missing:?}");
    let after = create_report_only(&store, &in_district()).await;
    assert_eq!(store.filed_agency(after.id).await.unwrap().as_deref(), Some(category.agency.as_str()), "a removed rule still routes");
    assert_eq!(store.filed_agency(routed.id).await.unwrap().as_deref(), Some(other_agency.as_str()), "removing the rule moved a filed report");

    let versions = store.catalog_versions(&format!("routing:{}:tverskoy", category.code)).await.expect("versions failed");
    assert_eq!(versions.iter().map(|version| version.version).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(versions[0].definition, "null", "the removal is not recorded as an empty definition");
    assert!(versions[1].definition.contains(&other_agency));
    assert!(versions.iter().all(|version| version.actor_id == Some(admin.id)));
}

async fn calendar_years_replaced(store: Arc<dyn Store>) {
    prepare(&store).await;
    let at = utc("2026-11-02T07:00:00Z");
    store.save_calendar_year(2028, "<calendar year=\"2028\"/>", at).await.expect("saving failed");
    store.save_calendar_year(2027, "first 2027", at).await.expect("saving failed");
    store.save_calendar_year(2027, "second 2027", at).await.expect("saving failed");
    let documents = store.calendar_documents().await.expect("calendar documents failed");
    assert_eq!(documents, vec!["second 2027".to_owned(), "<calendar year=\"2028\"/>".to_owned()], "by year, the latest import of each");

    let resident = add_user(&store, "resident@example.org", Role::Resident).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;
    create(&store, resident.id, at).await;
    let mut open = create(&store, resident.id, at).await;
    let mut resolved = create(&store, resident.id, at).await;
    let deadline = at + Duration::days(14);
    for report in [&mut open, &mut resolved] {
        for to in [Status::UnderReview, Status::Dispatched] {
            let mut step = change(report, moderator.id, to, at);
            if to == Status::Dispatched {
                step.agency = Some("madi".to_owned());
                step.dispatched_at = Some(at);
                step.deadline_at = Some(deadline);
            }
            *report = store.apply_status_change(&step).await.expect("status change failed");
        }
    }
    let mut step = change(&resolved, moderator.id, Status::Resolved, at);
    step.decision = Some(Decision::Fixed);
    step.resolved_at = Some(at);
    store.apply_status_change(&step).await.expect("resolving failed");

    let spans = store.open_deadline_spans().await.expect("spans failed");
    assert_eq!(spans, vec![(open.number.to_string(), at, deadline)], "only the open dispatched report has a span");
}

async fn rate_limit_fixed_windows(store: Arc<dyn Store>) {
    prepare(&store).await;
    let start = utc("2026-11-02T07:00:00Z");
    let window = Duration::minutes(15);
    assert_eq!(store.rate_limit("sign-in:a", start, window).await.expect("read failed"), None);

    for expected in 1..=3 {
        let hit = store.hit_rate_limit("sign-in:a", start + Duration::minutes(expected), window).await.expect("hit failed");
        assert_eq!(hit.count, expected);
        assert_eq!(hit.window_start, start + Duration::minutes(1), "a hit inside the window moved its start");
    }
    let other = store.hit_rate_limit("sign-in:b", start, window).await.expect("hit failed");
    assert_eq!(other.count, 1, "keys share a count");
    let current = store.rate_limit("sign-in:a", start + Duration::minutes(10), window).await.expect("read failed").expect("the window exists");
    assert_eq!(current.count, 3, "reading counted a hit");

    // The window started at minute 1 ends at minute 16; the next hit starts a new one.
    let ended = start + Duration::minutes(16);
    assert_eq!(store.rate_limit("sign-in:a", ended, window).await.expect("read failed"), None);
    let renewed = store.hit_rate_limit("sign-in:a", ended, window).await.expect("hit failed");
    assert_eq!((renewed.count, renewed.window_start), (1, ended));

    store.clear_rate_limit("sign-in:a").await.expect("clear failed");
    assert_eq!(store.rate_limit("sign-in:a", ended, window).await.expect("read failed"), None);
    assert_eq!(store.delete_rate_limits_before(start + Duration::seconds(1)).await.expect("delete failed"), 1, "only sign-in:b had ended");
    assert_eq!(store.delete_rate_limits_before(ended).await.expect("delete failed"), 0);
}

/// Subscribes to the store's changes and, on PostgreSQL, waits until the listener's LISTEN is
/// in effect (it announces `Missed` then), so that no change made afterwards is lost.
async fn subscribe_ready(store: &Arc<dyn Store>) -> tokio::sync::broadcast::Receiver<Change> {
    let mut changes = store.subscribe_changes();
    if store.backend() == pomoshnik_store::Backend::Postgres {
        let ready = tokio::time::timeout(std::time::Duration::from_secs(10), changes.recv()).await.expect("the listener did not start within 10 s");
        assert_eq!(ready.expect("the change channel failed"), Change::Missed);
    }
    changes
}

/// Waits for the next announcement other than `Missed`.
async fn next_change(changes: &mut tokio::sync::broadcast::Receiver<Change>) -> Change {
    loop {
        let change = tokio::time::timeout(std::time::Duration::from_secs(10), changes.recv())
            .await
            .expect("no change was announced within 10 s")
            .expect("the change channel failed");
        if change != Change::Missed {
            return change;
        }
    }
}

async fn changes_announced_after_commit(store: Arc<dyn Store>) {
    prepare(&store).await;
    let mut changes = subscribe_ready(&store).await;
    let start = utc("2026-11-02T07:00:00Z");
    let author = add_user(&store, "author@example.org", Role::Resident).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;

    let report = create(&store, author.id, start).await;
    let filed = [next_change(&mut changes).await, next_change(&mut changes).await];
    assert!(filed.contains(&Change::Report(report.id)), "{filed:?}");
    assert!(filed.contains(&Change::Notifications(author.id)), "{filed:?}");

    let mut review = change(&report, moderator.id, Status::UnderReview, start + Duration::minutes(1));
    review.notify_user_ids = vec![author.id];
    store.apply_status_change(&review).await.expect("status change failed");
    let changed = [next_change(&mut changes).await, next_change(&mut changes).await];
    assert!(changed.contains(&Change::Report(report.id)), "{changed:?}");
    assert!(changed.contains(&Change::Notifications(author.id)), "{changed:?}");

    // A change that fails announces nothing; the next announcement is the read notifications.
    let stale = change(&report, moderator.id, Status::UnderReview, start + Duration::minutes(2));
    assert!(matches!(store.apply_status_change(&stale).await, Err(StoreError::Conflict)));
    store.mark_notifications_read(author.id, report.id, start + Duration::minutes(3)).await.expect("marking read failed");
    assert_eq!(next_change(&mut changes).await, Change::Notifications(author.id));
}

/// Dispatches `report` to madi with a webhook body.
async fn dispatch_to_madi(store: &Arc<dyn Store>, report: &Report, actor_id: i64, at: DateTime<Utc>) -> Report {
    let mut dispatch = change(report, actor_id, Status::Dispatched, at);
    dispatch.agency = Some("madi".to_owned());
    dispatch.dispatched_at = Some(at);
    dispatch.webhook_payload = Some(format!("{{\"report\":\"{}\"}}", report.number));
    store.apply_status_change(&dispatch).await.expect("dispatch failed")
}

fn destination(name: &str, agency_code: &str) -> WebhookDestination {
    WebhookDestination { name: name.to_owned(), agency_code: agency_code.to_owned() }
}

async fn webhook_deliveries_per_destination(store: Arc<dyn Store>) {
    prepare(&store).await;
    let destinations = [destination("madi-main", "madi"), destination("madi-reserve", "madi"), destination("oati-main", "oati")];
    store.set_webhook_destinations(&destinations).await.expect("setting destinations failed");
    let start = utc("2026-11-02T07:00:00Z");
    let author = add_user(&store, "author@example.org", Role::Resident).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;
    let report = create(&store, author.id, start).await;

    // A change without a body writes no delivery.
    let review = store.apply_status_change(&change(&report, moderator.id, Status::UnderReview, start)).await.expect("review failed");
    assert!(store.claim_webhook_deliveries(start, start + Duration::minutes(5), 10).await.expect("claim failed").is_empty());
    assert!(store.report_webhook_status(report.id).await.expect("status failed").is_empty());

    let dispatched = dispatch_to_madi(&store, &review, moderator.id, start).await;
    assert_eq!(store.pending_webhook_deliveries().await.expect("count failed"), 2, "one delivery per destination of madi, none for oati");
    let claimed = store.claim_webhook_deliveries(start, start + Duration::minutes(5), 10).await.expect("claim failed");
    let names: Vec<&str> = claimed.iter().map(|delivery| delivery.destination.as_str()).collect();
    assert_eq!(names, ["madi-main", "madi-reserve"]);
    assert!(claimed.iter().all(|delivery| delivery.payload == format!("{{\"report\":\"{}\"}}", report.number) && delivery.attempts == 1));
    assert!(claimed.iter().all(|delivery| delivery.report_id == report.id));
    assert_ne!(claimed[0].idempotency_key, claimed[1].idempotency_key);
    let reserved = store.claim_webhook_deliveries(start + Duration::minutes(1), start + Duration::minutes(6), 10).await.expect("claim failed");
    assert!(reserved.is_empty(), "a webhook delivery reserved by a worker was claimed again");

    store.mark_webhook_delivered(&[claimed[0].id], start + Duration::seconds(1)).await.expect("marking delivered failed");
    let retry_at = start + Duration::minutes(1);
    store.mark_webhook_failed(&[claimed[1].id], "HTTP 500", Some(retry_at)).await.expect("marking failed failed");
    let statuses = store.report_webhook_status(report.id).await.expect("status failed");
    assert_eq!(statuses.len(), 2);
    assert_eq!((statuses[0].destination.as_str(), statuses[0].state), ("madi-main", OutboxState::Sent));
    assert_eq!(statuses[0].sent_at, Some(start + Duration::seconds(1)));
    assert_eq!((statuses[1].destination.as_str(), statuses[1].state), ("madi-reserve", OutboxState::Pending));
    assert_eq!(statuses[1].last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(store.pending_webhook_deliveries().await.expect("count failed"), 1);

    let retried = store.claim_webhook_deliveries(retry_at, retry_at + Duration::minutes(5), 10).await.expect("claim failed");
    assert_eq!(retried.len(), 1);
    assert_eq!((retried[0].attempts, retried[0].idempotency_key.as_str()), (2, claimed[1].idempotency_key.as_str()));
    store.mark_webhook_failed(&[retried[0].id], "HTTP 500", None).await.expect("marking failed failed");
    assert_eq!(store.report_webhook_status(report.id).await.expect("status failed")[1].state, OutboxState::Failed);
    assert_eq!(store.pending_webhook_deliveries().await.expect("count failed"), 0);

    // A destination removed from the configuration gets no delivery of later dispatches, and the
    // card shows the latest dispatch only.
    store.set_webhook_destinations(&destinations[..1]).await.expect("setting destinations failed");
    let later = start + Duration::hours(1);
    let mut info = change(&dispatched, moderator.id, Status::InfoRequested, later);
    info.status_before_info_request = Some(Status::Dispatched);
    let waiting = store.apply_status_change(&info).await.expect("info request failed");
    let mut answered = change(&waiting, author.id, Status::Dispatched, later);
    answered.webhook_payload = Some("{}".to_owned());
    store.apply_status_change(&answered).await.expect("answer failed");
    let statuses = store.report_webhook_status(report.id).await.expect("status failed");
    let latest: Vec<(&str, OutboxState)> = statuses.iter().map(|status| (status.destination.as_str(), status.state)).collect();
    assert_eq!(latest, [("madi-main", OutboxState::Pending)]);
}

async fn add_staff(store: &Arc<dyn Store>, email: &str, agency: &str, district: Option<&str>, supervisor: bool) -> User {
    let new_user = NewUser {
        email: email.to_owned(),
        password_hash: "hash".to_owned(),
        role: Role::Executor,
        agency: Some(agency.to_owned()),
        district: district.map(str::to_owned),
        confirmed: true,
        supervisor,
        created_at: utc("2026-01-15T12:00:00Z"),
    };
    store.create_user(&new_user).await.unwrap_or_else(|error| panic!("failed to create user {email}: {error}"))
}

async fn dialogue_messages_files_and_notifications(store: Arc<dyn Store>) {
    prepare(&store).await;
    let alice = add_user(&store, "alice@example.org", Role::Resident).await;
    let bob = add_user(&store, "bob@example.org", Role::Resident).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;
    let at = utc("2026-10-01T08:00:00Z");
    let report = create(&store, alice.id, at).await;
    let evidence = store.report_files(report.id).await.expect("files failed");
    assert!(evidence.is_empty());

    let photo = add_file(&store, alice.id, "answer-photo", at).await;
    let foreign = add_file(&store, bob.id, "bob-photo", at).await;
    let mut changes = subscribe_ready(&store).await;
    let message = store
        .create_message(&NewMessage {
            report_id: report.id,
            author_id: alice.id,
            author_role: Role::Resident,
            kind: MessageKind::Answer,
            text: "Прилагаю фото".to_owned(),
            file_ids: vec![photo.id, foreign.id],
            notify_user_ids: vec![moderator.id],
            at: at + Duration::hours(1),
        })
        .await
        .expect("message failed");
    assert_eq!(message.kind, MessageKind::Answer);
    assert_eq!(ids(&message.files), vec![photo.id], "only the author's own pending upload is attached");
    assert_eq!(next_change(&mut changes).await, Change::Report(report.id));

    let attached = store.file(photo.id).await.expect("file failed").expect("file missing");
    assert_eq!(attached.report_id, Some(report.id), "a message file belongs to the report, so its readers may download it");
    assert!(store.report_files(report.id).await.expect("files failed").is_empty(), "message files are not evidence");
    assert!(store.pending_files(bob.id, &[foreign.id]).await.expect("pending failed").len() == 1, "another person's upload stays pending");

    store
        .create_message(&NewMessage {
            report_id: report.id,
            author_id: moderator.id,
            author_role: Role::Moderator,
            kind: MessageKind::Message,
            text: "Спасибо, передали".to_owned(),
            file_ids: Vec::new(),
            notify_user_ids: vec![alice.id],
            at: at + Duration::hours(2),
        })
        .await
        .expect("message failed");
    let thread = store.report_messages(report.id).await.expect("thread failed");
    assert_eq!(thread.iter().map(|message| message.text.as_str()).collect::<Vec<_>>(), vec!["Прилагаю фото", "Спасибо, передали"]);
    assert_eq!(ids(&thread[0].files), vec![photo.id]);
    assert!(thread[1].files.is_empty());
    assert_eq!(thread[1].author_role, Role::Moderator);

    let for_moderator = store.notifications(&NotificationFilter::latest(moderator.id, 10)).await.expect("notifications failed");
    assert_eq!(for_moderator.len(), 1);
    assert_eq!(for_moderator[0].kind, NotificationKind::Message);
    assert_eq!(for_moderator[0].message_text.as_deref(), Some("Прилагаю фото"));
    let for_alice = store.notifications(&NotificationFilter::latest(alice.id, 10)).await.expect("notifications failed");
    assert_eq!(for_alice.iter().map(|notification| notification.kind).collect::<Vec<_>>(), vec![NotificationKind::Message, NotificationKind::Status]);

    store.set_delivery_channels(&["email"]).await.expect("channels failed");
    store
        .create_message(&NewMessage {
            report_id: report.id,
            author_id: moderator.id,
            author_role: Role::Moderator,
            kind: MessageKind::Message,
            text: "Уточните адрес".to_owned(),
            file_ids: Vec::new(),
            notify_user_ids: vec![alice.id],
            at: at + Duration::hours(3),
        })
        .await
        .expect("message failed");
    let deliveries = store.claim_deliveries("email", at + Duration::days(1), at + Duration::days(2), 10).await.expect("claim failed");
    assert_eq!(recipients(&deliveries), vec!["alice@example.org"], "the message is e-mailed through the outbox");
    assert_eq!(deliveries[0].notification.message_text.as_deref(), Some("Уточните адрес"));
}

async fn dialogue_executors_and_escalation(store: Arc<dyn Store>) {
    prepare(&store).await;
    let alice = add_user(&store, "alice@example.org", Role::Resident).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;
    let madi = add_staff(&store, "madi@example.org", "madi", None, false).await;
    let madi_chief = add_staff(&store, "chief@example.org", "madi", None, true).await;
    let madi_district = add_staff(&store, "basmanny@example.org", "madi", Some("basmanny"), false).await;
    let other_chief = add_staff(&store, "other-chief@example.org", "zhilishchnik", None, true).await;
    let at = utc("2026-10-01T08:00:00Z");

    let mut draft = report_draft(alice.id, at);
    draft.area = Some(tverskoy());
    let report = create_report_only(&store, &draft).await;
    assert!(store.report_executors(report.id).await.expect("executors failed").is_empty(), "no agency, no executors");
    let mut dispatch = change(&report, moderator.id, Status::Dispatched, at);
    dispatch.agency = Some("madi".to_owned());
    dispatch.dispatched_at = Some(at);
    dispatch.deadline_at = Some(at + Duration::days(10));
    let report = store.apply_status_change(&dispatch).await.expect("dispatch failed");
    let executors = store.report_executors(report.id).await.expect("executors failed");
    assert_eq!(executors, vec![madi.id, madi_chief.id], "the executor bound to another district is left out");
    assert!(!executors.contains(&madi_district.id));

    assert!(store.escalate_overdue(at + Duration::days(9)).await.expect("sweep failed").is_empty(), "not overdue yet");
    let escalated = store.escalate_overdue(at + Duration::days(11)).await.expect("sweep failed");
    assert_eq!(escalated, vec![Escalation { report_id: report.id, supervisor_id: madi_chief.id }]);
    assert!(store.escalate_overdue(at + Duration::days(12)).await.expect("sweep failed").is_empty(), "a later sweep does not repeat it");

    let chief = store.notifications(&NotificationFilter::latest(madi_chief.id, 10)).await.expect("notifications failed");
    assert_eq!(chief.len(), 1);
    assert_eq!(chief[0].kind, NotificationKind::Escalation);
    assert_eq!(chief[0].report_number, report.number);
    assert!(store.notifications(&NotificationFilter::latest(other_chief.id, 10)).await.expect("notifications failed").is_empty());
    assert!(store.notifications(&NotificationFilter::latest(madi.id, 10)).await.expect("notifications failed").is_empty());

    let resolved = store.apply_status_change(&change(&report, madi.id, Status::Resolved, at + Duration::days(13))).await.expect("resolve failed");
    assert_eq!(resolved.status, Status::Resolved);
    let late_chief = add_staff(&store, "late-chief@example.org", "madi", None, true).await;
    assert!(store.escalate_overdue(at + Duration::days(14)).await.expect("sweep failed").is_empty(), "a resolved report is not escalated");
    assert!(store.notifications(&NotificationFilter::latest(late_chief.id, 10)).await.expect("notifications failed").is_empty());
}

async fn owner_lookups_retry_then_complete(store: Arc<dyn Store>) {
    prepare(&store).await;
    let start = utc("2026-11-02T07:00:00Z");
    let author = add_user(&store, "author@example.org", Role::Resident).await;
    let with_plate = create(&store, author.id, start).await;
    let mut draft = report_draft(author.id, start);
    draft.fields = BTreeMap::new();
    let without_plate = create_report_only(&store, &draft).await;

    // Filing queues a lookup for the report with a plate only.
    let queued = store.owner_lookup(with_plate.id).await.expect("reading the lookup failed").expect("the report with a plate has a lookup");
    assert_eq!((queued.state, queued.attempts, queued.plate.as_str()), (OutboxState::Pending, 0, "А123ВС777"));
    assert_eq!(queued.owner, None);
    assert_eq!(store.owner_lookup(without_plate.id).await.expect("reading the lookup failed"), None);

    let claimed = store.claim_owner_lookups(start, start + Duration::minutes(5), 10).await.expect("claim failed");
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].report_id, claimed[0].attempts, claimed[0].plate.as_str()), (with_plate.id, 1, "А123ВС777"));
    let reserved = store.claim_owner_lookups(start + Duration::minutes(1), start + Duration::minutes(6), 10).await.expect("claim failed");
    assert!(reserved.is_empty(), "a lookup reserved by a worker was claimed again");

    let retry_at = start + Duration::minutes(1);
    store.mark_owner_lookup_failed(claimed[0].id, "vehicle registry unavailable", Some(retry_at)).await.expect("marking failed failed");
    let failed = store.owner_lookup(with_plate.id).await.expect("reading the lookup failed").expect("the lookup exists");
    assert_eq!((failed.state, failed.attempts), (OutboxState::Pending, 1));
    assert_eq!(failed.last_error.as_deref(), Some("vehicle registry unavailable"));
    assert!(store.claim_owner_lookups(retry_at - Duration::seconds(1), retry_at + Duration::minutes(5), 10).await.expect("claim failed").is_empty());

    let again = store.claim_owner_lookups(retry_at, retry_at + Duration::minutes(5), 10).await.expect("claim failed");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
    let owner = VehicleOwner { name: "Иванов Пётр Сергеевич".to_owned(), vehicle: Some("Лада Веста".to_owned()) };
    store.complete_owner_lookup(again[0].id, Some(&owner), retry_at + Duration::seconds(1)).await.expect("completing failed");
    let done = store.owner_lookup(with_plate.id).await.expect("reading the lookup failed").expect("the lookup exists");
    assert_eq!(done.state, OutboxState::Sent);
    assert_eq!(done.owner, Some(owner));
    assert_eq!(done.last_error, None);
    assert_eq!(done.completed_at, Some(retry_at + Duration::seconds(1)));
    assert!(store.claim_owner_lookups(retry_at + Duration::days(1), retry_at + Duration::days(2), 10).await.expect("claim failed").is_empty());

    // A plate the registry does not know completes without an owner, and a last failure is final.
    let second = create(&store, author.id, start + Duration::minutes(2)).await;
    let third = create(&store, author.id, start + Duration::minutes(3)).await;
    let claimed = store.claim_owner_lookups(start + Duration::minutes(4), start + Duration::minutes(9), 10).await.expect("claim failed");
    let ids: Vec<i64> = claimed.iter().map(|task| task.report_id).collect();
    assert_eq!(ids, [second.id, third.id]);
    store.complete_owner_lookup(claimed[0].id, None, start + Duration::minutes(4)).await.expect("completing failed");
    store.mark_owner_lookup_failed(claimed[1].id, "HTTP 401", None).await.expect("marking failed failed");
    let unknown = store.owner_lookup(second.id).await.expect("reading the lookup failed").expect("the lookup exists");
    assert_eq!((unknown.state, unknown.owner), (OutboxState::Sent, None));
    let given_up = store.owner_lookup(third.id).await.expect("reading the lookup failed").expect("the lookup exists");
    assert_eq!(given_up.state, OutboxState::Failed);
    assert!(store.claim_owner_lookups(start + Duration::days(1), start + Duration::days(2), 10).await.expect("claim failed").is_empty());
}

async fn search_matches_normalised_text(store: Arc<dyn Store>) {
    use pomoshnik_core::report_search::normalise_query;

    prepare(&store).await;
    let start = utc("2026-11-02T07:00:00Z");
    let author = add_user(&store, "author@example.org", Role::Resident).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;

    let mut draft = report_draft(author.id, start);
    draft.description = "Ёлка упала на тротуар".to_owned();
    draft.address = Some("Москва, Тверская улица, 7".to_owned());
    draft.fields = BTreeMap::from([("plate".to_owned(), "А123ВС77".to_owned())]);
    let tverskaya = create_report_only(&store, &draft).await;
    let mut draft = report_draft(author.id, start + Duration::minutes(1));
    draft.description = "Машина на газоне".to_owned();
    draft.address = Some("Москва, Мясницкая улица, 1".to_owned());
    draft.fields = BTreeMap::from([("plate".to_owned(), "В777ОР77".to_owned())]);
    let myasnitskaya = create_report_only(&store, &draft).await;
    let review = store.apply_status_change(&change(&tverskaya, moderator.id, Status::UnderReview, start)).await.expect("review failed");
    dispatch_to_madi(&store, &review, moderator.id, start).await;
    assert_eq!(store.fill_search_texts(100).await.expect("filling failed"), 0, "a new report was filed without its search text");

    let search = |query: &str, agency: Option<&str>| ReportSearch {
        query: normalise_query(query).expect("the query is not blank"),
        agency: agency.map(str::to_owned),
        district: None,
        before_id: None,
        limit: 10,
    };
    let cases: [(&str, Vec<i64>); 10] = [
        ("ТВЕРСКАЯ", vec![tverskaya.id]),
        ("тверская", vec![tverskaya.id]),
        ("елка", vec![tverskaya.id]),
        ("ЁЛКА", vec![tverskaya.id]),
        ("a123bc 77", vec![tverskaya.id]),
        ("а123вс77", vec![tverskaya.id]),
        ("в777ор77", vec![myasnitskaya.id]),
        (&myasnitskaya.number.to_string(), vec![myasnitskaya.id]),
        ("москва", vec![myasnitskaya.id, tverskaya.id]),
        ("набережная", vec![]),
    ];
    for (query, expected) in &cases {
        let found: Vec<i64> = store.search_reports(&search(query, None)).await.expect("search failed").iter().map(|report| report.id).collect();
        assert_eq!(&found, expected, "search for {query:?}");
    }

    let madi: Vec<i64> = store.search_reports(&search("москва", Some("madi"))).await.expect("search failed").iter().map(|report| report.id).collect();
    assert_eq!(madi, [tverskaya.id], "the agency filter keeps only madi's report");
    let oati = store.search_reports(&search("москва", Some("oati"))).await.expect("search failed");
    assert!(oati.is_empty(), "oati found madi's report");
    let mut in_district = search("москва", Some("madi"));
    in_district.district = Some("45375000".to_owned());
    assert!(store.search_reports(&in_district).await.expect("search failed").is_empty(), "a report without a district matched a district filter");
    let mut older = search("москва", None);
    older.before_id = Some(myasnitskaya.id);
    let older: Vec<i64> = store.search_reports(&older).await.expect("search failed").iter().map(|report| report.id).collect();
    assert_eq!(older, [tverskaya.id], "before_id pages to older reports");
}

async fn failed_webhooks_listed_and_retried(store: Arc<dyn Store>) {
    prepare(&store).await;
    store.set_webhook_destinations(&[destination("madi-main", "madi")]).await.expect("setting destinations failed");
    let start = utc("2026-11-02T07:00:00Z");
    let author = add_user(&store, "author@example.org", Role::Resident).await;
    let moderator = add_user(&store, "moderator@example.org", Role::Moderator).await;
    let report = create(&store, author.id, start).await;
    let review = store.apply_status_change(&change(&report, moderator.id, Status::UnderReview, start)).await.expect("review failed");
    dispatch_to_madi(&store, &review, moderator.id, start).await;

    let claimed = store.claim_webhook_deliveries(start, start + Duration::minutes(5), 10).await.expect("claim failed");
    assert!(store.failed_webhook_deliveries(10).await.expect("listing failed").is_empty(), "a pending delivery is listed as failed");
    store.mark_webhook_failed(&[claimed[0].id], "HTTP 500", None).await.expect("marking failed failed");
    let failed = store.failed_webhook_deliveries(10).await.expect("listing failed");
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].id, failed[0].destination.as_str(), failed[0].attempts), (claimed[0].id, "madi-main", 1));
    assert_eq!(failed[0].report_number, report.number);
    assert_eq!(failed[0].last_error, "HTTP 500");

    let retry_at = start + Duration::hours(1);
    assert_eq!(store.retry_failed_webhook_deliveries(&[failed[0].id], retry_at).await.expect("retry failed"), 1);
    assert_eq!(store.retry_failed_webhook_deliveries(&[failed[0].id], retry_at).await.expect("retry failed"), 0, "a pending delivery was retried again");
    assert!(store.failed_webhook_deliveries(10).await.expect("listing failed").is_empty());
    assert!(store.claim_webhook_deliveries(retry_at - Duration::seconds(1), retry_at, 10).await.expect("claim failed").is_empty(), "claimed before its new due time");
    let again = store.claim_webhook_deliveries(retry_at, retry_at + Duration::minutes(5), 10).await.expect("claim failed");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1, "the attempts were not reset");
}

async fn local_accounts_register_and_codes(store: Arc<dyn Store>) {
    prepare(&store).await;
    let at = utc("2026-11-02T07:00:00Z");
    let by_phone = NewRegistration { email: None, phone: Some("+79161234567".to_owned()), password_hash: "hash-1".to_owned(), created_at: at };
    let user = store.register_user(&by_phone).await.expect("registration failed");
    assert_eq!((user.email.as_str(), user.phone.as_deref(), user.confirmed, user.role), ("", Some("+79161234567"), false, Role::Resident));
    let again = store.register_user(&by_phone).await;
    assert!(matches!(again, Err(StoreError::Duplicate("phone"))), "{again:?}");
    // Two accounts without e-mail do not collide on the e-mail column.
    let other_phone = NewRegistration { phone: Some("+79031112233".to_owned()), ..by_phone.clone() };
    store.register_user(&other_phone).await.expect("second phone registration failed");
    let by_email = NewRegistration { email: Some("new@example.org".to_owned()), phone: None, password_hash: "hash-2".to_owned(), created_at: at };
    let mailed = store.register_user(&by_email).await.expect("e-mail registration failed");
    assert_eq!((mailed.email.as_str(), mailed.phone.as_deref()), ("new@example.org", None));
    assert!(matches!(store.register_user(&by_email).await, Err(StoreError::Duplicate("email"))));
    add_user(&store, "old@example.org", Role::Resident).await;

    let (found, hash) = store.user_by_phone("+79161234567").await.expect("lookup failed").expect("phone not found");
    assert_eq!((found.id, hash.as_str()), (user.id, "hash-1"));
    assert!(store.user_by_phone("+70000000000").await.expect("lookup failed").is_none());
    store.confirm_user(user.id).await.expect("confirm failed");
    store.set_password_hash(user.id, "hash-3").await.expect("password change failed");
    let (found, hash) = store.user_by_phone("+79161234567").await.expect("lookup failed").expect("phone not found");
    assert!(found.confirmed);
    assert_eq!(hash, "hash-3");
    assert!(matches!(store.set_password_hash(999_999, "x").await, Err(StoreError::NotFound)));

    let code = |hash: &str, minutes: i64| NewAccountCode {
        user_id: user.id,
        purpose: "confirm".to_owned(),
        code_hash: hash.to_owned(),
        created_at: at + Duration::minutes(minutes),
        expires_at: at + Duration::minutes(minutes + 10),
    };
    let first = store.create_account_code(&code("h1", 0)).await.expect("code failed");
    let second = store.create_account_code(&code("h2", 1)).await.expect("code failed");
    assert!(!store.use_account_code(first, at).await.expect("use failed"), "an older code still worked after a new one was sent");
    let latest: AccountCode = store.latest_account_code(user.id, "confirm").await.expect("lookup failed").expect("no code");
    assert_eq!((latest.id, latest.code_hash.as_str(), latest.attempts, latest.used_at), (second, "h2", 0, None));
    assert_eq!(latest.expires_at, at + Duration::minutes(11));
    assert!(store.latest_account_code(user.id, "reset").await.expect("lookup failed").is_none());
    assert_eq!(store.count_account_code_attempt(second).await.expect("attempt failed"), 1);
    assert_eq!(store.count_account_code_attempt(second).await.expect("attempt failed"), 2);
    assert!(store.use_account_code(second, at + Duration::minutes(2)).await.expect("use failed"));
    assert!(!store.use_account_code(second, at + Duration::minutes(3)).await.expect("use failed"), "a code was used twice");
    let used = store.latest_account_code(user.id, "confirm").await.expect("lookup failed").expect("no code");
    assert_eq!((used.attempts, used.used_at), (2, Some(at + Duration::minutes(2))));

    let session = |token: &str, user_id: i64| Session {
        token_hash: token.to_owned(),
        user_id,
        csrf_token: "csrf".to_owned(),
        created_at: at,
        expires_at: at + Duration::days(1),
    };
    store.create_session(&session("a", user.id)).await.expect("session failed");
    store.create_session(&session("b", user.id)).await.expect("session failed");
    store.create_session(&session("c", mailed.id)).await.expect("session failed");
    assert_eq!(store.delete_user_sessions(user.id).await.expect("delete failed"), 2);
    assert!(store.session("a", at).await.expect("session lookup failed").is_none());
    assert!(store.session("c", at).await.expect("session lookup failed").is_some(), "another person's session was deleted");
    assert_eq!(store.delete_user_sessions(user.id).await.expect("delete failed"), 0);

    let hashes = vec!["r1".to_owned(), "r2".to_owned()];
    store.set_two_factor(user.id, Some("SECRETBASE32"), &hashes).await.expect("2FA not turned on");
    assert!(store.user(user.id).await.expect("lookup failed").expect("no user").totp_enabled);
    assert!(!store.user(mailed.id).await.expect("lookup failed").expect("no user").totp_enabled);
    assert_eq!(store.totp_secret(user.id).await.expect("lookup failed").as_deref(), Some("SECRETBASE32"));
    assert!(store.accept_totp_step(user.id, 100).await.expect("step failed"));
    assert!(!store.accept_totp_step(user.id, 100).await.expect("step failed"), "a time step was accepted twice");
    assert!(!store.accept_totp_step(user.id, 99).await.expect("step failed"), "an older time step was accepted");
    assert!(store.accept_totp_step(user.id, 101).await.expect("step failed"));
    assert_eq!(store.unused_recovery_codes(user.id).await.expect("count failed"), 2);
    assert!(store.use_recovery_code(user.id, "r1", at).await.expect("use failed"));
    assert!(!store.use_recovery_code(user.id, "r1", at).await.expect("use failed"), "a recovery code was used twice");
    assert!(!store.use_recovery_code(mailed.id, "r2", at).await.expect("use failed"), "another person's recovery code worked");
    assert_eq!(store.unused_recovery_codes(user.id).await.expect("count failed"), 1);
    store.set_two_factor(user.id, None, &[]).await.expect("2FA not turned off");
    assert!(!store.user(user.id).await.expect("lookup failed").expect("no user").totp_enabled);
    assert_eq!(store.totp_secret(user.id).await.expect("lookup failed"), None);
    assert_eq!(store.unused_recovery_codes(user.id).await.expect("count failed"), 0);
}
