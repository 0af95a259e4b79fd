//! Site boilerplate: navigation, sharing prompts, copyright and newsletter lines that scrapers
//! carry along at the top or bottom of an article.
//!
//! Only a leading or trailing run of blocks is removed, never a block between two paragraphs of
//! the article: a trailing run starts at a marker line (`Lire la suite`, `Read more`, ...) and
//! may hold, after each marker, a few short lines (the titles a navigation marker introduces).
//!
//! The marker lists are configuration (`[boilerplate]`); their defaults are the data in the
//! bundled `config/default.toml`.

/// Most short lines one marker may introduce (`Les plus populaires` + a list of titles).
pub(crate) const MAX_TITLES_PER_MARKER: usize = 5;
/// Longest line that counts as an introduced title rather than article text.
pub(crate) const MAX_TITLE_LINE_CHARS: usize = 160;
/// Longest line that may be a marker; longer lines are article text even if they match.
pub(crate) const MAX_MARKER_CHARS: usize = 200;
/// Longest line that a phrase found inside it (`all rights reserved`, `newsletter`) can mark as
/// chrome: a longer line is a sentence of the article that mentions the phrase.
pub(crate) const MAX_CONTAINED_MARKER_CHARS: usize = 100;

/// The marker lists, lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Boilerplate {
    lines: Vec<String>,
    prefixes: Vec<String>,
    phrases: Vec<String>,
}

impl Default for Boilerplate {
    /// The shared markers of the bundled `config/default.toml`.
    fn default() -> Self {
        let b = crate::config::BoilerplateSettings::default();
        Self::new(&b.lines, &b.prefixes, &b.phrases)
    }
}

impl Boilerplate {
    /// Markers from configuration: whole lines, line prefixes, and phrases within short lines.
    pub(crate) fn new(lines: &[String], prefixes: &[String], phrases: &[String]) -> Self {
        let lower = |list: &[String]| list.iter().map(|s| s.trim().to_lowercase()).collect();
        Self {
            lines: lower(lines),
            prefixes: lower(prefixes),
            phrases: lower(phrases),
        }
    }

    /// These markers plus more (a language's own), lowercase.
    pub(crate) fn extended(
        &self,
        lines: &[String],
        prefixes: &[String],
        phrases: &[String],
    ) -> Self {
        let more = Self::new(lines, prefixes, phrases);
        let join = |a: &[String], b: Vec<String>| a.iter().cloned().chain(b).collect();
        Self {
            lines: join(&self.lines, more.lines),
            prefixes: join(&self.prefixes, more.prefixes),
            phrases: join(&self.phrases, more.phrases),
        }
    }

    /// True when a line is site chrome on its own.
    pub(crate) fn is_marker(&self, line: &str) -> bool {
        let chars = line.chars().count();
        if chars > MAX_MARKER_CHARS {
            return false;
        }
        let lower = line.trim().to_lowercase();
        let bare = lower.trim_end_matches([':', '›', '»', '>', '→', ' ', '.', '…']);
        self.lines.iter().any(|l| l == bare)
            || self.prefixes.iter().any(|p| lower.starts_with(p.as_str()))
            || is_copyright_notice(&lower)
            || (chars <= MAX_CONTAINED_MARKER_CHARS
                && self.phrases.iter().any(|p| lower.contains(p.as_str())))
    }

    /// Splits `blocks` into (leading chrome, article, trailing chrome): returns the index of
    /// the first article block and the index one past the last. At least one block is always
    /// left to the article.
    pub(crate) fn article_bounds(&self, blocks: &[&str]) -> (usize, usize) {
        let end = self.trailing_start(blocks).unwrap_or(blocks.len());
        let start = blocks[..end]
            .iter()
            .take_while(|b| self.is_marker(b))
            .count()
            .min(end.saturating_sub(1));
        (start, end)
    }

    /// Index of the first block of the trailing chrome run, if there is one.
    fn trailing_start(&self, blocks: &[&str]) -> Option<usize> {
        let mut cut = None;
        let mut titles_after = 0;
        // Walk backwards; block 0 always stays (it may be the only article block).
        for (i, block) in blocks.iter().enumerate().skip(1).rev() {
            if self.is_marker(block) {
                cut = Some(i);
                titles_after = 0;
            } else if titles_after < MAX_TITLES_PER_MARKER
                && !block.contains('\n')
                && !block.trim_end().ends_with('.')
                && block.chars().count() <= MAX_TITLE_LINE_CHARS
            {
                titles_after += 1;
            } else {
                break;
            }
        }
        cut
    }
}

/// `Copyright © 2025 …`, `Copyright 2025 …`, `Copyright (c) …`: the word followed by the sign
/// or a year, not a sentence about copyright.
fn is_copyright_notice(lower: &str) -> bool {
    lower.strip_prefix("copyright").is_some_and(|rest| {
        let rest = rest.trim_start();
        rest.starts_with('©')
            || rest.starts_with("(c)")
            || rest.starts_with(|c: char| c.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_marker(line: &str) -> bool {
        Boilerplate::default().is_marker(line)
    }

    fn article_bounds(blocks: &[&str]) -> (usize, usize) {
        Boilerplate::default().article_bounds(blocks)
    }

    #[test]
    fn configured_markers_replace_the_defaults() {
        let custom = Boilerplate::new(
            &["Weiterlesen".into()],
            &["Schlagworte:".into()],
            &["abonnieren".into()],
        );
        assert!(custom.is_marker("weiterlesen"));
        assert!(custom.is_marker("Schlagworte: Politik"));
        assert!(custom.is_marker("Jetzt Newsletter abonnieren"));
        assert!(!custom.is_marker("Lire la suite"));
    }

    const LONG: &str = "This is a paragraph of the article that is long enough to be article text and \
                        not a title, because it goes on well beyond one hundred and sixty characters \
                        in all.";

    #[test]
    fn strips_french_navigation_with_the_titles_it_introduces() {
        let blocks = [
            LONG,
            LONG,
            "Lire La Précédente",
            "Un joueur du Stade Brestois bientôt en sélection malienne ?",
            "Lire La Suite",
            "Près de Deux Tonnes de Poulet Non Comestible Saisies et Détruites à Diéma",
            "Les Plus Populaires",
        ];
        assert_eq!(article_bounds(&blocks), (0, 2));
    }

    #[test]
    fn keeps_a_short_last_paragraph_that_no_marker_follows() {
        let blocks = [LONG, "The end."];
        assert_eq!(article_bounds(&blocks), (0, 2));
    }

    #[test]
    fn never_cuts_a_marker_between_article_paragraphs() {
        let blocks = [LONG, "Read more", LONG];
        assert_eq!(article_bounds(&blocks), (0, 3));
    }

    #[test]
    fn strips_copyright_and_sharing_lines() {
        let blocks = [
            LONG,
            "Share this:",
            "© 2025 Example News. All rights reserved.",
        ];
        assert_eq!(article_bounds(&blocks), (0, 1));
        let blocks = [
            LONG,
            "Tags: Mali, Russie",
            "Inscrivez-vous à notre newsletter",
        ];
        assert_eq!(article_bounds(&blocks), (0, 1));
    }

    // Regression: an ad marker inside a scraped article took the sentences after it along.
    #[test]
    fn sentences_after_a_marker_are_article_text() {
        let blocks = [
            LONG,
            "Publicité",
            "Le ministre a démenti.",
            "Il s'exprimera demain.",
        ];
        assert_eq!(article_bounds(&blocks), (0, 4));
    }

    #[test]
    fn a_sentence_about_copyright_is_not_a_notice() {
        assert!(!is_marker(
            "Copyright law was reformed in 2024, the minister said."
        ));
        assert!(is_marker("Copyright © 2025 Example News"));
        assert!(is_marker("Copyright 2025 Example News"));
    }

    #[test]
    fn strips_leading_chrome() {
        let blocks = ["Partager", "Advertisement", LONG, LONG];
        assert_eq!(article_bounds(&blocks), (2, 4));
    }

    #[test]
    fn too_many_short_lines_after_a_marker_are_not_chrome() {
        let blocks = [LONG, "Related", "a", "b", "c", "d", "e", "f"];
        assert_eq!(article_bounds(&blocks), (0, 8));
    }

    #[test]
    fn a_file_of_only_chrome_keeps_one_block() {
        let blocks = ["Read more", "Share this"];
        assert_eq!(article_bounds(&blocks), (0, 1));
    }

    #[test]
    fn sentences_mentioning_newsletters_are_article_text() {
        let line = "Analysts said the newsletter business, long dismissed as a hobby for a few \
                    enthusiasts, grew faster than any other part of the media industry in 2024.";
        assert!(!is_marker(line));
    }
}
