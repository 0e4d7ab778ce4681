//! Russian vehicle registration plates (GOST R 50577): the twelve Cyrillic letters that have Latin
//! look-alikes (А В Е К М Н О Р С Т У Х), digits and a 2–3 digit region code.

use std::fmt;

/// Plate letters and the Latin letters that look the same.
const LETTERS: [(char, char); 12] = [
    ('А', 'A'), ('В', 'B'), ('Е', 'E'), ('К', 'K'), ('М', 'M'), ('Н', 'H'),
    ('О', 'O'), ('Р', 'P'), ('С', 'C'), ('Т', 'T'), ('У', 'Y'), ('Х', 'X'),
];

/// Shapes of the registration part before the region: `L` a letter, `D` a digit.
const FORMATS: [(&str, PlateFormat); 6] = [
    ("LDDDLL", PlateFormat::Private),
    ("LLDDD", PlateFormat::PublicTransport),
    ("LLDDDD", PlateFormat::Trailer),
    ("DDDDLL", PlateFormat::Motorcycle),
    ("LDDDD", PlateFormat::Police),
    ("LLDDDL", PlateFormat::Transit),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlateFormat {
    Private,
    PublicTransport,
    Trailer,
    Motorcycle,
    Police,
    Transit,
}

/// A plate in its normalised form: Cyrillic capitals and digits, no spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plate {
    pub registration: String,
    pub region: String,
    pub format: PlateFormat,
}

impl fmt::Display for Plate {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}{}", self.registration, self.region)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlateError {
    #[error("plate is empty")]
    Empty,
    #[error("plate contains {0:?}, which is not a plate letter or digit")]
    InvalidCharacter(char),
    #[error("plate does not match any GOST R 50577 format")]
    UnknownFormat,
    #[error("region code {0} is not a Russian region code")]
    InvalidRegion(String),
}

impl PlateError {
    pub fn code(&self) -> &'static str {
        match self {
            PlateError::Empty => "plate_empty",
            PlateError::InvalidCharacter(_) => "plate_invalid_character",
            PlateError::UnknownFormat => "plate_unknown_format",
            PlateError::InvalidRegion(_) => "plate_invalid_region",
        }
    }
}

fn to_plate_letter(character: char) -> Option<char> {
    let upper = character.to_uppercase().next().unwrap_or(character);
    LETTERS.iter().find(|(cyrillic, latin)| upper == *cyrillic || upper == *latin).map(|(cyrillic, _)| *cyrillic)
}

/// Normalises a typed plate: ignores spaces, hyphens and case, turns Latin look-alikes into
/// Cyrillic, then checks the format and the region code.
pub fn parse_plate(text: &str) -> Result<Plate, PlateError> {
    let mut normalised = String::new();
    for character in text.chars().filter(|c| !c.is_whitespace() && *c != '-' && *c != '|') {
        if character.is_ascii_digit() {
            normalised.push(character);
        } else if let Some(letter) = to_plate_letter(character) {
            normalised.push(letter);
        } else {
            return Err(PlateError::InvalidCharacter(character));
        }
    }
    if normalised.is_empty() {
        return Err(PlateError::Empty);
    }

    let shape: String = normalised.chars().map(|c| if c.is_ascii_digit() { 'D' } else { 'L' }).collect();
    for (pattern, format) in FORMATS {
        let Some(region_shape) = shape.strip_prefix(pattern) else { continue };
        if !(2..=3).contains(&region_shape.len()) || region_shape.contains('L') {
            continue;
        }

        let split = normalised.char_indices().nth(pattern.chars().count()).map(|(index, _)| index).unwrap_or(normalised.len());
        let (registration, region) = normalised.split_at(split);
        check_region(region)?;
        return Ok(Plate { registration: registration.to_owned(), region: region.to_owned(), format });
    }
    Err(PlateError::UnknownFormat)
}

/// Two-digit codes run 01–99 (00 is unused); three-digit codes are issued with a leading 1, 7 or 9
/// once a region runs out of two-digit numbers.
fn check_region(region: &str) -> Result<(), PlateError> {
    let valid = match region.len() {
        2 => region != "00",
        3 => matches!(region.as_bytes()[0], b'1' | b'7' | b'9') && &region[1..] != "00",
        _ => false,
    };
    if valid { Ok(()) } else { Err(PlateError::InvalidRegion(region.to_owned())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_lookalikes_become_cyrillic() {
        let plate = parse_plate("a 123 bc 77").unwrap();
        assert_eq!(plate.to_string(), "А123ВС77");
        assert_eq!(plate.format, PlateFormat::Private);
    }

    #[test]
    fn three_digit_region_is_accepted() {
        let plate = parse_plate("М001ММ799").unwrap();
        assert_eq!(plate.region, "799");
    }

    #[test]
    fn taxi_plate_is_public_transport() {
        assert_eq!(parse_plate("ЕК 123 77").unwrap().format, PlateFormat::PublicTransport);
    }

    #[test]
    fn non_plate_letter_is_named() {
        assert_eq!(parse_plate("Б123ВС77"), Err(PlateError::InvalidCharacter('Б')));
    }

    #[test]
    fn wrong_shape_is_rejected() {
        assert_eq!(parse_plate("А12ВС77"), Err(PlateError::UnknownFormat));
    }

    #[test]
    fn region_zero_is_rejected() {
        assert_eq!(parse_plate("А123ВС00"), Err(PlateError::InvalidRegion("00".into())));
        assert_eq!(parse_plate("А123ВС577"), Err(PlateError::InvalidRegion("577".into())));
    }

    #[test]
    fn empty_plate_is_rejected() {
        assert_eq!(parse_plate("  - "), Err(PlateError::Empty));
    }
}
