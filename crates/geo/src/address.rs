//! Normalisation of Russian street addresses for matching.

/// Abbreviations and their full forms, after lowercasing and removing dots.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("ул", "улица"),
    ("пр-т", "проспект"),
    ("пр-кт", "проспект"),
    ("пр", "проспект"),
    ("просп", "проспект"),
    ("пер", "переулок"),
    ("ш", "шоссе"),
    ("б-р", "бульвар"),
    ("бул", "бульвар"),
    ("пл", "площадь"),
    ("наб", "набережная"),
    ("пр-д", "проезд"),
    ("туп", "тупик"),
    ("д", "дом"),
    ("корп", "корпус"),
    ("к", "корпус"),
    ("стр", "строение"),
    ("с", "строение"),
    ("вл", "владение"),
    ("влад", "владение"),
    ("г", "город"),
];

/// Words that introduce a house number or its parts; they are not part of the street name.
const HOUSE_WORDS: &[&str] = &["дом", "владение", "домовладение", "корпус", "строение"];

fn expand(token: &str) -> &str {
    ABBREVIATIONS
        .iter()
        .find(|(short, _)| *short == token)
        .map_or(token, |(_, full)| full)
}

/// Splits a marker glued to its number, such as "д14", "к2" or "стр1", into two tokens.
fn split_glued_marker(token: &str) -> Option<(&str, &str)> {
    let digit_at = token.find(|c: char| c.is_ascii_digit())?;
    if digit_at == 0 {
        return None;
    }
    let (marker, number) = token.split_at(digit_at);
    let is_marker = matches!(
        marker,
        "д" | "дом" | "к" | "корп" | "корпус" | "с" | "стр" | "строение" | "вл"
    );
    is_marker.then_some((marker, number))
}

/// Normalises an address for comparison: lowercase, ё→е, punctuation to spaces, abbreviations
/// expanded (ул. → улица, пр-т → проспект, д. → дом, корп./к. → корпус, стр./с. → строение and
/// so on) and a leading «город Москва» / «г. Москва» / «Москва» removed.
///
/// `normalize_address("город Москва, Госпитальная ул 14")` returns "госпитальная улица 14".
pub fn normalize_address(text: &str) -> String {
    let folded: String = text
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ё' => 'е',
            c if c.is_alphanumeric() || c == '/' || c == '-' => c,
            _ => ' ',
        })
        .collect();

    let mut tokens: Vec<&str> = Vec::new();
    for raw in folded.split_whitespace() {
        let token = raw.trim_matches('-');
        if token.is_empty() {
            continue;
        }
        match split_glued_marker(token) {
            Some((marker, number)) => {
                tokens.push(expand(marker));
                tokens.push(number);
            }
            None => tokens.push(expand(token)),
        }
    }

    let skip = match tokens.as_slice() {
        ["город", "москва", ..] => 2,
        ["москва", ..] => 1,
        _ => 0,
    };
    tokens[skip..].join(" ")
}

/// Normalises a district name so that the forms used by OSM, gis-lab and data.mos.ru compare
/// equal: lowercase, ё→е, quotes removed, and the words «район», «поселение» and «городской
/// округ» dropped. "Район Филёвский Парк" and "Филевский Парк" both become "филевский парк".
pub fn normalize_district_name(name: &str) -> String {
    let folded: String = name
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .filter(|c| !matches!(c, '"' | '«' | '»' | '\''))
        .collect();
    let words: Vec<&str> = folded.split_whitespace().collect();
    let mut kept = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        match (words[i], words.get(i + 1).copied()) {
            ("городской", Some("округ")) => i += 2,
            ("район" | "поселение", _) => i += 1,
            (word, _) => {
                kept.push(word);
                i += 1;
            }
        }
    }
    kept.join(" ")
}

/// An address split into street words and a canonical house number, for matching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressKey {
    /// Normalised words of the street and place names, in their original order.
    pub words: Vec<String>,
    /// House number in a compact form: "14/1", "39к1", "12с1", "3а". `None` if the text has
    /// no house number.
    pub house: Option<String>,
}

fn starts_with_digit(token: &str) -> bool {
    token.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// Tells an ordinal such as "2-я" or "1-й", which belongs to a street name, from a house number.
fn is_ordinal(token: &str) -> bool {
    token.contains('-')
}

impl AddressKey {
    /// Parses an address. A house number is the token after «дом» or «владение», or, without
    /// those words, the last number that is followed only by «корпус N» / «строение N».
    pub fn parse(text: &str) -> Self {
        let normalized = normalize_address(text);
        let tokens: Vec<&str> = normalized.split(' ').filter(|t| !t.is_empty()).collect();

        let marked = tokens
            .windows(2)
            .position(|pair| {
                matches!(pair[0], "дом" | "владение" | "домовладение") && starts_with_digit(pair[1])
            })
            .map(|i| i + 1);
        let house_start = marked.or_else(|| Self::bare_house_number(&tokens));

        let Some(start) = house_start else {
            let words = tokens
                .iter()
                .filter(|t| !HOUSE_WORDS.contains(t))
                .map(|t| t.to_string())
                .collect();
            return AddressKey { words, house: None };
        };

        let mut house = tokens[start].to_string();
        let mut used = vec![false; tokens.len()];
        used[start] = true;
        let mut i = start + 1;
        while i + 1 < tokens.len() {
            let suffix = match tokens[i] {
                "корпус" => "к",
                "строение" => "с",
                _ => break,
            };
            house.push_str(suffix);
            house.push_str(tokens[i + 1]);
            used[i] = true;
            used[i + 1] = true;
            i += 2;
        }
        let words = tokens
            .iter()
            .enumerate()
            .filter(|(i, t)| !used[*i] && !HOUSE_WORDS.contains(t))
            .map(|(_, t)| t.to_string())
            .collect();
        AddressKey {
            words,
            house: Some(house),
        }
    }

    fn bare_house_number(tokens: &[&str]) -> Option<usize> {
        // Walk back over trailing "корпус N" / "строение N" pairs to the number before them.
        let mut end = tokens.len();
        while end >= 2 && matches!(tokens[end - 2], "корпус" | "строение") {
            end -= 2;
        }
        let candidate = end.checked_sub(1)?;
        let token = tokens[candidate];
        (candidate > 0 && starts_with_digit(token) && !is_ordinal(token)).then_some(candidate)
    }
}

/// Match quality of a stored house number against a typed one, worst first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum HouseMatch {
    /// The typed number continues with more digits ("1" typed, "14" stored), as while typing.
    DigitPrefix,
    /// The stored number extends the typed one with a fraction, letter, корпус or строение
    /// ("14" typed, "14/1" or "14к2" stored).
    Prefix,
    Exact,
}

pub(crate) fn match_house(typed: &str, stored: &str) -> Option<HouseMatch> {
    if typed == stored {
        return Some(HouseMatch::Exact);
    }
    let rest = stored.strip_prefix(typed)?;
    let next = rest.chars().next()?;
    if next.is_ascii_digit() {
        Some(HouseMatch::DigitPrefix)
    } else {
        Some(HouseMatch::Prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glued_marker_split() {
        assert_eq!(
            normalize_address("д14 к2 стр1"),
            "дом 14 корпус 2 строение 1"
        );
    }

    #[test]
    fn house_match_tiers() {
        assert_eq!(match_house("14", "14"), Some(HouseMatch::Exact));
        assert_eq!(match_house("14", "14/1"), Some(HouseMatch::Prefix));
        assert_eq!(match_house("14", "14к2"), Some(HouseMatch::Prefix));
        assert_eq!(match_house("1", "14"), Some(HouseMatch::DigitPrefix));
        assert_eq!(match_house("15", "14"), None);
    }
}
