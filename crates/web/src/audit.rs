//! The audit log: sign-ins, role and catalog changes and staff actions, appended as they happen
//! and read by administrators. Details name objects by id or code, never by personal data.

use chrono::Utc;
use pomoshnik_store::{NewAuditEntry, Store};

/// Appends an entry stamped with the current time. The action is a dotted code such as
/// `sign_in.success`, and the object names what it happened to, such as `user:42`.
pub async fn record(store: &dyn Store, actor_id: Option<i64>, action: &str, object: impl Into<String>, details: impl Into<String>) -> pomoshnik_store::Result<()> {
    let entry = NewAuditEntry { at: Utc::now(), actor_id, action: action.to_owned(), object: object.into(), details: details.into() };
    store.record_audit(&entry).await?;
    Ok(())
}
