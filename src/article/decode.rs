//! Bytes to clean text: encoding (BOM, UTF-8, detected legacy encodings), binary detection,
//! line endings, Unicode NFC, and characters XML cannot carry.

use encoding_rs::{Encoding, ISO_8859_15, UTF_8, WINDOWS_1252};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use super::SkipReason;
use crate::text::is_xml_unsafe;

/// How many leading bytes are checked for NUL bytes and image signatures.
pub(crate) const BINARY_SNIFF_BYTES: usize = 8192;

/// Signatures of binary formats that are sometimes dropped into a text folder by mistake.
const BINARY_SIGNATURES: &[(&[u8], &str)] = &[
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"RIFF", "RIFF media (WebP, WAV, AVI)"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (or DOCX/ODT)"),
    (b"\x1f\x8b", "gzip data"),
    (b"\x7fELF", "ELF executable"),
];

/// Text decoded from a file, with the encoding it was read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// The text: `\n` line endings, NFC, XML 1.0 characters only.
    pub text: String,
    /// The encoding's WHATWG name (`UTF-8`, `UTF-16LE`, `windows-1252`, ...).
    pub encoding: &'static str,
}

/// Decodes a file's bytes. A byte-order mark decides the encoding; otherwise valid UTF-8 is
/// UTF-8, and anything else is given to `chardetng` to recognise a legacy encoding.
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded, SkipReason> {
    // The text when it was read as UTF-8 already, so that it is not validated twice.
    let (encoding, body, utf8) = match Encoding::for_bom(bytes) {
        Some((encoding, bom_len)) => (encoding, &bytes[bom_len..], None),
        None => {
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
            let utf8 = std::str::from_utf8(bytes).ok();
            let encoding = if utf8.is_some() {
                UTF_8
            } else {
                // Valid UTF-8 was taken above, and ISO-2022-JP is escape-sequence text that
                // no scraper here writes.
                let mut detector =
                    chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
                detector.feed(bytes, true);
                match detector.guess(None, chardetng::Utf8Detection::Deny) {
                    guess if guess == WINDOWS_1252 && is_latin9(bytes) => ISO_8859_15,
                    guess => guess,
                }
            };
            (encoding, bytes, utf8)
        }
    };
    let text = match utf8 {
        Some(text) => std::borrow::Cow::Borrowed(text),
        None => match encoding.decode_without_bom_handling(body) {
            (_, true) => {
                return Err(SkipReason::Undecodable {
                    encoding: encoding.name(),
                });
            }
            (text, false) => text,
        },
    };
    let text = clean_text(&text);
    let nfc = below_combining_marks(&text) || is_nfc_quick(text.chars()) == IsNormalized::Yes;
    let text = if nfc { text } else { text.nfc().collect() };
    Ok(Decoded {
        text,
        encoding: encoding.name(),
    })
}

/// True when every character of `text` is below U+0300, where the combining marks start: such
/// text is NFC (none of those characters decomposes or combines), so the per-character
/// normalization check can be skipped for ASCII and most Western European text. In UTF-8
/// those characters are single bytes and two-byte sequences led by 0xC2 to 0xCB; a lead byte
/// from 0xCC up starts a later character.
fn below_combining_marks(text: &str) -> bool {
    text.bytes().all(|b| b < 0xCC)
}

/// True when Western European bytes are Latin-9 (ISO-8859-15) rather than Windows-1252: no
/// byte in 0x80..=0x9F (Windows-1252's curly quotes, dashes and `€`, and control characters in
/// Latin-9), and one of the two bytes Latin-9 gave what French text uses most: 0xA4 `€`
/// (`¤` in Windows-1252) and 0xBD `œ` (`½`). A Windows-1252 text with `½` and none of its
/// own punctuation would be misread; curly quotes or dashes (0x91..=0x97) prevent that.
fn is_latin9(bytes: &[u8]) -> bool {
    !bytes.iter().any(|b| (0x80..=0x9F).contains(b))
        && bytes.iter().any(|b| matches!(b, 0xA4 | 0xBD))
}

/// Normalises line endings to `\n` and removes characters that XML 1.0 forbids or discourages
/// (C0 controls other than tab and newline, DEL, C1 controls, U+FFFE/U+FFFF).
pub(crate) fn clean_text(text: &str) -> String {
    // Most files have nothing to clean: one byte scan instead of a char-by-char rebuild.
    if !needs_cleaning(text.as_bytes()) {
        return text.to_string();
    }
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

/// True when UTF-8 `bytes` hold a `\r` or a character [`is_xml_unsafe`] rejects: C0 controls
/// and DEL are single bytes, C1 controls are `C2 80`..`C2 9F`, U+FFFE/U+FFFF are `EF BF BE/BF`.
fn needs_cleaning(bytes: &[u8]) -> bool {
    // Most texts have none of the bytes that can start one: scanned by blocks, with no
    // branch per byte (`any` alone would stop at each byte to ask).
    let suspect = |b: u8| b < 0x20 && b != b'\t' && b != b'\n' || matches!(b, 0x7f | 0xc2 | 0xef);
    let any_suspect = bytes
        .chunks(64)
        .any(|block| block.iter().fold(false, |found, &b| found | suspect(b)));
    if !any_suspect {
        return false;
    }
    bytes.iter().enumerate().any(|(i, &b)| match b {
        b'\t' | b'\n' => false,
        0..=0x1f | 0x7f => true,
        0xc2 => matches!(bytes.get(i + 1), Some(0x80..=0x9f)),
        0xef => bytes.get(i + 1) == Some(&0xbf) && matches!(bytes.get(i + 2), Some(0xbe | 0xbf)),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Issue 16, item 3: a Latin-9 file's euro signs came out as `¤` (read as Windows-1252).
    #[test]
    fn latin9_is_told_from_windows_1252_by_its_euro_sign() {
        let text = "Le prix de l'énergie\n\nLe litre d'essence coûte désormais 2 € à la pompe, \
                    a indiqué mardi le ministère de l'Économie, qui prévoit une hausse des prix \
                    de l'électricité dès le mois prochain ; le cœur du marché reste fragile.\n";
        let (latin9, _, _) = ISO_8859_15.encode(text);
        let decoded = decode(&latin9).expect("decodes");
        assert_eq!(decoded.encoding, "ISO-8859-15");
        assert_eq!(decoded.text, text);
        // Windows-1252 bytes (its € is 0x80) stay Windows-1252.
        let (cp1252, _, _) = WINDOWS_1252.encode(text);
        let decoded = decode(&cp1252).expect("decodes");
        assert_eq!(decoded.encoding, "windows-1252");
        assert_eq!(decoded.text, text);
    }

    #[test]
    fn cyrillic_legacy_encodings_are_read() {
        let text = "Новости дня\n\nПрезидент заявил во вторник, что переговоры возобновятся.\n";
        for encoding in [encoding_rs::WINDOWS_1251, encoding_rs::KOI8_R] {
            let (bytes, _, _) = encoding.encode(text);
            assert_eq!(
                decode(&bytes).expect("decodes").text,
                text,
                "{}",
                encoding.name()
            );
        }
    }

    fn text(bytes: &[u8]) -> String {
        decode(bytes).expect("decodes").text
    }

    #[test]
    fn the_fast_path_agrees_with_the_character_rules() {
        let samples = [
            "plain text\twith tabs\n",
            "é ü ß 日本 \u{a0}",
            "\u{85} next line",
            "\u{9f}",
            "\u{a0}\u{bf}",
            "x\u{fffe}y",
            "\u{fffd}\u{fffc}",
            "\u{7f}",
            "cr\r",
        ];
        for text in samples {
            let by_chars = text.chars().any(|c| c == '\r' || is_xml_unsafe(c));
            assert_eq!(needs_cleaning(text.as_bytes()), by_chars, "{text:?}");
        }
        // Wherever it stands in a longer text (the bytes are scanned by blocks).
        for at in 0..200 {
            for odd in ["\r", "\u{1}", "\u{9f}", "\u{ffff}", "\u{a0}", "\u{feff}"] {
                let text = format!("{}{odd}{}", "a".repeat(at), "b".repeat(200 - at));
                let by_chars = text.chars().any(|c| c == '\r' || is_xml_unsafe(c));
                assert_eq!(needs_cleaning(text.as_bytes()), by_chars, "{odd:?} at {at}");
            }
        }
    }

    #[test]
    fn strips_bom_and_normalises_line_endings() {
        assert_eq!(
            text(b"\xef\xbb\xbfTitle\r\nline one\rline two\n"),
            "Title\nline one\nline two\n"
        );
    }

    #[test]
    fn utf16_with_bom_in_both_byte_orders() {
        let sample = "Été à Moscou\nCorps du texte.\n";
        let le: Vec<u8> = b"\xff\xfe"
            .iter()
            .copied()
            .chain(sample.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = b"\xfe\xff"
            .iter()
            .copied()
            .chain(sample.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(
            decode(&le).expect("LE"),
            Decoded {
                text: sample.into(),
                encoding: "UTF-16LE"
            }
        );
        assert_eq!(
            decode(&be).expect("BE"),
            Decoded {
                text: sample.into(),
                encoding: "UTF-16BE"
            }
        );
    }

    #[test]
    fn windows_1252_is_detected_not_mangled() {
        // "Le café coûte 2 € à l'été." in Windows-1252: é=E9, û=FB, €=80, à=E0.
        let bytes =
            b"Le caf\xe9 co\xfbte 2 \x80 \xe0 l'\xe9t\xe9, d\xe9clare le g\xe9rant du caf\xe9.\n";
        let decoded = decode(bytes).expect("decodes");
        assert_eq!(decoded.encoding, "windows-1252");
        assert_eq!(
            decoded.text,
            "Le café coûte 2 € à l'été, déclare le gérant du café.\n"
        );
    }

    #[test]
    fn text_below_the_combining_marks_is_nfc() {
        for c in '\0'..='\u{2FF}' {
            let text = c.to_string();
            assert!(below_combining_marks(&text), "{c:?}");
            assert_eq!(is_nfc_quick(text.chars()), IsNormalized::Yes, "{c:?}");
        }
        let mut utf8 = [0; 4];
        for c in '\u{300}'..=char::MAX {
            assert!(!below_combining_marks(c.encode_utf8(&mut utf8)), "{c:?}");
        }
        assert!(below_combining_marks("Beyoncé à Zürich, ĳ ǅ ʻ"));
        assert!(!below_combining_marks("e\u{301}"));
        assert!(!below_combining_marks("Ω €"));
    }

    #[test]
    fn decomposed_accents_become_nfc() {
        // "é" as e + combining acute accent.
        assert_eq!(text("cafe\u{301}".as_bytes()), "café");
    }

    #[test]
    fn removes_xml_illegal_controls_but_keeps_tabs() {
        assert_eq!(
            text("a\u{1}b\u{b}c\td\u{7f}e\u{85}f\u{ffff}".as_bytes()),
            "abc\tdef"
        );
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
    fn broken_utf16_is_skipped_naming_the_encoding() {
        // A BOM promising UTF-16LE, then an unpaired high surrogate.
        assert_eq!(
            decode(b"\xff\xfeA\x00\x00\xd8"),
            Err(SkipReason::Undecodable {
                encoding: "UTF-16LE"
            })
        );
    }
}
