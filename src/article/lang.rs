//! Language identification with `whatlang`, reported as the BCP 47 tag feeds use.
//!
//! whatlang compares the sample's trigrams with each candidate language's profile, looking up
//! every one of the profile's 300 trigrams: its cost grows with the number of candidates, and
//! over the 37 languages written in the Latin script it was a quarter of a parse. So a
//! Latin-script sample is first narrowed to a few candidates, and whatlang chooses among
//! those only:
//! 1. by a count of function words (`lexicon/function_words.toml`), when they point clearly
//!    to a few languages (to one, it is taken: whatlang would report that one);
//! 2. else by whatlang's own trigram distance, computed from the sample's side through an
//!    inverted copy of its profiles (`lexicon/latin_trigrams.txt`, [`TrigramIndex`]): a
//!    lookup per sample trigram instead of 300 per language. The [`TRIGRAM_CANDIDATES`]
//!    nearest stay.

use std::sync::OnceLock;

use foldhash::HashMap;
use whatlang::{Lang, Script};

/// How much text (in bytes, cut at a character boundary) is given to the detector: more only
/// costs time (counting and ranking the sample's trigrams grows with it). On the
/// labelled corpus (`tests/fixtures/articles`, 165 files in 28 languages) 200, 256 and 512
/// bytes all give every file its language.
pub(crate) const DETECT_SAMPLE_BYTES: usize = 200;

/// Fewest function words of one language in a sample for them to narrow the candidates.
pub(crate) const MIN_FUNCTION_WORDS: u16 = 4;

/// Most candidates the function words may leave; more means they point nowhere in particular
/// and every allowed language is compared.
pub(crate) const MAX_NARROWED_CANDIDATES: usize = 4;

/// Longest word, in bytes, looked up among the function words: the longest listed is shorter,
/// and a longer token needs no lowercasing or lookup.
const MAX_FUNCTION_WORD_BYTES: usize = 16;

/// The function words of the Latin-script languages, as data.
const FUNCTION_WORDS: &str = include_str!("lexicon/function_words.toml");

/// The language detector of one configuration: whatlang limited to `feed.detect_languages`.
#[derive(Debug, Clone)]
pub(crate) struct Detector {
    full: whatlang::Detector,
    /// The languages allowed; `None`: every language whatlang knows.
    allowed: Option<Vec<Lang>>,
}

/// A detector choosing among the languages `tags` (BCP 47, as [`detect`] reports them), or
/// among every language it knows when `tags` is empty; the first unknown tag is the error.
pub(crate) fn detector(tags: &[String]) -> Result<Detector, String> {
    if tags.is_empty() {
        return Ok(every_language());
    }
    let mut allowed = Vec::with_capacity(tags.len());
    for tag in tags {
        allowed.push(lang_of(tag).ok_or_else(|| tag.clone())?);
    }
    Ok(Detector {
        full: whatlang::Detector::with_allowlist(allowed.clone()),
        allowed: Some(allowed),
    })
}

/// A detector choosing among every language whatlang knows.
pub(crate) fn every_language() -> Detector {
    Detector {
        full: whatlang::Detector::new(),
        allowed: None,
    }
}

/// The whatlang language whose BCP 47 tag is `tag`.
fn lang_of(tag: &str) -> Option<Lang> {
    Lang::all()
        .iter()
        .find(|lang| bcp47(**lang).is_some_and(|t| t.eq_ignore_ascii_case(tag)))
        .copied()
}

/// Function words, each with the languages it belongs to (a bit per language of `langs`).
struct FunctionWords {
    langs: Vec<Lang>,
    words: HashMap<&'static str, u32>,
}

fn function_words() -> &'static FunctionWords {
    static WORDS: OnceLock<FunctionWords> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut langs = Vec::new();
        let mut words: HashMap<&'static str, u32> = HashMap::default();
        // The file is `tag = "words"` lines under `[words]`; it is checked by a test.
        for line in FUNCTION_WORDS.lines() {
            let Some((tag, list)) = line.split_once(" = ") else {
                continue;
            };
            let Some(lang) = lang_of(tag.trim()) else {
                continue;
            };
            if langs.len() == u32::BITS as usize {
                break;
            }
            let bit = 1u32 << langs.len();
            langs.push(lang);
            for word in list.trim().trim_matches('"').split_whitespace() {
                *words.entry(word).or_default() |= bit;
            }
        }
        FunctionWords { langs, words }
    })
}

/// The few allowed languages the function words of a Latin-script `sample` point to: each
/// with at least half the hits of the best, which has at least [`MIN_FUNCTION_WORDS`];
/// `None` when they point to none or to too many.
fn narrowed(sample: &str, allowed: Option<&[Lang]>) -> Option<Vec<Lang>> {
    let table = function_words();
    let mut hits = [0u16; u32::BITS as usize];
    for word in sample.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() || word.len() > MAX_FUNCTION_WORD_BYTES {
            continue;
        }
        if let Some(&mask) = table.words.get(crate::text::lowercase(word).as_ref()) {
            for (i, hit) in hits.iter_mut().enumerate().take(table.langs.len()) {
                *hit += u16::from(mask & (1 << i) != 0);
            }
        }
    }
    let best = hits.iter().copied().max().unwrap_or(0);
    if best < MIN_FUNCTION_WORDS {
        return None;
    }
    let candidates: Vec<Lang> = table
        .langs
        .iter()
        .zip(hits)
        .filter(|(lang, hit)| hit * 2 >= best && allowed.is_none_or(|a| a.contains(lang)))
        .map(|(lang, _)| *lang)
        .collect();
    (!candidates.is_empty() && candidates.len() <= MAX_NARROWED_CANDIDATES).then_some(candidates)
}

/// How many Latin-script languages the trigram pre-ranking leaves whatlang to choose among
/// (more on a tie at the last place). The test `the_nearest_profiles_hold_whatlangs_choice`
/// compares the result with whatlang over every language.
pub(crate) const TRIGRAM_CANDIDATES: usize = 5;

/// whatlang's Latin-script trigram profiles, as data (made by `lexicon/latin_trigrams.py`).
const LATIN_TRIGRAMS: &str = include_str!("lexicon/latin_trigrams.txt");

/// Trigrams in a whatlang profile; a trigram of one missing from the sample counts this much
/// distance (whatlang's `MAX_TRIGRAM_DISTANCE`).
const PROFILE_TRIGRAMS: i32 = 300;

/// Most of the sample's trigrams that whatlang ranks (its `TEXT_TRIGRAMS_SIZE`).
const SAMPLE_TRIGRAMS: usize = 600;

/// Three characters, lowercase, a space for any digit, punctuation or white space.
/// Packed into one number, the first character highest, so that trigrams sort and hash as
/// integers, in the same order (sorting them as `[char; 3]` was 5% of a first start).
type Trigram = u64;

/// The trigram of three characters (each below 2²¹).
fn trigram(c1: char, c2: char, c3: char) -> Trigram {
    (u64::from(c1) << 42) | (u64::from(c2) << 21) | u64::from(c3)
}

/// whatlang's Latin-script profiles inside out: for each trigram, the languages whose profile
/// has it (an index into `langs`), each with the trigram's rank in that profile.
struct TrigramIndex {
    langs: Vec<Lang>,
    postings: HashMap<Trigram, Vec<(u8, u16)>>,
}

fn trigram_index() -> &'static TrigramIndex {
    static INDEX: OnceLock<TrigramIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut langs = Vec::new();
        let mut postings: HashMap<Trigram, Vec<(u8, u16)>> = HashMap::default();
        // `code<TAB>trigrams` lines; the file is checked by a test.
        for line in LATIN_TRIGRAMS.lines().filter(|l| !l.starts_with('#')) {
            let Some((code, grams)) = line.split_once('\t') else {
                continue;
            };
            let (Some(lang), Ok(at)) = (Lang::from_code(code), u8::try_from(langs.len())) else {
                continue;
            };
            langs.push(lang);
            let chars: Vec<char> = grams.chars().collect();
            for (rank, gram) in (0u16..).zip(chars.chunks_exact(3)) {
                let packed = trigram(gram[0], gram[1], gram[2]);
                postings.entry(packed).or_default().push((at, rank));
            }
        }
        TrigramIndex { langs, postings }
    })
}

/// The sample's trigrams in whatlang's order: lowercased, with a space for every digit,
/// punctuation and white space, by count and then by trigram, both descending.
fn sample_trigrams(sample: &str) -> Vec<Trigram> {
    // whatlang's `is_stop_char`.
    let stop = |c: char| matches!(c, '\0'..='@' | '['..='`' | '{'..='~');
    let lower = sample.to_lowercase();
    let mut chars = lower
        .chars()
        .map(|c| if stop(c) { ' ' } else { c })
        .chain(Some(' '));
    let mut all: Vec<Trigram> = Vec::with_capacity(sample.len());
    let (mut c1, mut c2) = (' ', chars.next().unwrap_or(' '));
    for c3 in chars {
        // A trigram centred on a space that touches another space is not counted.
        if !(c2 == ' ' && (c1 == ' ' || c3 == ' ')) {
            all.push(trigram(c1, c2, c3));
        }
        (c1, c2) = (c2, c3);
    }
    // Counted by sorting: a sample is a few hundred trigrams, cheaper sorted than hashed.
    all.sort_unstable();
    let mut ranked: Vec<(u32, Trigram)> = Vec::with_capacity(all.len());
    for gram in all {
        match ranked.last_mut() {
            Some((count, last)) if *last == gram => *count += 1,
            _ => ranked.push((1, gram)),
        }
    }
    ranked.sort_unstable_by(|a, b| b.cmp(a));
    ranked
        .into_iter()
        .take(SAMPLE_TRIGRAMS)
        .map(|(_, t)| t)
        .collect()
}

/// The allowed Latin-script languages nearest to `sample` by whatlang's trigram distance: the
/// [`TRIGRAM_CANDIDATES`] nearest, and any tied with the last of them.
fn nearest_by_trigrams(sample: &str, allowed: Option<&[Lang]>) -> Vec<Lang> {
    let index = trigram_index();
    // whatlang's distance to a profile sums, over its trigrams, the difference of the
    // trigram's ranks in the sample and in the profile, or `PROFILE_TRIGRAMS` when the
    // sample lacks it; the rest of its formula is the same for every language. So the
    // nearest have the largest sum of `PROFILE_TRIGRAMS - difference` over the trigrams
    // the sample shares with them: one lookup per sample trigram.
    let mut closeness = vec![0i32; index.langs.len()];
    for (at, gram) in (0i32..).zip(sample_trigrams(sample)) {
        for &(lang, rank) in index.postings.get(&gram).into_iter().flatten() {
            closeness[usize::from(lang)] += PROFILE_TRIGRAMS - (at - i32::from(rank)).abs();
        }
    }
    let mut ranked: Vec<(i32, Lang)> = closeness
        .into_iter()
        .zip(index.langs.iter().copied())
        .filter(|(_, lang)| allowed.is_none_or(|a| a.contains(lang)))
        .collect();
    ranked.sort_unstable_by_key(|(closeness, _)| std::cmp::Reverse(*closeness));
    let last = ranked
        .get(TRIGRAM_CANDIDATES - 1)
        .map_or(i32::MIN, |(closeness, _)| *closeness);
    ranked
        .into_iter()
        .take_while(|(closeness, _)| *closeness >= last)
        .map(|(_, lang)| lang)
        .collect()
}

/// Least confidence of an unsure guess that is still taken over the fallback language.
pub(crate) const MIN_GUESS_CONFIDENCE: f64 = 0.3;
/// Shortest sample, in bytes, on which an unsure guess is taken.
pub(crate) const MIN_GUESS_SAMPLE_BYTES: usize = 200;

/// The article's language as a BCP 47 primary tag (`fr`), when the detector is confident, or
/// fairly confident on a sample long enough, or the script is not Latin.
pub(crate) fn detect(detector: &Detector, text: &str) -> Option<&'static str> {
    let mut end = text.len().min(DETECT_SAMPLE_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let sample = &text[..end];
    let allowed = detector.allowed.as_deref();
    let candidates = (whatlang::detect_script(sample) == Some(Script::Latin))
        .then(|| narrowed(sample, allowed).unwrap_or_else(|| nearest_by_trigrams(sample, allowed)))
        .filter(|candidates| !candidates.is_empty());
    let info = match candidates {
        // With one candidate whatlang has nothing to compare: it reports that one, sure of it.
        Some(candidates) if candidates.len() == 1 => return bcp47(candidates[0]),
        Some(candidates) => whatlang::Detector::with_allowlist(candidates).detect(sample)?,
        None => detector.full.detect(sample)?,
    };
    // An unsure guess between close languages (Russian or Ukrainian, Danish or Norwegian) is
    // still far nearer than the configured fallback, unless the sample is too short or the
    // guess too weak to say anything (`MIN_GUESS_CONFIDENCE`).
    let sure_enough = info.is_reliable()
        || (info.confidence() >= MIN_GUESS_CONFIDENCE && end >= MIN_GUESS_SAMPLE_BYTES)
        || info.script() != Script::Latin;
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
        super::detect(&detector(&[]).expect("every language"), text)
    }

    #[test]
    fn every_function_word_list_names_a_language_the_detector_knows() {
        let tags: Vec<&str> = FUNCTION_WORDS
            .lines()
            .filter_map(|line| line.split_once(" = "))
            .map(|(tag, _)| tag.trim())
            .collect();
        assert!(tags.len() >= 19, "{tags:?}");
        assert!(tags.len() <= u32::BITS as usize);
        for tag in &tags {
            assert!(lang_of(tag).is_some(), "{tag} is not a whatlang language");
        }
        assert_eq!(function_words().langs.len(), tags.len());
        assert!(
            function_words()
                .words
                .keys()
                .all(|w| w.len() <= MAX_FUNCTION_WORD_BYTES)
        );
    }

    #[test]
    fn function_words_narrow_the_candidates_to_the_languages_they_point_to() {
        let narrowed = |text| super::narrowed(text, None);
        assert_eq!(
            narrowed("the mayor said that the city will have a new library by the spring"),
            Some(vec![Lang::Eng])
        );
        // Danish and Norwegian share most of theirs: both stay, whatlang chooses.
        let danish = narrowed("og det er ikke så let at sige om det var en god idé eller ej");
        assert!(
            danish.as_ref().is_some_and(|c| c.contains(&Lang::Dan)),
            "{danish:?}"
        );
        // Too few to say anything, and the allowlist is respected.
        assert_eq!(narrowed("Stadtrat Haushalt Schulen"), None);
        let only_french = super::narrowed("the city and the mayor of the town", Some(&[Lang::Fra]));
        assert_eq!(only_french, None);
    }

    #[test]
    fn the_trigram_profiles_are_whatlangs_latin_languages() {
        let index = trigram_index();
        assert_eq!(index.langs.len(), 37, "{:?}", index.langs);
        for lang in &index.langs {
            let at = index.langs.iter().position(|l| l == lang).expect("listed");
            let ranks: Vec<u16> = (index.postings.values().flatten())
                .filter(|(l, _)| usize::from(*l) == at)
                .map(|(_, rank)| *rank)
                .collect();
            assert_eq!(ranks.len(), PROFILE_TRIGRAMS as usize, "{lang:?}");
        }
    }

    #[test]
    fn sample_trigrams_are_ranked_as_whatlang_ranks_them() {
        // "aa aa b": " aa" and "aa " twice each (the larger trigram first on a tie), then
        // " b " once; a space between spaces or after one starts none.
        assert_eq!(
            sample_trigrams("AA, aa 7 b"),
            vec![
                trigram('a', 'a', ' '),
                trigram(' ', 'a', 'a'),
                trigram(' ', 'b', ' ')
            ]
        );
        assert!(sample_trigrams("").is_empty());
    }

    /// 200-byte windows of every labelled article in UTF-8, as many as fit, up to five per file.
    fn labelled_samples() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/articles");
        let mut samples = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("fixtures") {
            // Some are in legacy encodings, for the decoder's tests.
            let Ok(text) = std::fs::read_to_string(entry.expect("entry").path()) else {
                continue;
            };
            let mut rest = text.as_str();
            for _ in 0..5 {
                let mut end = rest.len().min(DETECT_SAMPLE_BYTES);
                while !rest.is_char_boundary(end) {
                    end -= 1;
                }
                if end < DETECT_SAMPLE_BYTES / 2 {
                    break;
                }
                samples.push(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
        samples
    }

    #[test]
    fn the_nearest_profiles_hold_whatlangs_choice() {
        let full = whatlang::Detector::new();
        let mut compared = 0;
        for sample in labelled_samples() {
            if whatlang::detect_script(&sample) != Some(Script::Latin) {
                continue;
            }
            let Some(chosen) = full.detect_lang(&sample) else {
                continue;
            };
            let nearest = nearest_by_trigrams(&sample, None);
            assert!(
                nearest.len() >= TRIGRAM_CANDIDATES && nearest.contains(&chosen),
                "whatlang chose {chosen:?}, the nearest are {nearest:?}, for {sample:?}"
            );
            // Among those, whatlang makes the same choice, as sure of it; and given only
            // its choice, it reports it, sure of it (so `detect` skips it then).
            let alone = whatlang::Detector::with_allowlist(vec![chosen]).detect(&sample);
            assert_eq!(
                alone.map(|i| (i.lang(), i.is_reliable())),
                Some((chosen, true))
            );
            let narrowed = whatlang::Detector::with_allowlist(nearest).detect(&sample);
            let everywhere = full.detect(&sample).map(|i| (i.lang(), i.is_reliable()));
            assert_eq!(
                narrowed.map(|i| (i.lang(), i.is_reliable())),
                everywhere,
                "{sample:?}"
            );
            compared += 1;
        }
        assert!(compared > 300, "only {compared} Latin-script samples");
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
