//! Related stories: detects articles about the same event by MinHash over normalized words.
//!
//! Each article gets a small [`Signature`] (a bottom-k MinHash sketch, at most [`SIGNATURE_LEN`]
//! hashes of [`VALUE_BYTES`] bytes); comparing two
//! estimates the Jaccard similarity of their shingle sets (content words, lightly
//! stemmed, plus title words as separate shingles). Pure logic, no I/O.
//!
//! Written by hand: the signature is stored in the metadata cache and tuned to the stop words
//! and stems used here, which a general MinHash crate would not keep stable.

use foldhash::HashSet;
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Number of MinHash values per signature (64 × 3 bytes = 192 bytes, ~19 MB per 100k articles).
pub(crate) const SIGNATURE_LEN: usize = 64;

/// Bytes kept of each shingle hash: its top 24 bits. Kept in order, they compare as the whole
/// hashes do; two different shingles among the smallest 64 of two articles share their top 24
/// bits about once in 100,000 comparisons for articles of 1,000 shingles (4 bytes, before,
/// cost 6.4 MB more per 100,000 articles for no difference in the estimate).
pub(crate) const VALUE_BYTES: usize = 3;

/// Fewer distinct shingles than this gives no signature: too little text to compare reliably.
pub(crate) const MIN_SHINGLES: usize = 12;

/// Articles whose similarity is at or above this are near-identical copies (labelled so on
/// article pages; not folded into one item).
pub const DEFAULT_DUPLICATE_THRESHOLD: f64 = 0.8;

/// Content words shorter than this (in chars) are ignored: mostly noise and leftover stop words.
pub(crate) const MIN_WORD_CHARS: usize = 3;

/// Content words are cut to this many chars, a crude language-agnostic stemmer
/// ("militaire"/"militaires", "malien"/"maliens" share a shingle).
pub(crate) const STEM_CHARS: usize = 5;

/// Seed of the base shingle hash; changing it invalidates every stored signature.
const BASE_SEED: u64 = 0x5EED_FEED_0000_0001;

/// Prefix byte that keeps title shingles distinct from body shingles of the same word.
const TITLE_TAG: u8 = 0x01;

/// Prefix byte for capitalized (likely proper-name) words.
const NAME_TAG: u8 = 0x02;

/// Base prefix byte for repeat shingles (the occurrence number is added to it).
const REPEAT_TAG: u8 = 0x10;

/// Repeated body words add one shingle per occurrence up to this count.
pub(crate) const MAX_REPEATS: usize = 3;

/// A MinHash signature: the `SIGNATURE_LEN` smallest hashes of the article's shingles, each
/// as its top [`VALUE_BYTES`] bytes (big-endian, ascending); empty (the default) for a text
/// too short to compare, which is similar to nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signature(pub Box<[u8]>);

impl Signature {
    /// The signature of these values (ascending, each below 2^24).
    fn of(values: impl Iterator<Item = u32>) -> Self {
        let bytes: Vec<u8> = values
            .flat_map(|v| {
                let [_, high, mid, low] = v.to_be_bytes();
                [high, mid, low]
            })
            .collect();
        Self(bytes.into())
    }

    /// The values, ascending.
    fn values(&self) -> impl Iterator<Item = u32> + '_ {
        self.0
            .chunks_exact(VALUE_BYTES)
            .map(|v| u32::from_be_bytes([0, v[0], v[1], v[2]]))
    }
}

/// An article's signature, set once: by the parser, or later by the background signing
/// thread (`store::signing`) on the entry already published, so that no entry is copied or
/// replaced for it. Serialized as an optional [`Signature`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignatureCell(std::sync::OnceLock<Signature>);

impl SignatureCell {
    /// A cell holding `signature`.
    pub fn with(signature: Signature) -> Self {
        Self(std::sync::OnceLock::from(signature))
    }

    /// The signature, once computed.
    pub fn get(&self) -> Option<&Signature> {
        self.0.get()
    }

    /// Sets the signature; false (and unchanged) when it was already set.
    pub(crate) fn set(&self, signature: Signature) -> bool {
        self.0.set(signature).is_ok()
    }
}

impl serde::Serialize for SignatureCell {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.get().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for SignatureCell {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let signature = Option::<Signature>::deserialize(deserializer)?;
        Ok(signature.map_or_else(Self::default, Self::with))
    }
}

/// Normalized word tokens: lowercase, accents stripped, split on anything not alphanumeric.
pub(crate) fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    // Combining marks are kept inside tokens so already-decomposed input does not split words;
    // they are dropped during normalization below.
    text.split(|c: char| !(c.is_alphanumeric() || is_combining_mark(c)))
        .filter(|t| !t.is_empty())
        .map(normalize_word)
        .filter(|w| !w.is_empty())
}

/// NFD, drop combining marks, lowercase, expand ligatures so "œuvre" matches "oeuvre".
fn normalize_word(token: &str) -> String {
    if token.is_ascii() {
        return token.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(token.len());
    // Ligatures are expanded after lowering, so the capital `ẞ` (whose lowercase is `ß`) gives
    // `ss` at once and normalizing twice changes nothing (found by the `request` fuzz target:
    // a canonical `q` did not read back to itself).
    for c in token.nfd().filter(|c| !is_combining_mark(*c)) {
        for lower in c.to_lowercase() {
            match lower {
                'œ' => out.push_str("oe"),
                'æ' => out.push_str("ae"),
                'ß' => out.push_str("ss"),
                _ => out.push(lower),
            }
        }
    }
    out
}

/// Stop words, one per line, already normalized (lowercase, no accents): data, not code.
const STOP_FR: &str = include_str!("related/stop_fr.txt");
const STOP_EN: &str = include_str!("related/stop_en.txt");
const STOP_DE: &str = include_str!("related/stop_de.txt");
const STOP_ES: &str = include_str!("related/stop_es.txt");

/// Stop words for a BCP-47 tag, as a set (a lookup per token: a linear scan of the lists
/// made signatures cost 250 µs per article); unknown languages get all the lists.
fn stop_set(language: &str) -> &'static HashSet<&'static str> {
    static SETS: OnceLock<[HashSet<&'static str>; 5]> = OnceLock::new();
    let sets = SETS.get_or_init(|| {
        let set = |lists: &[&'static str]| lists.iter().flat_map(|l| l.lines()).collect();
        [
            set(&[STOP_FR]),
            set(&[STOP_EN]),
            set(&[STOP_DE]),
            set(&[STOP_ES]),
            // Unknown language: the union is safe because stop words are rarely content words.
            set(&[STOP_FR, STOP_EN, STOP_DE, STOP_ES]),
        ]
    });
    let primary = language.split(['-', '_']).next().unwrap_or("");
    let index = ["fr", "en", "de", "es"]
        .iter()
        .position(|l| l.eq_ignore_ascii_case(primary))
        .unwrap_or(4);
    &sets[index]
}

/// True when `word` (already normalized) is a stop word.
fn is_stop(word: &str, stop: &HashSet<&str>) -> bool {
    stop.contains(word)
}

/// Content word of a raw token: normalized, None for stop words and short words, cut to a stem.
fn content_word(token: &str, stop: &HashSet<&str>) -> Option<String> {
    let mut w = normalize_word(token);
    if w.chars().count() < MIN_WORD_CHARS || is_stop(&w, stop) {
        return None;
    }
    if let Some((cut, _)) = w.char_indices().nth(STEM_CHARS) {
        w.truncate(cut);
    }
    Some(w)
}

/// Same split rule as [`words`], on the raw text so capitalization is still visible.
fn raw_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || is_combining_mark(c)))
        .filter(|t| !t.is_empty())
}

/// Hash of a word with a one-byte tag, so tagged shingles never equal plain ones.
fn tagged_hash(tag: u8, word: &str, buf: &mut Vec<u8>) -> u64 {
    buf.clear();
    buf.push(tag);
    buf.extend_from_slice(word.as_bytes());
    xxh3_64_with_seed(buf, BASE_SEED)
}

/// Hashes of all distinct shingles of an article.
///
/// Every content word is a shingle; repeated words, title words and capitalized words (names of people,
/// places, institutions) are added a second time as tagged shingles. Measured on the labelled
/// fixtures, this double weight raised the lowest related-pair Jaccard more than it raised the
/// highest unrelated one: articles on one event share names and headline terms.
fn shingle_hashes(title: &str, body: &[&str], language: &str) -> Vec<u64> {
    let lists = stop_set(language);
    let mut hashes: Vec<u64> = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    for token in raw_tokens(title) {
        if let Some(w) = content_word(token, lists) {
            hashes.push(xxh3_64_with_seed(w.as_bytes(), BASE_SEED));
            hashes.push(tagged_hash(TITLE_TAG, &w, &mut buf));
        }
    }
    // Occurrences by the word's hash: the hash is computed anyway, and a key costs no copy.
    let mut seen: foldhash::HashMap<u64, usize> = foldhash::HashMap::default();
    for line in body {
        for token in raw_tokens(line) {
            if let Some(w) = content_word(token, lists) {
                let hash = xxh3_64_with_seed(w.as_bytes(), BASE_SEED);
                hashes.push(hash);
                let n = seen.entry(hash).or_insert(0);
                *n += 1;
                // The 2nd..MAX_REPEATS-th occurrences are extra shingles: a crude weighted
                // MinHash that favours the words an article keeps coming back to.
                if (2..=MAX_REPEATS).contains(n) {
                    let tag = REPEAT_TAG.saturating_add(u8::try_from(*n).unwrap_or(u8::MAX));
                    hashes.push(tagged_hash(tag, &w, &mut buf));
                }
                if token.chars().next().is_some_and(char::is_uppercase) {
                    hashes.push(tagged_hash(NAME_TAG, &w, &mut buf));
                }
            }
        }
    }
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// MinHash signature of an article, or None when it has fewer than `MIN_SHINGLES` shingles.
///
/// A bottom-k sketch: the [`SIGNATURE_LEN`] smallest shingle hashes (their top 24 bits). One
/// hash per shingle instead of one per shingle and position makes it a sort, not 64 passes.
pub(crate) fn signature(title: &str, body: &[&str], language: &str) -> Option<Signature> {
    let hashes = shingle_hashes(title, body, language);
    if hashes.len() < MIN_SHINGLES {
        return None;
    }
    let mut smallest: Vec<u32> = hashes
        .iter()
        .take(SIGNATURE_LEN)
        .map(|h| (h >> (u64::BITS - 8 * VALUE_BYTES as u32)) as u32)
        .collect();
    smallest.dedup();
    Some(Signature::of(smallest.into_iter()))
}

/// Estimated Jaccard similarity: among the [`SIGNATURE_LEN`] smallest hashes of the union of
/// both sketches, the fraction found in both.
pub fn similarity(a: &Signature, b: &Signature) -> f64 {
    let (mut a, mut b) = (a.values().peekable(), b.values().peekable());
    let (mut taken, mut both) = (0usize, 0usize);
    while taken < SIGNATURE_LEN {
        match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x == y => {
                both += 1;
                a.next();
                b.next();
            }
            (Some(x), Some(y)) if x < y => {
                a.next();
            }
            (Some(_), None) => {
                a.next();
            }
            (_, Some(_)) => {
                b.next();
            }
            (None, None) => break,
        }
        taken += 1;
    }
    if taken == 0 {
        return 0.0;
    }
    both as f64 / taken as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE_A: &str = include_str!("../tests/fixtures/related/fr_aes_moscou_a.txt");
    const SAMPLE_B: &str = include_str!("../tests/fixtures/related/fr_aes_moscou_b.txt");
    const SAMPLE_A_COPY: &str = include_str!("../tests/fixtures/related/fr_aes_moscou_a_copie.txt");

    fn sig_of(text: &str, lang: &str) -> Signature {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let title = lines.next().unwrap();
        let body: Vec<&str> = lines.collect();
        signature(title, &body, lang).unwrap()
    }

    #[test]
    fn words_normalize_and_split() {
        let w: Vec<String> = words("L'influence française, Goïta & ŒUVRE—2025").collect();
        assert_eq!(
            w,
            ["l", "influence", "francaise", "goita", "oeuvre", "2025"]
        );
        // Already-decomposed input (e + combining acute) must not split the word.
        let w: Vec<String> = words("Se\u{301}curite\u{301}").collect();
        assert_eq!(w, ["securite"]);
        assert_eq!(words("l’AES").collect::<Vec<_>>(), ["l", "aes"]);
    }

    #[test]
    fn normalizing_twice_changes_nothing() {
        for word in ["Straẞe", "Œuvre", "ÆON", "straße", "Crème"] {
            let once: Vec<String> = words(word).collect();
            let twice: Vec<String> = words(&once.join(" ")).collect();
            assert_eq!(once, twice, "{word}");
        }
        assert_eq!(words("STRAẞE").collect::<Vec<_>>(), ["strasse"]);
    }

    #[test]
    fn stop_words_per_language() {
        assert!(is_stop("les", stop_set("fr")));
        assert!(is_stop("the", stop_set("en-GB")));
        assert!(!is_stop("the", stop_set("fr")));
        assert!(is_stop("und", stop_set("xx")));
        assert_eq!(
            content_word("Militaires", stop_set("fr")).as_deref(),
            Some("milit")
        );
        assert_eq!(content_word("dans", stop_set("fr")), None);
    }

    #[test]
    fn too_short_gives_none() {
        assert_eq!(signature("Bref", &["Un mot."], "fr"), None);
    }

    #[test]
    fn identical_is_one_and_serde_roundtrip() {
        let a = sig_of(SAMPLE_A, "fr");
        assert_eq!(a.values().count(), SIGNATURE_LEN);
        assert_eq!(similarity(&a, &sig_of(SAMPLE_A, "fr")), 1.0);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<Signature>(&json).unwrap(), a);
        assert_eq!(similarity(&a, &Signature(vec![0; 3].into())), 0.0);
    }

    #[test]
    fn disjoint_is_near_zero() {
        let a = signature(
            "alpha bravo charlie",
            &["delta echo foxtrot golf hotel india juliet kilo lima mike november"],
            "en",
        )
        .unwrap();
        let b = signature(
            "oscar papa quebec",
            &["romeo sierra tango uniform victor whiskey xray yankee zulu zebra"],
            "en",
        )
        .unwrap();
        assert!(similarity(&a, &b) < 0.05);
    }

    #[test]
    fn near_copy_is_duplicate() {
        let s = similarity(&sig_of(SAMPLE_A, "fr"), &sig_of(SAMPLE_A_COPY, "fr"));
        assert!(s >= DEFAULT_DUPLICATE_THRESHOLD, "{s}");
    }

    #[test]
    fn samples_are_related_not_duplicates() {
        let s = similarity(&sig_of(SAMPLE_A, "fr"), &sig_of(SAMPLE_B, "fr"));
        assert!(s >= crate::config::DEFAULT_RELATED_THRESHOLD, "{s}");
        assert!(s < DEFAULT_DUPLICATE_THRESHOLD, "{s}");
    }
}
