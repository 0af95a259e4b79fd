//! Site chrome by role: tells a line that a scraper carried along from the page (a menu, an
//! ad label, a share bar, a photo credit, a reading time, a relative time) from article text.
//!
//! The words are data (`lexicon/chrome.toml`), compiled once into hash sets and Aho-Corasick
//! automata. Each verdict names the role and the signal that decided it, which
//! `seedfeed inspect --explain` prints.

use std::collections::HashMap;

use foldhash::HashSet;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, StartKind};

/// Longest line examined as chrome: a longer line is article text whatever words it holds.
pub(crate) const MAX_CHROME_CHARS: usize = 200;
/// Longest line in which a phrase (`newsletter`, `cookies`) marks chrome in the middle of an
/// article; before the headline and after the last paragraph, up to [`MAX_CHROME_CHARS`].
pub(crate) const MAX_BODY_PHRASE_CHARS: usize = 100;
/// Longest line read as a share bar (`Facebook Twitter WhatsApp Copier le lien`).
pub(crate) const MAX_SHARE_BAR_CHARS: usize = 80;
/// Longest line read as a counter, a reading time or a relative time (`12 comments`,
/// `5 min read`, `il y a 3 heures`).
pub(crate) const MAX_COUNTER_CHARS: usize = 40;
/// Longest segment of a breadcrumb or navigation line, in words.
pub(crate) const MAX_NAV_SEGMENT_WORDS: usize = 4;
/// Fewest words of a sentence: a shorter line ending in a full stop is a label, not a sentence.
pub(crate) const MIN_SENTENCE_WORDS: usize = 5;
/// Longest agency or credit line at the end of an article (`(AFP)`, `— dpa/lnw`).
pub(crate) const MAX_AGENCY_CHARS: usize = 30;

/// What a chrome line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Navigation,
    Breadcrumb,
    Advertisement,
    Prompt,
    Footer,
    Consent,
    Cookie,
    Feedback,
    Newsletter,
    Share,
    Credit,
    ReadingTime,
    RelativeTime,
    Comments,
    Abuse,
    /// A run of short lines between paragraphs: a section menu or a list of links.
    MenuRun,
    /// The headline again, as the first body line.
    RepeatedTitle,
    /// A line before the headline that is not chrome by its words: a site name, a kicker.
    BeforeTitle,
    /// Agency initials or a credit on its own line at the end.
    Agency,
    /// A trailing marker (`Read more`) and the titles it introduces.
    Related,
    /// An e-mail signature, after its `--` line.
    Signature,
    /// A copyright or reproduction notice.
    Copyright,
    /// "Follow us on ...".
    Follow,
}

impl Role {
    /// The role's name in `inspect --explain`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Navigation => "navigation",
            Role::Breadcrumb => "breadcrumb",
            Role::Advertisement => "advertisement",
            Role::Prompt => "prompt",
            Role::Footer => "footer",
            Role::Consent => "consent",
            Role::Cookie => "cookie notice",
            Role::Feedback => "feedback",
            Role::Newsletter => "newsletter",
            Role::Share => "share bar",
            Role::Credit => "credit",
            Role::ReadingTime => "reading time",
            Role::RelativeTime => "relative time",
            Role::Comments => "comment counter",
            Role::Abuse => "report link",
            Role::MenuRun => "menu",
            Role::RepeatedTitle => "repeated headline",
            Role::BeforeTitle => "before the headline",
            Role::Agency => "agency",
            Role::Related => "related list",
            Role::Signature => "signature",
            Role::Copyright => "copyright",
            Role::Follow => "follow prompt",
        }
    }
}

/// A chrome line's role and the signal that decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) role: Role,
    pub(crate) signal: &'static str,
}

impl Verdict {
    pub(crate) fn new(role: Role, signal: &'static str) -> Self {
        Self { role, signal }
    }
}

/// Where a line stands, which decides how much evidence removes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    /// Before the first paragraph, or after the last one: phrases mark longer lines too.
    Edge,
    /// Between paragraphs: only short lines with no sentence shape.
    Body,
}

#[derive(Debug, serde::Deserialize)]
struct Words {
    lines: HashMap<String, Vec<String>>,
    prefixes: HashMap<String, Vec<String>>,
    phrases: HashMap<String, Vec<String>>,
    words: WordLists,
}

#[derive(Debug, serde::Deserialize)]
struct WordLists {
    networks: Vec<String>,
    share: Vec<String>,
    comments: Vec<String>,
    reading_units: Vec<String>,
    relative: Vec<String>,
    agencies: Vec<String>,
}

/// The lexicon, compiled once.
struct Lexicon {
    lines: foldhash::HashMap<String, Role>,
    prefixes: Option<AhoCorasick>,
    prefix_roles: Vec<Role>,
    phrases: Option<AhoCorasick>,
    phrase_roles: Vec<Role>,
    networks: HashSet<String>,
    share: HashSet<String>,
    comments: HashSet<String>,
    reading_units: HashSet<String>,
    /// Relative-time words that are whole tokens (`ago`, `vor`).
    relative_words: HashSet<String>,
    /// Relative-time phrases of several words or of scripts without spaces (`il y a`, `前`).
    relative_phrases: Option<AhoCorasick>,
    agencies: HashSet<String>,
    /// The first words of the whole-line entries: a line starting otherwise is not a row of
    /// them.
    entry_starts: HashSet<String>,
    /// The longest whole-line entry, in words: a line of several entries
    /// (`Iniciar sesión Suscríbete`) is split into ones no longer than this.
    longest_line_words: usize,
}

fn role_of(list: &str) -> Option<Role> {
    Some(match list {
        "navigation" => Role::Navigation,
        "advertisement" => Role::Advertisement,
        "prompt" => Role::Prompt,
        "footer" => Role::Footer,
        "consent" => Role::Consent,
        "feedback" => Role::Feedback,
        "share" => Role::Share,
        "credit" => Role::Credit,
        "reading" => Role::ReadingTime,
        "abuse" => Role::Abuse,
        "cookie" => Role::Cookie,
        "newsletter" => Role::Newsletter,
        "copyright" => Role::Copyright,
        "comments" => Role::Comments,
        "follow" => Role::Follow,
        "closing" => Role::Signature,
        _ => return None,
    })
}

/// An automaton over `patterns`; `None` only past the crate's size limits, far beyond these
/// lists (checked by `the_chrome_lexicon_loads`), and then the list matches nothing.
fn automaton(patterns: &[String], start: StartKind) -> Option<AhoCorasick> {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .start_kind(start)
        .build(patterns)
        .ok()
}

fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(|| {
        // Checked by `the_chrome_lexicon_loads`; an unreadable lexicon marks nothing.
        let words: Words =
            toml::from_str(include_str!("lexicon/chrome.toml")).unwrap_or_else(|_| Words {
                lines: HashMap::new(),
                prefixes: HashMap::new(),
                phrases: HashMap::new(),
                words: WordLists {
                    networks: Vec::new(),
                    share: Vec::new(),
                    comments: Vec::new(),
                    reading_units: Vec::new(),
                    relative: Vec::new(),
                    agencies: Vec::new(),
                },
            });
        let flatten = |table: &HashMap<String, Vec<String>>| {
            let mut patterns = Vec::new();
            let mut roles = Vec::new();
            for (list, entries) in table {
                let Some(role) = role_of(list) else { continue };
                for entry in entries {
                    patterns.push(entry.clone());
                    roles.push(role);
                }
            }
            (patterns, roles)
        };
        let lines = words
            .lines
            .iter()
            .filter_map(|(list, entries)| Some((role_of(list)?, entries)))
            .flat_map(|(role, entries)| entries.iter().map(move |e| (e.clone(), role)))
            .collect();
        let (prefixes, prefix_roles) = flatten(&words.prefixes);
        let (phrases, phrase_roles) = flatten(&words.phrases);
        let set = |list: &[String]| list.iter().cloned().collect::<HashSet<_>>();
        let (relative_words, relative_phrases): (Vec<String>, Vec<String>) = words
            .words
            .relative
            .iter()
            .cloned()
            .partition(|w| !w.contains(' ') && w.is_ascii());
        Lexicon {
            lines,
            prefixes: automaton(&prefixes, StartKind::Anchored),
            prefix_roles,
            phrases: automaton(&phrases, StartKind::Unanchored),
            phrase_roles,
            networks: set(&words.words.networks),
            share: set(&words.words.share),
            comments: set(&words.words.comments),
            reading_units: set(&words.words.reading_units),
            relative_words: relative_words.into_iter().collect(),
            relative_phrases: automaton(&relative_phrases, StartKind::Unanchored),
            agencies: set(&words.words.agencies),
            entry_starts: words
                .lines
                .values()
                .flatten()
                .filter_map(|l| l.split_whitespace().next())
                .map(str::to_string)
                .collect(),
            longest_line_words: words
                .lines
                .values()
                .flatten()
                .map(|l| l.split_whitespace().count())
                .max()
                .unwrap_or(0),
        }
    })
}

/// Sentence-final punctuation, Latin and CJK.
pub(crate) fn ends_like_sentence(line: &str) -> bool {
    line.trim_end()
        .ends_with(['.', '!', '?', '…', '。', '！', '？', '؟', '»', '"', '”'])
}

/// A line shaped like a sentence of the article: several words and final punctuation, or
/// long.
pub(crate) fn is_sentence(line: &str) -> bool {
    let chars = line.chars().count();
    if chars > MAX_CHROME_CHARS {
        return true;
    }
    ends_like_sentence(line) && words(line) >= MIN_SENTENCE_WORDS
}

/// About how many words `line` has: its space-separated words, or for scripts written
/// without spaces (Chinese, Japanese) a word per two of their characters.
pub(crate) fn words(line: &str) -> usize {
    let spaced = line
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count();
    if line.is_ascii() {
        return spaced;
    }
    let unspaced = line.chars().filter(|c| is_unspaced_script(*c)).count();
    spaced.max(unspaced / 2)
}

/// A letter of a script written without spaces between words: CJK ideographs, kana, Thai.
fn is_unspaced_script(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30ff}' // hiragana, katakana
        | '\u{3400}'..='\u{4dbf}' // CJK extension A
        | '\u{4e00}'..='\u{9fff}' // CJK unified ideographs
        | '\u{0e00}'..='\u{0e7f}' // Thai
        | '\u{f900}'..='\u{faff}') // CJK compatibility ideographs
}

/// The chrome role of one line, if its words or shape give one; `zone` sets how much
/// evidence is needed.
pub(crate) fn classify(line: &str, zone: Zone) -> Option<Verdict> {
    let line = line.trim();
    let chars = line.chars().count();
    if chars == 0 || chars > MAX_CHROME_CHARS {
        return None;
    }
    let sentence = is_sentence(line);
    // Most lines between paragraphs are sentences, which nothing here removes: they are
    // let go before any lowering or matching.
    if sentence && zone == Zone::Body {
        return None;
    }
    let lex = lexicon();
    let lower = line.to_lowercase();
    if let Some(m) = lex
        .phrases
        .as_ref()
        .and_then(|a| a.find(Input::new(&lower).anchored(Anchored::No)))
        .filter(|_| match zone {
            Zone::Edge => true,
            Zone::Body => !sentence && chars <= MAX_BODY_PHRASE_CHARS,
        })
    {
        return Some(Verdict::new(lex.phrase_roles[m.pattern()], "phrase"));
    }
    if sentence {
        return None;
    }
    let bare = lower.trim_end_matches([':', '›', '»', '>', '→', ' ', '.', '…', '|']);
    if let Some(role) = lex.lines.get(bare) {
        return Some(Verdict::new(*role, "whole line"));
    }
    let prefix = lex
        .prefixes
        .as_ref()
        .and_then(|a| a.find(Input::new(&lower).anchored(Anchored::Yes)));
    if let Some(m) = prefix {
        return Some(Verdict::new(lex.prefix_roles[m.pattern()], "line start"));
    }
    // Share bars and counters are short: a longer line is not split into words for them.
    let tokens: Vec<&str> = if chars <= MAX_SHARE_BAR_CHARS {
        lower
            .split(|c: char| {
                c.is_whitespace() || matches!(c, ':' | ',' | '|' | '·' | '(' | ')' | '•')
            })
            .filter(|t| !t.is_empty())
            .collect()
    } else {
        Vec::new()
    };
    if is_share_bar(lex, &tokens) {
        return Some(Verdict::new(Role::Share, "network names"));
    }
    if chars <= MAX_COUNTER_CHARS && line.chars().any(char::is_numeric) {
        if tokens.iter().any(|t| lex.comments.contains(*t)) {
            return Some(Verdict::new(Role::Comments, "number and comment word"));
        }
        let relative = tokens.iter().any(|t| lex.relative_words.contains(*t))
            || lex
                .relative_phrases
                .as_ref()
                .is_some_and(|a| a.is_match(lower.as_str()));
        if relative {
            return Some(Verdict::new(Role::RelativeTime, "number and relative word"));
        }
        let unit = |t: &&str| {
            let letters = t.trim_start_matches(|c: char| c.is_numeric());
            lex.reading_units.contains(letters)
        };
        if tokens.len() <= 4 && tokens.iter().any(unit) {
            return Some(Verdict::new(Role::ReadingTime, "number and minutes"));
        }
    }
    let separated = line.contains(['›', '>', '→', '/', '»', '|', '·']) || line.contains("  ");
    if separated && is_breadcrumb(line) {
        return Some(Verdict::new(
            Role::Breadcrumb,
            "separators between short words",
        ));
    }
    if let Some(role) = entries(lex, bare) {
        return Some(Verdict::new(role, "whole-line entries side by side"));
    }
    // `Sign in | Subscribe for $1/week`: parts between bars that are each chrome.
    if !line.contains(['|', '·']) && !line.contains("  ") {
        return None;
    }
    let parts: Vec<&str> = line
        .split(['|', '·'])
        .flat_map(|p| p.split("  "))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() >= 2 {
        let verdicts: Option<Vec<Verdict>> =
            parts.iter().map(|p| classify(p, Zone::Body)).collect();
        if let Some(first) = verdicts.and_then(|v| v.first().copied()) {
            return Some(Verdict::new(
                first.role,
                "every part between bars is chrome",
            ));
        }
    }
    None
}

/// The role of a line made of several whole-line entries side by side
/// (`Iniciar sesión Suscríbete`, `Accept all Manage preferences`): the first entry's role,
/// when the words split into entries with none left over.
fn entries(lex: &Lexicon, bare: &str) -> Option<Role> {
    let first = bare.split_whitespace().next()?;
    if !lex.entry_starts.contains(first) {
        return None;
    }
    let words: Vec<&str> = bare.split_whitespace().collect();
    if words.len() < 2 || words.len() > 4 * lex.longest_line_words {
        return None;
    }
    // reach[i]: the role of the first entry when words[..i] split into entries.
    let mut reach: Vec<Option<Role>> = vec![None; words.len() + 1];
    for end in 1..=words.len() {
        for start in end.saturating_sub(lex.longest_line_words)..end {
            let first = if start == 0 { None } else { reach[start] };
            if start > 0 && first.is_none() {
                continue;
            }
            if let Some(role) = lex.lines.get(&words[start..end].join(" ")) {
                reach[end] = Some(first.unwrap_or(*role));
                break;
            }
        }
    }
    reach[words.len()]
}

/// A line made only of share words with at least one network name.
fn is_share_bar(lex: &Lexicon, tokens: &[&str]) -> bool {
    let networks = tokens.iter().filter(|t| lex.networks.contains(**t)).count();
    networks >= 1
        && tokens
            .iter()
            .all(|t| lex.networks.contains(*t) || lex.share.contains(*t))
}

/// `Accueil › Monde › Afrique`, `Home | News | Sport | Business`, `Home  World  Europe`:
/// short segments between separators.
fn is_breadcrumb(line: &str) -> bool {
    let short = |segments: &[&str]| {
        segments.iter().all(|s| {
            let words = s.split_whitespace().count();
            (1..=MAX_NAV_SEGMENT_WORDS).contains(&words)
        })
    };
    // Spaced arrows; `»` closes a quotation when `«` opened one.
    let quoted = line.contains('«');
    let arrows: Vec<&str> = line
        .split(|c| matches!(c, '›' | '>' | '→' | '/') || (c == '»' && !quoted))
        .collect();
    let spaced = |parts: &[&str]| {
        parts[..parts.len() - 1].iter().all(|p| p.ends_with(' '))
            && parts[1..].iter().all(|p| p.starts_with(' '))
    };
    if arrows.len() >= 2 && spaced(&arrows) && short(&arrows) {
        return true;
    }
    // Bars and runs of spaces separate menu entries; a menu has at least three.
    let bars: Vec<&str> = line.split(['|', '·']).collect();
    if bars.len() >= 3 && short(&bars) {
        return true;
    }
    let spaced: Vec<&str> = line.split("  ").filter(|s| !s.trim().is_empty()).collect();
    spaced.len() >= 3 && short(&spaced)
}

/// Agency initials or a credit alone at the end: `(AFP)`, `— dpa/lnw`, `AFP`.
pub(crate) fn is_agency_line(line: &str) -> bool {
    let line = line.trim();
    let words = line
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count();
    if line.chars().count() > MAX_AGENCY_CHARS || words > 3 {
        return false;
    }
    let lex = lexicon();
    let bare = line
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    // `Lusa`, `red, APA`, `dpa/lnw`: agency names and desk initials only.
    let tokens: Vec<&str> = bare
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|t| !t.is_empty())
        .collect();
    if !tokens.is_empty() && tokens.iter().all(|t| lex.agencies.contains(*t)) {
        return true;
    }
    let wrapped = line.starts_with('(') && line.ends_with(')');
    let dashed = line.starts_with(['—', '–']) || line.starts_with("--");
    let initials = line
        .chars()
        .filter(|c| c.is_alphabetic())
        .all(|c| c.is_uppercase())
        && line.chars().any(char::is_alphabetic);
    wrapped || dashed || (initials && line.chars().count() <= 12)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(line: &str, zone: Zone) -> Option<&'static str> {
        classify(line, zone).map(|v| v.role.as_str())
    }

    #[test]
    fn the_chrome_lexicon_loads() {
        let words: Words =
            toml::from_str(include_str!("lexicon/chrome.toml")).expect("valid lexicon");
        for list in words.lines.keys().chain(words.prefixes.keys()) {
            assert!(role_of(list).is_some(), "unknown list {list}");
        }
        for list in words.phrases.keys() {
            assert!(role_of(list).is_some(), "unknown list {list}");
        }
        let lex = lexicon();
        assert!(lex.lines.len() > 200);
        assert!(lex.networks.contains("whatsapp"));
        assert!(lex.prefixes.is_some() && lex.phrases.is_some() && lex.relative_phrases.is_some());
    }

    #[test]
    fn chrome_lines_of_many_languages() {
        for (line, want) in [
            ("Menu", "navigation"),
            ("Se connecter", "navigation"),
            ("Advertisement", "advertisement"),
            ("PUBLICITÉ", "advertisement"),
            ("Continue reading the main story", "prompt"),
            ("Listen to this article", "prompt"),
            ("Privacy Policy", "footer"),
            ("Facebook Twitter WhatsApp Copier le lien", "share bar"),
            ("Share this with Facebook", "share bar"),
            (
                "Click to share on Twitter (Opens in new window)",
                "share bar",
            ),
            ("Partager sur Facebook", "share bar"),
            ("Photo: Reuters/Jan Novak", "credit"),
            ("(Getty Images)", "credit"),
            ("5 min read", "reading time"),
            ("Lecture : 4 min", "reading time"),
            ("Updated 2 hours ago", "relative time"),
            ("il y a 3 heures", "relative time"),
            ("vor 2 Stunden", "relative time"),
            ("3小时前", "relative time"),
            ("12 comments", "comment counter"),
            ("Commentaires (3)", "comment counter"),
            ("Report abuse", "report link"),
            ("Was this article useful? Yes No", "feedback"),
            ("Accueil › Monde › Afrique", "breadcrumb"),
            ("Home > World > Europe", "breadcrumb"),
            ("Portada / Andalucía / Sevilla", "breadcrumb"),
            ("Partilhar no Facebook", "share bar"),
            ("שתפו: וואטסאפ | פייסבוק", "share bar"),
            ("Home | News | Sport | Business", "breadcrumb"),
            ("Iniciar sesión Suscríbete", "navigation"),
            ("Accept all Manage preferences", "consent"),
            ("Sign in | Subscribe", "navigation"),
        ] {
            assert_eq!(role(line, Zone::Body), Some(want), "{line}");
        }
    }

    #[test]
    fn sentences_and_headings_are_not_chrome() {
        for line in [
            "The minister shared the report on Facebook and Twitter before the vote.",
            "Il y a trois ans, la ville a ouvert sa première ligne de tramway.",
            "What changes for residents",
            "Soutien russe constant et amélioration sécuritaire sur le terrain",
            "Home is where the heart is, the mayor said, and he meant it.",
            "Contact with the crew was lost at 3 a.m.",
            "The company says it uses cookies for every visitor of its site, which the regulator questioned.",
        ] {
            assert_eq!(role(line, Zone::Body), None, "{line}");
        }
    }

    #[test]
    fn phrases_mark_sentences_only_at_the_edges() {
        let cookie = "We use cookies to improve your experience. Accept";
        assert_eq!(role(cookie, Zone::Edge), Some("cookie notice"));
        let sentence = "Nous utilisons des cookies pour mesurer l'audience, précise le site.";
        assert_eq!(role(sentence, Zone::Body), None);
        assert_eq!(role(sentence, Zone::Edge), Some("cookie notice"));
    }

    #[test]
    fn agency_lines() {
        for line in [
            "(AFP)",
            "— dpa/lnw",
            "AFP",
            "(Reuters)",
            "-- Westmere Evening News",
            "Lusa",
        ] {
            assert!(is_agency_line(line), "{line}");
        }
        for line in ["Le conseil a voté.", "What changes for residents"] {
            assert!(!is_agency_line(line), "{line}");
        }
    }
}
