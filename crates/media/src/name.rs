//! Sanitising of client-supplied file names.

/// Maximum length of a sanitised name, in characters.
const MAX_NAME_CHARS: usize = 120;

/// Sanitises a client-supplied file name for display and `Content-Disposition`.
///
/// Keeps only the last path component (both `/` and `\` separate components), drops control
/// characters and Unicode bidirectional formatting characters (which can make `gpj.exe` display
/// as `exe.jpg`), trims whitespace and caps the result at 120 characters. Returns `"file"` when
/// nothing is left or the name is `.` or `..`.
pub fn sanitize_file_name(name: &str) -> String {
    let last_component = name.rsplit(['/', '\\']).next().unwrap_or_default();

    let cleaned: String = last_component
        .chars()
        .filter(|&c| !c.is_control() && !is_bidi_control(c))
        .collect();
    let capped: String = cleaned.trim().chars().take(MAX_NAME_CHARS).collect();
    let capped = capped.trim();

    if capped.is_empty() || capped == "." || capped == ".." {
        return "file".to_owned();
    }
    capped.to_owned()
}

/// Returns true for the Unicode characters that reorder displayed text (marks, embeddings, overrides and isolates).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}
