//! Bytes to clean text: BOM, binary detection, line endings, and characters XML cannot carry.

use super::SkipReason;

/// How many leading bytes are checked for NUL bytes and image signatures.
pub const BINARY_SNIFF_BYTES: usize = 8192;

/// Signatures of binary formats that are sometimes dropped into a text folder by mistake.
const BINARY_SIGNATURES: &[(&[u8], &str)] = &[
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
];

/// Decodes a file's bytes to text with `\n` line endings and only XML 1.0 characters.
pub fn decode(bytes: &[u8]) -> Result<String, SkipReason> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if let Some((_, what)) = BINARY_SIGNATURES
        .iter()
        .find(|(sig, _)| bytes.starts_with(sig))
    {
        return Err(SkipReason::Binary((*what).to_string()));
    }
    let sniff = &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)];
    if sniff.contains(&0) {
        return Err(SkipReason::Binary("contains NUL bytes".into()));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| SkipReason::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    Ok(clean_text(text))
}

/// Normalises line endings to `\n` and removes characters that XML 1.0 forbids or discourages
/// (C0 controls other than tab and newline, DEL, C1 controls, U+FFFE/U+FFFF).
pub fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\t' | '\n' => out.push(c),
            c if is_xml_unsafe(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// True for characters that must not reach an XML document.
pub fn is_xml_unsafe(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_bom_and_normalises_line_endings() {
        let text = decode(b"\xef\xbb\xbfTitle\r\nline one\rline two\n").expect("decodes");
        assert_eq!(text, "Title\nline one\nline two\n");
    }

    #[test]
    fn removes_xml_illegal_controls_but_keeps_tabs() {
        let text = decode("a\u{1}b\u{b}c\td\u{7f}e\u{85}f\u{ffff}".as_bytes()).expect("decodes");
        assert_eq!(text, "abc\tdef");
    }

    #[test]
    fn binary_files_are_skipped_with_what_they_are() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(decode(png), Err(SkipReason::Binary("PNG image".into())));
        assert_eq!(
            decode(b"text\0more"),
            Err(SkipReason::Binary("contains NUL bytes".into()))
        );
    }

    #[test]
    fn invalid_utf8_reports_the_offset() {
        assert_eq!(
            decode(b"caf\xe9 au lait"),
            Err(SkipReason::NotUtf8 { offset: 3 })
        );
    }
}
