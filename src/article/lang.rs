//! Language identification with `whatlang`, reported as the BCP 47 tag feeds use.

/// How much text (in bytes, cut at a character boundary) is given to the detector: more only
/// costs time (its cost grows with the sample, and it is the largest part of a parse). On the
/// labelled corpus (`tests/fixtures/articles`, 165 files in 28 languages) 200, 256 and 512
/// bytes all give every file its language.
pub(crate) const DETECT_SAMPLE_BYTES: usize = 200;

/// A detector choosing among the languages `tags` (BCP 47, as [`detect`] reports them), or
/// among every language it knows when `tags` is empty; the first unknown tag is the error.
pub(crate) fn detector(tags: &[String]) -> Result<whatlang::Detector, String> {
    if tags.is_empty() {
        return Ok(whatlang::Detector::new());
    }
    let mut allowed = Vec::with_capacity(tags.len());
    for tag in tags {
        let lang = whatlang::Lang::all()
            .iter()
            .find(|lang| bcp47(**lang).is_some_and(|t| t.eq_ignore_ascii_case(tag)))
            .ok_or_else(|| tag.clone())?;
        allowed.push(*lang);
    }
    Ok(whatlang::Detector::with_allowlist(allowed))
}

/// Least confidence of an unsure guess that is still taken over the fallback language.
pub(crate) const MIN_GUESS_CONFIDENCE: f64 = 0.3;
/// Shortest sample, in bytes, on which an unsure guess is taken.
pub(crate) const MIN_GUESS_SAMPLE_BYTES: usize = 200;

/// The article's language as a BCP 47 primary tag (`fr`), when the detector is confident, or
/// fairly confident on a sample long enough, or the script is not Latin.
pub(crate) fn detect(detector: &whatlang::Detector, text: &str) -> Option<&'static str> {
    let mut end = text.len().min(DETECT_SAMPLE_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let info = detector.detect(&text[..end])?;
    // An unsure guess between close languages (Russian or Ukrainian, Danish or Norwegian) is
    // still far nearer than the configured fallback, unless the sample is too short or the
    // guess too weak to say anything (`MIN_GUESS_CONFIDENCE`).
    let sure_enough = info.is_reliable()
        || (info.confidence() >= MIN_GUESS_CONFIDENCE && end >= MIN_GUESS_SAMPLE_BYTES)
        || info.script() != whatlang::Script::Latin;
    if !sure_enough {
        return None;
    }
    bcp47(info.lang())
}

/// ISO 639-1 code for each language whatlang knows (639-3 where 639-1 has none, as BCP 47 says).
fn bcp47(lang: whatlang::Lang) -> Option<&'static str> {
    let tag = match lang.code() {
        "afr" => "af",
        "aka" => "ak",
        "amh" => "am",
        "ara" => "ar",
        "aze" => "az",
        "bel" => "be",
        "ben" => "bn",
        "bul" => "bg",
        "cat" => "ca",
        "ces" => "cs",
        "cmn" => "zh",
        "cym" => "cy",
        "dan" => "da",
        "deu" => "de",
        "ell" => "el",
        "eng" => "en",
        "epo" => "eo",
        "est" => "et",
        "fin" => "fi",
        "fra" => "fr",
        "guj" => "gu",
        "heb" => "he",
        "hin" => "hi",
        "hrv" => "hr",
        "hun" => "hu",
        "hye" => "hy",
        "ind" => "id",
        "ita" => "it",
        "jav" => "jv",
        "jpn" => "ja",
        "kan" => "kn",
        "kat" => "ka",
        "khm" => "km",
        "kor" => "ko",
        "lat" => "la",
        "lav" => "lv",
        "lit" => "lt",
        "mal" => "ml",
        "mar" => "mr",
        "mkd" => "mk",
        "mya" => "my",
        "nep" => "ne",
        "nld" => "nl",
        "nob" => "nb",
        "ori" => "or",
        "pan" => "pa",
        "pes" => "fa",
        "pol" => "pl",
        "por" => "pt",
        "ron" => "ro",
        "rus" => "ru",
        "sin" => "si",
        "slk" => "sk",
        "slv" => "sl",
        "sna" => "sn",
        "spa" => "es",
        "srp" => "sr",
        "swe" => "sv",
        "tam" => "ta",
        "tel" => "te",
        "tgl" => "tl",
        "tha" => "th",
        "tuk" => "tk",
        "tur" => "tr",
        "ukr" => "uk",
        "urd" => "ur",
        "uzb" => "uz",
        "vie" => "vi",
        "yid" => "yi",
        "zul" => "zu",
        _ => return None,
    };
    Some(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(text: &str) -> Option<&'static str> {
        super::detect(&whatlang::Detector::new(), text)
    }

    #[test]
    fn an_allowlist_limits_the_candidates_and_rejects_unknown_tags() {
        let german = "Der Stadtrat hat am Dienstagabend den Haushalt der Stadt für das \
                      kommende Jahr beschlossen, nach einer langen Debatte über die Schulen.";
        let all = detector(&[]).expect("every language");
        assert_eq!(super::detect(&all, german), Some("de"));
        let no_german = detector(&["en".into(), "fr".into()]).expect("known tags");
        assert_ne!(super::detect(&no_german, german), Some("de"));
        assert_eq!(
            detector(&["en".into(), "xx".into()]).err(),
            Some("xx".into())
        );
    }

    #[test]
    fn detects_french_and_english() {
        assert_eq!(
            detect(
                "Ce jeudi, la Russie a annoncé avec enthousiasme le renforcement de sa coopération militaire avec le Mali."
            ),
            Some("fr")
        );
        assert_eq!(
            detect(
                "On Thursday, Russia announced with enthusiasm that its military cooperation with Mali would be strengthened."
            ),
            Some("en")
        );
    }

    #[test]
    fn too_little_text_is_not_guessed() {
        assert_eq!(detect("ok"), None);
    }

    #[test]
    fn every_whatlang_language_has_a_tag() {
        for lang in whatlang::Lang::all() {
            assert!(bcp47(*lang).is_some(), "{lang:?} has no BCP 47 tag");
        }
    }

    #[test]
    fn cuts_the_sample_at_a_character_boundary() {
        // An odd prefix puts the sample limit inside a two-byte character: slicing there panics.
        let text = format!("a{}", "é".repeat(DETECT_SAMPLE_BYTES));
        detect(&text);
    }
}
