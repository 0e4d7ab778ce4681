//! Moscow answers residents' reports within deadlines set in working days of the production calendar (Labour Code art. 112 holidays and the Government decrees moving days off).

use chrono::{DateTime, LocalResult, NaiveDate, NaiveTime, Offset, TimeDelta, TimeZone, Utc};

use crate::calendar::Calendar;

/// Time zone whose calendar days count toward deadlines.
pub const CITY_TIME_ZONE: chrono_tz::Tz = chrono_tz::Europe::Moscow;

/// A span during which the report waited for the resident (status `info_requested`).
/// `until` is None while the report is still waiting. The span is half-open, so the report
/// is waiting at `since` and no longer waiting at `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

impl Pause {
    fn is_waiting_at(&self, instant: DateTime<Utc>) -> bool {
        self.since <= instant && self.until.is_none_or(|until| instant < until)
    }
}

/// Computes the deadline instant: the END of the n-th working day after the (Moscow) calendar
/// day of `dispatched_at`, i.e. 00:00 Europe/Moscow of the following day, expressed in UTC.
/// A report is overdue when now >= deadline. With `working_days` 0 the deadline is the end
/// of the dispatch day.
///
/// # Panics
/// Panics when the deadline is later than the last date chrono supports.
pub fn deadline(
    calendar: &Calendar,
    dispatched_at: DateTime<Utc>,
    working_days: u32,
) -> DateTime<Utc> {
    let last_day = calendar.add_working_days(moscow_date(dispatched_at), working_days);
    end_of_moscow_day(last_day)
}

/// Computes the deadline like [`deadline`], with the clock stopped during pauses. Rule: a
/// working day does not count toward the deadline when the report was waiting for the
/// resident at the end of that day (at 24:00 Moscow time).
///
/// Returns None while a pause is still open (the clock is stopped, no deadline can be given),
/// unless the deadline had already been reached before that pause stopped the clock. A report
/// that was overdue when the resident was asked for information keeps its deadline.
///
/// # Panics
/// Panics when the deadline is later than the last date chrono supports.
pub fn deadline_with_pauses(
    calendar: &Calendar,
    dispatched_at: DateTime<Utc>,
    working_days: u32,
    pauses: &[Pause],
) -> Option<DateTime<Utc>> {
    let mut day = moscow_date(dispatched_at);
    let mut counted = 0;
    while counted < working_days {
        day = day
            .succ_opt()
            .expect("the deadline went past the last date chrono supports");
        if !calendar.is_working_day(day) {
            continue;
        }

        let end = end_of_moscow_day(day);
        let waiting: Vec<&Pause> = pauses
            .iter()
            .filter(|pause| pause.is_waiting_at(end))
            .collect();
        if waiting.iter().any(|pause| pause.until.is_none()) {
            return None;
        }
        if waiting.is_empty() {
            counted += 1;
        }
    }
    Some(end_of_moscow_day(day))
}

/// Counts the working days left before `deadline` as seen at `now` (Moscow dates): 0 on the
/// last day, negative when overdue (minus the number of working days passed since the
/// deadline).
///
/// Before the deadline this counts the working days after today up to the last day. Once
/// overdue it counts the working days after the last day up to today, and at least 1, so the
/// result is -1 from the deadline instant through the first working day after it.
pub fn working_days_left(calendar: &Calendar, deadline: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    // The last day is the Moscow day that contains the last instant before the deadline.
    let last_day = moscow_date(deadline - TimeDelta::nanoseconds(1));
    let today = moscow_date(now);

    if now < deadline {
        i64::from(calendar.working_days_between(today, last_day))
    } else {
        let passed = calendar.working_days_between(last_day, today).max(1);
        -i64::from(passed)
    }
}

/// Hours after Moscow midnight at which the daily digest of notifications is sent.
pub const DIGEST_HOUR: i64 = 9;

/// Returns the first digest time after `instant`: the next 09:00 Moscow time.
pub fn next_digest_at(instant: DateTime<Utc>) -> DateTime<Utc> {
    let today = start_of_moscow_day(moscow_date(instant)) + TimeDelta::hours(DIGEST_HOUR);
    if today > instant {
        today
    } else {
        start_of_moscow_day(moscow_date(instant) + TimeDelta::days(1)) + TimeDelta::hours(DIGEST_HOUR)
    }
}

/// Working days without any change after which the author of a report may ask about it.
pub const QUESTION_AFTER_WORKING_DAYS: u32 = 10;

/// Returns whether more than [`QUESTION_AFTER_WORKING_DAYS`] working days (Moscow dates) passed
/// since the report last changed, so its author may ask the agency about it.
pub fn may_ask_question(calendar: &Calendar, last_change: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    calendar.working_days_between(moscow_date(last_change), moscow_date(now)) > QUESTION_AFTER_WORKING_DAYS
}

/// Returns the Moscow calendar date of `instant`.
fn moscow_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&CITY_TIME_ZONE).date_naive()
}

/// Returns the first instant of the Moscow day after `date`, which is the end of `date`.
fn end_of_moscow_day(date: NaiveDate) -> DateTime<Utc> {
    let next = date
        .succ_opt()
        .expect("the deadline went past the last date chrono supports");
    start_of_moscow_day(next)
}

/// Returns the first instant of the Moscow day `date`, in UTC.
fn start_of_moscow_day(date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    match CITY_TIME_ZONE.from_local_datetime(&midnight) {
        LocalResult::Single(start) => start.with_timezone(&Utc),
        LocalResult::Ambiguous(earliest, _) => earliest.with_timezone(&Utc),
        LocalResult::None => {
            // The clocks skipped midnight, as the IANA tz database has Moscow do on 1 April
            // 1981–1984. The day starts when they jumped, which is local midnight under the
            // offset in force the day before.
            let day_before = midnight - TimeDelta::days(1);
            let offset_before = CITY_TIME_ZONE.offset_from_utc_datetime(&day_before).fix();
            (midnight - TimeDelta::seconds(i64::from(offset_before.local_minus_utc()))).and_utc()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns the UTC instant of a Moscow wall-clock time.
    fn moscow(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        CITY_TIME_ZONE
            .with_ymd_and_hms(year, month, day, hour, minute, 0)
            .single()
            .expect("an unambiguous Moscow time")
            .with_timezone(&Utc)
    }

    #[test]
    fn question_after_ten_working_days() {
        let calendar = calendar();
        // Changed on Monday 26 October 2026; 4 November is a public holiday.
        let changed = moscow(2026, 10, 26, 15, 0);
        // 27–30 October, 2–3 and 5–6 November, 9–10 November: ten working days. Were the holiday
        // counted, 10 November would already be the eleventh.
        assert!(!may_ask_question(calendar, changed, moscow(2026, 11, 10, 23, 59)));
        assert!(may_ask_question(calendar, changed, moscow(2026, 11, 11, 0, 1)));
    }

    #[test]
    fn digest_time_next_morning() {
        assert_eq!(next_digest_at(moscow(2026, 12, 4, 8, 59)), moscow(2026, 12, 4, 9, 0));
        assert_eq!(next_digest_at(moscow(2026, 12, 4, 9, 0)), moscow(2026, 12, 5, 9, 0));
        assert_eq!(next_digest_at(moscow(2026, 12, 4, 23, 30)), moscow(2026, 12, 5, 9, 0));
        // 00:30 in Moscow is still the previous day in UTC.
        assert_eq!(next_digest_at(moscow(2026, 12, 5, 0, 30)), moscow(2026, 12, 5, 9, 0));
    }

    /// Returns the deadline instant for a last day: 00:00 Moscow of the day after it.
    fn end_of(year: i32, month: u32, day: u32) -> DateTime<Utc> {
        let next = NaiveDate::from_ymd_opt(year, month, day)
            .unwrap()
            .succ_opt()
            .unwrap();
        CITY_TIME_ZONE
            .from_local_datetime(&next.and_time(NaiveTime::MIN))
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn calendar() -> &'static Calendar {
        Calendar::embedded()
    }

    fn closed_pause(since: DateTime<Utc>, until: DateTime<Utc>) -> Pause {
        Pause {
            since,
            until: Some(until),
        }
    }

    #[test]
    fn deadline_is_moscow_midnight_in_utc() {
        // Wednesday 2026-03-04 + 1 working day = Thursday 03-05, ending at 03-06 00:00 MSK.
        let due = deadline(calendar(), moscow(2026, 3, 4, 10, 0), 1);
        assert_eq!(due, utc("2026-03-05T21:00:00Z"));
    }

    #[test]
    fn deadline_zero_days_ends_dispatch_day() {
        let due = deadline(calendar(), moscow(2026, 3, 4, 10, 0), 0);
        assert_eq!(due, end_of(2026, 3, 4));
    }

    #[test]
    fn deadline_across_new_year_2026() {
        // 2025-12-31 and 2026-01-01..11 are days off.
        let dispatched = moscow(2025, 12, 30, 10, 0);
        assert_eq!(deadline(calendar(), dispatched, 1), end_of(2026, 1, 12));
        let dispatched = moscow(2025, 12, 29, 10, 0);
        assert_eq!(deadline(calendar(), dispatched, 3), end_of(2026, 1, 13));
    }

    #[test]
    fn deadline_across_new_year_2027() {
        // 2026-12-31 and 2027-01-01..10 are days off.
        let dispatched = moscow(2026, 12, 29, 12, 0);
        assert_eq!(deadline(calendar(), dispatched, 1), end_of(2026, 12, 30));
        assert_eq!(deadline(calendar(), dispatched, 2), end_of(2027, 1, 11));
    }

    #[test]
    fn deadline_across_new_year_2025() {
        // Saturday 2024-12-28 is a working day. 12-30, 12-31 and 2025-01-01..08 are days off.
        let dispatched = moscow(2024, 12, 27, 10, 0);
        assert_eq!(deadline(calendar(), dispatched, 1), end_of(2024, 12, 28));
        assert_eq!(deadline(calendar(), dispatched, 2), end_of(2025, 1, 9));
    }

    #[test]
    fn deadline_skips_moved_day_off() {
        // Monday 2026-03-09 is a day off moved from Sunday 03-08.
        let dispatched = moscow(2026, 3, 5, 10, 0);
        assert_eq!(deadline(calendar(), dispatched, 1), end_of(2026, 3, 6));
        assert_eq!(deadline(calendar(), dispatched, 2), end_of(2026, 3, 10));
    }

    #[test]
    fn deadline_from_moved_day_off() {
        // Friday 2026-01-09 is a day off moved from 01-03, so the count starts on 01-12.
        let dispatched = moscow(2026, 1, 9, 10, 0);
        assert_eq!(deadline(calendar(), dispatched, 1), end_of(2026, 1, 12));
    }

    #[test]
    fn deadline_counts_working_saturday() {
        // Saturday 2024-04-27 is a working day. 04-29, 04-30 and 05-01 are days off.
        let dispatched = moscow(2024, 4, 26, 10, 0);
        assert_eq!(deadline(calendar(), dispatched, 1), end_of(2024, 4, 27));
        assert_eq!(deadline(calendar(), dispatched, 2), end_of(2024, 5, 2));
    }

    #[test]
    fn deadline_late_evening_moscow() {
        // 23:30 MSK on Wednesday 2026-03-04 is 20:30 UTC the same date.
        let dispatched = moscow(2026, 3, 4, 23, 30);
        assert_eq!(dispatched, utc("2026-03-04T20:30:00Z"));
        assert_eq!(deadline(calendar(), dispatched, 1), end_of(2026, 3, 5));
    }

    #[test]
    fn deadline_after_moscow_midnight() {
        // 21:30 UTC on Tuesday 2026-03-03 is already 00:30 MSK on Wednesday 03-04.
        let dispatched = utc("2026-03-03T21:30:00Z");
        assert_eq!(deadline(calendar(), dispatched, 1), end_of(2026, 3, 5));
    }

    #[test]
    fn deadline_when_midnight_was_skipped() {
        // Moscow moved its clocks from 00:00 to 01:00 on 1981-04-01, so that day started
        // at 21:00 UTC under the winter offset of UTC+3. 1981 is not covered by the calendar.
        let dispatched = utc("1981-03-31T07:00:00Z");
        assert_eq!(
            deadline(calendar(), dispatched, 0),
            utc("1981-03-31T21:00:00Z")
        );
    }

    #[test]
    fn pauses_none_equals_deadline() {
        let dispatched = moscow(2025, 12, 29, 10, 0);
        assert_eq!(
            deadline_with_pauses(calendar(), dispatched, 3, &[]),
            Some(deadline(calendar(), dispatched, 3))
        );
    }

    #[test]
    fn pause_over_day_end_stops_clock() {
        // Monday 2026-03-02 + 3 working days = Thursday 03-05. The report waited at the
        // end of Tuesday 03-03, so that day does not count.
        let dispatched = moscow(2026, 3, 2, 10, 0);
        let pause = closed_pause(moscow(2026, 3, 3, 15, 0), moscow(2026, 3, 4, 11, 0));
        assert_eq!(
            deadline_with_pauses(calendar(), dispatched, 3, &[pause]),
            Some(end_of(2026, 3, 6))
        );
    }

    #[test]
    fn pause_within_day_keeps_deadline() {
        let dispatched = moscow(2026, 3, 2, 10, 0);
        let pause = closed_pause(moscow(2026, 3, 3, 10, 0), moscow(2026, 3, 3, 18, 0));
        assert_eq!(
            deadline_with_pauses(calendar(), dispatched, 3, &[pause]),
            Some(end_of(2026, 3, 5))
        );
    }

    #[test]
    fn pause_ending_at_midnight_keeps_deadline() {
        // The resident answered at 24:00 exactly, so the report was no longer waiting then.
        let dispatched = moscow(2026, 3, 2, 10, 0);
        let pause = closed_pause(moscow(2026, 3, 3, 15, 0), moscow(2026, 3, 4, 0, 0));
        assert_eq!(
            deadline_with_pauses(calendar(), dispatched, 3, &[pause]),
            Some(end_of(2026, 3, 5))
        );
    }

    #[test]
    fn pause_starting_at_midnight_stops_clock() {
        let dispatched = moscow(2026, 3, 2, 10, 0);
        let pause = closed_pause(moscow(2026, 3, 4, 0, 0), moscow(2026, 3, 4, 9, 0));
        assert_eq!(
            deadline_with_pauses(calendar(), dispatched, 3, &[pause]),
            Some(end_of(2026, 3, 6))
        );
    }

    #[test]
    fn pause_over_weekend_keeps_deadline() {
        // Friday 2026-03-06 + 2 working days = Wednesday 03-11 (Monday 03-09 is off).
        // The pause covers the ends of Saturday and Sunday only.
        let dispatched = moscow(2026, 3, 6, 10, 0);
        let pause = closed_pause(moscow(2026, 3, 7, 10, 0), moscow(2026, 3, 8, 20, 0));
        assert_eq!(
            deadline_with_pauses(calendar(), dispatched, 2, &[pause]),
            Some(end_of(2026, 3, 11))
        );
    }

    #[test]
    fn several_pauses_add_up() {
        // Tuesday 03-03 and Thursday 03-05 do not count, so the third working day is 03-10.
        let dispatched = moscow(2026, 3, 2, 10, 0);
        let pauses = [
            closed_pause(moscow(2026, 3, 3, 15, 0), moscow(2026, 3, 4, 11, 0)),
            closed_pause(moscow(2026, 3, 5, 15, 0), moscow(2026, 3, 6, 11, 0)),
        ];
        assert_eq!(
            deadline_with_pauses(calendar(), dispatched, 3, &pauses),
            Some(end_of(2026, 3, 10))
        );
    }

    #[test]
    fn open_pause_returns_none() {
        let dispatched = moscow(2026, 3, 2, 10, 0);
        let pause = Pause {
            since: moscow(2026, 3, 3, 15, 0),
            until: None,
        };
        assert_eq!(
            deadline_with_pauses(calendar(), dispatched, 3, &[pause]),
            None
        );
    }

    #[test]
    fn open_pause_on_last_day_returns_none() {
        // The pause opens on Thursday 03-05, the last day, before its end.
        let dispatched = moscow(2026, 3, 2, 10, 0);
        let pause = Pause {
            since: moscow(2026, 3, 5, 15, 0),
            until: None,
        };
        assert_eq!(
            deadline_with_pauses(calendar(), dispatched, 3, &[pause]),
            None
        );
    }

    #[test]
    fn open_pause_after_deadline_keeps_deadline() {
        // The deadline passed at the end of Thursday 03-05, before the pause opened.
        let dispatched = moscow(2026, 3, 2, 10, 0);
        let pause = Pause {
            since: moscow(2026, 3, 6, 9, 0),
            until: None,
        };
        assert_eq!(
            deadline_with_pauses(calendar(), dispatched, 3, &[pause]),
            Some(end_of(2026, 3, 5))
        );
    }

    #[test]
    fn days_left_before_deadline() {
        // The last day is Thursday 2026-03-05.
        let due = end_of(2026, 3, 5);
        assert_eq!(
            working_days_left(calendar(), due, moscow(2026, 3, 2, 10, 0)),
            3
        );
        assert_eq!(
            working_days_left(calendar(), due, moscow(2026, 3, 4, 23, 59)),
            1
        );
    }

    #[test]
    fn days_left_across_holidays() {
        // From Tuesday 2025-12-30 the only working day up to 2026-01-12 is 01-12 itself.
        let due = end_of(2026, 1, 12);
        assert_eq!(
            working_days_left(calendar(), due, moscow(2025, 12, 30, 10, 0)),
            1
        );
        assert_eq!(
            working_days_left(calendar(), due, moscow(2026, 1, 9, 10, 0)),
            1
        );
    }

    #[test]
    fn days_left_on_last_day() {
        let due = end_of(2026, 3, 5);
        assert_eq!(
            working_days_left(calendar(), due, moscow(2026, 3, 5, 0, 0)),
            0
        );
        assert_eq!(
            working_days_left(calendar(), due, moscow(2026, 3, 5, 23, 59)),
            0
        );
    }

    #[test]
    fn days_left_after_deadline() {
        // The last day is Thursday 2026-03-05. Monday 03-09 is a day off.
        let due = end_of(2026, 3, 5);
        assert_eq!(working_days_left(calendar(), due, due), -1);
        assert_eq!(
            working_days_left(calendar(), due, moscow(2026, 3, 6, 12, 0)),
            -1
        );
        assert_eq!(
            working_days_left(calendar(), due, moscow(2026, 3, 9, 12, 0)),
            -1
        );
        assert_eq!(
            working_days_left(calendar(), due, moscow(2026, 3, 10, 12, 0)),
            -2
        );
        assert_eq!(
            working_days_left(calendar(), due, moscow(2026, 3, 11, 12, 0)),
            -3
        );
    }

    #[test]
    fn days_left_overdue_over_weekend() {
        // The last day is Friday 2026-03-13. No working day has passed by Sunday, but the
        // report is overdue.
        let due = end_of(2026, 3, 13);
        assert_eq!(
            working_days_left(calendar(), due, moscow(2026, 3, 14, 12, 0)),
            -1
        );
        assert_eq!(
            working_days_left(calendar(), due, moscow(2026, 3, 16, 12, 0)),
            -1
        );
        assert_eq!(
            working_days_left(calendar(), due, moscow(2026, 3, 17, 12, 0)),
            -2
        );
    }
}
