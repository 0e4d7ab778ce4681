//! Staff search over reports by number, description, address and plate. Each report stores a
//! search text computed here, and a query matches when its normalised form is a substring of that
//! text. Both are normalised in Rust, because SQLite folds only ASCII case: lowercase, `ё` as
//! `е`, runs of whitespace as one space, and plates in their normalised form (so `A123BC 77`
//! and `а123вс77` match the same report).

use crate::number::ReportNumber;
use crate::plate::parse_plate;

/// Returns `text` lowercased, with `ё` as `е` and each run of whitespace as one space.
pub fn normalise_text(text: &str) -> String {
    let lowered: String = text.chars().flat_map(char::to_lowercase).map(|character| if character == 'ё' { 'е' } else { character }).collect();
    lowered.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Builds the stored search text of a report. Its parts are separated by newlines, which no
/// normalised query contains, so a match never spans two parts.
pub fn report_search_text(number: &ReportNumber, description: &str, address: Option<&str>, plate: Option<&str>) -> String {
    let mut parts = vec![number.to_string(), normalise_text(description)];
    if let Some(address) = address {
        parts.push(normalise_text(address));
    }
    if let Some(plate) = plate {
        let normalised = parse_plate(plate).map(|plate| plate.to_string()).unwrap_or_else(|_| plate.to_owned());
        parts.push(normalise_text(&normalised));
    }
    parts.join("\n")
}

/// Normalises a staff member's query for matching against [`report_search_text`]. A query that
/// parses as a plate becomes the plate's normalised form. Returns None for a blank query.
pub fn normalise_query(query: &str) -> Option<String> {
    let trimmed = query.trim();
    if trimmed.is_empty() {
        return None;
    }
    if let Ok(plate) = parse_plate(trimmed) {
        return Some(normalise_text(&plate.to_string()));
    }
    Some(normalise_text(trimmed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> String {
        let number: ReportNumber = "2026-0000123".parse().expect("a valid number");
        report_search_text(&number, "Ёлка  упала на\tтротуар", Some("Москва, ТВЕРСКАЯ улица, 7"), Some("А123ВС77"))
    }

    #[test]
    fn query_matches_ignoring_case_and_yo() {
        let text = text();
        for query in ["тверская", "ТВЕРСКАЯ", "елка", "ёлка", "упала на тротуар", "2026-0000123", "0000123", "а123вс77", "A123BC 77", "a123bc77"] {
            let normalised = normalise_query(query).expect("the query is not blank");
            assert!(text.contains(&normalised), "{query:?} ({normalised:?}) does not match {text:?}");
        }
    }

    #[test]
    fn query_mismatches_and_blank() {
        let text = text();
        for query in ["мясницкая", "В777ОР77", "2026-0000124"] {
            let normalised = normalise_query(query).expect("the query is not blank");
            assert!(!text.contains(&normalised), "{query:?} matches {text:?}");
        }
        assert_eq!(normalise_query("   "), None);
        assert!(!text.contains("тротуар\nмосква") || text.contains('\n'), "parts are separated by newlines");
    }
}
