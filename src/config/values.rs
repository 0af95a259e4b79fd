//! Values that settings hold parsed, with how they are written in the file: times of day,
//! optional addresses, the hub URL and the base URL. Each is parsed once, when the settings
//! load, and a bad one fails naming its key.

use std::net::SocketAddr;

use hyper::Uri;
use serde::{Deserialize, Deserializer, Serializer, de::Error};

/// Times of day, written `HH:MM`.
pub(crate) mod hh_mm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(crate) fn serialize<S: Serializer>(time: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&time.format("%H:%M"))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(d)?;
        NaiveTime::parse_from_str(&text, "%H:%M")
            .map_err(|e| D::Error::custom(format!("{text:?} is not HH:MM: {e}")))
    }
}

/// An address that may be absent, written `""` when it is (`metrics.listen`).
pub(crate) mod optional_address {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        address: &Option<SocketAddr>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match address {
            Some(address) => s.collect_str(address),
            None => s.serialize_str(""),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SocketAddr>, D::Error> {
        let text = String::deserialize(d)?;
        if text.is_empty() {
            return Ok(None);
        }
        text.parse().map(Some).map_err(|e| {
            D::Error::custom(format!(
                "{text:?} is not an address like 127.0.0.1:9090: {e}"
            ))
        })
    }
}

/// The WebSub hub, written as its URL or `""` for none (`websub.hub`).
pub(crate) mod hub_url {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(hub: &Option<Uri>, s: S) -> Result<S::Ok, S::Error> {
        match hub {
            Some(hub) => s.collect_str(hub),
            None => s.serialize_str(""),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Uri>, D::Error> {
        let text = String::deserialize(d)?;
        if text.is_empty() {
            return Ok(None);
        }
        parse_hub(&text).map(Some).map_err(D::Error::custom)
    }
}

/// Why a configured hub URL is unusable.
#[derive(Debug, thiserror::Error)]
pub(super) enum HubUrlError {
    /// The text is not a URL at all.
    #[error("hub URL {url:?} is not a valid URL: {reason}")]
    Invalid {
        /// The rejected text.
        url: String,
        /// The parser's complaint.
        reason: String,
    },
    /// An `https://` hub, which needs a TLS client seedfeed does not have.
    #[error(
        "hub URL {0:?} uses https, but seedfeed has no TLS client; \
         run a local http forwarder to the https hub and configure its http:// URL"
    )]
    Https(String),
    /// Not an absolute `http://host[:port][/path]` URL.
    #[error("hub URL {0:?} must be an absolute http://host[:port][/path] URL")]
    NotHttp(String),
    /// Has user info, a query or a fragment, none of which a hub endpoint needs.
    #[error("hub URL {0:?} must not contain user info, a query or a fragment")]
    Extra(String),
}

/// Checks a configured hub URL; only absolute `http://host[:port][/path]` is accepted.
fn parse_hub(url: &str) -> Result<Uri, HubUrlError> {
    let uri: Uri = url
        .parse()
        .map_err(|e: hyper::http::uri::InvalidUri| HubUrlError::Invalid {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
    match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") => {}
        Some(s) if s.eq_ignore_ascii_case("https") => return Err(HubUrlError::Https(url.into())),
        _ => return Err(HubUrlError::NotHttp(url.into())),
    }
    let Some(authority) = uri.authority().filter(|a| !a.host().is_empty()) else {
        return Err(HubUrlError::NotHttp(url.into()));
    };
    // `Uri` silently drops fragments, so look at the raw text for `#`.
    if authority.as_str().contains('@') || uri.query().is_some() || url.contains('#') {
        return Err(HubUrlError::Extra(url.into()));
    }
    Ok(uri)
}

pub(super) fn check_base_url(url: &str) -> Result<(), String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("{url:?}: {e}"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(format!("{url:?} must start with http:// or https://")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("{url:?} has no host"));
    }
    if uri.query().is_some() {
        return Err(format!("{url:?} must not have a query"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_hub_accepts_plain_http() {
        for ok in [
            "http://hub.example",
            "http://127.0.0.1:8080/hub",
            "http://[::1]:9/a/b",
        ] {
            assert!(parse_hub(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn parse_hub_rejects_others() {
        let https = parse_hub("https://hub.example/").unwrap_err();
        assert!(matches!(https, HubUrlError::Https(_)));
        let msg = https.to_string();
        assert!(
            msg.contains("no TLS client") && msg.contains("forwarder"),
            "{msg}"
        );
        for bad in [
            "/hub",
            "hub.example",
            "ftp://h/",
            "http://u:p@h/",
            "http://h/?q=1",
            "http://h/#f",
            "http://",
        ] {
            assert!(parse_hub(bad).is_err(), "{bad}");
        }
    }
}
