//! The answer to a report as a PDF: number, dates, agency, decision, the executor's text and the
//! list of files, in Russian, with DejaVu Sans embedded so that Cyrillic shows on any reader.

use printpdf::{IndirectFontRef, Mm, PdfDocument, PdfDocumentReference, PdfLayerReference};

const REGULAR_FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const BOLD_FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

const PAGE_WIDTH: f32 = 210.0;
const PAGE_HEIGHT: f32 = 297.0;
const MARGIN: f32 = 20.0;
const BODY_SIZE: f32 = 11.0;
const TITLE_SIZE: f32 = 16.0;
/// Millimetres per typographic point.
const POINT: f32 = 25.4 / 72.0;
/// Line height as a multiple of the font size.
const LEADING: f32 = 1.35;

/// Everything the answer shows, already in Russian.
#[derive(Debug, Clone)]
pub struct Answer {
    pub title: String,
    /// Label and value pairs: number, dates, category, address, agency, status, decision.
    pub facts: Vec<(String, String)>,
    pub text_heading: String,
    pub text: String,
    pub files_heading: String,
    pub files: Vec<String>,
    pub footer: String,
}

/// Lays the answer out on A4 pages and returns the PDF file.
pub fn render(answer: &Answer) -> Result<Vec<u8>, String> {
    let (document, page, layer) = PdfDocument::new(answer.title.as_str(), Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), "text");
    let regular = Font::load(&document, REGULAR_FONT)?;
    let bold = Font::load(&document, BOLD_FONT)?;
    let mut writer = Writer { document: &document, layer: document.get_page(page).get_layer(layer), y: PAGE_HEIGHT - MARGIN };

    writer.paragraph(&answer.title, &bold, TITLE_SIZE);
    writer.gap(BODY_SIZE);
    for (label, value) in &answer.facts {
        writer.paragraph(&format!("{label}: {value}"), &regular, BODY_SIZE);
    }
    writer.gap(BODY_SIZE);
    writer.paragraph(&answer.text_heading, &bold, BODY_SIZE);
    for line in answer.text.lines() {
        writer.paragraph(line, &regular, BODY_SIZE);
    }
    writer.gap(BODY_SIZE);
    writer.paragraph(&answer.files_heading, &bold, BODY_SIZE);
    for file in &answer.files {
        writer.paragraph(&format!("• {file}"), &regular, BODY_SIZE);
    }
    writer.gap(BODY_SIZE);
    writer.paragraph(&answer.footer, &regular, BODY_SIZE * 0.85);

    document.save_to_bytes().map_err(|error| format!("PDF not written: {error}"))
}

/// A font embedded in the document, with the metrics to measure text in it.
struct Font {
    reference: IndirectFontRef,
    face: ttf_parser::Face<'static>,
}

impl Font {
    fn load(document: &PdfDocumentReference, bytes: &'static [u8]) -> Result<Font, String> {
        // Only the glyphs used are embedded: a three-page answer measured 92 KB, against 1.7 MB whole.
        let reference = document.add_external_font_with_subsetting(bytes, true).map_err(|error| format!("font not embedded: {error}"))?;
        let face = ttf_parser::Face::parse(bytes, 0).map_err(|error| format!("font not readable: {error}"))?;
        Ok(Font { reference, face })
    }

    /// Returns the width of `text` in millimetres at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text
            .chars()
            .map(|c| self.face.glyph_index(c).and_then(|glyph| self.face.glyph_hor_advance(glyph)).map_or(0, u32::from))
            .sum();
        units as f32 / f32::from(self.face.units_per_em()) * size * POINT
    }
}

/// The position of the next line, which moves to a new page at the bottom margin.
struct Writer<'a> {
    document: &'a PdfDocumentReference,
    layer: PdfLayerReference,
    y: f32,
}

impl Writer<'_> {
    /// Writes `text` in lines that fit between the margins, breaking at spaces (or inside a word
    /// longer than a line).
    fn paragraph(&mut self, text: &str, font: &Font, size: f32) {
        for line in wrap(text, PAGE_WIDTH - 2.0 * MARGIN, |part| font.width(part, size)) {
            let height = size * POINT * LEADING;
            if self.y - height < MARGIN {
                let (page, layer) = self.document.add_page(Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), "text");
                self.layer = self.document.get_page(page).get_layer(layer);
                self.y = PAGE_HEIGHT - MARGIN;
            }
            self.y -= height;
            self.layer.use_text(line, size, Mm(MARGIN), Mm(self.y), &font.reference);
        }
    }

    fn gap(&mut self, size: f32) {
        self.y -= size * POINT * 0.6;
    }
}

/// Splits `text` into lines no wider than `limit` as measured by `width`.
fn wrap(text: &str, limit: f32, width: impl Fn(&str) -> f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
        if width(&candidate) <= limit {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A word wider than the line is cut where it stops fitting.
        let mut rest = word.to_owned();
        while width(&rest) > limit {
            let mut cut = String::new();
            for c in rest.chars() {
                if width(&format!("{cut}{c}")) > limit && !cut.is_empty() {
                    break;
                }
                cut.push(c);
            }
            rest = rest[cut.len()..].to_owned();
            lines.push(cut);
        }
        line = rest;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn characters(text: &str) -> f32 {
        text.chars().count() as f32
    }

    #[test]
    fn wrap_breaks_at_spaces() {
        assert_eq!(wrap("один два три четыре", 9.0, characters), vec!["один два", "три", "четыре"]);
    }

    #[test]
    fn wrap_cuts_long_words() {
        assert_eq!(wrap("абвгдежзик ок", 4.0, characters), vec!["абвг", "дежз", "ик", "ок"]);
    }

    #[test]
    fn render_spills_onto_pages() {
        let answer = Answer {
            title: "Ответ по обращению № 2026-0000001".to_owned(),
            facts: vec![("Статус".to_owned(), "Рассмотрено".to_owned())],
            text_heading: "Ответ исполнителя".to_owned(),
            text: "Нарушение устранено. ".repeat(400),
            files_heading: "Файлы".to_owned(),
            files: vec!["фото.jpg (340 КБ)".to_owned()],
            footer: "Документ сформирован сервисом «Помощник города».".to_owned(),
        };
        let pdf = render(&answer).expect("the answer renders");
        let text = String::from_utf8_lossy(&pdf);

        assert!(pdf.starts_with(b"%PDF-"));
        let pages = text.match_indices("/Type/Page").filter(|(at, _)| !text[at + 10..].starts_with('s')).count();
        assert!(pages >= 2, "the long text did not spill onto a second page ({pages} pages)");
        assert!(text.contains("/FontFile2"), "the font is not embedded");
        if let Some(path) = std::env::var_os("POMOSHNIK_SAVE_ANSWER_PDF") {
            std::fs::write(path, &pdf).expect("the sample PDF is written");
        }
    }

    #[test]
    fn wrap_keeps_empty_line() {
        assert_eq!(wrap("", 10.0, characters), vec![String::new()]);
    }
}
