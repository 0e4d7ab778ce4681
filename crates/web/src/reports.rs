//! Filing reports and changing their status: the steps shared by the pages and the JSON API.
//! The rules themselves are in `pomoshnik_core`; this module loads what they need, applies them
//! and stores the result.

use chrono::{DateTime, Utc};
use pomoshnik_core::deadline::{Pause, deadline_with_pauses};
use pomoshnik_core::number::ReportNumber;
use pomoshnik_core::role::Role;
use pomoshnik_core::status::{RejectionReason, Status};
use pomoshnik_core::transition::{Actor, ReportState, TransitionRequest, check_transition};
use pomoshnik_core::catalog::Category;
use pomoshnik_core::validation::{FieldError, ReportDraft, ValidReport, validate_report};
use pomoshnik_geo::{DUPLICATE_RESOLUTION, Location, h3_cell};
use pomoshnik_media::FileKind;
use pomoshnik_store::{Created, FileRecord, NewReport, Report, ReportArea, ReportEvent, StatusChange, User};

use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// A report as submitted, with the uploads already stored as pending files of the author.
pub struct Submission {
    pub category: String,
    pub draft: ReportDraft,
    pub files: Vec<FileRecord>,
    pub idempotency_key: Option<String>,
}

/// Checks a draft against its category without storing anything.
pub fn check_draft(user: &User, category: &Category, draft: &ReportDraft, files: &[FileRecord]) -> Result<ValidReport, ApiError> {
    if user.role != Role::Resident {
        return Err(ApiError::forbidden().with_code("only_residents_file_reports"));
    }

    let mut draft = draft.clone();
    let kinds = files.iter().filter_map(|file| FileKind::from_code(&file.kind));
    draft.photos = kinds.clone().filter(|kind| kind.is_image()).count() as u32;
    draft.videos = kinds.filter(|kind| *kind == FileKind::Mp4).count() as u32;

    validate_report(&draft, category, Utc::now()).map_err(|errors| ApiError::unprocessable(errors.iter().map(Problem::from_field_error).collect()))
}

/// Checks and stores a new report. Validation problems come back all at once.
pub async fn submit(state: &AppState, user: &User, submission: Submission) -> Result<Created, ApiError> {
    if user.role != Role::Resident {
        return Err(ApiError::forbidden().with_code("only_residents_file_reports"));
    }
    if !user.confirmed {
        return Err(ApiError::forbidden().with_code("account_not_confirmed"));
    }
    let catalog = state.store.catalog().await?;
    let Some(category) = catalog.category(&submission.category) else {
        return Err(ApiError::unprocessable(vec![Problem::from_field_error(&FieldError {
            field: "category".into(),
            code: "category_unknown",
            args: vec![],
        })]));
    };
    let valid = check_draft(user, category, &submission.draft, &submission.files)?;
    let (area, h3_cell) = locate(state, valid.latitude, valid.longitude)?;

    let report = NewReport {
        author_id: user.id,
        idempotency_key: submission.idempotency_key,
        category_code: category.code.clone(),
        category_name: category.name.clone(),
        deadline_working_days: category.deadline_working_days,
        latitude: valid.latitude,
        longitude: valid.longitude,
        address: valid.address,
        occurred_at: valid.occurred_at,
        description: valid.description,
        fields: valid.fields,
        file_ids: submission.files.iter().map(|file| file.id).collect(),
        created_at: Utc::now(),
        area,
        h3_cell,
    };
    let created = state.store.create_report(&report).await?;
    if let Created::New(report) = &created {
        tracing::info!(report.number = %report.number, user.id = user.id, category = %report.category_code, "report filed");
        crate::metrics::report_created();
    }
    Ok(created)
}

/// Finds the district and okrug of a point and its H3 cell. A point outside the city is
/// rejected because no city agency could act on it.
pub fn locate(state: &AppState, latitude: f64, longitude: f64) -> Result<(Option<ReportArea>, Option<i64>), ApiError> {
    let area = match state.city.locate(latitude, longitude) {
        Location::Outside => {
            return Err(ApiError::unprocessable(vec![Problem::from_field_error(&FieldError {
                field: "location".into(),
                code: "location_outside_city",
                args: vec![],
            })]));
        }
        Location::Inside { district, okrug } => Some(ReportArea {
            district_code: district.code.clone(),
            district_name: district.name.clone(),
            okrug_code: okrug.code.clone(),
            okrug_name: okrug.name.clone(),
        }),
        Location::Unassigned { .. } => None,
    };
    // The cell is stored as the bits of the u64 index; both databases have signed 64-bit integers.
    let cell = h3_cell(latitude, longitude, DUPLICATE_RESOLUTION).ok().map(|cell| cell as i64);
    Ok((area, cell))
}

/// Returns whether the user may see the whole report: residents their own, executors their
/// agency's (an executor bound to a district only that district's), moderators and
/// administrators all. Followers see less, through [`readable_report`].
pub fn can_view(user: &User, report: &Report) -> bool {
    match user.role {
        Role::Resident => report.author_id == user.id,
        Role::Executor => {
            let same_agency = user.agency.is_some() && report.agency == user.agency;
            let district = report.area.as_ref().map(|area| area.district_code.as_str());
            same_agency && user.district.as_deref().is_none_or(|own| district == Some(own))
        }
        Role::Moderator | Role::Admin => true,
    }
}

/// How much of a report a user may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Everything: the author and staff.
    Full,
    /// Public fields plus the status history, for a resident who joined the report.
    Follower,
}

/// Loads a report the user may see in full or follows. Anything else is reported as missing.
pub async fn readable_report(state: &AppState, user: &User, number: &str) -> Result<(Report, Access), ApiError> {
    let number: ReportNumber = number.parse().map_err(|_| ApiError::not_found())?;
    let Some(report) = state.store.report(&number).await? else {
        return Err(ApiError::not_found());
    };
    if can_view(user, &report) {
        return Ok((report, Access::Full));
    }
    if user.role == Role::Resident && state.store.is_follower(report.id, user.id).await? {
        return Ok((report, Access::Follower));
    }
    Err(ApiError::not_found())
}

/// Returns whether the report is offered as a possible duplicate: still open and filed within
/// the window that the form's list of nearby reports covers.
pub fn is_duplicate_candidate(report: &Report, now: DateTime<Utc>) -> bool {
    let open = !matches!(report.status, Status::Resolved | Status::Rejected | Status::Closed);
    open && report.created_at >= now - crate::api::DUPLICATE_WINDOW
}

/// Makes a resident a follower of a report offered to them as a possible duplicate, instead of
/// filing a new one. Returns the report and whether the resident was added (false when they
/// already followed it). Reports that are not candidates get 404, so joining reveals no
/// more than the list of nearby reports does.
pub async fn join(state: &AppState, user: &User, number: &str) -> Result<(Report, bool), ApiError> {
    if user.role != Role::Resident {
        return Err(ApiError::forbidden().with_code("only_residents_join_reports"));
    }
    let parsed: ReportNumber = number.parse().map_err(|_| ApiError::not_found())?;
    let Some(report) = state.store.report(&parsed).await? else {
        return Err(ApiError::not_found());
    };
    if report.author_id == user.id {
        return Err(ApiError::new(axum::http::StatusCode::CONFLICT, "join_own_report"));
    }
    if state.store.is_follower(report.id, user.id).await? {
        return Ok((report, false));
    }
    if !is_duplicate_candidate(&report, Utc::now()) {
        return Err(ApiError::not_found());
    }
    let added = state.store.add_follower(report.id, user.id, Utc::now()).await?;
    if added {
        tracing::info!(report.number = %report.number, user.id = user.id, "resident joined a report");
    }
    Ok((report, added))
}

/// Loads a report the user may see. A report that exists but is not theirs is reported as
/// missing, so that numbers of other people's reports cannot be probed.
pub async fn visible_report(state: &AppState, user: &User, number: &str) -> Result<Report, ApiError> {
    let number: ReportNumber = number.parse().map_err(|_| ApiError::not_found())?;
    match state.store.report(&number).await? {
        Some(report) if can_view(user, &report) => Ok(report),
        _ => Err(ApiError::not_found()),
    }
}

/// Describes the user as the transition rules see them.
pub fn actor(user: &User) -> Actor {
    Actor { user_id: user.id, role: user.role, agency: user.agency.clone() }
}

/// Describes the report as the transition rules see it.
pub fn transition_state(report: &Report) -> ReportState {
    ReportState {
        status: report.status,
        author_id: report.author_id,
        agency: report.agency.clone(),
        status_before_info_request: report.status_before_info_request,
        resolved_at: report.resolved_at,
    }
}

/// Spans during which the report waited for the resident, from its chronology.
pub fn pauses(events: &[ReportEvent]) -> Vec<Pause> {
    let mut pauses: Vec<Pause> = Vec::new();
    for event in events {
        if event.to_status == Status::InfoRequested {
            pauses.push(Pause { since: event.created_at, until: None });
        } else if event.from_status == Some(Status::InfoRequested) {
            if let Some(open) = pauses.last_mut().filter(|pause| pause.until.is_none()) {
                open.until = Some(event.created_at);
            }
        }
    }
    pauses
}

/// Applies a status change on behalf of `user`. `expected_version` is the version the user saw;
/// if the report changed since, the change is refused with a conflict instead of overwriting.
pub async fn change_status(
    state: &AppState,
    user: &User,
    report: &Report,
    mut request: TransitionRequest,
    expected_version: Option<i64>,
) -> Result<Report, ApiError> {
    let now = Utc::now();
    let catalog = state.store.catalog().await?;

    if request.to == Status::Dispatched && request.agency.is_none() && report.status != Status::Dispatched {
        // The agency of the category as it was at filing: a later change of the catalog does not
        // move reports already filed.
        request.agency = match state.store.filed_agency(report.id).await? {
            Some(agency) => Some(agency),
            None => catalog.category(&report.category_code).map(|category| category.agency.clone()),
        };
    }
    if let Some(agency) = &request.agency {
        if catalog.agency(agency).is_none() {
            return Err(ApiError::unprocessable(vec![Problem { code: "agency_unknown".into(), message: crate::i18n::Tr.error("agency_unknown", &[]), field: Some("agency".into()) }]));
        }
    }
    if let Some(version) = expected_version {
        if version != report.version {
            return Err(ApiError::from(pomoshnik_store::StoreError::Conflict));
        }
    }

    check_transition(&transition_state(report), &actor(user), &request, now)?;
    let duplicate_of_id = match (request.reason, request.duplicate_of.as_ref()) {
        (Some(RejectionReason::Duplicate), Some(number)) if request.to == Status::Rejected => Some(check_original(state, report, number).await?.id),
        _ => None,
    };

    let events = state.store.report_events(report.id).await?;
    let followers = state.store.report_followers(report.id).await?;
    let mut change = build_change(state, report, &events, user, &request, now);
    change.duplicate_of_id = duplicate_of_id;
    if change.to == Status::Dispatched {
        let files = state.store.report_files(report.id).await?;
        let public_url = state.config.public_url.trim_end_matches('/');
        change.webhook_payload = Some(crate::webhook::dispatch_payload(public_url, report, &change, &files));
    }
    change.notify_user_ids.extend(followers.into_iter().filter(|id| *id != user.id && *id != report.author_id));
    let updated = state.store.apply_status_change(&change).await?;
    match &request.duplicate_of {
        Some(original) if duplicate_of_id.is_some() => {
            tracing::info!(report.number = %updated.number, original.number = %original, user.id = user.id, "report rejected as a duplicate");
        }
        _ => tracing::info!(report.number = %updated.number, user.id = user.id, from = report.status.code(), to = updated.status.code(), "report status changed"),
    }
    crate::metrics::status_changed(updated.status.code());
    Ok(updated)
}

/// Loads the report that `report` is being rejected as a duplicate of and checks that it may be
/// an original: it exists, is another report and was not itself rejected as a duplicate.
async fn check_original(state: &AppState, report: &Report, number: &ReportNumber) -> Result<Report, ApiError> {
    let problem = |code: &str| {
        ApiError::unprocessable(vec![Problem { code: code.to_owned(), message: crate::i18n::Tr.error(code, &[]), field: Some("duplicate_of".into()) }])
    };
    let Some(original) = state.store.report(number).await? else {
        return Err(problem("duplicate_of_not_found"));
    };
    if original.id == report.id {
        return Err(problem("duplicate_of_same_report"));
    }
    if original.status == Status::Rejected && original.rejection_reason == Some(RejectionReason::Duplicate) {
        return Err(problem("duplicate_of_is_duplicate"));
    }
    Ok(original)
}

fn build_change(
    state: &AppState,
    report: &Report,
    events: &[ReportEvent],
    user: &User,
    request: &TransitionRequest,
    now: DateTime<Utc>,
) -> StatusChange {
    let to = request.to;
    let mut change = StatusChange {
        report_id: report.id,
        expected_version: report.version,
        actor_id: user.id,
        actor_role: user.role,
        from: report.status,
        to,
        comment: request.comment.as_deref().map(str::trim).filter(|text| !text.is_empty()).map(str::to_owned),
        decision: report.decision,
        rejection_reason: report.rejection_reason,
        agency: report.agency.clone(),
        status_before_info_request: None,
        dispatched_at: report.dispatched_at,
        resolved_at: report.resolved_at,
        deadline_at: report.deadline_at,
        duplicate_of_id: None,
        notify_user_ids: if user.id == report.author_id { Vec::new() } else { vec![report.author_id] },
        webhook_payload: None,
        at: now,
    };

    match to {
        Status::Dispatched if report.status != Status::InfoRequested => {
            change.agency = request.agency.clone();
            change.dispatched_at = Some(now);
            change.deadline_at = Some(deadline_with_pauses(&state.calendar.get(), now, report.deadline_working_days, &[]).unwrap_or(now));
        }
        Status::InfoRequested => change.status_before_info_request = Some(report.status),
        Status::Resolved => {
            change.decision = request.decision;
            change.resolved_at = Some(now);
        }
        Status::Rejected => change.rejection_reason = request.reason,
        Status::Reopened => {
            change.decision = None;
            change.resolved_at = None;
        }
        _ => {}
    }

    // The resident answered: the clock that stopped while the report waited resumes.
    if report.status == Status::InfoRequested {
        if let Some(dispatched_at) = report.dispatched_at {
            let mut pauses = pauses(events);
            if let Some(open) = pauses.last_mut().filter(|pause| pause.until.is_none()) {
                open.until = Some(now);
            }
            change.deadline_at = deadline_with_pauses(&state.calendar.get(), dispatched_at, report.deadline_working_days, &pauses);
        }
    }
    change
}

/// Stores the author's rating of a resolved report. Refusals: 403 for anyone but the author,
/// 409 before a decision, 422 naming the field for a score outside 1–5 or a long comment.
pub async fn rate(state: &AppState, user: &User, number: &str, score: i64, comment: Option<String>) -> Result<pomoshnik_store::Rating, ApiError> {
    use axum::http::StatusCode;
    use pomoshnik_core::rating::{RatingError, check_rating};

    let report = visible_report(state, user, number).await?;
    let comment = comment.map(|comment| comment.trim().to_owned()).filter(|comment| !comment.is_empty());
    if let Err(error) = check_rating(report.status, report.author_id, user.id, score, comment.as_deref()) {
        let refusal = match error {
            RatingError::NotAuthor => ApiError::new(StatusCode::FORBIDDEN, error.code()),
            RatingError::NotResolved => ApiError::new(StatusCode::CONFLICT, error.code()),
            RatingError::ScoreOutOfRange => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, error.code()).with_field("score"),
            RatingError::CommentTooLong => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, error.code()).with_field("comment"),
        };
        return Err(refusal);
    }
    let rating = state.store.rate_report(report.id, user.id, score, comment.as_deref(), Utc::now()).await?;
    tracing::info!(report_id = report.id, score, "report rated");
    Ok(rating)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use pomoshnik_core::calendar::Calendar;
    use pomoshnik_core::deadline::{CITY_TIME_ZONE, deadline};

    use super::*;

    fn moscow(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
        CITY_TIME_ZONE.with_ymd_and_hms(2026, month, day, hour, 0, 0).single().expect("an unambiguous Moscow time").with_timezone(&Utc)
    }

    fn event(from: Option<Status>, to: Status, at: DateTime<Utc>) -> ReportEvent {
        ReportEvent {
            id: 0,
            report_id: 1,
            actor_id: None,
            actor_role: Role::Executor,
            from_status: from,
            to_status: to,
            comment: None,
            decision: None,
            rejection_reason: None,
            agency: None,
            created_at: at,
        }
    }

    #[test]
    fn paused_working_days_move_deadline() {
        let calendar = Calendar::embedded();
        let dispatched = moscow(10, 5, 10);
        // Asked on Tuesday 6 October, answered on Monday 12 October: the report waited at the
        // end of Tuesday to Friday (four working days) and of the weekend, which never counts.
        let events = [
            event(Some(Status::UnderReview), Status::Dispatched, dispatched),
            event(Some(Status::Dispatched), Status::InfoRequested, moscow(10, 6, 12)),
            event(Some(Status::InfoRequested), Status::Dispatched, moscow(10, 12, 9)),
        ];
        let paused = pauses(&events);
        assert_eq!(paused.len(), 1);
        assert_eq!(paused[0].until, Some(moscow(10, 12, 9)));

        let without_pause = deadline(calendar, dispatched, 10);
        let with_pause = deadline_with_pauses(calendar, dispatched, 10, &paused).expect("the pause is closed");
        assert_eq!(without_pause, moscow(10, 20, 0), "ten working days after 5 October end with 19 October");
        assert_eq!(with_pause, moscow(10, 24, 0), "four paused working days move the last day to 23 October");

        // While the report still waits, no deadline can be given.
        let waiting = pauses(&events[..2]);
        assert_eq!(deadline_with_pauses(calendar, dispatched, 10, &waiting), None);
    }
}
