//! Rules about text that every stage shares and that depend on nothing: which characters an
//! XML document cannot carry, and what a language tag looks like.

/// True for characters that must not reach an XML document.
pub(crate) fn is_xml_unsafe(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
}

/// The one language-tag rule (settings and the `lang` filter): a loose BCP 47 check, letters,
/// digits and hyphens, starting with a 2–3 letter language, each part at most 8 long.
pub(crate) fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    lang_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Invisible format characters that titles and metadata lose: the zero-width space, word
/// joiner and invisible operators, the soft hyphen, a stray byte-order mark, and the bidi
/// marks, embeddings, overrides and isolates (pages isolate titles and names with `<bdi>` and
/// `dir="auto"` instead). Zero-width joiners and non-joiners stay: emoji sequences, Indic
/// scripts and Persian spelling need them.
/// `s` in lowercase, borrowed when it has no capital: word lists are looked up for every
/// word of a line, and most words come lowercase already.
pub(crate) fn lowercase(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_uppercase) {
        s.to_lowercase().into()
    } else {
        s.into()
    }
}

pub(crate) fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{ad}' | '\u{61c}' | '\u{180e}' | '\u{200b}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_checked_loosely() {
        for good in ["fr", "en-GB", "pt-BR", "zh-Hant-TW", "gsw"] {
            assert!(is_language_tag(good), "{good}");
        }
        for bad in ["", "f", "fr_FR", "123", "fr-", "english", "fr-abcdefghi"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn joiners_are_kept_and_other_invisible_characters_are_not() {
        for gone in [
            '\u{200b}', '\u{ad}', '\u{202e}', '\u{2067}', '\u{feff}', '\u{200f}',
        ] {
            assert!(is_invisible_format(gone), "{gone:?}");
        }
        for kept in ['\u{200c}', '\u{200d}', 'a', ' '] {
            assert!(!is_invisible_format(kept), "{kept:?}");
        }
    }

    #[test]
    fn control_characters_are_xml_unsafe() {
        assert!(is_xml_unsafe('\u{1}'));
        assert!(is_xml_unsafe('\u{ffff}'));
        assert!(!is_xml_unsafe('\n'));
        assert!(!is_xml_unsafe('é'));
    }
}
