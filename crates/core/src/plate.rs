//! Russian vehicle registration plates as defined by GOST R 50577-2018 «Знаки государственные
//! регистрационные транспортных средств. Типы и основные размеры. Технические требования».
//!
//! [`parse_plate`] turns what a resident typed into a normalised plate: Cyrillic capitals and
//! digits with no separators, such as `А123ВС77`. It accepts these formats (`Б` is one of the
//! letters А В Е К М Н О Р С Т У Х, `Ц` a digit, `RR` a region code of 2 or 3 digits):
//!
//! | [`PlateFormat`] | GOST R 50577-2018 type | vehicles | characters | example |
//! |---|---|---|---|---|
//! | `Private` | 1, 1А | cars, lorries and buses (white) | `Б ЦЦЦ ББ RR` | `А123ВС 77` |
//! | `PublicTransport` | 1Б | taxis and buses carrying passengers for hire (yellow) | `ББ ЦЦЦ RR` | `ЕК123 77` |
//! | `Trailer` | 2 | trailers and semi-trailers | `ББ ЦЦЦЦ RR` | `АВ1234 50` |
//! | `Motorcycle` | 3, 4 | tractors and motorcycles (square) | `ЦЦЦЦ ББ RR` | `1234АВ 77` |
//! | `Transit` | 15 | transit plates | `ББ ЦЦЦ Б RR` | `АВ123С 77` |
//! | `Police` | 20 | police cars (blue) | `Б ЦЦЦЦ RR` | `А1234 77` |
//! | `Diplomatic` | 9, 10 | diplomatic missions (red) | `ЦЦЦ CD ЦЦЦ RR`, `ЦЦЦ D ЦЦЦ RR`, `ЦЦЦ T ЦЦЦ RR` | `001CD001 77` |
//!
//! Diplomatic plates keep the Latin letters CD, D and T in the normalised form, because the
//! letter D has no Cyrillic counterpart.
//!
//! Military plates (types 5–8, black) are not a format of their own: they have the shape
//! `ЦЦЦЦ ББ` followed by a code set by the Ministry of Defence instead of a region code. One
//! whose code is also a region code parses as `Motorcycle`, others fail with
//! `plate_invalid_region`. Other types (for example the police types 21 and 22 and the transit
//! types for trailers and motorcycles) give `plate_unknown_format`.
//!
//! Region codes come from `data/plates/region_codes.json`; its `SOURCES.md` describes where the
//! list comes from and how to update it.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use serde::Deserialize;

/// Plate letters and the Latin capitals that look the same.
const LETTERS: [(char, char); 12] = [
    ('А', 'A'), ('В', 'B'), ('Е', 'E'), ('К', 'K'), ('М', 'M'), ('Н', 'H'),
    ('О', 'O'), ('Р', 'P'), ('С', 'C'), ('Т', 'T'), ('У', 'Y'), ('Х', 'X'),
];

/// The Latin letter of diplomatic plates that has no Cyrillic look-alike.
const DIPLOMATIC_D: char = 'D';

/// Patterns of the registration part before the region code: `L` is a plate letter, `#` a digit,
/// any other character stands for itself (after normalisation, so `С` and `Т` are Cyrillic).
/// When a normalised string matches more than one pattern, the earlier one wins unless the typed
/// separators point to another (see [`parse_plate`]).
const FORMATS: [(&str, PlateFormat); 9] = [
    ("L###LL", PlateFormat::Private),
    ("LL###", PlateFormat::PublicTransport),
    ("LL####", PlateFormat::Trailer),
    ("####LL", PlateFormat::Motorcycle),
    ("LL###L", PlateFormat::Transit),
    ("L####", PlateFormat::Police),
    ("###СD###", PlateFormat::Diplomatic),
    ("###D###", PlateFormat::Diplomatic),
    ("###Т###", PlateFormat::Diplomatic),
];

/// Region codes and the regions that use them, as embedded from `data/plates/region_codes.json`.
const REGION_CODES_JSON: &str = include_str!("../data/plates/region_codes.json");

static REGION_CODES: LazyLock<HashSet<String>> = LazyLock::new(|| {
    #[derive(Deserialize)]
    struct RegionList {
        regions: Vec<Region>,
    }
    #[derive(Deserialize)]
    struct Region {
        codes: Vec<String>,
    }

    let list: RegionList = serde_json::from_str(REGION_CODES_JSON).expect("the embedded region code list is valid JSON");
    list.regions.into_iter().flat_map(|region| region.codes).collect()
});

/// The kind of plate, distinguished by its characters only because the colour is not typed. The module
/// documentation lists the GOST R 50577-2018 types behind each variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlateFormat {
    Private,
    PublicTransport,
    Trailer,
    /// Motorcycles and tractors, which share the characters `ЦЦЦЦ ББ`.
    Motorcycle,
    Police,
    Transit,
    Diplomatic,
}

/// A plate in its normalised form: Cyrillic capitals and digits, no spaces, except the Latin CD,
/// D or T of a diplomatic plate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plate {
    /// The characters before the region code, such as `А123ВС`.
    pub registration: String,
    /// The region code of 2 or 3 digits, such as `77` or `799`.
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
    #[error("plate does not match any supported GOST R 50577-2018 format")]
    UnknownFormat,
    #[error("plate number {0} consists of zeros, which are never issued")]
    InvalidNumber(String),
    #[error("region code {0} is not a Russian region code")]
    InvalidRegion(String),
}

impl PlateError {
    /// Returns the stable error code that the web layer translates.
    pub fn code(&self) -> &'static str {
        match self {
            PlateError::Empty => "plate_empty",
            PlateError::InvalidCharacter(_) => "plate_invalid_character",
            PlateError::UnknownFormat => "plate_unknown_format",
            PlateError::InvalidNumber(_) => "plate_invalid_number",
            PlateError::InvalidRegion(_) => "plate_invalid_region",
        }
    }
}

/// Reports whether `code` is a region code in the embedded list, such as `77` or `797`.
pub fn is_region_code(code: &str) -> bool {
    REGION_CODES.contains(code)
}

/// Normalises a typed plate and checks its format, number and region code.
///
/// The parser ignores case, whitespace, hyphens, dashes, `|`, flag emoji and a trailing `RUS`,
/// and turns Latin look-alikes and lowercase letters into Cyrillic capitals.
///
/// The characters may fit two formats: `АВ123177` is both `АВ123` + `177` and `АВ1231` + `77`.
/// Then a separator typed before the region code decides. Without one, the first format in the
/// module table whose region code is valid wins.
pub fn parse_plate(text: &str) -> Result<Plate, PlateError> {
    let typed = normalise(text)?;
    if typed.characters.is_empty() {
        return Err(PlateError::Empty);
    }

    let candidates = match_formats(&typed.characters);
    if candidates.is_empty() {
        // A D outside a diplomatic plate is more likely a wrong letter than a wrong layout.
        if let Some(original) = typed.original_d {
            return Err(PlateError::InvalidCharacter(original));
        }
        return Err(PlateError::UnknownFormat);
    }

    let preferred = candidates
        .iter()
        .find(|candidate| is_region_code(&candidate.region) && typed.separated_before.contains(&candidate.split))
        .or_else(|| candidates.iter().find(|candidate| is_region_code(&candidate.region)));
    let Some(chosen) = preferred else {
        return Err(PlateError::InvalidRegion(candidates[0].region.clone()));
    };

    if let Some(zeros) = chosen.registration.split(|c: char| !c.is_ascii_digit()).find(|run| !run.is_empty() && run.chars().all(|c| c == '0')) {
        return Err(PlateError::InvalidNumber(zeros.to_owned()));
    }

    let registration = match chosen.format {
        PlateFormat::Diplomatic => chosen.registration.replace('С', "C").replace('Т', "T"),
        _ => chosen.registration.clone(),
    };
    Ok(Plate { registration, region: chosen.region.clone(), format: chosen.format })
}

/// A typed plate after normalisation.
struct NormalisedInput {
    /// Digits, Cyrillic plate letters and `D`.
    characters: Vec<char>,
    /// Indexes into `characters` that a separator preceded in the typed text.
    separated_before: Vec<usize>,
    /// The character as typed that became `D` (`d` or `D`), if any.
    original_d: Option<char>,
}

/// Drops separators and decorations and maps every other character to a plate character, or
/// rejects the first one that is not a digit, a plate letter or the diplomatic D.
fn normalise(text: &str) -> Result<NormalisedInput, PlateError> {
    let trimmed = strip_rus_suffix(text);

    let mut normalised = NormalisedInput { characters: Vec::new(), separated_before: Vec::new(), original_d: None };
    let mut pending_separator = false;
    for character in trimmed.chars() {
        if is_separator(character) || is_flag_symbol(character) {
            pending_separator = true;
            continue;
        }

        let plate_character = if character.is_ascii_digit() {
            character
        } else if let Some(letter) = to_plate_letter(character) {
            letter
        } else if character.eq_ignore_ascii_case(&DIPLOMATIC_D) {
            normalised.original_d.get_or_insert(character);
            DIPLOMATIC_D
        } else {
            return Err(PlateError::InvalidCharacter(character));
        };

        if pending_separator && !normalised.characters.is_empty() {
            normalised.separated_before.push(normalised.characters.len());
        }
        pending_separator = false;
        normalised.characters.push(plate_character);
    }
    Ok(normalised)
}

/// Removes a trailing `RUS` in any case, with the separators and flag emoji around it.
fn strip_rus_suffix(text: &str) -> &str {
    let trimmed = text.trim_end_matches(|c: char| is_separator(c) || is_flag_symbol(c));
    let length = trimmed.len();
    if length >= 3 && trimmed.is_char_boundary(length - 3) && trimmed[length - 3..].eq_ignore_ascii_case("RUS") {
        &trimmed[..length - 3]
    } else {
        trimmed
    }
}

fn is_separator(character: char) -> bool {
    character.is_whitespace() || matches!(character, '-' | '‐' | '‑' | '–' | '|')
}

/// Regional indicator symbols, which pair up into flag emoji such as 🇷🇺.
fn is_flag_symbol(character: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&character)
}

fn to_plate_letter(character: char) -> Option<char> {
    let mut upper = character.to_uppercase();
    let upper = match (upper.next(), upper.next()) {
        (Some(single), None) => single,
        _ => return None,
    };
    LETTERS.iter().find(|(cyrillic, latin)| upper == *cyrillic || upper == *latin).map(|(cyrillic, _)| *cyrillic)
}

/// One way to read the normalised characters as a format plus a region code.
struct Candidate {
    format: PlateFormat,
    registration: String,
    region: String,
    /// Index where the region code starts.
    split: usize,
}

/// Lists every format whose pattern matches the start of `characters` and leaves 2 or 3 digits
/// for the region code, in the order of [`FORMATS`].
fn match_formats(characters: &[char]) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    for (pattern, format) in FORMATS {
        let pattern: Vec<char> = pattern.chars().collect();
        let split = pattern.len();
        if characters.len() < split + 2 || characters.len() > split + 3 {
            continue;
        }

        let registration_fits = pattern.iter().zip(characters).all(|(expected, actual)| match expected {
            'L' => *actual != DIPLOMATIC_D && !actual.is_ascii_digit(),
            '#' => actual.is_ascii_digit(),
            literal => literal == actual,
        });
        let region_fits = characters[split..].iter().all(char::is_ascii_digit);
        if registration_fits && region_fits {
            candidates.push(Candidate {
                format,
                registration: characters[..split].iter().collect(),
                region: characters[split..].iter().collect(),
                split,
            });
        }
    }
    candidates
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
    fn cyrillic_lowercase_becomes_capitals() {
        assert_eq!(parse_plate("м001мм799").unwrap().to_string(), "М001ММ799");
        assert_eq!(parse_plate("у456хн197").unwrap().to_string(), "У456ХН197");
    }

    #[test]
    fn rus_suffix_and_flag_are_ignored() {
        assert_eq!(parse_plate("А123ВС 77 RUS").unwrap().to_string(), "А123ВС77");
        assert_eq!(parse_plate("а123вс77rus").unwrap().to_string(), "А123ВС77");
        assert_eq!(parse_plate("А123ВС|77 🇷🇺 RUS").unwrap().to_string(), "А123ВС77");
        assert_eq!(parse_plate("А-123-ВС-77").unwrap().to_string(), "А123ВС77");
    }

    #[test]
    fn three_digit_region_is_accepted() {
        let plate = parse_plate("М001ММ799").unwrap();
        assert_eq!(plate.region, "799");
        assert_eq!(plate.registration, "М001ММ");
    }

    #[test]
    fn every_format_is_recognised() {
        let cases = [
            ("ЕК 123 77", "ЕК12377", PlateFormat::PublicTransport),
            ("АВ 1234 50", "АВ123450", PlateFormat::Trailer),
            ("1234 АВ 77", "1234АВ77", PlateFormat::Motorcycle),
            ("АВ 123 С 77", "АВ123С77", PlateFormat::Transit),
            ("А 1234 77", "А123477", PlateFormat::Police),
            ("001 CD 001 77", "001CD00177", PlateFormat::Diplomatic),
            ("012 d 345 97", "012D34597", PlateFormat::Diplomatic),
            ("123 T 045 77", "123T04577", PlateFormat::Diplomatic),
        ];
        for (typed, normalised, format) in cases {
            let plate = parse_plate(typed).unwrap_or_else(|error| panic!("{typed}: {error}"));
            assert_eq!(plate.to_string(), normalised, "{typed}");
            assert_eq!(plate.format, format, "{typed}");
        }
    }

    #[test]
    fn separator_resolves_ambiguous_region() {
        let trailer = parse_plate("АВ 1231 77").unwrap();
        assert_eq!((trailer.format, trailer.region.as_str()), (PlateFormat::Trailer, "77"));

        let taxi = parse_plate("АВ 123 177").unwrap();
        assert_eq!((taxi.format, taxi.region.as_str()), (PlateFormat::PublicTransport, "177"));

        let unseparated = parse_plate("АВ123177").unwrap();
        assert_eq!(unseparated.format, PlateFormat::PublicTransport);
    }

    #[test]
    fn ambiguous_plate_takes_the_valid_region() {
        // `АВ123` + `477` has no valid region, so the trailer reading `АВ1234` + `77` wins.
        let plate = parse_plate("АВ123477").unwrap();
        assert_eq!((plate.format, plate.region.as_str()), (PlateFormat::Trailer, "77"));
    }

    #[test]
    fn non_plate_letter_is_named() {
        assert_eq!(parse_plate("Б123ВС77"), Err(PlateError::InvalidCharacter('Б')));
        assert_eq!(parse_plate("а123вф77"), Err(PlateError::InvalidCharacter('ф')));
        assert_eq!(parse_plate("Z123BC77"), Err(PlateError::InvalidCharacter('Z')));
        assert_eq!(parse_plate("А123ВС77!"), Err(PlateError::InvalidCharacter('!')));
    }

    #[test]
    fn d_outside_diplomatic_plate_is_named() {
        assert_eq!(parse_plate("d123ВС77"), Err(PlateError::InvalidCharacter('d')));
    }

    #[test]
    fn wrong_shape_is_rejected() {
        assert_eq!(parse_plate("А12ВС77"), Err(PlateError::UnknownFormat));
        assert_eq!(parse_plate("А123ВС"), Err(PlateError::UnknownFormat));
        assert_eq!(parse_plate("А123ВС7777"), Err(PlateError::UnknownFormat));
        assert_eq!(parse_plate("RUS"), Err(PlateError::Empty));
    }

    #[test]
    fn zero_number_is_rejected() {
        assert_eq!(parse_plate("О000ОО77"), Err(PlateError::InvalidNumber("000".into())));
        assert_eq!(parse_plate("А0000 77"), Err(PlateError::InvalidNumber("0000".into())));
    }

    #[test]
    fn unknown_region_is_rejected() {
        assert_eq!(parse_plate("А123ВС00"), Err(PlateError::InvalidRegion("00".into())));
        assert_eq!(parse_plate("А123ВС577"), Err(PlateError::InvalidRegion("577".into())));
        assert_eq!(parse_plate("А123ВС977").unwrap().region, "977");
    }

    #[test]
    fn region_list_has_moscow_codes() {
        for code in ["77", "97", "99", "177", "197", "199", "777", "797", "799", "977"] {
            assert!(is_region_code(code), "{code}");
        }
        assert_eq!(REGION_CODES.len(), 157);
    }

    #[test]
    fn empty_plate_is_rejected() {
        assert_eq!(parse_plate("  - "), Err(PlateError::Empty));
        assert_eq!(parse_plate(""), Err(PlateError::Empty));
    }
}
