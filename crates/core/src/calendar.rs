//! Russian production calendar: which dates are working days, days off and shortened days.
//!
//! A calendar is built from the yearly XML files of the xmlcalendar.ru project, one per year.
//! Each file lists only the dates that differ from the normal week (holidays, moved days off,
//! shortened days, working weekends). The files shipped with the crate are in
//! `data/calendar/`, and `data/calendar/SOURCES.md` describes their origin and format.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate, Weekday};

/// The shipped calendar files, 2024–2027. Add a new year here and in `data/calendar/`.
const EMBEDDED_DOCUMENTS: [&str; 4] = [
    include_str!("../data/calendar/ru_2024_calendar.xml"),
    include_str!("../data/calendar/ru_2025_calendar.xml"),
    include_str!("../data/calendar/ru_2026_calendar.xml"),
    include_str!("../data/calendar/ru_2027_calendar.xml"),
];

static EMBEDDED: LazyLock<Calendar> = LazyLock::new(|| {
    Calendar::from_xml_documents(EMBEDDED_DOCUMENTS)
        .expect("the calendar files embedded from data/calendar/ must be valid")
});

/// Kind of a date listed in a calendar file, i.e. a date that differs from the normal week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayKind {
    /// `t="1"`: a public holiday or a day off moved from another date.
    DayOff,
    /// `t="2"`: a shortened working day before a holiday, possibly a Saturday.
    Shortened,
    /// `t="3"`: a Saturday or Sunday made a full working day.
    WorkingWeekend,
}

/// Production calendar for a set of years. Dates in years it does not cover follow the
/// normal week: Monday to Friday are working days, Saturday and Sunday are days off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    /// Listed dates of each covered year. A covered year may list no dates at all.
    years: BTreeMap<i32, HashMap<NaiveDate, DayKind>>,
}

/// Error in a production calendar XML document.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("invalid calendar XML: {0}")]
    Xml(#[from] roxmltree::Error),

    #[error("invalid calendar document: the root element is <{found}>, expected <calendar>")]
    UnexpectedRoot { found: String },

    #[error("invalid calendar document: <calendar> has no year attribute")]
    MissingYear,

    #[error("invalid calendar year {value:?}: expected a year number such as 2026")]
    InvalidYear { value: String },

    #[error("invalid calendar {year}: the <calendar> element has no <days> child")]
    MissingDays { year: i32 },

    #[error(
        "invalid calendar {year}: the <day> element on line {line} has no {attribute} attribute"
    )]
    MissingDayAttribute {
        year: i32,
        line: u32,
        attribute: &'static str,
    },

    #[error("invalid calendar {year}: day {value:?} is not a date of that year written as MM.DD")]
    InvalidDay { year: i32, value: String },

    #[error(
        "invalid calendar {year}: day {day} has unknown type t={value:?}, expected 1 (day off), \
         2 (shortened working day) or 3 (working weekend)"
    )]
    UnknownDayType {
        year: i32,
        day: String,
        value: String,
    },

    #[error("invalid calendar {year}: day {day} is listed more than once")]
    DuplicateDay { year: i32, day: String },

    #[error("calendar year {year} is given by more than one document")]
    DuplicateYear { year: i32 },
}

impl Calendar {
    /// Builds a calendar from yearly XML documents.
    ///
    /// # Errors
    /// Returns the first document's error, or [`CalendarError::DuplicateYear`] when two
    /// documents describe the same year.
    pub fn from_xml_documents<'a>(
        documents: impl IntoIterator<Item = &'a str>,
    ) -> Result<Calendar, CalendarError> {
        let mut calendar = Calendar::default();
        for document in documents {
            let (year, days) = parse_year(document)?;
            if calendar.years.contains_key(&year) {
                return Err(CalendarError::DuplicateYear { year });
            }
            calendar.years.insert(year, days);
        }
        Ok(calendar)
    }

    /// Parses one yearly XML document and adds its year, replacing that year if present.
    /// Returns the year. On error the calendar is left unchanged.
    pub fn add_year_xml(&mut self, document: &str) -> Result<i32, CalendarError> {
        let (year, days) = parse_year(document)?;
        self.years.insert(year, days);
        Ok(year)
    }

    /// Returns the calendar shipped with the crate (2024–2027), parsing it on first use.
    pub fn embedded() -> &'static Calendar {
        &EMBEDDED
    }

    /// Returns the covered years in ascending order.
    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// Tells whether `date` is a working day, shortened days included. Dates in years the
    /// calendar does not cover follow the Monday–Friday rule.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.listed_kind(date) {
            Some(DayKind::DayOff) => false,
            Some(DayKind::Shortened | DayKind::WorkingWeekend) => true,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// Tells whether `date` is a shortened pre-holiday working day. Always false for dates
    /// in years the calendar does not cover.
    pub fn is_shortened_day(&self, date: NaiveDate) -> bool {
        self.listed_kind(date) == Some(DayKind::Shortened)
    }

    /// Returns the `n`-th working day strictly after `date`, or `date` itself when `n` is 0
    /// (even if `date` is a day off).
    ///
    /// # Panics
    /// Panics when the result would be later than [`NaiveDate::MAX`].
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut current = date;
        let mut remaining = n;
        while remaining > 0 {
            current = current
                .succ_opt()
                .expect("adding working days went past the last date chrono supports");
            if self.is_working_day(current) {
                remaining -= 1;
            }
        }
        current
    }

    /// Counts the working days `d` with `from < d <= to`. Returns 0 when `to <= from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut count = 0;
        let mut current = from;
        while current < to {
            current = current
                .succ_opt()
                .expect("a date before `to` has a successor");
            if self.is_working_day(current) {
                count += 1;
            }
        }
        count
    }

    fn listed_kind(&self, date: NaiveDate) -> Option<DayKind> {
        self.years.get(&date.year())?.get(&date).copied()
    }
}

/// Parses one yearly document into its year and listed dates. The `h` (holiday id) and `f`
/// (moved from) attributes and the `<holidays>` list are not read, because the working-day
/// rules need only `d` and `t`.
fn parse_year(document: &str) -> Result<(i32, HashMap<NaiveDate, DayKind>), CalendarError> {
    let xml = roxmltree::Document::parse(document)?;
    let root = xml.root_element();
    if !root.has_tag_name("calendar") {
        return Err(CalendarError::UnexpectedRoot {
            found: root.tag_name().name().to_owned(),
        });
    }

    let year = parse_year_attribute(root.attribute("year"))?;

    let days_element = root
        .children()
        .find(|node| node.has_tag_name("days"))
        .ok_or(CalendarError::MissingDays { year })?;

    let mut days = HashMap::new();
    for day in days_element
        .children()
        .filter(|node| node.has_tag_name("day"))
    {
        let line = xml.text_pos_at(day.range().start).row;
        let missing = |attribute| CalendarError::MissingDayAttribute {
            year,
            line,
            attribute,
        };
        let day_text = day.attribute("d").ok_or_else(|| missing("d"))?;
        let kind_text = day.attribute("t").ok_or_else(|| missing("t"))?;

        let date = parse_month_day(year, day_text).ok_or_else(|| CalendarError::InvalidDay {
            year,
            value: day_text.to_owned(),
        })?;
        let kind = match kind_text {
            "1" => DayKind::DayOff,
            "2" => DayKind::Shortened,
            "3" => DayKind::WorkingWeekend,
            _ => {
                return Err(CalendarError::UnknownDayType {
                    year,
                    day: day_text.to_owned(),
                    value: kind_text.to_owned(),
                });
            }
        };

        if days.insert(date, kind).is_some() {
            return Err(CalendarError::DuplicateDay {
                year,
                day: day_text.to_owned(),
            });
        }
    }

    Ok((year, days))
}

/// Parses the `year` attribute and checks that chrono can represent the whole year.
fn parse_year_attribute(value: Option<&str>) -> Result<i32, CalendarError> {
    let value = value.ok_or(CalendarError::MissingYear)?;
    let invalid = || CalendarError::InvalidYear {
        value: value.to_owned(),
    };

    let year: i32 = value.parse().map_err(|_| invalid())?;
    let first = NaiveDate::from_ymd_opt(year, 1, 1);
    let last = NaiveDate::from_ymd_opt(year, 12, 31);
    if first.is_none() || last.is_none() {
        return Err(invalid());
    }
    Ok(year)
}

/// Parses a strict `MM.DD` string (two digits each) into a date of `year`.
fn parse_month_day(year: i32, text: &str) -> Option<NaiveDate> {
    let (month, day) = text.split_once('.')?;
    let is_two_digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
    if !is_two_digits(month) || !is_two_digits(day) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month.parse().ok()?, day.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn calendar_document(year: &str, days: &str) -> String {
        format!(r#"<calendar year="{year}" lang="ru"><days>{days}</days></calendar>"#)
    }

    fn parse_error(document: &str) -> CalendarError {
        Calendar::from_xml_documents([document]).unwrap_err()
    }

    #[test]
    fn embedded_covers_2024_to_2027() {
        let calendar = Calendar::embedded();
        assert_eq!(calendar.years(), vec![2024, 2025, 2026, 2027]);
        assert!(!calendar.covers(2023));
        assert!(calendar.covers(2026));
        assert!(!calendar.covers(2028));
    }

    #[test]
    fn working_days_per_year() {
        // Weekdays in the year, minus t=1 dates on weekdays, plus t=2 or t=3 weekend dates.
        // 2024: 262 - 17 + 3. 2025: 261 - 15 + 1. 2026: 261 - 14. 2027: 261 - 15 + 1.
        let calendar = Calendar::embedded();
        let count =
            |year| calendar.working_days_between(date(year - 1, 12, 31), date(year, 12, 31));
        assert_eq!(count(2024), 248);
        assert_eq!(count(2025), 247);
        assert_eq!(count(2026), 247);
        assert_eq!(count(2027), 247);
    }

    #[test]
    fn moved_day_off_is_not_working() {
        let calendar = Calendar::embedded();
        // Fridays made days off: 2026-01-09 (from 01-03) and 2027-11-05 (from 01-02).
        assert!(!calendar.is_working_day(date(2026, 1, 9)));
        assert!(!calendar.is_working_day(date(2027, 11, 5)));
        // Monday 2026-03-09 (from 03-08, a Sunday holiday).
        assert!(!calendar.is_working_day(date(2026, 3, 9)));
        assert!(calendar.is_working_day(date(2026, 3, 10)));
    }

    #[test]
    fn holidays_are_not_working() {
        let calendar = Calendar::embedded();
        assert!(!calendar.is_working_day(date(2026, 1, 1)));
        assert!(!calendar.is_working_day(date(2026, 2, 23)));
        assert!(!calendar.is_working_day(date(2026, 11, 4)));
    }

    #[test]
    fn working_weekend_is_working() {
        let calendar = Calendar::embedded();
        // t=3 Saturdays in 2024.
        assert!(calendar.is_working_day(date(2024, 4, 27)));
        assert!(calendar.is_working_day(date(2024, 12, 28)));
        assert!(!calendar.is_shortened_day(date(2024, 4, 27)));
        // An unlisted Saturday stays a day off.
        assert!(!calendar.is_working_day(date(2024, 5, 4)));
    }

    #[test]
    fn shortened_saturday_is_working() {
        let calendar = Calendar::embedded();
        // t=2 on Saturdays: 2025-11-01 and 2027-02-20.
        assert!(calendar.is_working_day(date(2025, 11, 1)));
        assert!(calendar.is_shortened_day(date(2025, 11, 1)));
        assert!(calendar.is_working_day(date(2027, 2, 20)));
        assert!(calendar.is_shortened_day(date(2027, 2, 20)));
    }

    #[test]
    fn shortened_weekday() {
        let calendar = Calendar::embedded();
        assert!(calendar.is_shortened_day(date(2026, 4, 30)));
        assert!(calendar.is_working_day(date(2026, 4, 30)));
        assert!(!calendar.is_shortened_day(date(2026, 4, 29)));
        assert!(!calendar.is_shortened_day(date(2026, 5, 1)));
    }

    #[test]
    fn uncovered_year_follows_weekdays() {
        let calendar = Calendar::embedded();
        // 2023-03-08 is a Wednesday holiday, but 2023 is not covered.
        assert!(calendar.is_working_day(date(2023, 3, 8)));
        assert!(!calendar.is_working_day(date(2028, 1, 1)));
        assert!(calendar.is_working_day(date(2028, 1, 3)));
        assert!(!calendar.is_shortened_day(date(2023, 3, 7)));
    }

    #[test]
    fn add_working_days_zero_returns_date() {
        let calendar = Calendar::embedded();
        assert_eq!(
            calendar.add_working_days(date(2026, 3, 4), 0),
            date(2026, 3, 4)
        );
        assert_eq!(
            calendar.add_working_days(date(2026, 1, 3), 0),
            date(2026, 1, 3)
        );
    }

    #[test]
    fn add_working_days_new_year_2026() {
        let calendar = Calendar::embedded();
        // 2025-12-31 and 2026-01-01..11 are days off.
        assert_eq!(
            calendar.add_working_days(date(2025, 12, 29), 1),
            date(2025, 12, 30)
        );
        assert_eq!(
            calendar.add_working_days(date(2025, 12, 30), 1),
            date(2026, 1, 12)
        );
        assert_eq!(
            calendar.add_working_days(date(2025, 12, 30), 2),
            date(2026, 1, 13)
        );
        assert_eq!(
            calendar.add_working_days(date(2026, 1, 3), 1),
            date(2026, 1, 12)
        );
    }

    #[test]
    fn add_working_days_new_year_2027() {
        let calendar = Calendar::embedded();
        // 2026-12-31 (Thursday) and 2027-01-01..10 are days off.
        assert_eq!(
            calendar.add_working_days(date(2026, 12, 29), 1),
            date(2026, 12, 30)
        );
        assert_eq!(
            calendar.add_working_days(date(2026, 12, 30), 1),
            date(2027, 1, 11)
        );
    }

    #[test]
    fn add_working_days_over_moved_days() {
        let calendar = Calendar::embedded();
        // Thursday 2026-05-07: 05-08 working, 05-09..11 off, 05-12 working.
        assert_eq!(
            calendar.add_working_days(date(2026, 5, 7), 1),
            date(2026, 5, 8)
        );
        assert_eq!(
            calendar.add_working_days(date(2026, 5, 7), 2),
            date(2026, 5, 12)
        );
        // Friday 2024-04-26: Saturday 04-27 works, 04-29..05-01 off.
        assert_eq!(
            calendar.add_working_days(date(2024, 4, 26), 1),
            date(2024, 4, 27)
        );
        assert_eq!(
            calendar.add_working_days(date(2024, 4, 26), 2),
            date(2024, 5, 2)
        );
    }

    #[test]
    fn working_days_between_counts_half_open() {
        let calendar = Calendar::embedded();
        // January 2026: working days 12–16, 19–23 and 26–30.
        assert_eq!(
            calendar.working_days_between(date(2025, 12, 31), date(2026, 1, 31)),
            15
        );
        assert_eq!(
            calendar.working_days_between(date(2025, 12, 30), date(2026, 1, 12)),
            1
        );
        assert_eq!(
            calendar.working_days_between(date(2026, 1, 12), date(2026, 1, 12)),
            0
        );
        assert_eq!(
            calendar.working_days_between(date(2026, 1, 13), date(2026, 1, 12)),
            0
        );
        // `from` itself is excluded even when it is a working day.
        assert_eq!(
            calendar.working_days_between(date(2026, 1, 12), date(2026, 1, 13)),
            1
        );
    }

    #[test]
    fn error_on_malformed_xml() {
        let error = parse_error(r#"<calendar year="2026"><days>"#);
        assert!(matches!(error, CalendarError::Xml(_)), "{error:?}");
    }

    #[test]
    fn error_on_wrong_root() {
        let error = parse_error(r#"<holidays year="2026"/>"#);
        assert!(
            matches!(error, CalendarError::UnexpectedRoot { ref found } if found == "holidays"),
            "{error:?}"
        );
    }

    #[test]
    fn error_on_missing_year() {
        let error = parse_error("<calendar><days/></calendar>");
        assert!(matches!(error, CalendarError::MissingYear), "{error:?}");
    }

    #[test]
    fn error_on_invalid_year() {
        let error = parse_error(&calendar_document("20x6", ""));
        assert!(
            matches!(error, CalendarError::InvalidYear { ref value } if value == "20x6"),
            "{error:?}"
        );
        assert!(error.to_string().contains("\"20x6\""), "{error}");
    }

    #[test]
    fn error_on_missing_days() {
        let error = parse_error(r#"<calendar year="2026"/>"#);
        assert!(
            matches!(error, CalendarError::MissingDays { year: 2026 }),
            "{error:?}"
        );
    }

    #[test]
    fn error_on_invalid_day() {
        for value in ["13.01", "02.29", "1.05", "01-05", "01.05.", ""] {
            let document = calendar_document("2026", &format!(r#"<day d="{value}" t="1"/>"#));
            let error = parse_error(&document);
            let CalendarError::InvalidDay { year, value: found } = error else {
                panic!("{value:?}: expected InvalidDay, got {error:?}");
            };
            assert_eq!(year, 2026);
            assert_eq!(found, value);
        }
    }

    #[test]
    fn invalid_day_message_names_value() {
        let error = parse_error(&calendar_document("2026", r#"<day d="13.01" t="1"/>"#));
        assert!(error.to_string().contains("\"13.01\""), "{error}");
    }

    #[test]
    fn leap_day_accepted_in_leap_year() {
        let document = calendar_document("2028", r#"<day d="02.29" t="1"/>"#);
        let calendar = Calendar::from_xml_documents([document.as_str()]).unwrap();
        assert!(!calendar.is_working_day(date(2028, 2, 29)));
    }

    #[test]
    fn error_on_unknown_day_type() {
        let error = parse_error(&calendar_document("2026", r#"<day d="01.12" t="4"/>"#));
        assert!(error.to_string().contains("t=\"4\""), "{error}");
        let CalendarError::UnknownDayType { year, day, value } = error else {
            panic!("expected UnknownDayType, got {error:?}");
        };
        assert_eq!(year, 2026);
        assert_eq!(day, "01.12");
        assert_eq!(value, "4");
    }

    #[test]
    fn error_on_missing_day_attribute() {
        let document = "<calendar year=\"2026\">\n<days>\n<day d=\"01.12\"/>\n</days></calendar>";
        let error = parse_error(document);
        assert!(
            matches!(
                error,
                CalendarError::MissingDayAttribute {
                    year: 2026,
                    line: 3,
                    attribute: "t"
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn error_on_duplicate_day() {
        let error = parse_error(&calendar_document(
            "2026",
            r#"<day d="01.12" t="1"/><day d="01.12" t="2"/>"#,
        ));
        assert!(
            matches!(error, CalendarError::DuplicateDay { year: 2026, ref day } if day == "01.12"),
            "{error:?}"
        );
    }

    #[test]
    fn error_on_duplicate_year() {
        let first = calendar_document("2026", "");
        let second = calendar_document("2026", r#"<day d="01.12" t="1"/>"#);
        let error = Calendar::from_xml_documents([first.as_str(), second.as_str()]).unwrap_err();
        assert!(
            matches!(error, CalendarError::DuplicateYear { year: 2026 }),
            "{error:?}"
        );
    }

    #[test]
    fn add_year_xml_replaces_year() {
        let mut calendar = Calendar::embedded().clone();
        let replacement = calendar_document("2026", r#"<day d="01.12" t="1"/>"#);

        assert_eq!(calendar.add_year_xml(&replacement).unwrap(), 2026);

        assert_eq!(calendar.years(), vec![2024, 2025, 2026, 2027]);
        // Friday 2026-01-09 is no longer listed, so it is a normal working day.
        assert!(calendar.is_working_day(date(2026, 1, 9)));
        assert!(!calendar.is_working_day(date(2026, 1, 12)));
        // Other years keep their data.
        assert!(!calendar.is_working_day(date(2027, 1, 8)));
    }

    #[test]
    fn add_year_xml_adds_new_year() {
        let mut calendar = Calendar::embedded().clone();
        let document = calendar_document("2028", r#"<day d="01.03" t="1"/>"#);

        assert_eq!(calendar.add_year_xml(&document).unwrap(), 2028);

        assert!(calendar.covers(2028));
        assert!(!calendar.is_working_day(date(2028, 1, 3)));
    }

    #[test]
    fn add_year_xml_error_keeps_calendar() {
        let mut calendar = Calendar::embedded().clone();
        let invalid = calendar_document("2026", r#"<day d="01.12" t="9"/>"#);

        assert!(calendar.add_year_xml(&invalid).is_err());

        assert_eq!(&calendar, Calendar::embedded());
    }
}
