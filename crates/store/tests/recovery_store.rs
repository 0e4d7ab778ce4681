//! Store methods of account recovery on both backends: requests wait for review, approval and
//! refusal happen once and forget the scan, approval replaces the contact and the password, and
//! a password the person chooses ends the temporary one.

mod support;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use pomoshnik_core::catalog::Catalog;
use pomoshnik_core::role::Role;
use pomoshnik_store::{
    NewAccountCode, NewRecoveryRequest, NewRegistration, NewUser, RecoveryApproval, RecoveryState, Session, Store, StoreError, User,
};
use pomoshnik_test_support::on_both_backends;
use support::with_store;

on_both_backends!(with_store => recovery_request_approved_once);
on_both_backends!(with_store => recovery_request_refused_with_reason);
on_both_backends!(with_store => recovery_contact_taken_changes_nothing);

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap_or_else(|error| panic!("invalid test time {text:?}: {error}"))
}

async fn prepare(store: &Arc<dyn Store>) {
    store.migrate().await.expect("migration failed");
    store.load_catalog_if_empty(&Catalog::moscow_default()).await.expect("catalog load failed");
}

async fn add_moderator(store: &Arc<dyn Store>) -> User {
    let moderator = NewUser {
        email: "moderator@example.org".to_owned(),
        password_hash: "hash-of-moderator".to_owned(),
        role: Role::Moderator,
        agency: None,
        district: None,
        confirmed: true,
        supervisor: false,
        created_at: utc("2026-01-15T12:00:00Z"),
    };
    store.create_user(&moderator).await.expect("moderator not created")
}

async fn register(store: &Arc<dyn Store>, email: Option<&str>, phone: Option<&str>) -> User {
    let registration = NewRegistration { email: email.map(str::to_owned), phone: phone.map(str::to_owned), password_hash: "old-hash".to_owned(), created_at: utc("2026-11-01T08:00:00Z") };
    store.register_user(&registration).await.expect("registration failed")
}

fn request_of(user: &User, new_contact: &str, scan_key: &str, at: DateTime<Utc>) -> NewRecoveryRequest {
    NewRecoveryRequest {
        user_id: user.id,
        new_contact: new_contact.to_owned(),
        full_name: "Иванов Иван Иванович".to_owned(),
        scan_key: scan_key.to_owned(),
        scan_kind: "jpeg".to_owned(),
        created_at: at,
    }
}

async fn recovery_request_approved_once(store: Arc<dyn Store>) {
    prepare(&store).await;
    let moderator = add_moderator(&store).await;
    let resident = register(&store, Some("lost@example.org"), None).await;
    let at = utc("2026-12-01T09:00:00Z");

    let created = store.create_recovery_request(&request_of(&resident, "+79161234567", "originals/ab/scan", at)).await.expect("request not stored");
    assert_eq!(created.state, RecoveryState::Pending);
    assert_eq!(created.scan_key.as_deref(), Some("originals/ab/scan"));
    assert_eq!(created.created_at, at);
    assert_eq!(created.reviewer_id, None);
    assert!(store.storage_key_in_use("originals/ab/scan").await.expect("key check failed"), "a pending scan counts as unused content");
    assert_eq!(store.count_recovery_requests_since(resident.id, at).await.expect("count failed"), 1);
    assert_eq!(store.count_recovery_requests_since(resident.id, at + Duration::seconds(1)).await.expect("count failed"), 0);

    let pending = store.pending_recovery_requests(10).await.expect("queue not read");
    assert_eq!(pending.iter().map(|request| request.id).collect::<Vec<_>>(), vec![created.id]);

    let session = Session { token_hash: "token".to_owned(), user_id: resident.id, csrf_token: "csrf".to_owned(), created_at: at, expires_at: at + Duration::days(1) };
    store.create_session(&session).await.expect("session not created");
    let code = NewAccountCode { user_id: resident.id, purpose: "reset".to_owned(), code_hash: "h".to_owned(), created_at: at, expires_at: at + Duration::minutes(10) };
    let code_id = store.create_account_code(&code).await.expect("code not stored");

    let approval = RecoveryApproval { reviewer_id: moderator.id, at: at + Duration::hours(1), password_hash: "temporary-hash".to_owned(), expires_at: at + Duration::hours(73) };
    let approved = store.approve_recovery_request(created.id, &approval).await.expect("approval failed");
    assert_eq!(approved.state, RecoveryState::Approved);
    assert_eq!(approved.scan_key, None, "the approved request still refers to the scan");
    assert_eq!(approved.reviewer_id, Some(moderator.id));
    assert_eq!(approved.reviewed_at, Some(at + Duration::hours(1)));
    assert!(!store.storage_key_in_use("originals/ab/scan").await.expect("key check failed"));
    assert_eq!(store.recovery_request(created.id).await.expect("request not read"), Some(approved.clone()));
    assert!(store.pending_recovery_requests(10).await.expect("queue not read").is_empty());

    let (user, hash) = store.user_by_phone("+79161234567").await.expect("lookup failed").expect("the new phone is not the account's login");
    assert_eq!(user.id, resident.id);
    assert_eq!(hash, "temporary-hash");
    assert!(user.confirmed);
    assert_eq!(user.email, "", "the lost e-mail address is still the account's contact");
    assert!(store.user_by_email("lost@example.org").await.expect("lookup failed").is_none());
    assert!(store.session("token", at).await.expect("session lookup failed").is_none(), "a session survived the approval");
    assert!(!store.use_account_code(code_id, at).await.expect("code use failed"), "a code sent to the lost contact still works");
    assert_eq!(store.temporary_password_expiry(resident.id).await.expect("expiry not read"), Some(at + Duration::hours(73)));

    let again = store.approve_recovery_request(created.id, &approval).await;
    assert!(matches!(again, Err(StoreError::NotFound)), "a reviewed request was approved again: {again:?}");
    let refused = store.refuse_recovery_request(created.id, moderator.id, "повтор", at).await;
    assert!(matches!(refused, Err(StoreError::NotFound)), "an approved request was refused: {refused:?}");

    store.set_password_hash(resident.id, "chosen-hash").await.expect("password not set");
    assert_eq!(store.temporary_password_expiry(resident.id).await.expect("expiry not read"), None, "a chosen password is still temporary");
}

async fn recovery_request_refused_with_reason(store: Arc<dyn Store>) {
    prepare(&store).await;
    let moderator = add_moderator(&store).await;
    let resident = register(&store, None, Some("+79031112233")).await;
    let at = utc("2026-12-01T09:00:00Z");
    let first = store.create_recovery_request(&request_of(&resident, "new@example.org", "originals/cd/first", at)).await.expect("request not stored");
    let second = store.create_recovery_request(&request_of(&resident, "new@example.org", "originals/cd/second", at + Duration::minutes(1))).await.expect("request not stored");
    let oldest = store.pending_recovery_requests(1).await.expect("queue not read");
    assert_eq!(oldest.iter().map(|request| request.id).collect::<Vec<_>>(), vec![first.id], "the queue does not start with the oldest request");

    let refused = store.refuse_recovery_request(first.id, moderator.id, "Скан нечитаем", at + Duration::hours(2)).await.expect("refusal failed");
    assert_eq!(refused.state, RecoveryState::Refused);
    assert_eq!(refused.refusal_reason.as_deref(), Some("Скан нечитаем"));
    assert_eq!(refused.scan_key, None);
    assert_eq!(refused.scan_kind, None);
    assert_eq!(refused.reviewer_id, Some(moderator.id));
    assert!(!store.storage_key_in_use("originals/cd/first").await.expect("key check failed"));
    assert!(store.storage_key_in_use("originals/cd/second").await.expect("key check failed"));

    let (user, hash) = store.user_by_phone("+79031112233").await.expect("lookup failed").expect("a refusal changed the login");
    assert_eq!(hash, "old-hash", "a refusal changed the password");
    assert!(!user.confirmed);
    assert_eq!(store.temporary_password_expiry(resident.id).await.expect("expiry not read"), None);
    assert_eq!(store.pending_recovery_requests(10).await.expect("queue not read").iter().map(|request| request.id).collect::<Vec<_>>(), vec![second.id]);
    assert!(store.recovery_request(999_999).await.expect("lookup failed").is_none());
}

async fn recovery_contact_taken_changes_nothing(store: Arc<dyn Store>) {
    prepare(&store).await;
    let moderator = add_moderator(&store).await;
    let resident = register(&store, Some("lost@example.org"), None).await;
    register(&store, None, Some("+79161234567")).await;
    let at = utc("2026-12-01T09:00:00Z");
    let request = store.create_recovery_request(&request_of(&resident, "+79161234567", "originals/ef/scan", at)).await.expect("request not stored");

    let approval = RecoveryApproval { reviewer_id: moderator.id, at, password_hash: "temporary-hash".to_owned(), expires_at: at + Duration::hours(72) };
    let outcome = store.approve_recovery_request(request.id, &approval).await;
    assert!(matches!(outcome, Err(StoreError::Duplicate("phone"))), "{outcome:?}");

    let unchanged = store.recovery_request(request.id).await.expect("lookup failed").expect("request gone");
    assert_eq!(unchanged.state, RecoveryState::Pending, "the failed approval was kept");
    assert_eq!(unchanged.scan_key.as_deref(), Some("originals/ef/scan"));
    let (_, hash) = store.user_by_email("lost@example.org").await.expect("lookup failed").expect("the account lost its e-mail");
    assert_eq!(hash, "old-hash");
    assert_eq!(store.temporary_password_expiry(resident.id).await.expect("expiry not read"), None);
}
