//! The status table: which status may follow which, who may make each change and what the change
//! must carry (a decision, a reason, a comment, a new agency).

use chrono::{DateTime, Duration, Utc};

use crate::number::ReportNumber;
use crate::role::Role;
use crate::status::{Decision, RejectionReason, Status};

/// Maximum length of a comment attached to a status change, in characters.
pub const MAX_COMMENT_CHARS: usize = 5_000;

/// Days after resolution during which the author may reopen the report.
pub const REOPEN_WINDOW_DAYS: i64 = 30;

/// The person asking for a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub role: Role,
    /// The agency an executor works for.
    pub agency: Option<String>,
}

/// The report's fields that the transition rules read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportState {
    pub status: Status,
    pub author_id: i64,
    /// The agency the report is dispatched to, if any.
    pub agency: Option<String>,
    /// The status to return to when the resident answers a request for information.
    pub status_before_info_request: Option<Status>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRequest {
    pub to: Status,
    pub comment: Option<String>,
    pub decision: Option<Decision>,
    pub reason: Option<RejectionReason>,
    /// The agency to dispatch or redirect to.
    pub agency: Option<String>,
    /// The original report, required when rejecting with the reason `duplicate`. Whether it
    /// exists and may be an original is checked by the caller, which has the store.
    pub duplicate_of: Option<ReportNumber>,
}

impl TransitionRequest {
    pub fn to(status: Status) -> TransitionRequest {
        TransitionRequest { to: status, comment: None, decision: None, reason: None, agency: None, duplicate_of: None }
    }

    fn comment_text(&self) -> Option<&str> {
        self.comment.as_deref().map(str::trim).filter(|text| !text.is_empty())
    }
}

/// Reasons a change is rejected. Each variant has a stable code for API clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a report in status {from:?} cannot move to {to:?}")]
    NotAllowed { from: Status, to: Status },
    #[error("this role may not make this change")]
    Forbidden,
    #[error("resolving a report requires a decision")]
    DecisionRequired,
    #[error("rejecting a report requires a reason")]
    ReasonRequired,
    #[error("rejecting a report as a duplicate requires the original's number")]
    OriginalRequired,
    #[error("this change requires a comment")]
    CommentRequired,
    #[error("the comment is longer than {MAX_COMMENT_CHARS} characters")]
    CommentTooLong,
    #[error("dispatching requires an agency")]
    AgencyRequired,
    #[error("a redirect must name another agency")]
    SameAgency,
    #[error("the report was resolved more than {REOPEN_WINDOW_DAYS} days ago")]
    ReopenWindowClosed,
}

impl TransitionError {
    pub fn code(&self) -> &'static str {
        match self {
            TransitionError::NotAllowed { .. } => "transition_not_allowed",
            TransitionError::Forbidden => "transition_forbidden",
            TransitionError::DecisionRequired => "decision_required",
            TransitionError::ReasonRequired => "reason_required",
            TransitionError::OriginalRequired => "duplicate_of_required",
            TransitionError::CommentRequired => "comment_required",
            TransitionError::CommentTooLong => "comment_too_long",
            TransitionError::AgencyRequired => "agency_required",
            TransitionError::SameAgency => "same_agency",
            TransitionError::ReopenWindowClosed => "reopen_window_closed",
        }
    }
}

/// Who may make a change: moderators screen and dispatch, the agency's executors work the report,
/// the author answers and reopens. Administrators may act as moderators and executors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Party {
    Moderation,
    Agency,
    Author,
}

/// The statuses that may follow `from`, whoever requests them. `info_requested` returns to the
/// status it interrupted, which only the report's state knows, so it is handled separately.
pub fn next_statuses(from: Status) -> &'static [Status] {
    use Status::*;
    match from {
        Accepted => &[UnderReview, Rejected],
        UnderReview => &[Dispatched, Rejected, InfoRequested],
        Dispatched => &[InProgress, Dispatched, InfoRequested, Resolved],
        InProgress => &[InfoRequested, Resolved],
        InfoRequested => &[],
        Resolved => &[Closed, Reopened],
        Rejected => &[],
        Reopened => &[InProgress, Resolved],
        Closed => &[],
    }
}

fn party_for(from: Status, to: Status) -> Party {
    use Status::*;
    match (from, to) {
        (Accepted | UnderReview, _) => Party::Moderation,
        (InfoRequested, _) | (Resolved, _) => Party::Author,
        _ => Party::Agency,
    }
}

fn actor_is(party: Party, actor: &Actor, state: &ReportState) -> bool {
    match party {
        Party::Moderation => matches!(actor.role, Role::Moderator | Role::Admin),
        Party::Agency => match actor.role {
            Role::Admin => true,
            Role::Executor => actor.agency.is_some() && actor.agency == state.agency,
            _ => false,
        },
        Party::Author => actor.user_id == state.author_id || actor.role == Role::Admin,
    }
}

/// Checks a requested change against the status table, the actor's rights and the data the change
/// must carry. `now` matters only for the reopen window.
pub fn check_transition(
    state: &ReportState,
    actor: &Actor,
    request: &TransitionRequest,
    now: DateTime<Utc>,
) -> Result<(), TransitionError> {
    let from = state.status;
    let to = request.to;

    let allowed = if from == Status::InfoRequested {
        Some(to) == state.status_before_info_request
    } else {
        next_statuses(from).contains(&to)
    };
    if !allowed {
        return Err(TransitionError::NotAllowed { from, to });
    }

    let party = party_for(from, to);
    let redirect_by_moderator = from == Status::Dispatched && to == Status::Dispatched && actor_is(Party::Moderation, actor, state);
    if !actor_is(party, actor, state) && !redirect_by_moderator {
        return Err(TransitionError::Forbidden);
    }

    if request.comment.as_deref().is_some_and(|text| text.chars().count() > MAX_COMMENT_CHARS) {
        return Err(TransitionError::CommentTooLong);
    }
    check_payload(state, request, now)
}

fn check_payload(state: &ReportState, request: &TransitionRequest, now: DateTime<Utc>) -> Result<(), TransitionError> {
    let has_comment = request.comment_text().is_some();

    // The resident's answer returns the report to where it was; the answer itself is the comment.
    if state.status == Status::InfoRequested {
        return if has_comment { Ok(()) } else { Err(TransitionError::CommentRequired) };
    }

    match request.to {
        Status::Rejected if request.reason.is_none() => Err(TransitionError::ReasonRequired),
        Status::Rejected if request.reason == Some(RejectionReason::Duplicate) && request.duplicate_of.is_none() => {
            Err(TransitionError::OriginalRequired)
        }
        Status::Resolved if request.decision.is_none() => Err(TransitionError::DecisionRequired),
        Status::Resolved | Status::InfoRequested | Status::Reopened if !has_comment => Err(TransitionError::CommentRequired),
        Status::Dispatched => check_dispatch(state, request, has_comment),
        Status::Reopened => {
            let resolved_at = state.resolved_at.unwrap_or(now);
            if now - resolved_at > Duration::days(REOPEN_WINDOW_DAYS) {
                Err(TransitionError::ReopenWindowClosed)
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

fn check_dispatch(state: &ReportState, request: &TransitionRequest, has_comment: bool) -> Result<(), TransitionError> {
    let Some(agency) = request.agency.as_deref() else {
        return Err(TransitionError::AgencyRequired);
    };
    if state.status == Status::Dispatched {
        if state.agency.as_deref() == Some(agency) {
            return Err(TransitionError::SameAgency);
        }
        if !has_comment {
            return Err(TransitionError::CommentRequired);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTHOR: i64 = 1;

    fn state(status: Status) -> ReportState {
        ReportState { status, author_id: AUTHOR, agency: Some("madi".into()), status_before_info_request: None, resolved_at: None }
    }

    fn moderator() -> Actor {
        Actor { user_id: 10, role: Role::Moderator, agency: None }
    }

    fn executor(agency: &str) -> Actor {
        Actor { user_id: 20, role: Role::Executor, agency: Some(agency.into()) }
    }

    fn author() -> Actor {
        Actor { user_id: AUTHOR, role: Role::Resident, agency: None }
    }

    fn now() -> DateTime<Utc> {
        "2026-03-02T10:00:00Z".parse().unwrap()
    }

    fn with_comment(to: Status) -> TransitionRequest {
        TransitionRequest { comment: Some("Проверено на месте".into()), ..TransitionRequest::to(to) }
    }

    #[test]
    fn moderator_takes_report_for_review() {
        let result = check_transition(&state(Status::Accepted), &moderator(), &TransitionRequest::to(Status::UnderReview), now());
        assert_eq!(result, Ok(()));
    }

    #[test]
    fn accepted_cannot_jump_to_resolved() {
        let request = TransitionRequest { decision: Some(Decision::Fixed), ..with_comment(Status::Resolved) };
        let result = check_transition(&state(Status::Accepted), &moderator(), &request, now());
        assert_eq!(result, Err(TransitionError::NotAllowed { from: Status::Accepted, to: Status::Resolved }));
    }

    #[test]
    fn closed_and_rejected_are_final() {
        for from in [Status::Closed, Status::Rejected] {
            for to in Status::ALL {
                let result = check_transition(&state(from), &moderator(), &with_comment(to), now());
                assert!(matches!(result, Err(TransitionError::NotAllowed { .. })), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn rejection_requires_reason() {
        let result = check_transition(&state(Status::UnderReview), &moderator(), &TransitionRequest::to(Status::Rejected), now());
        assert_eq!(result, Err(TransitionError::ReasonRequired));

        let request = TransitionRequest { reason: Some(RejectionReason::NotAViolation), ..TransitionRequest::to(Status::Rejected) };
        assert_eq!(check_transition(&state(Status::UnderReview), &moderator(), &request, now()), Ok(()));
    }

    #[test]
    fn duplicate_rejection_requires_original() {
        let without_original = TransitionRequest { reason: Some(RejectionReason::Duplicate), ..TransitionRequest::to(Status::Rejected) };
        let result = check_transition(&state(Status::UnderReview), &moderator(), &without_original, now());
        assert_eq!(result, Err(TransitionError::OriginalRequired));

        let with_original = TransitionRequest { duplicate_of: Some(ReportNumber::new(2026, 1)), ..without_original };
        assert_eq!(check_transition(&state(Status::UnderReview), &moderator(), &with_original, now()), Ok(()));
    }

    #[test]
    fn dispatch_requires_agency() {
        let result = check_transition(&state(Status::UnderReview), &moderator(), &TransitionRequest::to(Status::Dispatched), now());
        assert_eq!(result, Err(TransitionError::AgencyRequired));
    }

    #[test]
    fn resident_cannot_dispatch() {
        let request = TransitionRequest { agency: Some("madi".into()), ..TransitionRequest::to(Status::Dispatched) };
        let result = check_transition(&state(Status::UnderReview), &author(), &request, now());
        assert_eq!(result, Err(TransitionError::Forbidden));
    }

    #[test]
    fn executor_of_other_agency_is_forbidden() {
        let result = check_transition(&state(Status::Dispatched), &executor("oati"), &TransitionRequest::to(Status::InProgress), now());
        assert_eq!(result, Err(TransitionError::Forbidden));
    }

    #[test]
    fn executor_resolves_with_decision_and_comment() {
        let without_decision = with_comment(Status::Resolved);
        let result = check_transition(&state(Status::InProgress), &executor("madi"), &without_decision, now());
        assert_eq!(result, Err(TransitionError::DecisionRequired));

        let without_comment = TransitionRequest { decision: Some(Decision::Confirmed), ..TransitionRequest::to(Status::Resolved) };
        let result = check_transition(&state(Status::InProgress), &executor("madi"), &without_comment, now());
        assert_eq!(result, Err(TransitionError::CommentRequired));

        let complete = TransitionRequest { decision: Some(Decision::Confirmed), ..with_comment(Status::Resolved) };
        assert_eq!(check_transition(&state(Status::InProgress), &executor("madi"), &complete, now()), Ok(()));
    }

    #[test]
    fn redirect_needs_other_agency_and_comment() {
        let same = TransitionRequest { agency: Some("madi".into()), ..with_comment(Status::Dispatched) };
        let result = check_transition(&state(Status::Dispatched), &executor("madi"), &same, now());
        assert_eq!(result, Err(TransitionError::SameAgency));

        let silent = TransitionRequest { agency: Some("oati".into()), ..TransitionRequest::to(Status::Dispatched) };
        let result = check_transition(&state(Status::Dispatched), &executor("madi"), &silent, now());
        assert_eq!(result, Err(TransitionError::CommentRequired));

        let redirect = TransitionRequest { agency: Some("oati".into()), ..with_comment(Status::Dispatched) };
        assert_eq!(check_transition(&state(Status::Dispatched), &executor("madi"), &redirect, now()), Ok(()));
        assert_eq!(check_transition(&state(Status::Dispatched), &moderator(), &redirect, now()), Ok(()));
    }

    #[test]
    fn info_request_returns_to_interrupted_status() {
        let waiting = ReportState { status_before_info_request: Some(Status::InProgress), ..state(Status::InfoRequested) };

        let back = with_comment(Status::InProgress);
        assert_eq!(check_transition(&waiting, &author(), &back, now()), Ok(()));

        let elsewhere = with_comment(Status::Dispatched);
        let result = check_transition(&waiting, &author(), &elsewhere, now());
        assert_eq!(result, Err(TransitionError::NotAllowed { from: Status::InfoRequested, to: Status::Dispatched }));

        let stranger = Actor { user_id: 99, role: Role::Resident, agency: None };
        assert_eq!(check_transition(&waiting, &stranger, &back, now()), Err(TransitionError::Forbidden));
    }

    #[test]
    fn reopen_only_within_window() {
        let resolved = ReportState { resolved_at: Some(now() - Duration::days(29)), ..state(Status::Resolved) };
        assert_eq!(check_transition(&resolved, &author(), &with_comment(Status::Reopened), now()), Ok(()));

        let old = ReportState { resolved_at: Some(now() - Duration::days(31)), ..state(Status::Resolved) };
        let result = check_transition(&old, &author(), &with_comment(Status::Reopened), now());
        assert_eq!(result, Err(TransitionError::ReopenWindowClosed));
    }

    #[test]
    fn overlong_comment_is_refused() {
        let request = TransitionRequest { comment: Some("а".repeat(MAX_COMMENT_CHARS + 1)), ..TransitionRequest::to(Status::UnderReview) };
        let result = check_transition(&state(Status::Accepted), &moderator(), &request, now());
        assert_eq!(result, Err(TransitionError::CommentTooLong));
    }
}
