//! Human-friendly report numbers: the year and a sequence number within that year, written as
//! `2026-0001234`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Digits of the sequence part; numbers past 9,999,999 in a year keep all their digits.
const SEQUENCE_WIDTH: usize = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReportNumber {
    pub year: i32,
    pub sequence: i64,
}

impl ReportNumber {
    pub fn new(year: i32, sequence: i64) -> ReportNumber {
        ReportNumber { year, sequence }
    }
}

impl fmt::Display for ReportNumber {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}-{:0width$}", self.year, self.sequence, width = SEQUENCE_WIDTH)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid report number {0:?}: expected YEAR-SEQUENCE such as 2026-0001234")]
pub struct InvalidReportNumber(pub String);

impl FromStr for ReportNumber {
    type Err = InvalidReportNumber;

    fn from_str(text: &str) -> Result<ReportNumber, InvalidReportNumber> {
        let invalid = || InvalidReportNumber(text.to_owned());
        let (year, sequence) = text.trim().split_once('-').ok_or_else(invalid)?;

        let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if year.len() != 4 || !all_digits(year) || sequence.len() < SEQUENCE_WIDTH || !all_digits(sequence) {
            return Err(invalid());
        }

        let year = year.parse().map_err(|_| invalid())?;
        let sequence: i64 = sequence.parse().map_err(|_| invalid())?;
        if sequence == 0 {
            return Err(invalid());
        }
        Ok(ReportNumber { year, sequence })
    }
}

impl Serialize for ReportNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReportNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_is_zero_padded() {
        assert_eq!(ReportNumber::new(2026, 1234).to_string(), "2026-0001234");
    }

    #[test]
    fn number_keeps_digits_past_padding() {
        assert_eq!(ReportNumber::new(2026, 12_345_678).to_string(), "2026-12345678");
    }

    #[test]
    fn number_parses_its_own_output() {
        let number = ReportNumber::new(2027, 42);
        assert_eq!(number.to_string().parse::<ReportNumber>(), Ok(number));
    }

    #[test]
    fn number_rejects_malformed_text() {
        for text in ["", "2026", "2026-", "2026-12", "26-0001234", "2026-000123x", "2026-0000000", "../2026-0000001"] {
            assert!(text.parse::<ReportNumber>().is_err(), "{text:?} must be rejected");
        }
    }
}
