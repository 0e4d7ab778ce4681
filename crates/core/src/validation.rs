//! Checks of a new report before it is stored. Every problem is reported at once, each with the
//! form field it concerns and a stable code, so a form can show all messages beside their fields.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::catalog::{Category, FieldDefinition, FieldFormat, FieldType};
use crate::plate::parse_plate;

pub const MIN_DESCRIPTION_CHARS: usize = 20;
pub const MAX_DESCRIPTION_CHARS: usize = 5_000;
pub const MAX_ADDRESS_CHARS: usize = 500;
pub const MAX_FIELD_CHARS: usize = 1_000;

/// Tolerated difference between the resident's clock and ours when checking that the incident
/// is not in the future.
const CLOCK_SKEW: Duration = Duration::minutes(5);

/// Oldest incident accepted: a year, since agencies cannot act on older evidence.
const MAX_INCIDENT_AGE: Duration = Duration::days(365);

/// A report as the resident entered it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportDraft {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub address: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub description: String,
    pub fields: BTreeMap<String, String>,
    pub photos: u32,
    pub videos: u32,
}

/// A report that passed every check, with values trimmed and normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidReport {
    pub latitude: f64,
    pub longitude: f64,
    pub address: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub description: String,
    pub fields: BTreeMap<String, String>,
}

/// One problem with one form field. `args` fill the placeholders of the translated message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    fn new(field: &str, code: &'static str) -> FieldError {
        FieldError { field: field.to_owned(), code, args: Vec::new() }
    }

    fn with(mut self, name: &'static str, value: impl ToString) -> FieldError {
        self.args.push((name, value.to_string()));
        self
    }
}

pub fn validate_report(draft: &ReportDraft, category: &Category, now: DateTime<Utc>) -> Result<ValidReport, Vec<FieldError>> {
    let mut errors = Vec::new();

    let location = check_location(draft, &mut errors);
    let occurred_at = check_occurred_at(draft.occurred_at, now, &mut errors);
    let description = check_description(&draft.description, &mut errors);

    let address = draft.address.as_deref().map(str::trim).filter(|text| !text.is_empty()).map(str::to_owned);
    if address.as_ref().is_some_and(|text| text.chars().count() > MAX_ADDRESS_CHARS) {
        errors.push(FieldError::new("address", "address_too_long").with("max", MAX_ADDRESS_CHARS));
    }

    let mut fields = BTreeMap::new();
    for definition in &category.fields {
        let value = draft.fields.get(&definition.code).map(|text| text.trim()).unwrap_or("");
        match check_field(definition, value) {
            Ok(Some(normalised)) => {
                fields.insert(definition.code.clone(), normalised);
            }
            Ok(None) => {}
            Err(error) => errors.push(error),
        }
    }

    check_evidence(category, draft.photos, draft.videos, &mut errors);

    match (location, occurred_at, errors.is_empty()) {
        (Some((latitude, longitude)), Some(occurred_at), true) => {
            Ok(ValidReport { latitude, longitude, address, occurred_at, description, fields })
        }
        _ => Err(errors),
    }
}

fn check_location(draft: &ReportDraft, errors: &mut Vec<FieldError>) -> Option<(f64, f64)> {
    let (Some(latitude), Some(longitude)) = (draft.latitude, draft.longitude) else {
        errors.push(FieldError::new("location", "location_required"));
        return None;
    };
    let in_range = latitude.is_finite() && longitude.is_finite() && (-90.0..=90.0).contains(&latitude) && (-180.0..=180.0).contains(&longitude);
    if !in_range {
        errors.push(FieldError::new("location", "location_invalid"));
        return None;
    }
    Some((latitude, longitude))
}

fn check_occurred_at(occurred_at: Option<DateTime<Utc>>, now: DateTime<Utc>, errors: &mut Vec<FieldError>) -> Option<DateTime<Utc>> {
    let Some(occurred_at) = occurred_at else {
        errors.push(FieldError::new("occurred_at", "occurred_at_required"));
        return None;
    };
    if occurred_at > now + CLOCK_SKEW {
        errors.push(FieldError::new("occurred_at", "occurred_at_in_future"));
        return None;
    }
    if occurred_at < now - MAX_INCIDENT_AGE {
        errors.push(FieldError::new("occurred_at", "occurred_at_too_old").with("days", MAX_INCIDENT_AGE.num_days()));
        return None;
    }
    Some(occurred_at)
}

fn check_description(description: &str, errors: &mut Vec<FieldError>) -> String {
    let trimmed = description.trim();
    let length = trimmed.chars().count();
    if length < MIN_DESCRIPTION_CHARS {
        errors.push(FieldError::new("description", "description_too_short").with("min", MIN_DESCRIPTION_CHARS).with("actual", length));
    } else if length > MAX_DESCRIPTION_CHARS {
        errors.push(FieldError::new("description", "description_too_long").with("max", MAX_DESCRIPTION_CHARS).with("actual", length));
    }
    trimmed.to_owned()
}

/// Returns the value to store, `None` for an empty optional field.
fn check_field(definition: &FieldDefinition, value: &str) -> Result<Option<String>, FieldError> {
    let field = format!("fields.{}", definition.code);
    let error = |code| FieldError::new(&field, code).with("label", &definition.label);

    if value.is_empty() {
        return if definition.required { Err(error("field_required")) } else { Ok(None) };
    }
    if value.chars().count() > MAX_FIELD_CHARS {
        return Err(error("field_too_long").with("max", MAX_FIELD_CHARS));
    }

    if definition.format == Some(FieldFormat::Plate) {
        return match parse_plate(value) {
            Ok(plate) => Ok(Some(plate.to_string())),
            Err(plate_error) => Err(error(plate_error.code())),
        };
    }

    let allowed = |key: &str| definition.values.iter().any(|allowed| allowed.key == key);
    match definition.datatype {
        FieldType::Number if value.parse::<f64>().map(|n| !n.is_finite()).unwrap_or(true) => Err(error("field_not_a_number")),
        FieldType::Datetime if DateTime::parse_from_rfc3339(value).is_err() => Err(error("field_not_a_datetime")),
        FieldType::Singlevaluelist if !allowed(value) => Err(error("field_value_not_allowed")),
        FieldType::Multivaluelist if !value.split(',').map(str::trim).all(allowed) => Err(error("field_value_not_allowed")),
        _ => Ok(Some(value.to_owned())),
    }
}

fn check_evidence(category: &Category, photos: u32, videos: u32, errors: &mut Vec<FieldError>) {
    let rule = category.evidence;
    if rule.min_photos > 0 && photos < rule.min_photos {
        errors.push(FieldError::new("files", "photos_too_few").with("min", rule.min_photos).with("actual", photos));
    } else if rule.media_required && photos + videos == 0 {
        errors.push(FieldError::new("files", "media_required"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn now() -> DateTime<Utc> {
        "2026-12-04T12:00:00Z".parse().unwrap()
    }

    fn parking() -> Category {
        Catalog::moscow_default().category("parking_violation").unwrap().clone()
    }

    fn good_draft() -> ReportDraft {
        ReportDraft {
            latitude: Some(55.764),
            longitude: Some(37.606),
            address: Some("  Тверская улица, 7 ".into()),
            occurred_at: Some(now() - Duration::hours(1)),
            description: "Машина стоит на тротуаре и мешает пешеходам".into(),
            fields: BTreeMap::from([("plate".into(), "a123bc 77".into())]),
            photos: 2,
            videos: 0,
        }
    }

    fn codes(result: Result<ValidReport, Vec<FieldError>>) -> Vec<&'static str> {
        result.err().unwrap_or_default().into_iter().map(|error| error.code).collect()
    }

    #[test]
    fn good_draft_is_normalised() {
        let report = validate_report(&good_draft(), &parking(), now()).unwrap();
        assert_eq!(report.address.as_deref(), Some("Тверская улица, 7"));
        assert_eq!(report.fields["plate"], "А123ВС77");
    }

    #[test]
    fn description_counts_characters_after_trim() {
        let draft = ReportDraft { description: format!("   {}   ", "ж".repeat(19)), ..good_draft() };
        assert_eq!(codes(validate_report(&draft, &parking(), now())), ["description_too_short"]);

        let draft = ReportDraft { description: "ж".repeat(20), ..good_draft() };
        assert!(validate_report(&draft, &parking(), now()).is_ok());
    }

    #[test]
    fn overlong_description_is_rejected() {
        let draft = ReportDraft { description: "ж".repeat(MAX_DESCRIPTION_CHARS + 1), ..good_draft() };
        assert_eq!(codes(validate_report(&draft, &parking(), now())), ["description_too_long"]);
    }

    #[test]
    fn future_incident_is_rejected() {
        let draft = ReportDraft { occurred_at: Some(now() + Duration::hours(1)), ..good_draft() };
        assert_eq!(codes(validate_report(&draft, &parking(), now())), ["occurred_at_in_future"]);
    }

    #[test]
    fn missing_location_is_rejected() {
        let draft = ReportDraft { latitude: None, ..good_draft() };
        assert_eq!(codes(validate_report(&draft, &parking(), now())), ["location_required"]);
    }

    #[test]
    fn non_finite_coordinates_are_rejected() {
        let draft = ReportDraft { latitude: Some(f64::NAN), ..good_draft() };
        assert_eq!(codes(validate_report(&draft, &parking(), now())), ["location_invalid"]);
    }

    #[test]
    fn all_problems_are_reported_together() {
        let draft = ReportDraft { description: "коротко".into(), fields: BTreeMap::new(), photos: 1, ..good_draft() };
        assert_eq!(codes(validate_report(&draft, &parking(), now())), ["description_too_short", "field_required", "photos_too_few"]);
    }

    #[test]
    fn list_field_checks_allowed_values() {
        let category = Catalog::moscow_default().category("infrastructure_damage").unwrap().clone();
        let draft = ReportDraft { fields: BTreeMap::from([("object_type".into(), "castle".into())]), photos: 0, ..good_draft() };
        assert_eq!(codes(validate_report(&draft, &category, now())), ["field_value_not_allowed"]);

        let draft = ReportDraft { fields: BTreeMap::from([("object_type".into(), "bench".into())]), photos: 0, ..good_draft() };
        assert!(validate_report(&draft, &category, now()).is_ok());
    }

    #[test]
    fn bad_plate_names_the_field() {
        let draft = ReportDraft { fields: BTreeMap::from([("plate".into(), "Б123ВС77".into())]), ..good_draft() };
        let errors = validate_report(&draft, &parking(), now()).unwrap_err();
        assert_eq!(errors[0].field, "fields.plate");
        assert_eq!(errors[0].code, "plate_invalid_character");
    }
}
