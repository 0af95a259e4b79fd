//! Language identification with `whatlang`, reported as the BCP 47 tag feeds use.
//!
//! In the Latin script whatlang scores each candidate language twice, by its alphabet and by
//! its 300-trigram profile, looking up every one of the profile's trigrams in the sample's:
//! over the 37 Latin-script languages that was a quarter of a parse. [`LatinProfiles`]
//! computes the same scores from the sample's side instead, through a copy of whatlang's
//! Latin-script models (`lexicon/latin_profiles.txt`): one lookup per sample trigram and
//! per letter. Other scripts, with fewer candidates each, go to whatlang itself.

use std::sync::OnceLock;

use foldhash::HashMap;
use whatlang::{Lang, Script};

/// How much text (in bytes, cut at a character boundary) is given to the detector: more only
/// costs time (counting and ranking the sample's trigrams grows with it). On the
/// labelled corpus (`tests/fixtures/articles`, 165 files in 28 languages) 200, 256 and 512
/// bytes all give every file its language.
pub(crate) const DETECT_SAMPLE_BYTES: usize = 200;

/// The language detector of one configuration: whatlang limited to `feed.detect_languages`.
#[derive(Debug, Clone)]
pub(crate) struct Detector {
    full: whatlang::Detector,
    /// The Latin-script languages allowed, as a set (asked for each of them in every parse).
    latin: LangSet,
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
        latin: latin_set(Some(&allowed)),
        full: whatlang::Detector::with_allowlist(allowed),
    })
}

/// A detector choosing among every language whatlang knows.
pub(crate) fn every_language() -> Detector {
    Detector {
        full: whatlang::Detector::new(),
        latin: latin_set(None),
    }
}

/// The whatlang language whose BCP 47 tag is `tag`.
fn lang_of(tag: &str) -> Option<Lang> {
    Lang::all()
        .iter()
        .find(|lang| bcp47(**lang).is_some_and(|t| t.eq_ignore_ascii_case(tag)))
        .copied()
}

/// whatlang's Latin-script models, as data (made by `lexicon/latin_profiles.py`).
const LATIN_PROFILES: &str = include_str!("lexicon/latin_profiles.txt");

/// Trigrams in a whatlang profile; a trigram of one missing from the sample counts this much
/// distance (whatlang's `MAX_TRIGRAM_DISTANCE`).
const PROFILE_TRIGRAMS: i64 = 300;

/// Most of the sample's trigrams that whatlang ranks (its `TEXT_TRIGRAMS_SIZE`).
const SAMPLE_TRIGRAMS: usize = 600;

/// A confidence above this makes whatlang call a guess reliable (its
/// `RELIABLE_CONFIDENCE_THRESHOLD`).
const RELIABLE_CONFIDENCE: f64 = 0.9;

/// Three characters, lowercase, a space for any digit, punctuation or white space.
/// Packed into one number, the first character highest, so that trigrams sort and hash as
/// integers, in the same order (sorting them as `[char; 3]` was 5% of a first start).
type Trigram = u64;

/// The trigram of three characters (each below 2²¹).
fn trigram(c1: char, c2: char, c3: char) -> Trigram {
    (u64::from(c1) << 42) | (u64::from(c2) << 21) | u64::from(c3)
}

/// A set of Latin-script languages, a bit per index into [`LatinProfiles::langs`].
type LangSet = u64;

/// whatlang's Latin-script models inside out: for each trigram, the languages whose profile
/// has it (an index into `langs`), each with the trigram's rank in that profile; and for each
/// letter, the languages whose alphabet has it.
struct LatinProfiles {
    langs: Vec<Lang>,
    /// Where each trigram's languages and ranks are in `ranks`: one table of a few thousand
    /// trigrams, and the ranks in one array, so that a lookup touches two cache lines.
    postings: HashMap<Trigram, (u32, u32)>,
    ranks: Vec<(u8, u16)>,
    /// Lowercase ASCII letters, by byte.
    ascii_letters: [LangSet; 128],
    /// The other letters.
    letters: HashMap<char, LangSet>,
}

impl LatinProfiles {
    /// The languages whose profile has `gram`, each with its rank there.
    fn postings(&self, gram: Trigram) -> &[(u8, u16)] {
        let Some(&(start, end)) = self.postings.get(&gram) else {
            return &[];
        };
        self.ranks
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    fn letter(&self, c: char) -> LangSet {
        match u8::try_from(c) {
            Ok(byte) if byte.is_ascii() => self.ascii_letters[usize::from(byte)],
            _ => self.letters.get(&c).copied().unwrap_or(0),
        }
    }
}

fn latin_profiles() -> &'static LatinProfiles {
    static PROFILES: OnceLock<LatinProfiles> = OnceLock::new();
    PROFILES.get_or_init(|| {
        let mut profiles = LatinProfiles {
            langs: Vec::new(),
            postings: HashMap::default(),
            ranks: Vec::new(),
            ascii_letters: [0; 128],
            letters: HashMap::default(),
        };
        let mut postings: HashMap<Trigram, Vec<(u8, u16)>> = HashMap::default();
        // `code<TAB>alphabet<TAB>trigrams` lines; the file is checked by a test.
        for line in LATIN_PROFILES.lines().filter(|l| !l.starts_with('#')) {
            let mut fields = line.split('\t');
            let (Some(code), Some(alphabet), Some(grams)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let (Some(lang), Ok(at)) = (Lang::from_code(code), u8::try_from(profiles.langs.len()))
            else {
                continue;
            };
            if u32::from(at) == LangSet::BITS {
                break;
            }
            profiles.langs.push(lang);
            for c in alphabet.chars() {
                let bit = 1 << at;
                match u8::try_from(c) {
                    Ok(byte) if byte.is_ascii() => profiles.ascii_letters[usize::from(byte)] |= bit,
                    _ => *profiles.letters.entry(c).or_default() |= bit,
                }
            }
            let chars: Vec<char> = grams.chars().collect();
            for (rank, gram) in (0u16..).zip(chars.chunks_exact(3)) {
                let packed = trigram(gram[0], gram[1], gram[2]);
                postings.entry(packed).or_default().push((at, rank));
            }
        }
        for (gram, ranks) in postings {
            let start = profiles.ranks.len() as u32;
            profiles.ranks.extend(ranks);
            (profiles.postings).insert(gram, (start, profiles.ranks.len() as u32));
        }
        profiles
    })
}

/// The Latin-script languages among `allowed` (all when `None`), as a set.
fn latin_set(allowed: Option<&[Lang]>) -> LangSet {
    (0..)
        .zip(&latin_profiles().langs)
        .fold(0, |set, (at, lang)| {
            let wanted = allowed.is_none_or(|a| a.contains(lang));
            set | LangSet::from(wanted) << at
        })
}

/// whatlang's `is_stop_char`: ASCII digits, punctuation, symbols and control characters.
fn is_stop_char(c: char) -> bool {
    matches!(c, '\0'..='@' | '['..='`' | '{'..='~')
}

/// The sample's trigrams in whatlang's order: lowercased, with a space for every digit,
/// punctuation and white space, by count and then by trigram, both descending.
fn sample_trigrams(lower: &str) -> Vec<Trigram> {
    let mut chars = lower
        .chars()
        .map(|c| if is_stop_char(c) { ' ' } else { c })
        .chain(Some(' '));
    let mut all: Vec<Trigram> = Vec::with_capacity(lower.len());
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

/// whatlang's guess for a Latin-script `sample` among the `allowed` languages, with its
/// confidence: its combined method, the same arithmetic in the same order, so the same
/// floating-point scores.
fn latin_guess(sample: &str, allowed: LangSet) -> Option<(Lang, f64)> {
    let profiles = latin_profiles();
    let lower = sample.to_lowercase();

    // Alphabet method: each letter of the sample counts 1 for the languages whose alphabet
    // has it and -1 for the others (the score is at least 0), over the letters counted. Each
    // distinct letter is scored once, with its count: most are in every alphabet.
    let mut letters = 0u32;
    let mut ascii = [0u32; 128];
    let mut others: Vec<(char, u32)> = Vec::new();
    for c in lower.chars().filter(|c| !is_stop_char(*c)) {
        letters += 1;
        match u8::try_from(c) {
            Ok(byte) if byte.is_ascii() => ascii[usize::from(byte)] += 1,
            _ => match others.iter_mut().find(|(other, _)| *other == c) {
                Some((_, count)) => *count += 1,
                None => others.push((c, 1)),
            },
        }
    }
    let ascii_counts = (0u8..).zip(ascii).filter(|(_, count)| *count > 0);
    let mut in_alphabet = vec![0u32; profiles.langs.len()];
    for (mut set, count) in ascii_counts
        .map(|(byte, count)| (profiles.letter(char::from(byte)), count))
        .chain(others.iter().map(|&(c, count)| (profiles.letter(c), count)))
    {
        while set != 0 {
            in_alphabet[set.trailing_zeros() as usize] += 2 * count;
            set &= set - 1;
        }
    }

    // Trigram method: a profile's distance sums, over its trigrams, the difference of the
    // trigram's ranks in the sample and in the profile, or `PROFILE_TRIGRAMS` when the
    // sample lacks it. So it is `PROFILE_TRIGRAMS²` less, for each trigram the sample shares
    // with the profile, `PROFILE_TRIGRAMS - difference`: one lookup per sample trigram.
    let grams = sample_trigrams(&lower);
    let mut closeness = vec![0i64; profiles.langs.len()];
    for (at, gram) in (0u32..).zip(&grams) {
        for &(lang, rank) in profiles.postings(*gram) {
            closeness[usize::from(lang)] += PROFILE_TRIGRAMS - i64::from(at.abs_diff(rank.into()));
        }
    }
    let unique = grams.len() as i64;
    let farthest = PROFILE_TRIGRAMS * PROFILE_TRIGRAMS;
    // whatlang forgives a short sample the trigrams it cannot have.
    let forgiven = (PROFILE_TRIGRAMS - unique).max(0) * PROFILE_TRIGRAMS;
    let max_distance = unique * PROFILE_TRIGRAMS;

    // The alphabet weighs less as the sample grows: 2/3 up to 1/3 at 100 letters.
    let alphabet_weight = (-(f64::from(letters) / 300.0) + 2.0 / 3.0).clamp(1.0 / 3.0, 2.0 / 3.0);
    let trigram_weight = 1.0 - alphabet_weight;
    let mut best: [(f64, Option<Lang>); 2] = [(f64::NEG_INFINITY, None); 2];
    for (i, &lang) in profiles.langs.iter().enumerate() {
        if allowed & (1 << i) == 0 {
            continue;
        }
        let alphabet = f64::from(in_alphabet[i].saturating_sub(letters)) / f64::from(letters);
        let distance = (farthest - closeness[i] - forgiven).clamp(0, farthest);
        let trigrams = (max_distance - distance) as f64 / max_distance as f64;
        let score = alphabet * alphabet_weight + trigrams * trigram_weight;
        if score > best[0].0 {
            best = [(score, Some(lang)), best[0]];
        } else if score > best[1].0 {
            best[1] = (score, Some(lang));
        }
    }
    let [(first, lang), (second, runner_up)] = best;
    let confidence = match runner_up {
        Some(_) => confidence(first, second, grams.len()),
        None => 1.0,
    };
    Some((lang?, confidence))
}

/// whatlang's `calculate_confidence`: how sure a guess scoring `first` is over the
/// runner-up's `second`, given the number of trigrams (`count`) behind them.
fn confidence(first: f64, second: f64, count: usize) -> f64 {
    if first == 0.0 {
        return 0.0;
    }
    if second == 0.0 {
        return first;
    }
    let confident_rate = (3.0 / count as f64) + 0.015;
    let rate = (first - second) / second;
    if rate > confident_rate {
        1.0
    } else {
        rate / confident_rate
    }
}

/// The sample's main script, as whatlang finds it, without its per-character script tests
/// when the sample is ASCII: then it is Latin if any character is a letter.
fn script(sample: &str) -> Option<Script> {
    if sample.is_ascii() {
        return sample
            .bytes()
            .any(|b| b.is_ascii_alphabetic())
            .then_some(Script::Latin);
    }
    whatlang::detect_script(sample)
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
    let (lang, confidence, script) = if script(sample) == Some(Script::Latin) {
        let (lang, confidence) = latin_guess(sample, detector.latin)?;
        (lang, confidence, Script::Latin)
    } else {
        let info = detector.full.detect(sample)?;
        (info.lang(), info.confidence(), info.script())
    };
    // An unsure guess between close languages (Russian or Ukrainian, Danish or Norwegian) is
    // still far nearer than the configured fallback, unless the sample is too short or the
    // guess too weak to say anything (`MIN_GUESS_CONFIDENCE`).
    let sure_enough = confidence > RELIABLE_CONFIDENCE
        || (confidence >= MIN_GUESS_CONFIDENCE && end >= MIN_GUESS_SAMPLE_BYTES)
        || script != Script::Latin;
    if !sure_enough {
        return None;
    }
    bcp47(lang)
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
    fn the_latin_profiles_are_whatlangs_latin_languages() {
        let profiles = latin_profiles();
        let mut langs = profiles.langs.clone();
        let mut latin = Script::Latin.langs().to_vec();
        langs.sort_by_key(|l| l.code());
        latin.sort_by_key(|l| l.code());
        assert_eq!(langs, latin);
        for (at, lang) in profiles.langs.iter().enumerate() {
            let ranks = (profiles.ranks.iter())
                .filter(|(l, _)| usize::from(*l) == at)
                .count();
            assert_eq!(ranks, PROFILE_TRIGRAMS as usize, "{lang:?}");
            // Every alphabet has most of a-z, and some have more.
            let bit = 1 << at;
            let ascii = ('a'..='z')
                .filter(|c| profiles.letter(*c) & bit != 0)
                .count();
            assert!(ascii >= 20, "{lang:?} has {ascii} ASCII letters");
        }
        let french = profiles.langs.iter().position(|l| *l == Lang::Fra);
        let english = profiles.langs.iter().position(|l| *l == Lang::Eng);
        let (Some(french), Some(english)) = (french, english) else {
            panic!("French and English are Latin-script languages");
        };
        assert_ne!(profiles.letter('é') & (1 << french), 0);
        assert_eq!(profiles.letter('é') & (1 << english), 0);
        assert_eq!(profiles.letter('€'), 0);
    }

    #[test]
    fn sample_trigrams_are_ranked_as_whatlang_ranks_them() {
        // "aa aa b": " aa" and "aa " twice each (the larger trigram first on a tie), then
        // " b " once; a space between spaces or after one starts none.
        assert_eq!(
            sample_trigrams("aa, aa 7 b"),
            vec![
                trigram('a', 'a', ' '),
                trigram(' ', 'a', 'a'),
                trigram(' ', 'b', ' ')
            ]
        );
        assert!(sample_trigrams("").is_empty());
    }

    /// Windows of `bytes` of every labelled article in UTF-8, as many as fit, up to five per
    /// file.
    fn labelled_samples(bytes: usize) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/articles");
        let mut samples = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("fixtures") {
            // Some are in legacy encodings, for the decoder's tests.
            let Ok(text) = std::fs::read_to_string(entry.expect("entry").path()) else {
                continue;
            };
            let mut rest = text.as_str();
            for _ in 0..5 {
                let mut end = rest.len().min(bytes);
                while !rest.is_char_boundary(end) {
                    end -= 1;
                }
                if end < bytes / 2 {
                    break;
                }
                samples.push(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
        samples
    }

    /// Checks that [`latin_guess`] is whatlang's guess, as sure, on every Latin-script
    /// sample; returns how many it compared.
    fn compare_with_whatlang(samples: &[String], allowed: Option<Vec<Lang>>) -> usize {
        let whatlang = match &allowed {
            Some(langs) => whatlang::Detector::with_allowlist(langs.clone()),
            None => whatlang::Detector::new(),
        };
        let mut compared = 0;
        for sample in samples {
            if whatlang::detect_script(sample) != Some(Script::Latin) {
                continue;
            }
            let theirs = whatlang.detect(sample).map(|i| (i.lang(), i.confidence()));
            let ours = latin_guess(sample, latin_set(allowed.as_deref()));
            // On a tie whatlang's order is its sort's; the confidence is 0 then, either way.
            let tie = theirs.is_some_and(|(_, c)| c == 0.0);
            if tie {
                assert_eq!(ours.map(|(_, c)| c), Some(0.0), "{sample:?}");
            } else {
                assert_eq!(ours, theirs, "{sample:?}");
            }
            compared += 1;
        }
        compared
    }

    #[test]
    fn latin_guesses_are_whatlangs() {
        // 200 bytes: fewer than 300 distinct trigrams, which whatlang forgives; 1,500: often
        // more, ranked up to 600.
        let short = labelled_samples(DETECT_SAMPLE_BYTES);
        let long = labelled_samples(1_500);
        let many_trigrams = (long.iter())
            .filter(|s| sample_trigrams(&s.to_lowercase()).len() > PROFILE_TRIGRAMS as usize)
            .count();
        assert!(many_trigrams > 30, "{many_trigrams}");
        assert!(compare_with_whatlang(&short, None) > 300);
        assert!(compare_with_whatlang(&long, None) > 60);
        let tags = crate::config::Settings::default().feed.detect_languages;
        let allowed = tags.iter().map(|tag| lang_of(tag).expect("a known tag"));
        let allowed = Some(allowed.collect());
        assert!(compare_with_whatlang(&short, allowed.clone()) > 300);
        assert!(compare_with_whatlang(&long, allowed) > 60);
        // Mixed and odd samples.
        let odd: Vec<String> = [
            "Debate vote cost école travaux station gare appel vote line budget station",
            "a",
            "ÀÉÎÕÜ ßæøå ĳ ŵŷ ʻ ə̇ ɔɛ",
            "x1 y2 z3 !!! ???",
            "Schönheitstraße",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(compare_with_whatlang(&odd, None), odd.len());
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
