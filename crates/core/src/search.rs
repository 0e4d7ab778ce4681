//! Word search for Russian text: normalisation, stemming and the category search of the report
//! form.
//!
//! Text is split into words at every character that is neither a letter nor a digit. Each word
//! is normalised ([`normalize_word`]) and common function words such as «на» or «и» are dropped.
//! The Snowball Russian stemmer of the `rust-stemmers` crate (version 1.2) reduces the rest to
//! stems, so «парковка», «парковке» and «парковку» all become «парковк».
//!
//! # Stored search column
//!
//! To search stored text (report descriptions, addresses) with the same results on SQLite and
//! PostgreSQL, store [`search_column`] of the text next to it and filter with `LIKE`:
//!
//! - exact stem: `search_column LIKE '% ' || $term || ' %'`;
//! - prefix while typing: `search_column LIKE '% ' || $term || '%'`.
//!
//! Take each `$term` from [`search_terms`] of the query. Terms contain only lowercase letters and
//! digits, so no `%`, `_` or `\` needs escaping, and the difference between the engines' `LIKE`
//! case rules (SQLite folds ASCII letters only, PostgreSQL folds nothing) never applies. Typo
//! tolerance exists only in [`CategoryIndex`]; SQL `LIKE` cannot express it. Recompute the
//! column for every row when the stemmer or the stop word list changes.

use std::collections::HashSet;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

use crate::catalog::Catalog;

static RUSSIAN_STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::Russian));

/// Lowercase Latin letters that look like Cyrillic ones, with their Cyrillic twins. Uppercase
/// look-alikes (B, H, K, M, T) are covered because words are lowercased first.
const LATIN_LOOKALIKES: [(char, char); 12] = [
    ('a', 'а'), ('b', 'в'), ('c', 'с'), ('e', 'е'), ('h', 'н'), ('k', 'к'),
    ('m', 'м'), ('o', 'о'), ('p', 'р'), ('t', 'т'), ('x', 'х'), ('y', 'у'),
];

/// Russian prepositions, conjunctions and particles that carry no meaning for search.
const STOP_WORDS: [&str; 31] = [
    "а", "без", "бы", "в", "во", "для", "до", "же", "за", "и", "из", "или", "к", "ко", "ли", "на",
    "над", "не", "ни", "но", "о", "об", "от", "по", "под", "при", "про", "с", "со", "у", "что",
];

/// Query words of at least this many letters also match the start of a longer stem.
const MIN_PREFIX_CHARS: usize = 4;
/// Indexed stems of at least this many letters also match query stems one edit away.
const MIN_TYPO_STEM_CHARS: usize = 5;

/// Lowercases a word, replaces ё with е and, in a word with at least one Cyrillic letter,
/// replaces Latin look-alike letters with Cyrillic ones («парковкa» with a Latin a becomes
/// «парковка»). A word without Cyrillic letters keeps its Latin letters.
pub fn normalize_word(word: &str) -> String {
    let lower = word.to_lowercase().replace('ё', "е");
    if !lower.chars().any(is_cyrillic) {
        return lower;
    }

    lower
        .chars()
        .map(|character| {
            LATIN_LOOKALIKES
                .iter()
                .find(|(latin, _)| *latin == character)
                .map_or(character, |(_, cyrillic)| *cyrillic)
        })
        .collect()
}

/// Returns the distinct stems of the words of `text` in order of first appearance, without stop
/// words.
pub fn search_terms(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    query_words(text).into_iter().map(|word| word.stem).filter(|stem| seen.insert(stem.clone())).collect()
}

/// Returns the value of a stored search column for `text`: its [`search_terms`] joined by spaces,
/// with a space before and after so that `LIKE '% term %'` also matches the first and last term.
/// The module documentation shows the queries.
pub fn search_column(text: &str) -> String {
    let terms = search_terms(text);
    if terms.is_empty() {
        return String::new();
    }
    format!(" {} ", terms.join(" "))
}

/// A normalised word of a text and its stem.
struct Word {
    normalised: String,
    stem: String,
}

fn query_words(text: &str) -> Vec<Word> {
    text.split(|character: char| !character.is_alphanumeric())
        .filter(|token| !token.is_empty())
        .map(normalize_word)
        .filter(|word| !STOP_WORDS.contains(&word.as_str()))
        .map(|normalised| {
            let stem = RUSSIAN_STEMMER.stem(&normalised).into_owned();
            Word { normalised, stem }
        })
        .collect()
}

fn is_cyrillic(character: char) -> bool {
    matches!(character, '\u{0400}'..='\u{04FF}')
}

/// Match quality of a query word against an indexed stem, ordered from worst to best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum MatchQuality {
    Typo = 1,
    Prefix = 2,
    Exact = 3,
}

/// The parts of a category that are indexed, with the weight of a match in each.
#[derive(Debug, Clone, Copy)]
enum Field {
    Name,
    Keywords,
    Group,
    Description,
}

impl Field {
    fn weight(self) -> u32 {
        match self {
            Field::Name | Field::Keywords => 3,
            Field::Group => 2,
            Field::Description => 1,
        }
    }
}

#[derive(Debug)]
struct IndexedCategory {
    code: String,
    fields: Vec<(Field, HashSet<String>)>,
}

/// An in-memory index of a catalog's categories for the category search of the report form.
///
/// Each query word matches an indexed stem exactly, as the start of the stem when the word has at
/// least 4 letters, or within Damerau–Levenshtein distance 1 when the stem has at least 5
/// letters («паркофка» finds «парковк»). Build a new index after the catalog changes.
#[derive(Debug)]
pub struct CategoryIndex {
    categories: Vec<IndexedCategory>,
}

impl CategoryIndex {
    /// Indexes the name, description, keywords and service area name of every category.
    pub fn new(catalog: &Catalog) -> CategoryIndex {
        let categories = catalog
            .categories
            .iter()
            .map(|category| {
                let group_name = catalog.group(&category.group).map(|group| group.name.as_str()).unwrap_or_default();
                let stems = |text: &str| search_terms(text).into_iter().collect::<HashSet<String>>();
                IndexedCategory {
                    code: category.code.clone(),
                    fields: vec![
                        (Field::Name, stems(&category.name)),
                        (Field::Keywords, stems(&category.keywords.join(" "))),
                        (Field::Group, stems(group_name)),
                        (Field::Description, stems(&category.description)),
                    ],
                }
            })
            .collect();
        CategoryIndex { categories }
    }

    /// Returns the codes of at most `limit` categories that match `query`, best first.
    ///
    /// Categories matching more distinct query words come first. Among those, the sum over query
    /// words and fields of field weight (name and keywords 3, service area 2, description 1)
    /// times match quality (exact 3, prefix 2, typo 1) decides, then catalog order. Categories
    /// matching no query word are left out, so an empty query returns nothing.
    pub fn search(&self, query: &str, limit: usize) -> Vec<&str> {
        let words = query_words(query);
        if words.is_empty() {
            return Vec::new();
        }

        let mut ranked: Vec<(usize, u32, usize)> = Vec::new();
        for (position, category) in self.categories.iter().enumerate() {
            let mut matched_words = 0;
            let mut score = 0;
            for word in &words {
                let word_score: u32 = category
                    .fields
                    .iter()
                    .filter_map(|(field, stems)| best_match(word, stems).map(|quality| field.weight() * quality as u32))
                    .sum();
                if word_score > 0 {
                    matched_words += 1;
                    score += word_score;
                }
            }
            if matched_words > 0 {
                ranked.push((matched_words, score, position));
            }
        }

        ranked.sort_by(|left, right| right.0.cmp(&left.0).then(right.1.cmp(&left.1)).then(left.2.cmp(&right.2)));
        ranked.into_iter().take(limit).map(|(_, _, position)| self.categories[position].code.as_str()).collect()
    }
}

fn best_match(word: &Word, stems: &HashSet<String>) -> Option<MatchQuality> {
    if stems.contains(&word.stem) {
        return Some(MatchQuality::Exact);
    }
    stems.iter().filter_map(|stem| match_quality(word, stem)).max()
}

fn match_quality(word: &Word, stem: &str) -> Option<MatchQuality> {
    let is_prefix = |part: &str| part.chars().count() >= MIN_PREFIX_CHARS && stem.starts_with(part);
    if is_prefix(&word.normalised) || is_prefix(&word.stem) {
        return Some(MatchQuality::Prefix);
    }
    if stem.chars().count() >= MIN_TYPO_STEM_CHARS && within_one_edit(&word.stem, stem) {
        return Some(MatchQuality::Typo);
    }
    None
}

/// Reports whether two words are at most one insertion, deletion, substitution or swap of
/// adjacent letters apart (Damerau–Levenshtein distance ≤ 1).
fn within_one_edit(left: &str, right: &str) -> bool {
    let left: Vec<char> = left.chars().collect();
    let right: Vec<char> = right.chars().collect();
    let (shorter, longer) = if left.len() <= right.len() { (&left, &right) } else { (&right, &left) };
    if longer.len() - shorter.len() > 1 {
        return false;
    }

    let common_prefix = shorter.iter().zip(longer.iter()).take_while(|(a, b)| a == b).count();
    if common_prefix == longer.len() {
        return true;
    }
    let (shorter_rest, longer_rest) = (&shorter[common_prefix..], &longer[common_prefix..]);

    if shorter.len() < longer.len() {
        // One deletion from the longer word.
        return shorter_rest == &longer_rest[1..];
    }
    // One substitution, or one swap of two adjacent letters.
    let substituted = shorter_rest[1..] == longer_rest[1..];
    let swapped = shorter_rest.len() >= 2
        && shorter_rest[0] == longer_rest[1]
        && shorter_rest[1] == longer_rest[0]
        && shorter_rest[2..] == longer_rest[2..];
    substituted || swapped
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARKING: [&str; 3] = ["parking_violation", "parking_on_lawn", "no_stopping_zone"];

    fn moscow_index() -> CategoryIndex {
        CategoryIndex::new(&Catalog::moscow_default())
    }

    #[test]
    fn normalize_word_folds_case_and_yo() {
        assert_eq!(normalize_word("Ёлка"), "елка");
        assert_eq!(normalize_word("ПАРКОВКА"), "парковка");
    }

    #[test]
    fn normalize_word_replaces_latin_lookalikes() {
        assert_eq!(normalize_word("парковкa"), "парковка");
        assert_eq!(normalize_word("CHEГ"), "снег");
        assert_eq!(normalize_word("parking"), "parking");
    }

    #[test]
    fn search_terms_stem_and_drop_stop_words() {
        assert_eq!(search_terms("Парковка на газоне и парковке"), ["парковк", "газон"]);
        assert_eq!(search_terms("знак 3.27"), ["знак", "3", "27"]);
        assert!(search_terms(" , ").is_empty());
    }

    #[test]
    fn search_column_pads_terms() {
        assert_eq!(search_column("Машина на тротуаре"), " машин тротуар ");
        assert_eq!(search_column("и на"), "");
    }

    #[test]
    fn parking_word_forms_find_parking_categories() {
        let index = moscow_index();
        for query in ["парковка", "парковке", "парковку", "парковкa", "паркофка", "Парковка"] {
            let found = index.search(query, 10);
            for code in PARKING {
                assert!(found.contains(&code), "{query:?} misses {code}: {found:?}");
            }
            assert!(!found.contains(&"unauthorized_trade"), "{query:?} found unauthorized_trade: {found:?}");
            assert_eq!(found.len(), 3, "{query:?}: {found:?}");
        }
    }

    #[test]
    fn prefix_finds_category_while_typing() {
        let index = moscow_index();
        assert_eq!(index.search("скаме", 10), ["infrastructure_damage"]);
        assert!(index.search("парк", 10).contains(&"parking_violation"));
    }

    #[test]
    fn litter_and_snow_are_found() {
        let index = moscow_index();
        assert_eq!(index.search("мусор", 10).first(), Some(&"uncleaned_litter_snow"));
        assert!(index.search("снег", 10).contains(&"uncleaned_litter_snow"));
        assert!(index.search("снега", 10).contains(&"uncleaned_litter_snow"));
    }

    #[test]
    fn bench_is_infrastructure_damage() {
        assert_eq!(moscow_index().search("скамейка", 10), ["infrastructure_damage"]);
    }

    #[test]
    fn more_matched_words_rank_first() {
        let index = moscow_index();
        let found = index.search("парковка на газоне", 10);
        assert_eq!(found.first(), Some(&"parking_on_lawn"), "{found:?}");
    }

    #[test]
    fn empty_and_nonsense_queries_find_nothing() {
        let index = moscow_index();
        assert!(index.search("", 10).is_empty());
        assert!(index.search("  на  ", 10).is_empty());
        assert!(index.search("абырвалг", 10).is_empty());
        assert!(index.search("qwerty", 10).is_empty());
    }

    #[test]
    fn limit_caps_results() {
        let index = moscow_index();
        assert_eq!(index.search("парковка", 2).len(), 2);
        assert!(index.search("парковка", 0).is_empty());
    }

    #[test]
    fn one_edit_distance() {
        assert!(within_one_edit("паркофк", "парковк"));
        assert!(within_one_edit("праковк", "парковк"));
        assert!(within_one_edit("парковк", "паркок"));
        assert!(within_one_edit("парковк", "парковки"));
        assert!(!within_one_edit("пракофк", "парковк"));
        assert!(!within_one_edit("парк", "парковк"));
    }
}
