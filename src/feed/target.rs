//! Which feed a path names: its scope (everything, one source folder, one tag), whether it is
//! the subscription document or an archive page (RFC 5005), and its format.
//!
//! Paths, for every scope prefix `""`, `/sources/{name}` and `/tags/{name}` (names
//! percent-encoded):
//! `{prefix}/feed.rss|atom|json` (newest items) and `{prefix}/archive/{n}.rss|atom|json`
//! (archive page `n`, counted from the oldest article, so a full page never changes while
//! articles are only added after it).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Characters escaped in a source or tag name inside a path: all but unreserved ones.
const NAME_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Path prefix of per-source feeds.
pub(crate) const SOURCES_PREFIX: &str = "/sources/";
/// Path prefix of per-tag feeds.
pub(crate) const TAGS_PREFIX: &str = "/tags/";
/// Highest archive page number a path may name (a bound on parsing, far above any folder).
pub(crate) const MAX_ARCHIVE_PAGE: u32 = 1_000_000;

/// The articles a feed holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Every published article.
    All,
    /// Articles in one top-level subfolder of the seeds folder.
    Source(String),
    /// Articles with one tag (lowercase).
    Tag(String),
}

impl Scope {
    /// The path prefix of the scope's feeds (empty for [`Scope::All`]).
    pub(crate) fn prefix(&self) -> String {
        match self {
            Scope::All => String::new(),
            Scope::Source(name) => format!("/sources/{}", encode_name(name)),
            Scope::Tag(name) => format!("/tags/{}", encode_name(name)),
        }
    }
}

/// A feed's document format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// RSS 2.0.
    Rss,
    /// Atom 1.0.
    Atom,
    /// JSON Feed 1.1.
    Json,
}

/// `media_type` and `content_type` of each format, from one literal each.
macro_rules! media_types {
    ($($format:ident => $media:literal),* $(,)?) => {
        /// The media type, as in `<link type>`.
        pub(crate) fn media_type(self) -> &'static str {
            match self {
                $(Format::$format => $media),*
            }
        }

        /// The `Content-Type` header value: the media type in UTF-8.
        pub(crate) fn content_type(self) -> &'static str {
            match self {
                $(Format::$format => concat!($media, "; charset=utf-8")),*
            }
        }
    };
}

impl Format {
    /// Every format, in the order pages list them.
    pub(crate) const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    /// The file extension in paths.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    media_types! {
        Rss => "application/rss+xml",
        Atom => "application/atom+xml",
        Json => "application/feed+json",
    }

    /// The name shown to people.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Format::Rss => "RSS",
            Format::Atom => "Atom",
            Format::Json => "JSON Feed",
        }
    }

    fn from_extension(ext: &str) -> Option<Self> {
        Format::ALL.into_iter().find(|f| f.extension() == ext)
    }
}

/// Subscription document or archive page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Page {
    /// The newest items (`feed.*`).
    Current,
    /// Archive page `n` (1 is the oldest).
    Archive(u32),
}

/// One feed document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// Which articles.
    pub scope: Scope,
    /// Which page of them.
    pub page: Page,
    /// In which format.
    pub format: Format,
}

impl Target {
    /// The subscription feed of `scope` in `format`.
    pub(crate) fn current(scope: Scope, format: Format) -> Self {
        Self {
            scope,
            page: Page::Current,
            format,
        }
    }

    /// The document's path.
    pub fn path(&self) -> String {
        let prefix = self.scope.prefix();
        let ext = self.format.extension();
        match self.page {
            Page::Current => format!("{prefix}/feed.{ext}"),
            Page::Archive(n) => format!("{prefix}/archive/{n}.{ext}"),
        }
    }

    /// The same scope and page in another format.
    pub(crate) fn with_format(&self, format: Format) -> Self {
        Self {
            format,
            ..self.clone()
        }
    }

    /// The same scope and format on another page.
    pub(crate) fn with_page(&self, page: Page) -> Self {
        Self {
            page,
            ..self.clone()
        }
    }

    /// The feed a request path names, if any.
    pub fn parse(path: &str) -> Option<Self> {
        let (scope, rest) = if let Some(rest) = path.strip_prefix(SOURCES_PREFIX) {
            let (name, rest) = rest.split_once('/')?;
            (Scope::Source(decode_name(name)?), rest)
        } else if let Some(rest) = path.strip_prefix(TAGS_PREFIX) {
            let (name, rest) = rest.split_once('/')?;
            (Scope::Tag(decode_name(name)?), rest)
        } else {
            (Scope::All, path.strip_prefix('/')?)
        };
        let (page, ext) = if let Some(ext) = rest.strip_prefix("feed.") {
            (Page::Current, ext)
        } else {
            let (number, ext) = rest.strip_prefix("archive/")?.split_once('.')?;
            // Digits only, no leading zero: one path per page.
            if number.starts_with('0') || !number.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let n: u32 = number.parse().ok()?;
            if n > MAX_ARCHIVE_PAGE {
                return None;
            }
            (Page::Archive(n), ext)
        };
        Some(Self {
            scope,
            page,
            format: Format::from_extension(ext)?,
        })
    }
}

/// A source or tag name as a path segment. A name of dots only (a tag `..`) is written with
/// escaped dots, which clients would otherwise resolve as a path step.
pub(crate) fn encode_name(name: &str) -> String {
    if name.bytes().all(|b| b == b'.') {
        return "%2E".repeat(name.len());
    }
    utf8_percent_encode(name, NAME_ESCAPES).to_string()
}

/// The name in a path segment; `None` for an empty or non-UTF-8 one, or one that is not in
/// the form [`encode_name`] writes (so each feed has one path).
fn decode_name(segment: &str) -> Option<String> {
    let name = percent_decode_str(segment).decode_utf8().ok()?.into_owned();
    (!name.is_empty() && encode_name(&name) == segment).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        for scope in [
            Scope::All,
            Scope::Source("Le Monde".into()),
            Scope::Tag("société".into()),
            Scope::Tag("..".into()),
        ] {
            for format in Format::ALL {
                for page in [Page::Current, Page::Archive(1), Page::Archive(42)] {
                    let target = Target {
                        scope: scope.clone(),
                        page,
                        format,
                    };
                    assert_eq!(Target::parse(&target.path()), Some(target.clone()));
                }
            }
        }
        assert_eq!(
            Target::current(Scope::Source("Le Monde".into()), Format::Rss).path(),
            "/sources/Le%20Monde/feed.rss"
        );
    }

    #[test]
    fn other_paths_are_not_feeds() {
        for path in [
            "/",
            "/feed.xml",
            "/feed.rss/",
            "/archive/0.rss",
            "/archive/01.rss",
            "/archive/-1.rss",
            "/archive/9999999999.rss",
            "/archive/.rss",
            "/sources//feed.rss",
            "/sources/a/b/feed.rss",
            "/sources/%ZZ/feed.rss",
            "/sources/Le Monde/feed.rss",
            "/tags/feed.rss",
            "/articles/x.html",
        ] {
            assert_eq!(Target::parse(path), None, "{path}");
        }
    }
}
