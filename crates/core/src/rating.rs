//! The author's rating of how a report was handled: a score from 1 to 5 with an optional
//! comment, given once the report is resolved.

use crate::status::Status;

pub const MIN_SCORE: i64 = 1;
pub const MAX_SCORE: i64 = 5;
pub const MAX_COMMENT_CHARS: usize = 2000;

/// Reasons a rating is refused, each with a stable code for messages and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    #[error("only the author rates a report")]
    NotAuthor,
    #[error("the report has no decision to rate yet")]
    NotResolved,
    #[error("the score is outside {MIN_SCORE}..={MAX_SCORE}")]
    ScoreOutOfRange,
    #[error("the comment is longer than {MAX_COMMENT_CHARS} characters")]
    CommentTooLong,
}

impl RatingError {
    pub fn code(self) -> &'static str {
        match self {
            RatingError::NotAuthor => "rating_not_author",
            RatingError::NotResolved => "rating_not_available",
            RatingError::ScoreOutOfRange => "rating_score_invalid",
            RatingError::CommentTooLong => "rating_comment_too_long",
        }
    }
}

/// Checks that `user_id` may give `score` with `comment` to a report in `status` by `author_id`.
/// A rating may be changed later while the report stays resolved or closed.
pub fn check_rating(status: Status, author_id: i64, user_id: i64, score: i64, comment: Option<&str>) -> Result<(), RatingError> {
    if user_id != author_id {
        return Err(RatingError::NotAuthor);
    }
    if !matches!(status, Status::Resolved | Status::Closed) {
        return Err(RatingError::NotResolved);
    }
    if !(MIN_SCORE..=MAX_SCORE).contains(&score) {
        return Err(RatingError::ScoreOutOfRange);
    }
    if comment.is_some_and(|comment| comment.chars().count() > MAX_COMMENT_CHARS) {
        return Err(RatingError::CommentTooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rating_rules_table() {
        let long = "а".repeat(MAX_COMMENT_CHARS + 1);
        let cases: [(Status, i64, i64, Option<&str>, Result<(), RatingError>); 8] = [
            (Status::Resolved, 1, 5, None, Ok(())),
            (Status::Closed, 1, 1, Some("Спасибо"), Ok(())),
            (Status::Resolved, 2, 5, None, Err(RatingError::NotAuthor)),
            (Status::InProgress, 1, 5, None, Err(RatingError::NotResolved)),
            (Status::Rejected, 1, 5, None, Err(RatingError::NotResolved)),
            (Status::Resolved, 1, 0, None, Err(RatingError::ScoreOutOfRange)),
            (Status::Resolved, 1, 6, None, Err(RatingError::ScoreOutOfRange)),
            (Status::Resolved, 1, 4, Some(long.as_str()), Err(RatingError::CommentTooLong)),
        ];
        for (status, user_id, score, comment, expected) in cases {
            assert_eq!(check_rating(status, 1, user_id, score, comment), expected, "{status:?} by {user_id} with {score}");
        }
    }
}
