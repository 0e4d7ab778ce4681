//! The store implementation shared by both backends.
//!
//! sqlx has no backend-neutral executor that keeps native types (its `Any` driver loses them), and
//! generic code over `sqlx::Database` needs bounds longer than the queries. Since SQLite and
//! PostgreSQL both accept `$N` parameters, `RETURNING` and `ON CONFLICT`, this macro instantiates
//! one body of SQL for each backend's pool. What differs (connection set-up, migrations, how a
//! write transaction starts) lives in `sqlite.rs` and `postgres.rs` as `open_write` and
//! `run_migrations`.

macro_rules! report_columns {
    () => {
        "reports.id, reports.year, reports.sequence, reports.author_id, reports.category_code, reports.category_name, \
         reports.deadline_working_days, reports.agency_code, reports.status, reports.status_before_info_request, \
         reports.decision, reports.rejection_reason, reports.latitude, reports.longitude, reports.address, \
         reports.occurred_at, reports.description, reports.fields, reports.created_at, reports.updated_at, \
         reports.dispatched_at, reports.resolved_at, reports.deadline_at, reports.version, reports.district_code, \
         reports.district_name, reports.okrug_code, reports.okrug_name, reports.h3_cell, reports.duplicate_of_id"
    };
}

macro_rules! event_columns {
    () => {
        "report_events.id, report_events.report_id, report_events.actor_id, report_events.actor_role, \
         report_events.from_status, report_events.to_status, report_events.comment, report_events.decision, \
         report_events.rejection_reason, report_events.agency_code, report_events.created_at"
    };
}

macro_rules! user_columns {
    () => {
        "users.id, COALESCE(users.email, '') AS email, users.phone, users.role, users.agency_code, users.district_code, users.confirmed, users.disabled, \
         users.supervisor, users.created_at, (users.totp_secret IS NOT NULL) AS totp_enabled"
    };
}

macro_rules! file_columns {
    () => {
        "id, owner_id, report_id, storage_key, sha256, size, kind, original_name, created_at, gps_latitude, gps_longitude, \
         taken_at, has_preview"
    };
}

macro_rules! recovery_columns {
    () => {
        "id, user_id, new_contact, full_name, scan_key, scan_kind, state, created_at, reviewer_id, reviewed_at, refusal_reason"
    };
}

pub(crate) use {event_columns, file_columns, recovery_columns, report_columns, user_columns};

macro_rules! impl_store {
    ($store:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> $crate::Backend {
                $backend
            }

            async fn migrate(&self) -> $crate::Result<()> {
                self.run_migrations().await
            }

            async fn ping(&self) -> $crate::Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn load_catalog_if_empty(&self, catalog: &pomoshnik_core::catalog::Catalog) -> $crate::Result<bool> {
                let mut transaction = self.open_write().await?;
                let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM categories").fetch_one(&mut *transaction).await?;
                if count > 0 {
                    return Ok(false);
                }

                for (position, group) in catalog.groups.iter().enumerate() {
                    sqlx::query("INSERT INTO category_groups (code, name, position) VALUES ($1, $2, $3)")
                        .bind(&group.code)
                        .bind(&group.name)
                        .bind(position as i64)
                        .execute(&mut *transaction)
                        .await?;
                }
                for (position, agency) in catalog.agencies.iter().enumerate() {
                    sqlx::query("INSERT INTO agencies (code, name, short_name, position, by_district) VALUES ($1, $2, $3, $4, $5)")
                        .bind(&agency.code)
                        .bind(&agency.name)
                        .bind(&agency.short_name)
                        .bind(position as i64)
                        .bind(agency.by_district)
                        .execute(&mut *transaction)
                        .await?;
                }
                for (position, category) in catalog.categories.iter().enumerate() {
                    let definition = serde_json::to_string(category).map_err(|error| $crate::StoreError::Corrupt(error.to_string()))?;
                    sqlx::query("INSERT INTO categories (code, group_code, agency_code, position, definition) VALUES ($1, $2, $3, $4, $5)")
                        .bind(&category.code)
                        .bind(&category.group)
                        .bind(&category.agency)
                        .bind(position as i64)
                        .bind(definition)
                        .execute(&mut *transaction)
                        .await?;
                }

                transaction.commit().await?;
                Ok(true)
            }

            async fn catalog(&self) -> $crate::Result<pomoshnik_core::catalog::Catalog> {
                use pomoshnik_core::catalog::{Agency, Category, Group};

                let groups: Vec<(String, String)> = sqlx::query_as("SELECT code, name FROM category_groups ORDER BY position").fetch_all(&self.pool).await?;
                let agencies: Vec<(String, String, String, bool)> =
                    sqlx::query_as("SELECT code, name, short_name, by_district FROM agencies ORDER BY position").fetch_all(&self.pool).await?;
                let definitions: Vec<(String,)> = sqlx::query_as("SELECT definition FROM categories ORDER BY position").fetch_all(&self.pool).await?;

                let mut categories = Vec::with_capacity(definitions.len());
                for (definition,) in definitions {
                    let category: Category = serde_json::from_str(&definition).map_err(|error| $crate::StoreError::Corrupt(format!("category definition: {error}")))?;
                    categories.push(category);
                }

                Ok(pomoshnik_core::catalog::Catalog {
                    groups: groups.into_iter().map(|(code, name)| Group { code, name }).collect(),
                    agencies: agencies.into_iter().map(|(code, name, short_name, by_district)| Agency { code, name, short_name, by_district }).collect(),
                    categories,
                })
            }

            async fn create_user(&self, user: &$crate::NewUser) -> $crate::Result<$crate::User> {
                let mut connection = self.pool.acquire().await?;
                insert_user(&mut *connection, user).await
            }

            async fn user(&self, id: i64) -> $crate::Result<Option<$crate::User>> {
                let row: Option<$crate::rows::UserRow> = sqlx::query_as(concat!("SELECT ", $crate::shared::user_columns!(), " FROM users WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map($crate::rows::UserRow::into_user).transpose()
            }

            async fn user_by_email(&self, email: &str) -> $crate::Result<Option<($crate::User, String)>> {
                let row: Option<$crate::rows::UserWithPasswordRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    $crate::shared::user_columns!(),
                    ", users.password_hash FROM users WHERE email = $1"
                ))
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|row| Ok((row.user.into_user()?, row.password_hash))).transpose()
            }

            async fn create_session(&self, session: &$crate::Session) -> $crate::Result<()> {
                sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&session.token_hash)
                    .bind(session.user_id)
                    .bind(&session.csrf_token)
                    .bind($crate::rows::to_millis(session.created_at))
                    .bind($crate::rows::to_millis(session.expires_at))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn session(&self, token_hash: &str, now: chrono::DateTime<chrono::Utc>) -> $crate::Result<Option<($crate::Session, $crate::User)>> {
                let row: Option<$crate::rows::SessionUserRow> = sqlx::query_as(concat!(
                    "SELECT sessions.token_hash, sessions.user_id, sessions.csrf_token, sessions.created_at AS session_created_at, \
                     sessions.expires_at, ",
                    $crate::shared::user_columns!(),
                    " FROM sessions JOIN users ON users.id = sessions.user_id \
                     WHERE sessions.token_hash = $1 AND sessions.expires_at > $2 AND NOT users.disabled"
                ))
                .bind(token_hash)
                .bind($crate::rows::to_millis(now))
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::rows::SessionUserRow::into_parts).transpose()
            }

            async fn delete_session(&self, token_hash: &str) -> $crate::Result<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
                Ok(())
            }

            async fn add_file(&self, file: &$crate::NewFile) -> $crate::Result<$crate::FileRecord> {
                let row: $crate::rows::FileRow = sqlx::query_as(concat!(
                    "INSERT INTO files (owner_id, storage_key, sha256, size, kind, original_name, created_at, gps_latitude, \
                     gps_longitude, taken_at, has_preview) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ",
                    $crate::shared::file_columns!()
                ))
                .bind(file.owner_id)
                .bind(&file.storage_key)
                .bind(&file.sha256)
                .bind(file.size)
                .bind(&file.kind)
                .bind(&file.original_name)
                .bind($crate::rows::to_millis(file.created_at))
                .bind(file.metadata.gps_latitude)
                .bind(file.metadata.gps_longitude)
                .bind(file.metadata.taken_at.map($crate::rows::to_millis))
                .bind(file.metadata.has_preview)
                .fetch_one(&self.pool)
                .await?;
                row.into_file()
            }

            async fn file(&self, id: i64) -> $crate::Result<Option<$crate::FileRecord>> {
                let row: Option<$crate::rows::FileRow> = sqlx::query_as(concat!("SELECT ", $crate::shared::file_columns!(), " FROM files WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map($crate::rows::FileRow::into_file).transpose()
            }

            async fn pending_files(&self, owner_id: i64, ids: &[i64]) -> $crate::Result<Vec<$crate::FileRecord>> {
                let mut files = Vec::with_capacity(ids.len());
                for id in ids {
                    let row: Option<$crate::rows::FileRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        $crate::shared::file_columns!(),
                        " FROM files WHERE id = $1 AND owner_id = $2 AND report_id IS NULL"
                    ))
                    .bind(id)
                    .bind(owner_id)
                    .fetch_optional(&self.pool)
                    .await?;
                    if let Some(row) = row {
                        files.push(row.into_file()?);
                    }
                }
                Ok(files)
            }

            async fn report_files(&self, report_id: i64) -> $crate::Result<Vec<$crate::FileRecord>> {
                let rows: Vec<$crate::rows::FileRow> =
                    sqlx::query_as(concat!("SELECT ", $crate::shared::file_columns!(), " FROM files WHERE report_id = $1 AND message_id IS NULL ORDER BY id"))
                        .bind(report_id)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter().map($crate::rows::FileRow::into_file).collect()
            }

            async fn delete_pending_files(&self, before: chrono::DateTime<chrono::Utc>) -> $crate::Result<Vec<String>> {
                let mut transaction = self.open_write().await?;
                let keys: Vec<(String,)> = sqlx::query_as("DELETE FROM files WHERE report_id IS NULL AND created_at < $1 RETURNING storage_key")
                    .bind($crate::rows::to_millis(before))
                    .fetch_all(&mut *transaction)
                    .await?;
                transaction.commit().await?;
                Ok(keys.into_iter().map(|(key,)| key).collect())
            }

            async fn delete_pending_files_by_id(&self, owner_id: i64, ids: &[i64]) -> $crate::Result<()> {
                for id in ids {
                    sqlx::query("DELETE FROM files WHERE id = $1 AND owner_id = $2 AND report_id IS NULL")
                        .bind(*id)
                        .bind(owner_id)
                        .execute(&self.pool)
                        .await?;
                }
                Ok(())
            }

            async fn reports_sharing_file(&self, sha256: &str, except_report_id: i64) -> $crate::Result<Vec<pomoshnik_core::number::ReportNumber>> {
                let rows: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT DISTINCT reports.year, reports.sequence FROM files JOIN reports ON reports.id = files.report_id \
                     WHERE files.sha256 = $1 AND files.report_id <> $2 ORDER BY reports.year, reports.sequence LIMIT 20",
                )
                .bind(sha256)
                .bind(except_report_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(year, sequence)| pomoshnik_core::number::ReportNumber::new(year as i32, sequence)).collect())
            }

            async fn storage_key_in_use(&self, storage_key: &str) -> $crate::Result<bool> {
                let found: Option<(i64,)> = sqlx::query_as(
                    "SELECT id FROM files WHERE storage_key = $1 UNION ALL SELECT id FROM recovery_requests WHERE scan_key = $1 LIMIT 1",
                )
                .bind(storage_key)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(found.is_some())
            }

            async fn create_report(&self, report: &$crate::NewReport) -> $crate::Result<$crate::Created> {
                if let Some(existing) = self.report_by_idempotency_key(report).await? {
                    return Ok($crate::Created::Existing(existing));
                }

                match self.insert_report(report).await {
                    Err($crate::StoreError::Duplicate("idempotency key")) => match self.report_by_idempotency_key(report).await? {
                        Some(existing) => Ok($crate::Created::Existing(existing)),
                        None => Err($crate::StoreError::Conflict),
                    },
                    other => other.map($crate::Created::New),
                }
            }

            async fn report(&self, number: &pomoshnik_core::number::ReportNumber) -> $crate::Result<Option<$crate::Report>> {
                let row: Option<$crate::rows::ReportRow> =
                    sqlx::query_as(concat!("SELECT ", $crate::shared::report_columns!(), " FROM reports WHERE year = $1 AND sequence = $2"))
                        .bind(i64::from(number.year))
                        .bind(number.sequence)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map($crate::rows::ReportRow::into_report).transpose()
            }

            async fn reports(&self, page: &$crate::ReportPage) -> $crate::Result<Vec<$crate::Report>> {
                let before_id = page.before_id.unwrap_or(i64::MAX);
                if let $crate::ReportQueue::AgencyDistrict { agency, district } = &page.queue {
                    let rows: Vec<$crate::rows::ReportRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        $crate::shared::report_columns!(),
                        " FROM reports WHERE agency_code = $1 AND district_code = $2 AND id < $3 ORDER BY id DESC LIMIT $4"
                    ))
                    .bind(agency)
                    .bind(district)
                    .bind(before_id)
                    .bind(page.limit)
                    .fetch_all(&self.pool)
                    .await?;
                    return rows.into_iter().map($crate::rows::ReportRow::into_report).collect();
                }
                let query = match &page.queue {
                    // Each branch of the union uses its own index; an `OR` across both tables
                    // would read every report.
                    $crate::ReportQueue::Author(author_id) => sqlx::query_as(concat!(
                        "SELECT ",
                        $crate::shared::report_columns!(),
                        " FROM reports WHERE author_id = $1 AND id < $2 UNION ALL SELECT ",
                        $crate::shared::report_columns!(),
                        " FROM report_followers JOIN reports ON reports.id = report_followers.report_id \
                         WHERE report_followers.user_id = $1 AND reports.id < $2 ORDER BY id DESC LIMIT $3"
                    ))
                    .bind(*author_id),
                    $crate::ReportQueue::Agency(agency) => sqlx::query_as(concat!(
                        "SELECT ",
                        $crate::shared::report_columns!(),
                        " FROM reports WHERE agency_code = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
                    ))
                    .bind(agency.clone()),
                    $crate::ReportQueue::AgencyDistrict { .. } => unreachable!("handled above"),
                    $crate::ReportQueue::Moderation => sqlx::query_as(concat!(
                        "SELECT ",
                        $crate::shared::report_columns!(),
                        " FROM reports WHERE status IN ($1, 'under_review') AND id < $2 ORDER BY id DESC LIMIT $3"
                    ))
                    .bind("accepted".to_owned()),
                    $crate::ReportQueue::All => sqlx::query_as(concat!(
                        "SELECT ",
                        $crate::shared::report_columns!(),
                        " FROM reports WHERE $1 = 1 AND id < $2 ORDER BY id DESC LIMIT $3"
                    ))
                    .bind(1_i64),
                };
                let rows: Vec<$crate::rows::ReportRow> = query.bind(before_id).bind(page.limit).fetch_all(&self.pool).await?;
                rows.into_iter().map($crate::rows::ReportRow::into_report).collect()
            }

            async fn map_points_changed_since(&self, since: chrono::DateTime<chrono::Utc>) -> $crate::Result<Vec<$crate::MapPoint>> {
                let rows: Vec<$crate::rows::MapPointRow> = sqlx::query_as(
                    "SELECT id, year, sequence, category_code, category_name, status, latitude, longitude, created_at, updated_at, \
                     district_name FROM reports WHERE updated_at >= $1",
                )
                .bind($crate::rows::to_millis(since))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map($crate::rows::MapPointRow::into_point).collect()
            }

            async fn nearby_reports(&self, query: &$crate::NearbyQuery) -> $crate::Result<Vec<$crate::Report>> {
                let mut found = Vec::new();
                for chunk in query.cells.chunks($crate::shared::NEARBY_CELL_PARAMETERS) {
                    // Unused parameters get 0, which is never a valid H3 index.
                    let mut cells = [0_i64; $crate::shared::NEARBY_CELL_PARAMETERS];
                    cells[..chunk.len()].copy_from_slice(chunk);

                    let mut select = sqlx::query_as(concat!(
                        "SELECT ",
                        $crate::shared::report_columns!(),
                        " FROM reports WHERE category_code = $1 AND created_at >= $2 \
                         AND status NOT IN ('resolved', 'rejected', 'closed') \
                         AND h3_cell IN ($3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
                         ORDER BY id DESC LIMIT $22"
                    ))
                    .bind(&query.category_code)
                    .bind($crate::rows::to_millis(query.since));
                    for cell in cells {
                        select = select.bind(cell);
                    }
                    let rows: Vec<$crate::rows::ReportRow> = select.bind(query.limit).fetch_all(&self.pool).await?;
                    for row in rows {
                        found.push(row.into_report()?);
                    }
                }
                Ok($crate::shared::newest_first(found, query.limit))
            }

            async fn report_events(&self, report_id: i64) -> $crate::Result<Vec<$crate::ReportEvent>> {
                let rows: Vec<$crate::rows::EventRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    $crate::shared::event_columns!(),
                    " FROM report_events WHERE report_id = $1 ORDER BY id"
                ))
                .bind(report_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map($crate::rows::EventRow::into_event).collect()
            }

            async fn apply_status_change(&self, change: &$crate::StatusChange) -> $crate::Result<$crate::Report> {
                use $crate::rows::to_millis;

                let mut transaction = self.open_write().await?;
                let updated: Option<$crate::rows::ReportRow> = sqlx::query_as(concat!(
                    "UPDATE reports SET status = $1, agency_code = $2, status_before_info_request = $3, decision = $4, \
                     rejection_reason = $5, dispatched_at = $6, resolved_at = $7, deadline_at = $8, updated_at = $9, \
                     duplicate_of_id = COALESCE($13, duplicate_of_id), version = version + 1 \
                     WHERE id = $10 AND version = $11 AND status = $12 RETURNING ",
                    $crate::shared::report_columns!()
                ))
                .bind(change.to.code())
                .bind(&change.agency)
                .bind(change.status_before_info_request.map(|status| status.code()))
                .bind(change.decision.map(|decision| decision.code()))
                .bind(change.rejection_reason.map(|reason| reason.code()))
                .bind(change.dispatched_at.map(to_millis))
                .bind(change.resolved_at.map(to_millis))
                .bind(change.deadline_at.map(to_millis))
                .bind(to_millis(change.at))
                .bind(change.report_id)
                .bind(change.expected_version)
                .bind(change.from.code())
                .bind(change.duplicate_of_id)
                .fetch_optional(&mut *transaction)
                .await?;
                let Some(updated) = updated else {
                    return Err($crate::StoreError::Conflict);
                };
                let updated = updated.into_report()?;
                if let Some(original_id) = change.duplicate_of_id {
                    insert_follower(&mut *transaction, original_id, updated.author_id, change.at).await?;
                }

                let event_id = insert_event(
                    &mut *transaction,
                    change.report_id,
                    Some(change.actor_id),
                    change.actor_role,
                    Some(change.from),
                    change,
                )
                .await?;
                for user_id in &change.notify_user_ids {
                    insert_notification(&mut *transaction, *user_id, change.report_id, event_id, change.at).await?;
                }
                if let (Some(payload), Some(agency)) = (&change.webhook_payload, &change.agency) {
                    insert_webhook_deliveries(&mut *transaction, change.report_id, event_id, agency, payload, change.at).await?;
                }

                let mut changes = vec![$crate::Change::Report(change.report_id)];
                changes.extend(change.notify_user_ids.iter().map(|user_id| $crate::Change::Notifications(*user_id)));
                self.announce(&mut transaction, &changes).await?;
                transaction.commit().await?;
                self.announced(&changes);
                Ok(updated)
            }

            async fn report_by_id(&self, id: i64) -> $crate::Result<Option<$crate::Report>> {
                let row: Option<$crate::rows::ReportRow> =
                    sqlx::query_as(concat!("SELECT ", $crate::shared::report_columns!(), " FROM reports WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map($crate::rows::ReportRow::into_report).transpose()
            }

            async fn add_follower(&self, report_id: i64, user_id: i64, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<bool> {
                let mut transaction = self.open_write().await?;
                let added = insert_follower(&mut *transaction, report_id, user_id, at).await?;
                transaction.commit().await?;
                Ok(added)
            }

            async fn is_follower(&self, report_id: i64, user_id: i64) -> $crate::Result<bool> {
                let found: Option<(i64,)> = sqlx::query_as("SELECT report_id FROM report_followers WHERE report_id = $1 AND user_id = $2")
                    .bind(report_id)
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(found.is_some())
            }

            async fn report_followers(&self, report_id: i64) -> $crate::Result<Vec<i64>> {
                let rows: Vec<(i64,)> = sqlx::query_as("SELECT user_id FROM report_followers WHERE report_id = $1 ORDER BY user_id")
                    .bind(report_id)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|(user_id,)| user_id).collect())
            }

            async fn optimize(&self) -> $crate::Result<()> {
                self.run_optimize().await
            }

            async fn notifications(&self, filter: &$crate::NotificationFilter) -> $crate::Result<Vec<$crate::Notification>> {
                let rows: Vec<$crate::rows::NotificationRow> = sqlx::query_as(concat!(
                    "SELECT notifications.id AS notification_id, notifications.user_id, reports.year, reports.sequence, \
                     reports.category_code, reports.category_name, notifications.created_at AS notification_created_at, \
                     notifications.read_at, notifications.kind AS notification_kind, report_messages.text AS message_text, ",
                    $crate::shared::event_columns!(),
                    " FROM notifications \
                     JOIN report_events ON report_events.id = notifications.event_id \
                     LEFT JOIN report_messages ON report_messages.id = notifications.message_id \
                     JOIN reports ON reports.id = notifications.report_id \
                     WHERE notifications.user_id = $1 \
                     AND ($2 IS NULL OR notifications.created_at >= $2) AND ($3 IS NULL OR notifications.created_at < $3) \
                     AND ($4 IS NULL OR report_events.to_status = $4) AND ($5 IS NULL OR reports.category_code = $5) \
                     AND ($6 = 0 OR notifications.read_at IS NULL) \
                     ORDER BY notifications.id DESC LIMIT $7"
                ))
                .bind(filter.user_id)
                .bind(filter.since.map($crate::rows::to_millis))
                .bind(filter.until.map($crate::rows::to_millis))
                .bind(filter.status.map(|status| status.code()))
                .bind(filter.category_code.as_deref())
                .bind(i64::from(filter.unread_only))
                .bind(filter.limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map($crate::rows::NotificationRow::into_notification).collect()
            }

            async fn unread_notifications(&self, user_id: i64) -> $crate::Result<i64> {
                let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
                    .bind(user_id)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(count)
            }

            async fn mark_notifications_read(&self, user_id: i64, report_id: i64, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<()> {
                let mut transaction = self.open_write().await?;
                let marked = sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND report_id = $3 AND read_at IS NULL")
                    .bind($crate::rows::to_millis(at))
                    .bind(user_id)
                    .bind(report_id)
                    .execute(&mut *transaction)
                    .await?;
                let changes = if marked.rows_affected() > 0 { vec![$crate::Change::Notifications(user_id)] } else { Vec::new() };
                self.announce(&mut transaction, &changes).await?;
                transaction.commit().await?;
                self.announced(&changes);
                Ok(())
            }

            fn subscribe_changes(&self) -> tokio::sync::broadcast::Receiver<$crate::Change> {
                self.subscribe()
            }

            async fn hit_rate_limit(
                &self,
                key: &str,
                now: chrono::DateTime<chrono::Utc>,
                window: chrono::Duration,
            ) -> $crate::Result<$crate::RateWindow> {
                use $crate::rows::to_millis;

                // One statement, so the row lock (PostgreSQL) or the write lock (SQLite) makes
                // concurrent hits on any node count one after another.
                let mut transaction = self.open_write().await?;
                let (window_start, count): (i64, i64) = sqlx::query_as(
                    "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1) \
                     ON CONFLICT (key) DO UPDATE SET \
                     count = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.count + 1 END, \
                     window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END \
                     RETURNING window_start, count",
                )
                .bind(key)
                .bind(to_millis(now))
                .bind(to_millis(now - window))
                .fetch_one(&mut *transaction)
                .await?;
                transaction.commit().await?;
                Ok($crate::RateWindow { window_start: $crate::rows::from_millis(window_start)?, count })
            }

            async fn rate_limit(
                &self,
                key: &str,
                now: chrono::DateTime<chrono::Utc>,
                window: chrono::Duration,
            ) -> $crate::Result<Option<$crate::RateWindow>> {
                let row: Option<(i64, i64)> = sqlx::query_as("SELECT window_start, count FROM rate_limits WHERE key = $1 AND window_start > $2")
                    .bind(key)
                    .bind($crate::rows::to_millis(now - window))
                    .fetch_optional(&self.pool)
                    .await?;
                match row {
                    Some((window_start, count)) => Ok(Some($crate::RateWindow { window_start: $crate::rows::from_millis(window_start)?, count })),
                    None => Ok(None),
                }
            }

            async fn clear_rate_limit(&self, key: &str) -> $crate::Result<()> {
                sqlx::query("DELETE FROM rate_limits WHERE key = $1").bind(key).execute(&self.pool).await?;
                Ok(())
            }

            async fn delete_rate_limits_before(&self, before: chrono::DateTime<chrono::Utc>) -> $crate::Result<u64> {
                let deleted = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
                    .bind($crate::rows::to_millis(before))
                    .execute(&self.pool)
                    .await?;
                Ok(deleted.rows_affected())
            }

            async fn mark_all_notifications_read(&self, user_id: i64, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<u64> {
                let result = sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
                    .bind($crate::rows::to_millis(at))
                    .bind(user_id)
                    .execute(&self.pool)
                    .await?;
                Ok(result.rows_affected())
            }

            async fn create_api_key(&self, key: &$crate::NewApiKey) -> $crate::Result<($crate::ApiKey, $crate::User)> {
                let mut transaction = self.open_write().await?;
                let user = insert_user(&mut *transaction, &key.account).await?;

                let row: $crate::rows::ApiKeyRow = sqlx::query_as(concat!(
                    "INSERT INTO api_keys (name, key_hash, user_id, created_at) VALUES ($1, $2, $3, $4) RETURNING ",
                    $crate::shared::api_key_columns!()
                ))
                .bind(&key.name)
                .bind(&key.key_hash)
                .bind(user.id)
                .bind($crate::rows::to_millis(key.created_at))
                .fetch_one(&mut *transaction)
                .await
                .map_err(|error| match error {
                    // The name is the only unique column a caller chooses; a repeated hash of a
                    // random 256-bit key does not happen in practice.
                    sqlx::Error::Database(ref database) if database.is_unique_violation() => $crate::StoreError::Duplicate("api key name"),
                    other => other.into(),
                })?;

                transaction.commit().await?;
                Ok((row.into_api_key()?, user))
            }

            async fn api_key_by_hash(&self, key_hash: &str) -> $crate::Result<Option<($crate::ApiKey, $crate::User)>> {
                let row: Option<$crate::rows::ApiKeyUserRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    $crate::shared::api_key_columns!(),
                    ", ",
                    $crate::shared::user_columns!(),
                    " FROM api_keys JOIN users ON users.id = api_keys.user_id WHERE api_keys.key_hash = $1"
                ))
                .bind(key_hash)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::rows::ApiKeyUserRow::into_parts).transpose()
            }

            async fn list_api_keys(&self) -> $crate::Result<Vec<$crate::ApiKey>> {
                let rows: Vec<$crate::rows::ApiKeyRow> =
                    sqlx::query_as(concat!("SELECT ", $crate::shared::api_key_columns!(), " FROM api_keys ORDER BY api_keys.id"))
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter().map($crate::rows::ApiKeyRow::into_api_key).collect()
            }

            async fn revoke_api_key(&self, name: &str, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<$crate::ApiKey> {
                let revoked: Option<$crate::rows::ApiKeyRow> = sqlx::query_as(concat!(
                    "UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL RETURNING ",
                    $crate::shared::api_key_columns!()
                ))
                .bind($crate::rows::to_millis(at))
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
                if let Some(row) = revoked {
                    return row.into_api_key();
                }

                let earlier: Option<$crate::rows::ApiKeyRow> =
                    sqlx::query_as(concat!("SELECT ", $crate::shared::api_key_columns!(), " FROM api_keys WHERE name = $1"))
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await?;
                earlier.ok_or($crate::StoreError::NotFound)?.into_api_key()
            }

            async fn reports_filed_between(&self, page: &$crate::FiledPage) -> $crate::Result<Vec<$crate::Report>> {
                // Without a previous page, the position before every report.
                let (after_time, after_id) = page.after.map_or((i64::MIN, 0), |(time, id)| ($crate::rows::to_millis(time), id));
                let rows: Vec<$crate::rows::ReportRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    $crate::shared::report_columns!(),
                    " FROM reports WHERE created_at >= $1 AND created_at < $2 AND (created_at, id) > ($3, $4) \
                     ORDER BY created_at, id LIMIT $5"
                ))
                .bind($crate::rows::to_millis(page.from))
                .bind($crate::rows::to_millis(page.until))
                .bind(after_time)
                .bind(after_id)
                .bind(page.limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map($crate::rows::ReportRow::into_report).collect()
            }

            async fn filtered_reports(&self, filter: &$crate::ReportFilter) -> $crate::Result<Vec<$crate::Report>> {
                let sql = $crate::shared::filtered_reports_sql(concat!("SELECT ", $crate::shared::report_columns!(), " FROM reports"), filter);
                let mut select = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind($crate::rows::to_millis(filter.created_from))
                    .bind($crate::rows::to_millis(filter.created_until));
                for category in &filter.categories {
                    select = select.bind(category.clone());
                }
                for status in &filter.statuses {
                    select = select.bind(status.code());
                }
                let rows: Vec<$crate::rows::ReportRow> = select.bind(filter.limit).bind(filter.offset).fetch_all(&self.pool).await?;
                rows.into_iter().map($crate::rows::ReportRow::into_report).collect()
            }

            async fn events_in_range(&self, range: &$crate::EventRange) -> $crate::Result<Vec<$crate::ReportEventEntry>> {
                let rows: Vec<$crate::rows::EventEntryRow> = sqlx::query_as(concat!(
                    "SELECT reports.year, reports.sequence, reports.category_code, ",
                    $crate::shared::event_columns!(),
                    " FROM report_events JOIN reports ON reports.id = report_events.report_id \
                     WHERE report_events.created_at >= $1 AND report_events.created_at <= $2 \
                     ORDER BY report_events.created_at, report_events.id LIMIT $3 OFFSET $4"
                ))
                .bind($crate::rows::to_millis(range.since))
                .bind($crate::rows::to_millis(range.until))
                .bind(range.limit)
                .bind(range.offset)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map($crate::rows::EventEntryRow::into_entry).collect()
            }

            async fn staff_comments(&self, report_ids: &[i64]) -> $crate::Result<Vec<(i64, String)>> {
                let mut comments = Vec::new();
                for chunk in report_ids.chunks($crate::shared::MAX_LISTED_IDS) {
                    let sql = format!(
                        "SELECT report_id, comment FROM report_events \
                         WHERE comment IS NOT NULL AND actor_role <> 'resident' AND report_id IN ({}) ORDER BY id",
                        $crate::shared::placeholders(1, chunk.len())
                    );
                    let mut select = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        select = select.bind(*id);
                    }
                    let rows: Vec<(i64, String)> = select.fetch_all(&self.pool).await?;
                    comments.extend(rows);
                }
                Ok(comments)
            }

            async fn user_by_identity(&self, provider: &str, subject: &str) -> $crate::Result<Option<$crate::User>> {
                let row: Option<$crate::rows::UserRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    $crate::shared::user_columns!(),
                    " FROM identities JOIN users ON users.id = identities.user_id WHERE identities.provider = $1 AND identities.subject = $2"
                ))
                .bind(provider)
                .bind(subject)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::rows::UserRow::into_user).transpose()
            }

            async fn create_user_with_identity(&self, user: &$crate::NewUser, provider: &str, subject: &str) -> $crate::Result<$crate::User> {
                let mut transaction = self.open_write().await?;
                let created = insert_user(&mut *transaction, user).await?;

                sqlx::query("INSERT INTO identities (provider, subject, user_id, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(provider)
                    .bind(subject)
                    .bind(created.id)
                    .bind($crate::rows::to_millis(user.created_at))
                    .execute(&mut *transaction)
                    .await
                    .map_err(|error| match error {
                        sqlx::Error::Database(ref database) if database.is_unique_violation() => $crate::StoreError::Duplicate("identity"),
                        other => other.into(),
                    })?;

                transaction.commit().await?;
                Ok(created)
            }

            async fn link_identity(&self, identity: &$crate::Identity) -> $crate::Result<()> {
                let mut transaction = self.open_write().await?;
                let (subject_linked,): (bool,) = sqlx::query_as("SELECT EXISTS (SELECT 1 FROM identities WHERE provider = $1 AND subject = $2)")
                    .bind(&identity.provider)
                    .bind(&identity.subject)
                    .fetch_one(&mut *transaction)
                    .await?;
                if subject_linked {
                    return Err($crate::StoreError::Duplicate("identity"));
                }
                let (provider_linked,): (bool,) = sqlx::query_as("SELECT EXISTS (SELECT 1 FROM identities WHERE user_id = $1 AND provider = $2)")
                    .bind(identity.user_id)
                    .bind(&identity.provider)
                    .fetch_one(&mut *transaction)
                    .await?;
                if provider_linked {
                    return Err($crate::StoreError::Duplicate("provider"));
                }

                sqlx::query("INSERT INTO identities (provider, subject, user_id, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&identity.provider)
                    .bind(&identity.subject)
                    .bind(identity.user_id)
                    .bind($crate::rows::to_millis(identity.created_at))
                    .execute(&mut *transaction)
                    .await
                    .map_err(|error| match error {
                        // A concurrent link on PostgreSQL, whose transactions do not queue as
                        // SQLite's `BEGIN IMMEDIATE` ones do.
                        sqlx::Error::Database(ref database) if database.is_unique_violation() => $crate::StoreError::Duplicate("identity"),
                        other => other.into(),
                    })?;
                transaction.commit().await?;
                Ok(())
            }

            async fn identities(&self, user_id: i64) -> $crate::Result<Vec<$crate::Identity>> {
                let rows: Vec<$crate::rows::IdentityRow> =
                    sqlx::query_as("SELECT provider, subject, user_id, created_at FROM identities WHERE user_id = $1 ORDER BY provider")
                        .bind(user_id)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter().map($crate::rows::IdentityRow::into_identity).collect()
            }

            async fn create_pending_sign_in(&self, pending: &$crate::PendingSignIn) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO pending_sign_ins (state_hash, provider, nonce, pkce_verifier, return_path, link_user_id, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&pending.state_hash)
                .bind(&pending.provider)
                .bind(&pending.nonce)
                .bind(&pending.pkce_verifier)
                .bind(&pending.return_path)
                .bind(pending.link_user_id)
                .bind($crate::rows::to_millis(pending.created_at))
                .bind($crate::rows::to_millis(pending.expires_at))
                .execute(&self.pool)
                .await
                .map_err(|error| match error {
                    sqlx::Error::Database(ref database) if database.is_unique_violation() => $crate::StoreError::Duplicate("state"),
                    other => other.into(),
                })?;
                Ok(())
            }

            async fn take_pending_sign_in(&self, state_hash: &str, now: chrono::DateTime<chrono::Utc>) -> $crate::Result<Option<$crate::PendingSignIn>> {
                let mut transaction = self.open_write().await?;
                sqlx::query("DELETE FROM pending_sign_ins WHERE expires_at <= $1")
                    .bind($crate::rows::to_millis(now))
                    .execute(&mut *transaction)
                    .await?;
                let row: Option<$crate::rows::PendingSignInRow> = sqlx::query_as(
                    "DELETE FROM pending_sign_ins WHERE state_hash = $1 \
                     RETURNING state_hash, provider, nonce, pkce_verifier, return_path, link_user_id, created_at, expires_at",
                )
                .bind(state_hash)
                .fetch_optional(&mut *transaction)
                .await?;
                transaction.commit().await?;
                row.map($crate::rows::PendingSignInRow::into_pending).transpose()
            }

            async fn set_delivery_channels(&self, channels: &[&str]) -> $crate::Result<()> {
                let mut transaction = self.open_write().await?;
                sqlx::query("DELETE FROM delivery_channels").execute(&mut *transaction).await?;
                for channel in channels {
                    sqlx::query("INSERT INTO delivery_channels (code) VALUES ($1)").bind(*channel).execute(&mut *transaction).await?;
                }
                transaction.commit().await?;
                Ok(())
            }

            async fn delivery_modes(&self, user_id: i64) -> $crate::Result<Vec<(String, $crate::DeliveryMode)>> {
                let rows: Vec<(String, String)> =
                    sqlx::query_as("SELECT channel, mode FROM notification_preferences WHERE user_id = $1 ORDER BY channel")
                        .bind(user_id)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter()
                    .map(|(channel, mode)| match $crate::DeliveryMode::from_code(&mode) {
                        Some(mode) => Ok((channel, mode)),
                        None => Err($crate::StoreError::Corrupt(format!("delivery mode {mode}"))),
                    })
                    .collect()
            }

            async fn set_delivery_mode(
                &self,
                user_id: i64,
                channel: &str,
                mode: $crate::DeliveryMode,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO notification_preferences (user_id, channel, mode, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (user_id, channel) DO UPDATE SET mode = excluded.mode, updated_at = excluded.updated_at",
                )
                .bind(user_id)
                .bind(channel)
                .bind(mode.code())
                .bind($crate::rows::to_millis(at))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn unsubscribe(&self, token: &str, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<Option<(i64, String)>> {
                let found: Option<(i64, String)> = sqlx::query_as("SELECT user_id, channel FROM deliveries WHERE unsubscribe_token = $1")
                    .bind(token)
                    .fetch_optional(&self.pool)
                    .await?;
                if let Some((user_id, channel)) = &found {
                    self.set_delivery_mode(*user_id, channel, $crate::DeliveryMode::Off, at).await?;
                }
                Ok(found)
            }

            async fn claim_deliveries(
                &self,
                channel: &str,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> $crate::Result<Vec<$crate::Delivery>> {
                let ids = self.claim_outbox("deliveries", Some(channel), now, lease_until, limit).await?;
                let mut deliveries = Vec::with_capacity(ids.len());
                for chunk in ids.chunks($crate::shared::MAX_LISTED_IDS) {
                    let sql = format!(
                        concat!(
                            "SELECT deliveries.id AS delivery_id, deliveries.channel, \
                             CASE WHEN deliveries.channel = 'sms' THEN COALESCE(users.phone, '') ELSE COALESCE(users.email, '') END AS recipient, deliveries.digest, \
                             deliveries.attempts, deliveries.unsubscribe_token, notifications.id AS notification_id, \
                             notifications.user_id, reports.year, reports.sequence, reports.category_code, reports.category_name, \
                             notifications.created_at AS notification_created_at, notifications.read_at, notifications.kind AS notification_kind, report_messages.text AS message_text, ",
                            $crate::shared::event_columns!(),
                            " FROM deliveries JOIN notifications ON notifications.id = deliveries.notification_id \
                             JOIN users ON users.id = deliveries.user_id \
                             JOIN report_events ON report_events.id = notifications.event_id \
                     LEFT JOIN report_messages ON report_messages.id = notifications.message_id \
                             JOIN reports ON reports.id = notifications.report_id \
                             WHERE deliveries.id IN ({}) ORDER BY deliveries.id"
                        ),
                        $crate::shared::placeholders(1, chunk.len())
                    );
                    let mut query = sqlx::query_as::<_, $crate::rows::DeliveryRow>(sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    for row in query.fetch_all(&self.pool).await? {
                        deliveries.push(row.into_delivery()?);
                    }
                }
                Ok(deliveries)
            }

            async fn mark_delivered(&self, ids: &[i64], at: chrono::DateTime<chrono::Utc>) -> $crate::Result<()> {
                self.mark_outbox_sent("deliveries", ids, at).await
            }

            async fn mark_delivery_failed(
                &self,
                ids: &[i64],
                error: &str,
                retry_at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> $crate::Result<()> {
                self.mark_outbox_failed("deliveries", ids, error, retry_at).await
            }

            async fn pending_deliveries(&self) -> $crate::Result<i64> {
                let (count,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'").fetch_one(&self.pool).await?;
                Ok(count)
            }

            async fn failed_deliveries(&self, limit: i64) -> $crate::Result<Vec<$crate::FailedDelivery>> {
                let rows: Vec<$crate::rows::FailedDeliveryRow> = sqlx::query_as(
                    "SELECT deliveries.id, deliveries.channel, deliveries.user_id, reports.year, reports.sequence, \
                     deliveries.attempts, deliveries.last_error, deliveries.created_at \
                     FROM deliveries JOIN notifications ON notifications.id = deliveries.notification_id \
                     JOIN reports ON reports.id = notifications.report_id \
                     WHERE deliveries.state = 'failed' ORDER BY deliveries.id DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map($crate::rows::FailedDeliveryRow::into_failed_delivery).collect()
            }

            async fn retry_failed_deliveries(&self, ids: &[i64], at: chrono::DateTime<chrono::Utc>) -> $crate::Result<u64> {
                let mut retried = 0;
                for chunk in ids.chunks($crate::shared::MAX_LISTED_IDS) {
                    let sql = format!(
                        "UPDATE deliveries SET state = 'pending', next_attempt_at = $1, attempts = 0 \
                         WHERE state = 'failed' AND id IN ({})",
                        $crate::shared::placeholders(2, chunk.len())
                    );
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind($crate::rows::to_millis(at));
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    retried += query.execute(&self.pool).await?.rows_affected();
                }
                Ok(retried)
            }

            async fn set_webhook_destinations(&self, destinations: &[$crate::WebhookDestination]) -> $crate::Result<()> {
                let mut transaction = self.open_write().await?;
                sqlx::query("DELETE FROM webhook_destinations").execute(&mut *transaction).await?;
                for destination in destinations {
                    sqlx::query("INSERT INTO webhook_destinations (name, agency_code) VALUES ($1, $2)")
                        .bind(&destination.name)
                        .bind(&destination.agency_code)
                        .execute(&mut *transaction)
                        .await?;
                }
                transaction.commit().await?;
                Ok(())
            }

            async fn claim_webhook_deliveries(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> $crate::Result<Vec<$crate::WebhookDelivery>> {
                let ids = self.claim_outbox("webhook_deliveries", None, now, lease_until, limit).await?;
                let mut deliveries = Vec::with_capacity(ids.len());
                for chunk in ids.chunks($crate::shared::MAX_LISTED_IDS) {
                    let sql = format!(
                        "SELECT id, report_id, destination, idempotency_key, payload, attempts FROM webhook_deliveries \
                         WHERE id IN ({}) ORDER BY id",
                        $crate::shared::placeholders(1, chunk.len())
                    );
                    let mut query = sqlx::query_as::<_, $crate::rows::WebhookDeliveryRow>(sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    deliveries.extend(query.fetch_all(&self.pool).await?.into_iter().map($crate::rows::WebhookDeliveryRow::into_delivery));
                }
                Ok(deliveries)
            }

            async fn mark_webhook_delivered(&self, ids: &[i64], at: chrono::DateTime<chrono::Utc>) -> $crate::Result<()> {
                self.mark_outbox_sent("webhook_deliveries", ids, at).await
            }

            async fn mark_webhook_failed(&self, ids: &[i64], error: &str, retry_at: Option<chrono::DateTime<chrono::Utc>>) -> $crate::Result<()> {
                self.mark_outbox_failed("webhook_deliveries", ids, error, retry_at).await
            }

            async fn pending_webhook_deliveries(&self) -> $crate::Result<i64> {
                let (count,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'").fetch_one(&self.pool).await?;
                Ok(count)
            }

            async fn failed_webhook_deliveries(&self, limit: i64) -> $crate::Result<Vec<$crate::FailedWebhookDelivery>> {
                let rows: Vec<(i64, String, i64, i64, i64, Option<String>, i64)> = sqlx::query_as(
                    "SELECT webhook_deliveries.id, webhook_deliveries.destination, reports.year, reports.sequence, \
                     webhook_deliveries.attempts, webhook_deliveries.last_error, webhook_deliveries.created_at \
                     FROM webhook_deliveries JOIN reports ON reports.id = webhook_deliveries.report_id \
                     WHERE webhook_deliveries.state = 'failed' ORDER BY webhook_deliveries.id DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(id, destination, year, sequence, attempts, last_error, created_at)| {
                        Ok($crate::FailedWebhookDelivery {
                            id,
                            destination,
                            report_number: $crate::rows::report_number(year, sequence)?,
                            attempts,
                            last_error: last_error.unwrap_or_default(),
                            created_at: $crate::rows::from_millis(created_at)?,
                        })
                    })
                    .collect()
            }

            async fn retry_failed_webhook_deliveries(&self, ids: &[i64], at: chrono::DateTime<chrono::Utc>) -> $crate::Result<u64> {
                let mut retried = 0;
                for chunk in ids.chunks($crate::shared::MAX_LISTED_IDS) {
                    let sql = format!(
                        "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $1, attempts = 0 \
                         WHERE state = 'failed' AND id IN ({})",
                        $crate::shared::placeholders(2, chunk.len())
                    );
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind($crate::rows::to_millis(at));
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    retried += query.execute(&self.pool).await?.rows_affected();
                }
                Ok(retried)
            }

            async fn report_webhook_status(&self, report_id: i64) -> $crate::Result<Vec<$crate::WebhookStatus>> {
                let rows: Vec<$crate::rows::WebhookStatusRow> = sqlx::query_as(
                    "SELECT destination, state, attempts, last_error, created_at, sent_at FROM webhook_deliveries \
                     WHERE report_id = $1 AND event_id = (SELECT MAX(event_id) FROM webhook_deliveries WHERE report_id = $1) \
                     ORDER BY destination",
                )
                .bind(report_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map($crate::rows::WebhookStatusRow::into_status).collect()
            }

            async fn search_reports(&self, search: &$crate::ReportSearch) -> $crate::Result<Vec<$crate::Report>> {
                // Both sides are normalised in Rust, so a plain substring test gives the same rows
                // on both backends whatever their collation.
                let contains = match $backend {
                    $crate::Backend::Postgres => "strpos(search_text, $1) > 0",
                    $crate::Backend::Sqlite => "instr(search_text, $1) > 0",
                };
                let sql = format!(
                    concat!(
                        "SELECT ",
                        $crate::shared::report_columns!(),
                        " FROM reports WHERE {} AND ($2 IS NULL OR agency_code = $2) AND ($3 IS NULL OR district_code = $3) \
                         AND id < $4 ORDER BY id DESC LIMIT $5"
                    ),
                    contains
                );
                let rows: Vec<$crate::rows::ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(&search.query)
                    .bind(search.agency.as_deref())
                    .bind(search.district.as_deref())
                    .bind(search.before_id.unwrap_or(i64::MAX))
                    .bind(search.limit)
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map($crate::rows::ReportRow::into_report).collect()
            }

            async fn fill_search_texts(&self, limit: i64) -> $crate::Result<u64> {
                let rows: Vec<$crate::rows::ReportRow> =
                    sqlx::query_as(concat!("SELECT ", $crate::shared::report_columns!(), " FROM reports WHERE search_text IS NULL ORDER BY id LIMIT $1"))
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                let mut filled = 0;
                for row in rows {
                    let report = row.into_report()?;
                    filled += sqlx::query("UPDATE reports SET search_text = $1 WHERE id = $2 AND search_text IS NULL")
                        .bind($crate::shared::search_text(&report))
                        .bind(report.id)
                        .execute(&self.pool)
                        .await?
                        .rows_affected();
                }
                Ok(filled)
            }

            async fn claim_owner_lookups(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> $crate::Result<Vec<$crate::OwnerLookupTask>> {
                let ids = self.claim_outbox("vehicle_owner_lookups", None, now, lease_until, limit).await?;
                let mut tasks = Vec::with_capacity(ids.len());
                for chunk in ids.chunks($crate::shared::MAX_LISTED_IDS) {
                    let sql = format!(
                        "SELECT id, report_id, plate, attempts FROM vehicle_owner_lookups WHERE id IN ({}) ORDER BY id",
                        $crate::shared::placeholders(1, chunk.len())
                    );
                    let mut query = sqlx::query_as::<_, (i64, i64, String, i64)>(sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    let rows = query.fetch_all(&self.pool).await?;
                    tasks.extend(rows.into_iter().map(|(id, report_id, plate, attempts)| $crate::OwnerLookupTask { id, report_id, plate, attempts }));
                }
                Ok(tasks)
            }

            async fn complete_owner_lookup(&self, id: i64, owner: Option<&$crate::VehicleOwner>, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<()> {
                sqlx::query(
                    "UPDATE vehicle_owner_lookups SET state = 'sent', sent_at = $1, locked_until = NULL, last_error = NULL, \
                     found = $2, owner_name = $3, vehicle = $4 WHERE id = $5",
                )
                .bind($crate::rows::to_millis(at))
                .bind(i64::from(owner.is_some()))
                .bind(owner.map(|owner| owner.name.as_str()))
                .bind(owner.and_then(|owner| owner.vehicle.as_deref()))
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn mark_owner_lookup_failed(&self, id: i64, error: &str, retry_at: Option<chrono::DateTime<chrono::Utc>>) -> $crate::Result<()> {
                self.mark_outbox_failed("vehicle_owner_lookups", &[id], error, retry_at).await
            }

            async fn owner_lookup(&self, report_id: i64) -> $crate::Result<Option<$crate::OwnerLookup>> {
                let row: Option<$crate::rows::OwnerLookupRow> = sqlx::query_as(
                    "SELECT report_id, plate, state, attempts, last_error, found, owner_name, vehicle, created_at, sent_at \
                     FROM vehicle_owner_lookups WHERE report_id = $1",
                )
                .bind(report_id)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::rows::OwnerLookupRow::into_lookup).transpose()
            }

            async fn rate_report(
                &self,
                report_id: i64,
                user_id: i64,
                score: i64,
                comment: Option<&str>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<$crate::Rating> {
                let row: $crate::rows::RatingRow = sqlx::query_as(
                    "INSERT INTO report_ratings (report_id, user_id, score, comment, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) \
                     ON CONFLICT (report_id) DO UPDATE SET score = excluded.score, comment = excluded.comment, \
                     updated_at = excluded.updated_at \
                     RETURNING report_id, user_id, score, comment, created_at, updated_at",
                )
                .bind(report_id)
                .bind(user_id)
                .bind(score)
                .bind(comment)
                .bind($crate::rows::to_millis(at))
                .fetch_one(&self.pool)
                .await?;
                row.into_rating()
            }

            async fn report_rating(&self, report_id: i64) -> $crate::Result<Option<$crate::Rating>> {
                let row: Option<$crate::rows::RatingRow> = sqlx::query_as(
                    "SELECT report_id, user_id, score, comment, created_at, updated_at FROM report_ratings WHERE report_id = $1",
                )
                .bind(report_id)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::rows::RatingRow::into_rating).transpose()
            }

            async fn create_ticket(
                &self,
                user_id: i64,
                topic: &str,
                report_number: Option<&str>,
                text: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<$crate::SupportTicket> {
                let row: $crate::rows::TicketRow = sqlx::query_as(
                    "INSERT INTO support_tickets (user_id, topic, report_number, text, created_at) VALUES ($1, $2, $3, $4, $5) \
                     RETURNING id, user_id, topic, report_number, text, created_at, closed_at, closed_by",
                )
                .bind(user_id)
                .bind(topic)
                .bind(report_number)
                .bind(text)
                .bind($crate::rows::to_millis(at))
                .fetch_one(&self.pool)
                .await?;
                row.into_ticket()
            }

            async fn open_tickets(&self, limit: i64) -> $crate::Result<Vec<$crate::SupportTicket>> {
                let rows: Vec<$crate::rows::TicketRow> = sqlx::query_as(
                    "SELECT id, user_id, topic, report_number, text, created_at, closed_at, closed_by FROM support_tickets \
                     WHERE closed_at IS NULL ORDER BY id LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map($crate::rows::TicketRow::into_ticket).collect()
            }

            async fn close_ticket(&self, id: i64, closed_by: i64, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<()> {
                let closed = sqlx::query("UPDATE support_tickets SET closed_at = $1, closed_by = $2 WHERE id = $3 AND closed_at IS NULL")
                    .bind($crate::rows::to_millis(at))
                    .bind(closed_by)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                if closed.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                Ok(())
            }

            async fn save_push_subscription(&self, subscription: &$crate::PushSubscription) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth, \
                     created_at = excluded.created_at",
                )
                .bind(subscription.user_id)
                .bind(&subscription.endpoint)
                .bind(&subscription.p256dh)
                .bind(&subscription.auth)
                .bind($crate::rows::to_millis(subscription.created_at))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn push_subscriptions(&self, user_id: i64) -> $crate::Result<Vec<$crate::PushSubscription>> {
                let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
                    "SELECT user_id, endpoint, p256dh, auth, created_at FROM push_subscriptions WHERE user_id = $1 ORDER BY id",
                )
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(user_id, endpoint, p256dh, auth, created_at)| {
                        Ok($crate::PushSubscription { user_id, endpoint, p256dh, auth, created_at: $crate::rows::from_millis(created_at)? })
                    })
                    .collect()
            }

            async fn delete_push_subscription(&self, endpoint: &str, user_id: Option<i64>) -> $crate::Result<bool> {
                let deleted = sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1 AND ($2 IS NULL OR user_id = $2)")
                    .bind(endpoint)
                    .bind(user_id)
                    .execute(&self.pool)
                    .await?;
                Ok(deleted.rows_affected() > 0)
            }

            async fn staff_users(&self) -> $crate::Result<Vec<$crate::User>> {
                let rows: Vec<$crate::rows::UserRow> =
                    sqlx::query_as(concat!("SELECT ", $crate::shared::user_columns!(), " FROM users WHERE role <> 'resident' ORDER BY id"))
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter().map($crate::rows::UserRow::into_user).collect()
            }

            async fn update_staff(&self, user_id: i64, update: &$crate::StaffUpdate) -> $crate::Result<$crate::User> {
                let row: Option<$crate::rows::UserRow> = sqlx::query_as(concat!(
                    "UPDATE users SET role = $1, agency_code = $2, district_code = $3, supervisor = $4 WHERE id = $5 RETURNING ",
                    $crate::shared::user_columns!()
                ))
                .bind(update.role.code())
                .bind(&update.agency)
                .bind(&update.district)
                .bind(update.supervisor)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
                row.ok_or($crate::StoreError::NotFound)?.into_user()
            }

            async fn set_user_disabled(&self, user_id: i64, disabled: bool) -> $crate::Result<$crate::User> {
                let row: Option<$crate::rows::UserRow> =
                    sqlx::query_as(concat!("UPDATE users SET disabled = $1 WHERE id = $2 RETURNING ", $crate::shared::user_columns!()))
                        .bind(disabled)
                        .bind(user_id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.ok_or($crate::StoreError::NotFound)?.into_user()
            }

            async fn save_category(
                &self,
                category: &pomoshnik_core::catalog::Category,
                actor_id: Option<i64>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<i64> {
                let definition = serde_json::to_string(category).map_err(|error| $crate::StoreError::Corrupt(error.to_string()))?;
                let object = format!("category:{}", category.code);
                let mut transaction = self.open_write().await?;
                // A new category goes to the end of the list; a changed one keeps its place.
                sqlx::query(
                    "INSERT INTO categories (code, group_code, agency_code, position, definition) \
                     VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), -1) + 1 FROM categories), $4) \
                     ON CONFLICT (code) DO UPDATE SET group_code = excluded.group_code, agency_code = excluded.agency_code, \
                     definition = excluded.definition",
                )
                .bind(&category.code)
                .bind(&category.group)
                .bind(&category.agency)
                .bind(&definition)
                .execute(&mut *transaction)
                .await?;
                let version: i64 = sqlx::query_scalar(
                    "INSERT INTO catalog_versions (object, version, at, actor_id, definition) \
                     VALUES ($1, (SELECT COALESCE(MAX(version), 0) + 1 FROM catalog_versions WHERE object = $1), $2, $3, $4) RETURNING version",
                )
                .bind(&object)
                .bind($crate::rows::to_millis(at))
                .bind(actor_id)
                .bind(&definition)
                .fetch_one(&mut *transaction)
                .await?;
                transaction.commit().await?;
                Ok(version)
            }

            async fn catalog_versions(&self, object: &str) -> $crate::Result<Vec<$crate::CatalogVersion>> {
                let rows: Vec<$crate::rows::CatalogVersionRow> = sqlx::query_as(
                    "SELECT id, object, version, at, actor_id, definition FROM catalog_versions WHERE object = $1 ORDER BY version DESC",
                )
                .bind(object)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map($crate::rows::CatalogVersionRow::into_version).collect()
            }

            async fn filed_agency(&self, report_id: i64) -> $crate::Result<Option<String>> {
                let agency: Option<Option<String>> =
                    sqlx::query_scalar("SELECT filed_agency_code FROM reports WHERE id = $1").bind(report_id).fetch_optional(&self.pool).await?;
                Ok(agency.flatten())
            }

            async fn save_agency(
                &self,
                agency: &pomoshnik_core::catalog::Agency,
                settings: &$crate::AgencySettings,
                actor_id: Option<i64>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<i64> {
                let mut transaction = self.open_write().await?;
                // A new agency goes to the end of the list; a changed one keeps its place.
                sqlx::query(
                    "INSERT INTO agencies (code, name, short_name, position, by_district, webhook_dispatch) \
                     VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), -1) + 1 FROM agencies), $4, $5) \
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, short_name = excluded.short_name, \
                     by_district = excluded.by_district, webhook_dispatch = excluded.webhook_dispatch",
                )
                .bind(&agency.code)
                .bind(&agency.name)
                .bind(&agency.short_name)
                .bind(agency.by_district)
                .bind(settings.webhook_dispatch)
                .execute(&mut *transaction)
                .await?;

                sqlx::query("UPDATE users SET supervisor = $1 WHERE agency_code = $2 AND role = 'executor' AND supervisor")
                    .bind(false)
                    .bind(&agency.code)
                    .execute(&mut *transaction)
                    .await?;
                let mut supervisors = Vec::with_capacity(settings.supervisor_ids.len());
                for id in &settings.supervisor_ids {
                    let updated = sqlx::query("UPDATE users SET supervisor = $1 WHERE id = $2 AND agency_code = $3 AND role = 'executor'")
                        .bind(true)
                        .bind(id)
                        .bind(&agency.code)
                        .execute(&mut *transaction)
                        .await?;
                    if updated.rows_affected() > 0 {
                        supervisors.push(*id);
                    }
                }
                supervisors.sort_unstable();
                supervisors.dedup();

                let definition = serde_json::json!({
                    "code": agency.code,
                    "name": agency.name,
                    "short_name": agency.short_name,
                    "by_district": agency.by_district,
                    "webhook_dispatch": settings.webhook_dispatch,
                    "supervisor_ids": supervisors,
                });
                let version = insert_catalog_version(&mut *transaction, &format!("agency:{}", agency.code), at, actor_id, &definition.to_string()).await?;
                transaction.commit().await?;
                Ok(version)
            }

            async fn routing_rules(&self) -> $crate::Result<Vec<$crate::RoutingRule>> {
                let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
                    "SELECT category_code, district_code, agency_code, created_at FROM routing_rules ORDER BY category_code, district_code",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(category_code, district_code, agency_code, created_at)| {
                        Ok($crate::RoutingRule { category_code, district_code, agency_code, created_at: $crate::rows::from_millis(created_at)? })
                    })
                    .collect()
            }

            async fn add_routing_rule(&self, rule: &$crate::RoutingRule, actor_id: Option<i64>) -> $crate::Result<i64> {
                let mut transaction = self.open_write().await?;
                let inserted = sqlx::query("INSERT INTO routing_rules (category_code, district_code, agency_code, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&rule.category_code)
                    .bind(&rule.district_code)
                    .bind(&rule.agency_code)
                    .bind($crate::rows::to_millis(rule.created_at))
                    .execute(&mut *transaction)
                    .await;
                match inserted {
                    Err(sqlx::Error::Database(ref database)) if database.is_unique_violation() => return Err($crate::StoreError::Duplicate("routing rule")),
                    other => other?,
                };
                let definition = serde_json::json!({
                    "category_code": rule.category_code,
                    "district_code": rule.district_code,
                    "agency_code": rule.agency_code,
                });
                let object = format!("routing:{}:{}", rule.category_code, rule.district_code);
                let version = insert_catalog_version(&mut *transaction, &object, rule.created_at, actor_id, &definition.to_string()).await?;
                transaction.commit().await?;
                Ok(version)
            }

            async fn remove_routing_rule(
                &self,
                category_code: &str,
                district_code: &str,
                actor_id: Option<i64>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<i64> {
                let mut transaction = self.open_write().await?;
                let deleted = sqlx::query("DELETE FROM routing_rules WHERE category_code = $1 AND district_code = $2")
                    .bind(category_code)
                    .bind(district_code)
                    .execute(&mut *transaction)
                    .await?;
                if deleted.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                let object = format!("routing:{category_code}:{district_code}");
                let version = insert_catalog_version(&mut *transaction, &object, at, actor_id, "null").await?;
                transaction.commit().await?;
                Ok(version)
            }

            async fn agency_webhook_dispatch(&self, agency_code: &str) -> $crate::Result<bool> {
                let enabled: Option<bool> =
                    sqlx::query_scalar("SELECT webhook_dispatch FROM agencies WHERE code = $1").bind(agency_code).fetch_optional(&self.pool).await?;
                enabled.ok_or($crate::StoreError::NotFound)
            }

            async fn agency_webhook_destinations(&self, agency_code: &str) -> $crate::Result<Vec<String>> {
                let names: Vec<String> = sqlx::query_scalar("SELECT name FROM webhook_destinations WHERE agency_code = $1 ORDER BY name")
                    .bind(agency_code)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(names)
            }

            async fn save_calendar_year(&self, year: i32, document: &str, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<()> {
                let mut transaction = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO calendar_years (year, document, imported_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (year) DO UPDATE SET document = excluded.document, imported_at = excluded.imported_at",
                )
                .bind(year)
                .bind(document)
                .bind($crate::rows::to_millis(at))
                .execute(&mut *transaction)
                .await?;
                let changes = [$crate::Change::Calendar];
                self.announce(&mut transaction, &changes).await?;
                transaction.commit().await?;
                self.announced(&changes);
                Ok(())
            }

            async fn calendar_documents(&self) -> $crate::Result<Vec<String>> {
                let documents: Vec<String> = sqlx::query_scalar("SELECT document FROM calendar_years ORDER BY year").fetch_all(&self.pool).await?;
                Ok(documents)
            }

            async fn open_deadline_spans(&self) -> $crate::Result<Vec<(String, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>> {
                // The statuses that `Status::is_open` counts as closed.
                let rows: Vec<(String, i64, i64)> = sqlx::query_as(
                    "SELECT number, dispatched_at, deadline_at FROM reports WHERE dispatched_at IS NOT NULL AND deadline_at IS NOT NULL \
                     AND status NOT IN ('resolved', 'rejected', 'closed') ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(|(number, dispatched_at, deadline_at)| Ok((number, $crate::rows::from_millis(dispatched_at)?, $crate::rows::from_millis(deadline_at)?))).collect()
            }

            async fn record_audit(&self, entry: &$crate::NewAuditEntry) -> $crate::Result<i64> {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO audit_log (at, actor_id, action, object, details) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind($crate::rows::to_millis(entry.at))
                .bind(entry.actor_id)
                .bind(&entry.action)
                .bind(&entry.object)
                .bind(&entry.details)
                .fetch_one(&self.pool)
                .await?;
                Ok(id)
            }

            async fn audit_entries(&self, filter: &$crate::AuditFilter) -> $crate::Result<Vec<$crate::AuditEntry>> {
                // A LIKE pattern would need escaping of `_`, which action codes contain; comparing
                // the leading characters selects the same rows on both backends, whatever the collation.
                let rows: Vec<$crate::rows::AuditRow> = sqlx::query_as(
                    "SELECT id, at, actor_id, action, object, details FROM audit_log \
                     WHERE ($1 IS NULL OR actor_id = $1) AND ($2 IS NULL OR substr(action, 1, length($2)) = $2) \
                     AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
                )
                .bind(filter.actor_id)
                .bind(&filter.action_prefix)
                .bind(filter.before_id)
                .bind(filter.limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map($crate::rows::AuditRow::into_entry).collect()
            }

            // Dialogue

            async fn create_message(&self, message: &$crate::NewMessage) -> $crate::Result<$crate::ReportMessage> {
                use $crate::rows::to_millis;

                let mut transaction = self.open_write().await?;
                let row: $crate::rows::MessageRow = sqlx::query_as(
                    "INSERT INTO report_messages (report_id, author_id, author_role, kind, text, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, report_id, author_id, author_role, kind, text, created_at",
                )
                .bind(message.report_id)
                .bind(message.author_id)
                .bind(message.author_role.code())
                .bind(message.kind.code())
                .bind(&message.text)
                .bind(to_millis(message.at))
                .fetch_one(&mut *transaction)
                .await?;
                let mut stored = row.into_message()?;
                for file_id in &message.file_ids {
                    let file: Option<$crate::rows::FileRow> = sqlx::query_as(concat!(
                        "UPDATE files SET report_id = $1, message_id = $2 WHERE id = $3 AND owner_id = $4 AND report_id IS NULL RETURNING ",
                        $crate::shared::file_columns!()
                    ))
                    .bind(message.report_id)
                    .bind(stored.id)
                    .bind(*file_id)
                    .bind(message.author_id)
                    .fetch_optional(&mut *transaction)
                    .await?;
                    if let Some(file) = file {
                        stored.files.push(file.into_file()?);
                    }
                }
                let (event_id,): (i64,) = sqlx::query_as("SELECT MAX(id) FROM report_events WHERE report_id = $1")
                    .bind(message.report_id)
                    .fetch_one(&mut *transaction)
                    .await?;
                for user_id in &message.notify_user_ids {
                    let notification_id = insert_notification(&mut *transaction, *user_id, message.report_id, event_id, message.at).await?;
                    sqlx::query("UPDATE notifications SET kind = 'message', message_id = $1 WHERE id = $2")
                        .bind(stored.id)
                        .bind(notification_id)
                        .execute(&mut *transaction)
                        .await?;
                }
                let mut changes = vec![$crate::Change::Report(message.report_id)];
                changes.extend(message.notify_user_ids.iter().map(|user_id| $crate::Change::Notifications(*user_id)));
                self.announce(&mut transaction, &changes).await?;
                transaction.commit().await?;
                self.announced(&changes);
                Ok(stored)
            }

            async fn report_messages(&self, report_id: i64) -> $crate::Result<Vec<$crate::ReportMessage>> {
                let rows: Vec<$crate::rows::MessageRow> = sqlx::query_as(
                    "SELECT id, report_id, author_id, author_role, kind, text, created_at FROM report_messages \
                     WHERE report_id = $1 ORDER BY id",
                )
                .bind(report_id)
                .fetch_all(&self.pool)
                .await?;
                let mut messages = rows.into_iter().map($crate::rows::MessageRow::into_message).collect::<$crate::Result<Vec<_>>>()?;
                let files: Vec<$crate::rows::MessageFileRow> = sqlx::query_as(concat!(
                    "SELECT message_id, ",
                    $crate::shared::file_columns!(),
                    " FROM files WHERE report_id = $1 AND message_id IS NOT NULL ORDER BY id"
                ))
                .bind(report_id)
                .fetch_all(&self.pool)
                .await?;
                for row in files {
                    if let Some(message) = messages.iter_mut().find(|message| message.id == row.message_id) {
                        message.files.push(row.file.into_file()?);
                    }
                }
                Ok(messages)
            }

            async fn report_executors(&self, report_id: i64) -> $crate::Result<Vec<i64>> {
                let rows: Vec<(i64,)> = sqlx::query_as(
                    "SELECT users.id FROM users JOIN reports ON reports.agency_code = users.agency_code \
                     WHERE reports.id = $1 AND users.role = 'executor' AND NOT users.disabled \
                     AND (users.district_code IS NULL OR users.district_code = reports.district_code) ORDER BY users.id",
                )
                .bind(report_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(id,)| id).collect())
            }

            async fn escalate_overdue(&self, now: chrono::DateTime<chrono::Utc>) -> $crate::Result<Vec<$crate::Escalation>> {
                use $crate::rows::to_millis;

                let mut transaction = self.open_write().await?;
                let due: Vec<(i64, i64, i64)> = sqlx::query_as(
                    "SELECT reports.id, users.id, (SELECT MAX(id) FROM report_events WHERE report_events.report_id = reports.id) \
                     FROM reports JOIN users ON users.agency_code = reports.agency_code \
                     WHERE reports.deadline_at < $1 AND reports.status IN ('dispatched', 'in_progress', 'reopened') \
                     AND users.role = 'executor' AND users.supervisor AND NOT users.disabled \
                     AND NOT EXISTS (SELECT 1 FROM report_escalations WHERE report_escalations.report_id = reports.id \
                     AND report_escalations.supervisor_id = users.id) ORDER BY reports.id, users.id",
                )
                .bind(to_millis(now))
                .fetch_all(&mut *transaction)
                .await?;
                let mut escalations = Vec::with_capacity(due.len());
                for (report_id, supervisor_id, event_id) in due {
                    // Another worker's sweep may have recorded it since the select.
                    let inserted = sqlx::query(
                        "INSERT INTO report_escalations (report_id, supervisor_id, escalated_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (report_id, supervisor_id) DO NOTHING",
                    )
                    .bind(report_id)
                    .bind(supervisor_id)
                    .bind(to_millis(now))
                    .execute(&mut *transaction)
                    .await?;
                    if inserted.rows_affected() == 0 {
                        continue;
                    }
                    let notification_id = insert_notification(&mut *transaction, supervisor_id, report_id, event_id, now).await?;
                    sqlx::query("UPDATE notifications SET kind = 'escalation' WHERE id = $1")
                        .bind(notification_id)
                        .execute(&mut *transaction)
                        .await?;
                    escalations.push($crate::Escalation { report_id, supervisor_id });
                }
                let changes: Vec<$crate::Change> = escalations.iter().map(|escalation| $crate::Change::Notifications(escalation.supervisor_id)).collect();
                self.announce(&mut transaction, &changes).await?;
                transaction.commit().await?;
                self.announced(&changes);
                Ok(escalations)
            }

            // Dashboards

            async fn dashboard_daily_counts(&self, scope: &$crate::DashboardScope) -> $crate::Result<Vec<$crate::DailyCount>> {
                let mut select = sqlx::query_as(sqlx::AssertSqlSafe($crate::dashboard::daily_counts_sql(scope)))
                    .bind($crate::rows::to_millis(scope.from))
                    .bind($crate::rows::to_millis(scope.to));
                if let Some(agency) = &scope.agency {
                    select = select.bind(agency);
                }
                let rows: Vec<(i64, i64)> = select.fetch_all(&self.pool).await?;
                rows.into_iter().map(|(day, reports)| Ok($crate::DailyCount { day: $crate::dashboard::moscow_day(day)?, reports })).collect()
            }

            async fn dashboard_category_counts(&self, scope: &$crate::DashboardScope) -> $crate::Result<Vec<$crate::CodeCount>> {
                self.dashboard_code_counts(scope, "category_code").await
            }

            async fn dashboard_district_counts(&self, scope: &$crate::DashboardScope) -> $crate::Result<Vec<$crate::CodeCount>> {
                self.dashboard_code_counts(scope, "district_code").await
            }

            async fn dashboard_agency_figures(
                &self,
                scope: &$crate::DashboardScope,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Vec<$crate::AgencyFigures>> {
                use $crate::dashboard;
                use $crate::rows::to_millis;

                let (from, to) = (to_millis(scope.from), to_millis(scope.to));
                let mut counts = sqlx::query_as(sqlx::AssertSqlSafe(dashboard::agency_counts_sql(scope))).bind(from).bind(to);
                let mut percentiles = sqlx::query_as(sqlx::AssertSqlSafe(dashboard::agency_percentiles_sql(scope))).bind(from).bind(to);
                let mut ratings = sqlx::query_as(sqlx::AssertSqlSafe(dashboard::agency_ratings_sql(scope))).bind(from).bind(to);
                let mut overdue = sqlx::query_as(sqlx::AssertSqlSafe(dashboard::overdue_counts_sql(scope.agency.as_deref()))).bind(to_millis(now));
                if let Some(agency) = &scope.agency {
                    counts = counts.bind(agency);
                    percentiles = percentiles.bind(agency);
                    ratings = ratings.bind(agency);
                    overdue = overdue.bind(agency);
                }
                let counts: Vec<(String, i64, i64, i64)> = counts.fetch_all(&self.pool).await?;
                let percentiles: Vec<(String, Option<i64>, Option<i64>)> = percentiles.fetch_all(&self.pool).await?;
                let ratings: Vec<(String, i64, i64)> = ratings.fetch_all(&self.pool).await?;
                let overdue: Vec<(String, i64)> = overdue.fetch_all(&self.pool).await?;

                Ok(dashboard::merge_agency_figures(counts, percentiles, ratings, overdue))
            }

            async fn dashboard_overdue_reports(
                &self,
                agency: Option<&str>,
                now: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> $crate::Result<Vec<$crate::OverdueReport>> {
                let mut select = sqlx::query_as(sqlx::AssertSqlSafe($crate::dashboard::overdue_reports_sql(agency))).bind($crate::rows::to_millis(now)).bind(limit);
                if let Some(agency) = agency {
                    select = select.bind(agency);
                }
                let rows: Vec<(i64, i64, String, String, String, i64)> = select.fetch_all(&self.pool).await?;
                rows.into_iter()
                    .map(|(year, sequence, category_code, category_name, agency, deadline_at)| {
                        let deadline_at = $crate::rows::from_millis(deadline_at)?;
                        Ok($crate::OverdueReport {
                            number: $crate::rows::report_number(year, sequence)?.to_string(),
                            category_code,
                            category_name,
                            agency,
                            deadline_at,
                            days_overdue: $crate::dashboard::days_overdue(deadline_at, now),
                        })
                    })
                    .collect()
            }

            async fn register_user(&self, registration: &$crate::NewRegistration) -> $crate::Result<$crate::User> {
                let row: $crate::rows::UserRow = sqlx::query_as(concat!(
                    "INSERT INTO users (email, phone, password_hash, role, confirmed, created_at) VALUES ($1, $2, $3, 'resident', FALSE, $4) RETURNING ",
                    $crate::shared::user_columns!()
                ))
                .bind(&registration.email)
                .bind(&registration.phone)
                .bind(&registration.password_hash)
                .bind($crate::rows::to_millis(registration.created_at))
                .fetch_one(&self.pool)
                .await
                .map_err(|error| match error {
                    sqlx::Error::Database(ref database) if database.is_unique_violation() => {
                        $crate::StoreError::Duplicate(if registration.phone.is_some() { "phone" } else { "email" })
                    }
                    other => other.into(),
                })?;
                row.into_user()
            }

            async fn user_by_phone(&self, phone: &str) -> $crate::Result<Option<($crate::User, String)>> {
                let row: Option<$crate::rows::UserWithPasswordRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    $crate::shared::user_columns!(),
                    ", users.password_hash FROM users WHERE phone = $1"
                ))
                .bind(phone)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|row| Ok((row.user.into_user()?, row.password_hash))).transpose()
            }

            async fn confirm_user(&self, user_id: i64) -> $crate::Result<()> {
                sqlx::query("UPDATE users SET confirmed = TRUE WHERE id = $1").bind(user_id).execute(&self.pool).await?;
                Ok(())
            }

            async fn set_password_hash(&self, user_id: i64, password_hash: &str) -> $crate::Result<()> {
                let mut transaction = self.open_write().await?;
                let updated = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(password_hash).bind(user_id).execute(&mut *transaction).await?;
                if updated.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                sqlx::query("DELETE FROM temporary_passwords WHERE user_id = $1").bind(user_id).execute(&mut *transaction).await?;
                transaction.commit().await?;
                Ok(())
            }

            async fn create_recovery_request(&self, request: &$crate::NewRecoveryRequest) -> $crate::Result<$crate::RecoveryRequest> {
                let row: $crate::rows::RecoveryRequestRow = sqlx::query_as(concat!(
                    "INSERT INTO recovery_requests (user_id, new_contact, full_name, scan_key, scan_kind, state, created_at) \
                     VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING ",
                    $crate::shared::recovery_columns!()
                ))
                .bind(request.user_id)
                .bind(&request.new_contact)
                .bind(&request.full_name)
                .bind(&request.scan_key)
                .bind(&request.scan_kind)
                .bind($crate::rows::to_millis(request.created_at))
                .fetch_one(&self.pool)
                .await?;
                row.into_request()
            }

            async fn recovery_request(&self, id: i64) -> $crate::Result<Option<$crate::RecoveryRequest>> {
                let row: Option<$crate::rows::RecoveryRequestRow> =
                    sqlx::query_as(concat!("SELECT ", $crate::shared::recovery_columns!(), " FROM recovery_requests WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map($crate::rows::RecoveryRequestRow::into_request).transpose()
            }

            async fn pending_recovery_requests(&self, limit: i64) -> $crate::Result<Vec<$crate::RecoveryRequest>> {
                let rows: Vec<$crate::rows::RecoveryRequestRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    $crate::shared::recovery_columns!(),
                    " FROM recovery_requests WHERE state = 'pending' ORDER BY id LIMIT $1"
                ))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map($crate::rows::RecoveryRequestRow::into_request).collect()
            }

            async fn count_recovery_requests_since(&self, user_id: i64, since: chrono::DateTime<chrono::Utc>) -> $crate::Result<i64> {
                let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_requests WHERE user_id = $1 AND created_at >= $2")
                    .bind(user_id)
                    .bind($crate::rows::to_millis(since))
                    .fetch_one(&self.pool)
                    .await?;
                Ok(count)
            }

            async fn approve_recovery_request(&self, id: i64, approval: &$crate::RecoveryApproval) -> $crate::Result<$crate::RecoveryRequest> {
                let at = $crate::rows::to_millis(approval.at);
                let mut transaction = self.open_write().await?;
                let row: Option<$crate::rows::RecoveryRequestRow> = sqlx::query_as(concat!(
                    "UPDATE recovery_requests SET state = 'approved', scan_key = NULL, scan_kind = NULL, reviewer_id = $1, reviewed_at = $2 \
                     WHERE id = $3 AND state = 'pending' RETURNING ",
                    $crate::shared::recovery_columns!()
                ))
                .bind(approval.reviewer_id)
                .bind(at)
                .bind(id)
                .fetch_optional(&mut *transaction)
                .await?;
                let request = row.ok_or($crate::StoreError::NotFound)?.into_request()?;

                // The new contact replaces both old ones, because the lost contact must not receive
                // codes. Two-factor authentication is turned off as well: the authenticator is
                // usually lost with the phone, and the passport check proved the person.
                let is_phone = request.new_contact.starts_with('+');
                let (phone, email) = if is_phone { (Some(&request.new_contact), None) } else { (None, Some(&request.new_contact)) };
                sqlx::query("UPDATE users SET password_hash = $1, phone = $2, email = $3, confirmed = TRUE, totp_secret = NULL, totp_last_step = NULL WHERE id = $4")
                    .bind(&approval.password_hash)
                    .bind(phone)
                    .bind(email)
                    .bind(request.user_id)
                    .execute(&mut *transaction)
                    .await
                    .map_err(|error| match error {
                        sqlx::Error::Database(ref database) if database.is_unique_violation() => $crate::StoreError::Duplicate(if is_phone { "phone" } else { "email" }),
                        other => other.into(),
                    })?;
                sqlx::query(
                    "INSERT INTO temporary_passwords (user_id, expires_at) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET expires_at = excluded.expires_at",
                )
                .bind(request.user_id)
                .bind($crate::rows::to_millis(approval.expires_at))
                .execute(&mut *transaction)
                .await?;
                // Codes already sent went to the lost contact.
                sqlx::query("UPDATE account_codes SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
                    .bind(at)
                    .bind(request.user_id)
                    .execute(&mut *transaction)
                    .await?;
                sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(request.user_id).execute(&mut *transaction).await?;
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(request.user_id).execute(&mut *transaction).await?;
                transaction.commit().await?;
                Ok(request)
            }

            async fn refuse_recovery_request(&self, id: i64, reviewer_id: i64, reason: &str, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<$crate::RecoveryRequest> {
                let row: Option<$crate::rows::RecoveryRequestRow> = sqlx::query_as(concat!(
                    "UPDATE recovery_requests SET state = 'refused', scan_key = NULL, scan_kind = NULL, reviewer_id = $1, reviewed_at = $2, refusal_reason = $3 \
                     WHERE id = $4 AND state = 'pending' RETURNING ",
                    $crate::shared::recovery_columns!()
                ))
                .bind(reviewer_id)
                .bind($crate::rows::to_millis(at))
                .bind(reason)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.ok_or($crate::StoreError::NotFound)?.into_request()
            }

            async fn temporary_password_expiry(&self, user_id: i64) -> $crate::Result<Option<chrono::DateTime<chrono::Utc>>> {
                let expires_at: Option<i64> =
                    sqlx::query_scalar("SELECT expires_at FROM temporary_passwords WHERE user_id = $1").bind(user_id).fetch_optional(&self.pool).await?;
                expires_at.map($crate::rows::from_millis).transpose()
            }

            async fn create_account_code(&self, code: &$crate::NewAccountCode) -> $crate::Result<i64> {
                let mut transaction = self.open_write().await?;
                // A new code replaces the unused ones of the same purpose.
                sqlx::query("UPDATE account_codes SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL")
                    .bind($crate::rows::to_millis(code.created_at))
                    .bind(code.user_id)
                    .bind(&code.purpose)
                    .execute(&mut *transaction)
                    .await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO account_codes (user_id, purpose, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(code.user_id)
                .bind(&code.purpose)
                .bind(&code.code_hash)
                .bind($crate::rows::to_millis(code.created_at))
                .bind($crate::rows::to_millis(code.expires_at))
                .fetch_one(&mut *transaction)
                .await?;
                transaction.commit().await?;
                Ok(id)
            }

            async fn latest_account_code(&self, user_id: i64, purpose: &str) -> $crate::Result<Option<$crate::AccountCode>> {
                let row: Option<$crate::rows::AccountCodeRow> = sqlx::query_as(
                    "SELECT id, user_id, purpose, code_hash, created_at, expires_at, attempts, used_at FROM account_codes \
                     WHERE user_id = $1 AND purpose = $2 ORDER BY id DESC LIMIT 1",
                )
                .bind(user_id)
                .bind(purpose)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::rows::AccountCodeRow::into_code).transpose()
            }

            async fn count_account_code_attempt(&self, id: i64) -> $crate::Result<i64> {
                let attempts: i64 = sqlx::query_scalar("UPDATE account_codes SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts")
                    .bind(id)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(attempts)
            }

            async fn use_account_code(&self, id: i64, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<bool> {
                let used = sqlx::query("UPDATE account_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
                    .bind($crate::rows::to_millis(at))
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(used.rows_affected() == 1)
            }

            async fn set_two_factor(&self, user_id: i64, secret: Option<&str>, recovery_code_hashes: &[String]) -> $crate::Result<()> {
                let mut transaction = self.open_write().await?;
                sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = NULL WHERE id = $2").bind(secret).bind(user_id).execute(&mut *transaction).await?;
                sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *transaction).await?;
                for code_hash in recovery_code_hashes {
                    sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)").bind(user_id).bind(code_hash).execute(&mut *transaction).await?;
                }
                transaction.commit().await?;
                Ok(())
            }

            async fn totp_secret(&self, user_id: i64) -> $crate::Result<Option<String>> {
                let secret: Option<Option<String>> =
                    sqlx::query_scalar("SELECT totp_secret FROM users WHERE id = $1").bind(user_id).fetch_optional(&self.pool).await?;
                Ok(secret.flatten())
            }

            async fn accept_totp_step(&self, user_id: i64, step: i64) -> $crate::Result<bool> {
                let accepted = sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)")
                    .bind(step)
                    .bind(user_id)
                    .execute(&self.pool)
                    .await?;
                Ok(accepted.rows_affected() == 1)
            }

            async fn use_recovery_code(&self, user_id: i64, code_hash: &str, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<bool> {
                let used = sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
                    .bind($crate::rows::to_millis(at))
                    .bind(user_id)
                    .bind(code_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(used.rows_affected() == 1)
            }

            async fn unused_recovery_codes(&self, user_id: i64) -> $crate::Result<i64> {
                let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL").bind(user_id).fetch_one(&self.pool).await?;
                Ok(count)
            }

            async fn delete_user_sessions(&self, user_id: i64) -> $crate::Result<u64> {
                let deleted = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&self.pool).await?;
                Ok(deleted.rows_affected())
            }
        }

        impl $store {
            /// Reports of the dashboard scope per value of `column`, sorted by [`$crate::dashboard::sort_counts`].
            async fn dashboard_code_counts(&self, scope: &$crate::DashboardScope, column: &str) -> $crate::Result<Vec<$crate::CodeCount>> {
                let mut select = sqlx::query_as(sqlx::AssertSqlSafe($crate::dashboard::code_counts_sql(scope, column)))
                    .bind($crate::rows::to_millis(scope.from))
                    .bind($crate::rows::to_millis(scope.to));
                if let Some(agency) = &scope.agency {
                    select = select.bind(agency);
                }
                let rows: Vec<(Option<String>, i64)> = select.fetch_all(&self.pool).await?;
                let mut counts: Vec<$crate::CodeCount> = rows.into_iter().map(|(code, reports)| $crate::CodeCount { code, reports }).collect();
                $crate::dashboard::sort_counts(&mut counts);
                Ok(counts)
            }

            /// Claims up to `limit` due rows of an outbox table (`deliveries` or
            /// `webhook_deliveries`) for a worker until `lease_until`, counts the attempt and
            /// returns their ids. `channel` limits the claim to the rows of one channel, for the
            /// `deliveries` table.
            async fn claim_outbox(
                &self,
                table: &'static str,
                channel: Option<&str>,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> $crate::Result<Vec<i64>> {
                let mut transaction = self.open_write().await?;
                // The outer conditions repeat the inner ones: on PostgreSQL a row that another
                // worker claimed meanwhile is re-checked against them after its lock is released,
                // and skipped. `SKIP LOCKED` makes a second worker pass over the rows a first one is
                // claiming and take the next ones, instead of waiting and then claiming none.
                // SQLite has no row locks and runs one write transaction at a time.
                let skip_locked = match $backend {
                    $crate::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
                    $crate::Backend::Sqlite => "",
                };
                let of_channel = if channel.is_some() { " AND channel = $4" } else { "" };
                let sql = format!(
                    "UPDATE {table} SET locked_until = $1, attempts = attempts + 1 \
                     WHERE state = 'pending' AND next_attempt_at <= $2 AND (locked_until IS NULL OR locked_until <= $2){of_channel} \
                     AND id IN (SELECT id FROM {table} WHERE state = 'pending' AND next_attempt_at <= $2 \
                     AND (locked_until IS NULL OR locked_until <= $2){of_channel} ORDER BY next_attempt_at, id LIMIT $3{skip_locked}) \
                     RETURNING id"
                );
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind($crate::rows::to_millis(lease_until))
                    .bind($crate::rows::to_millis(now))
                    .bind(limit);
                if let Some(channel) = channel {
                    query = query.bind(channel);
                }
                let claimed: Vec<(i64,)> = query.fetch_all(&mut *transaction).await?;
                transaction.commit().await?;
                Ok(claimed.into_iter().map(|(id,)| id).collect())
            }

            async fn mark_outbox_sent(&self, table: &'static str, ids: &[i64], at: chrono::DateTime<chrono::Utc>) -> $crate::Result<()> {
                for chunk in ids.chunks($crate::shared::MAX_LISTED_IDS) {
                    let sql = format!(
                        "UPDATE {table} SET state = 'sent', sent_at = $1, locked_until = NULL, last_error = NULL WHERE id IN ({})",
                        $crate::shared::placeholders(2, chunk.len())
                    );
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind($crate::rows::to_millis(at));
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    query.execute(&self.pool).await?;
                }
                Ok(())
            }

            async fn mark_outbox_failed(
                &self,
                table: &'static str,
                ids: &[i64],
                error: &str,
                retry_at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> $crate::Result<()> {
                let (state, next_attempt_at) = match retry_at {
                    Some(at) => ("pending", Some($crate::rows::to_millis(at))),
                    None => ("failed", None),
                };
                for chunk in ids.chunks($crate::shared::MAX_LISTED_IDS) {
                    let sql = format!(
                        "UPDATE {table} SET state = $1, next_attempt_at = COALESCE($2, next_attempt_at), last_error = $3, \
                         locked_until = NULL WHERE id IN ({})",
                        $crate::shared::placeholders(4, chunk.len())
                    );
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(state).bind(next_attempt_at).bind(error);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    query.execute(&self.pool).await?;
                }
                Ok(())
            }

            async fn report_by_idempotency_key(&self, report: &$crate::NewReport) -> $crate::Result<Option<$crate::Report>> {
                let Some(key) = &report.idempotency_key else {
                    return Ok(None);
                };
                let row: Option<$crate::rows::ReportRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    $crate::shared::report_columns!(),
                    " FROM reports WHERE author_id = $1 AND idempotency_key = $2"
                ))
                .bind(report.author_id)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::rows::ReportRow::into_report).transpose()
            }

            async fn insert_report(&self, report: &$crate::NewReport) -> $crate::Result<$crate::Report> {
                use chrono::Datelike;
                use $crate::rows::to_millis;

                let mut transaction = self.open_write().await?;
                let year = i64::from(report.created_at.with_timezone(&chrono_tz::Europe::Moscow).year());

                let (sequence,): (i64,) = sqlx::query_as(
                    "INSERT INTO report_counters (year, last_sequence) VALUES ($1, 1) \
                     ON CONFLICT (year) DO UPDATE SET last_sequence = report_counters.last_sequence + 1 RETURNING last_sequence",
                )
                .bind(year)
                .fetch_one(&mut *transaction)
                .await?;
                let number = pomoshnik_core::number::ReportNumber::new(year as i32, sequence);
                let fields = serde_json::to_string(&report.fields).map_err(|error| $crate::StoreError::Corrupt(error.to_string()))?;

                let inserted: Result<$crate::rows::ReportRow, sqlx::Error> = sqlx::query_as(concat!(
                    "INSERT INTO reports (number, year, sequence, author_id, idempotency_key, category_code, category_name, \
                     deadline_working_days, status, latitude, longitude, address, occurred_at, description, fields, \
                     created_at, updated_at, version, district_code, district_name, okrug_code, okrug_name, h3_cell, filed_agency_code) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'accepted', $9, $10, $11, $12, $13, $14, $15, $15, 1, \
                     $16, $17, $18, $19, $20, COALESCE((SELECT agency_code FROM routing_rules WHERE category_code = $6 AND district_code = $16), \
                     (SELECT agency_code FROM categories WHERE code = $6))) RETURNING ",
                    $crate::shared::report_columns!()
                ))
                .bind(number.to_string())
                .bind(year)
                .bind(sequence)
                .bind(report.author_id)
                .bind(&report.idempotency_key)
                .bind(&report.category_code)
                .bind(&report.category_name)
                .bind(i64::from(report.deadline_working_days))
                .bind(report.latitude)
                .bind(report.longitude)
                .bind(&report.address)
                .bind(to_millis(report.occurred_at))
                .bind(&report.description)
                .bind(fields)
                .bind(to_millis(report.created_at))
                .bind(report.area.as_ref().map(|area| area.district_code.clone()))
                .bind(report.area.as_ref().map(|area| area.district_name.clone()))
                .bind(report.area.as_ref().map(|area| area.okrug_code.clone()))
                .bind(report.area.as_ref().map(|area| area.okrug_name.clone()))
                .bind(report.h3_cell)
                .fetch_one(&mut *transaction)
                .await;
                let row = match inserted {
                    Err(sqlx::Error::Database(ref database)) if database.is_unique_violation() => {
                        return Err($crate::StoreError::Duplicate("idempotency key"));
                    }
                    other => other?,
                };
                let created = row.into_report()?;
                sqlx::query("UPDATE reports SET search_text = $1 WHERE id = $2")
                    .bind($crate::shared::search_text(&created))
                    .bind(created.id)
                    .execute(&mut *transaction)
                    .await?;

                for file_id in &report.file_ids {
                    let attached = sqlx::query("UPDATE files SET report_id = $1 WHERE id = $2 AND owner_id = $3 AND report_id IS NULL")
                        .bind(created.id)
                        .bind(*file_id)
                        .bind(report.author_id)
                        .execute(&mut *transaction)
                        .await?;
                    if attached.rows_affected() != 1 {
                        return Err($crate::StoreError::NotFound);
                    }
                }

                let first = $crate::StatusChange {
                    report_id: created.id,
                    expected_version: created.version,
                    actor_id: report.author_id,
                    actor_role: pomoshnik_core::role::Role::Resident,
                    from: pomoshnik_core::status::Status::Accepted,
                    to: pomoshnik_core::status::Status::Accepted,
                    comment: None,
                    decision: None,
                    rejection_reason: None,
                    agency: None,
                    status_before_info_request: None,
                    dispatched_at: None,
                    resolved_at: None,
                    deadline_at: None,
                    duplicate_of_id: None,
                    notify_user_ids: vec![report.author_id],
                    webhook_payload: None,
                    at: report.created_at,
                };
                let event_id = insert_event(&mut *transaction, created.id, Some(report.author_id), first.actor_role, None, &first).await?;
                insert_notification(&mut *transaction, report.author_id, created.id, event_id, report.created_at).await?;
                if let Some(plate) = report.fields.get($crate::PLATE_FIELD).filter(|plate| !plate.is_empty()) {
                    queue_owner_lookup(&mut *transaction, created.id, plate, report.created_at).await?;
                }

                let changes = [$crate::Change::Report(created.id), $crate::Change::Notifications(report.author_id)];
                self.announce(&mut transaction, &changes).await?;
                transaction.commit().await?;
                self.announced(&changes);
                Ok(created)
            }
        }

        /// Queues the owner lookup of a report's plate, due at once. A report queued before is left as it is.
        async fn queue_owner_lookup(
            connection: &mut <$crate::shared::DatabaseOf<$store> as sqlx::Database>::Connection,
            report_id: i64,
            plate: &str,
            at: chrono::DateTime<chrono::Utc>,
        ) -> $crate::Result<()> {
            sqlx::query(
                "INSERT INTO vehicle_owner_lookups (report_id, plate, state, attempts, next_attempt_at, created_at) \
                 VALUES ($1, $2, 'pending', 0, $3, $3) ON CONFLICT (report_id) DO NOTHING",
            )
            .bind(report_id)
            .bind(plate)
            .bind($crate::rows::to_millis(at))
            .execute(connection)
            .await?;
            Ok(())
        }

        /// Records `definition` as the next version of a catalog object and returns its number.
        async fn insert_catalog_version(
            connection: &mut <$crate::shared::DatabaseOf<$store> as sqlx::Database>::Connection,
            object: &str,
            at: chrono::DateTime<chrono::Utc>,
            actor_id: Option<i64>,
            definition: &str,
        ) -> $crate::Result<i64> {
            let version: i64 = sqlx::query_scalar(
                "INSERT INTO catalog_versions (object, version, at, actor_id, definition) \
                 VALUES ($1, (SELECT COALESCE(MAX(version), 0) + 1 FROM catalog_versions WHERE object = $1), $2, $3, $4) RETURNING version",
            )
            .bind(object)
            .bind($crate::rows::to_millis(at))
            .bind(actor_id)
            .bind(definition)
            .fetch_one(connection)
            .await?;
            Ok(version)
        }

        /// Inserts a user and returns it. Fails with [`StoreError::Duplicate`] (`"email"`) when the
        /// e-mail is taken.
        async fn insert_user(
            connection: &mut <$crate::shared::DatabaseOf<$store> as sqlx::Database>::Connection,
            user: &$crate::NewUser,
        ) -> $crate::Result<$crate::User> {
            let row: $crate::rows::UserRow = sqlx::query_as(concat!(
                "INSERT INTO users (email, password_hash, role, agency_code, district_code, confirmed, supervisor, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
                $crate::shared::user_columns!()
            ))
            .bind(&user.email)
            .bind(&user.password_hash)
            .bind(user.role.code())
            .bind(&user.agency)
            .bind(&user.district)
            .bind(user.confirmed)
            .bind(user.supervisor)
            .bind($crate::rows::to_millis(user.created_at))
            .fetch_one(&mut *connection)
            .await
            .map_err(|error| match error {
                sqlx::Error::Database(ref database) if database.is_unique_violation() => $crate::StoreError::Duplicate("email"),
                other => other.into(),
            })?;
            row.into_user()
        }

        async fn insert_event(
            connection: &mut <$crate::shared::DatabaseOf<$store> as sqlx::Database>::Connection,
            report_id: i64,
            actor_id: Option<i64>,
            actor_role: pomoshnik_core::role::Role,
            from: Option<pomoshnik_core::status::Status>,
            change: &$crate::StatusChange,
        ) -> $crate::Result<i64> {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO report_events (report_id, actor_id, actor_role, from_status, to_status, comment, decision, \
                 rejection_reason, agency_code, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(report_id)
            .bind(actor_id)
            .bind(actor_role.code())
            .bind(from.map(|status| status.code()))
            .bind(change.to.code())
            .bind(&change.comment)
            .bind(change.decision.map(|decision| decision.code()))
            .bind(change.rejection_reason.map(|reason| reason.code()))
            .bind(&change.agency)
            .bind($crate::rows::to_millis(change.at))
            .fetch_one(&mut *connection)
            .await?;
            Ok(id)
        }

        /// Makes the user a follower of the report unless they filed it or follow it already;
        /// returns whether a follower was added.
        async fn insert_follower(
            connection: &mut <$crate::shared::DatabaseOf<$store> as sqlx::Database>::Connection,
            report_id: i64,
            user_id: i64,
            at: chrono::DateTime<chrono::Utc>,
        ) -> $crate::Result<bool> {
            let inserted = sqlx::query(
                "INSERT INTO report_followers (report_id, user_id, created_at) \
                 SELECT id, $2, $3 FROM reports WHERE id = $1 AND author_id <> $2 \
                 ON CONFLICT (user_id, report_id) DO NOTHING",
            )
            .bind(report_id)
            .bind(user_id)
            .bind($crate::rows::to_millis(at))
            .execute(&mut *connection)
            .await?;
            Ok(inserted.rows_affected() == 1)
        }

        /// Writes a notification and, in the same transaction, its deliveries through every
        /// enabled channel that the user has not turned off and can be reached on: e-mail needs an
        /// address, Web Push a subscribed browser and SMS a confirmed phone. Without a stored
        /// preference SMS is off and the other channels are immediate, as
        /// [`crate::DeliveryMode::default_for`] returns.
        async fn insert_notification(
            connection: &mut <$crate::shared::DatabaseOf<$store> as sqlx::Database>::Connection,
            user_id: i64,
            report_id: i64,
            event_id: i64,
            at: chrono::DateTime<chrono::Utc>,
        ) -> $crate::Result<i64> {
            let (notification_id,): (i64,) =
                sqlx::query_as("INSERT INTO notifications (user_id, report_id, event_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                    .bind(user_id)
                    .bind(report_id)
                    .bind(event_id)
                    .bind($crate::rows::to_millis(at))
                    .fetch_one(&mut *connection)
                    .await?;

            let digest_at = pomoshnik_core::deadline::next_digest_at(at);
            sqlx::query(
                "INSERT INTO deliveries (notification_id, user_id, channel, state, digest, attempts, next_attempt_at, \
                 unsubscribe_token, created_at) \
                 SELECT $1, $2, delivery_channels.code, 'pending', \
                 CASE WHEN notification_preferences.mode = 'digest' THEN 1 ELSE 0 END, 0, \
                 CASE WHEN notification_preferences.mode = 'digest' THEN $4 ELSE $3 END, \
                 $5 || delivery_channels.code, $3 \
                 FROM delivery_channels JOIN users ON users.id = $2 LEFT JOIN notification_preferences \
                 ON notification_preferences.user_id = $2 AND notification_preferences.channel = delivery_channels.code \
                 WHERE (notification_preferences.mode IN ('immediate', 'digest') \
                 OR (notification_preferences.mode IS NULL AND delivery_channels.code <> 'sms')) \
                 AND (delivery_channels.code <> 'email' OR COALESCE(users.email, '') <> '') \
                 AND (delivery_channels.code <> 'push' OR EXISTS (SELECT 1 FROM push_subscriptions WHERE push_subscriptions.user_id = $2)) \
                 AND (delivery_channels.code <> 'sms' OR (users.phone IS NOT NULL AND users.confirmed))",
            )
            .bind(notification_id)
            .bind(user_id)
            .bind($crate::rows::to_millis(at))
            .bind($crate::rows::to_millis(digest_at))
            .bind(format!("{}-", uuid::Uuid::new_v4().simple()))
            .execute(&mut *connection)
            .await?;
            Ok(notification_id)
        }

        /// Writes one webhook delivery per destination of `agency` for the dispatch event
        /// `event_id`. Each gets a random idempotency key that stays the same across retries.
        async fn insert_webhook_deliveries(
            connection: &mut <$crate::shared::DatabaseOf<$store> as sqlx::Database>::Connection,
            report_id: i64,
            event_id: i64,
            agency: &str,
            payload: &str,
            at: chrono::DateTime<chrono::Utc>,
        ) -> $crate::Result<()> {
            sqlx::query(
                "INSERT INTO webhook_deliveries (report_id, event_id, destination, agency_code, idempotency_key, payload, state, \
                 attempts, next_attempt_at, created_at) \
                 SELECT $1, $2, name, agency_code, $3 || name, $4, 'pending', 0, $5, $5 \
                 FROM webhook_destinations WHERE agency_code = $6 \
                 AND NOT EXISTS (SELECT 1 FROM agencies WHERE agencies.code = $6 AND NOT agencies.webhook_dispatch)",
            )
            .bind(report_id)
            .bind(event_id)
            .bind(format!("{}-", uuid::Uuid::new_v4()))
            .bind(payload)
            .bind($crate::rows::to_millis(at))
            .bind(agency)
            .execute(&mut *connection)
            .await?;
            Ok(())
        }
    };
}

pub(crate) use impl_store;

/// H3 cells one nearby query binds; a 100 m disk at resolution 10 has 19 cells, and longer
/// lists are split into several queries.
pub(crate) const NEARBY_CELL_PARAMETERS: usize = 19;

/// Merges the results of a query split into chunks: newest first, at most `limit`.
pub(crate) fn newest_first(mut reports: Vec<crate::Report>, limit: i64) -> Vec<crate::Report> {
    reports.sort_by(|a, b| b.id.cmp(&a.id));
    reports.truncate(usize::try_from(limit).unwrap_or(0));
    reports
}

/// Names the sqlx database type of a store, so the shared code can name its connection type.
pub(crate) trait HasDatabase {
    type Database: sqlx::Database;
}

pub(crate) type DatabaseOf<S> = <S as HasDatabase>::Database;

macro_rules! api_key_columns {
    () => {
        "api_keys.id AS key_id, api_keys.name AS key_name, api_keys.user_id AS key_user_id, \
         api_keys.created_at AS key_created_at, api_keys.revoked_at AS key_revoked_at"
    };
}

pub(crate) use api_key_columns;

/// Ids bound in one `IN (…)` list; longer lists are split into several queries.
/// Computes the stored search text of a report from its number, description, address and plate.
pub(crate) fn search_text(report: &crate::Report) -> String {
    let plate = report.fields.get(crate::PLATE_FIELD).map(String::as_str);
    pomoshnik_core::report_search::report_search_text(&report.number, &report.description, report.address.as_deref(), plate)
}

pub(crate) const MAX_LISTED_IDS: usize = 500;

/// Returns `$first, $first+1, …` with `count` parameters, for an `IN (…)` list.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|index| format!("${index}")).collect::<Vec<_>>().join(", ")
}

/// Builds the query of [`crate::Store::filtered_reports`] after `select`. The parameters are, in
/// order: the two time bounds, each category, each status, the limit and the offset.
pub(crate) fn filtered_reports_sql(select: &str, filter: &crate::ReportFilter) -> String {
    let mut sql = format!("{select} WHERE created_at >= $1 AND created_at <= $2");
    let mut next = 3;
    if !filter.categories.is_empty() {
        sql.push_str(&format!(" AND category_code IN ({})", placeholders(next, filter.categories.len())));
        next += filter.categories.len();
    }
    if !filter.statuses.is_empty() {
        sql.push_str(&format!(" AND status IN ({})", placeholders(next, filter.statuses.len())));
        next += filter.statuses.len();
    }
    sql.push_str(&format!(" ORDER BY created_at DESC, id DESC LIMIT ${} OFFSET ${}", next, next + 1));
    sql
}
