//! Report statuses, staff decisions and rejection reasons, with the stable codes used by the API
//! and the database.

use serde::{Deserialize, Serialize};

/// The lifecycle position of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Accepted,
    UnderReview,
    Dispatched,
    InProgress,
    InfoRequested,
    Resolved,
    Rejected,
    Reopened,
    Closed,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Accepted,
        Status::UnderReview,
        Status::Dispatched,
        Status::InProgress,
        Status::InfoRequested,
        Status::Resolved,
        Status::Rejected,
        Status::Reopened,
        Status::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Accepted => "accepted",
            Status::UnderReview => "under_review",
            Status::Dispatched => "dispatched",
            Status::InProgress => "in_progress",
            Status::InfoRequested => "info_requested",
            Status::Resolved => "resolved",
            Status::Rejected => "rejected",
            Status::Reopened => "reopened",
            Status::Closed => "closed",
        }
    }

    pub fn from_code(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.code() == code)
    }

    /// Returns whether the report still awaits a response from the city.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Rejected | Status::Closed)
    }

    /// Whether the responsible agency's deadline clock runs in this status.
    pub fn is_with_agency(self) -> bool {
        matches!(self, Status::Dispatched | Status::InProgress | Status::Reopened)
    }
}

/// The outcome an executor records when resolving a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Confirmed,
    NotConfirmed,
    Fixed,
}

impl Decision {
    pub const ALL: [Decision; 3] = [Decision::Confirmed, Decision::NotConfirmed, Decision::Fixed];

    pub fn code(self) -> &'static str {
        match self {
            Decision::Confirmed => "confirmed",
            Decision::NotConfirmed => "not_confirmed",
            Decision::Fixed => "fixed",
        }
    }

    pub fn from_code(code: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|decision| decision.code() == code)
    }
}

/// Why a moderator rejected a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionReason {
    Duplicate,
    NotAViolation,
    InsufficientEvidence,
    OutsideCity,
    Abusive,
}

impl RejectionReason {
    pub const ALL: [RejectionReason; 5] = [
        RejectionReason::Duplicate,
        RejectionReason::NotAViolation,
        RejectionReason::InsufficientEvidence,
        RejectionReason::OutsideCity,
        RejectionReason::Abusive,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RejectionReason::Duplicate => "duplicate",
            RejectionReason::NotAViolation => "not_a_violation",
            RejectionReason::InsufficientEvidence => "insufficient_evidence",
            RejectionReason::OutsideCity => "outside_city",
            RejectionReason::Abusive => "abusive",
        }
    }

    pub fn from_code(code: &str) -> Option<RejectionReason> {
        RejectionReason::ALL.into_iter().find(|reason| reason.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::from_code(status.code()), Some(status));
        }
        assert_eq!(Status::from_code("done"), None);
    }

    #[test]
    fn status_serde_uses_codes() {
        let json = serde_json::to_string(&Status::InfoRequested).unwrap();
        assert_eq!(json, "\"info_requested\"");
    }

    #[test]
    fn decision_and_reason_codes_round_trip() {
        for decision in Decision::ALL {
            assert_eq!(Decision::from_code(decision.code()), Some(decision));
        }
        for reason in RejectionReason::ALL {
            assert_eq!(RejectionReason::from_code(reason.code()), Some(reason));
        }
    }
}
