//! The `Host` header as RFC 9112 §3.2 requires it: a server must answer 400 to an HTTP/1.1
//! request without one, and to any request with more than one or with an invalid value.

use std::str::FromStr;

use hyper::Request;
use hyper::Version;
use hyper::header::HOST;
use hyper::http::uri::Authority;

/// Why the request's `Host` is refused, if it is.
pub fn problem<B>(req: &Request<B>) -> Option<&'static str> {
    let mut hosts = req.headers().get_all(HOST).iter();
    let Some(host) = hosts.next() else {
        return (req.version() == Version::HTTP_11).then_some("an HTTP/1.1 request needs a Host");
    };
    if hosts.next().is_some() {
        return Some("more than one Host");
    }
    // An empty value is allowed: the target may have no authority.
    let valid = host.is_empty()
        || host
            .to_str()
            .ok()
            .and_then(|h| Authority::from_str(h).ok())
            .is_some_and(|a| !a.as_str().contains('@') && has_valid_port(a.as_str()));
    (!valid).then_some("invalid Host")
}

/// `Authority` checks the characters but takes user info and any port text; RFC 3986's
/// `host [ ":" port ]` has a non-empty host here and a port of digits only.
fn has_valid_port(authority: &str) -> bool {
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((_, rest)) => ("[v6]", rest.strip_prefix(':').unwrap_or(rest)),
            None => return false,
        },
        None => authority.rsplit_once(':').unwrap_or((authority, "")),
    };
    !host.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(version: Version, hosts: &[&str]) -> Request<()> {
        let mut builder = Request::builder().uri("/feed.atom").version(version);
        for host in hosts {
            builder = builder.header(HOST, *host);
        }
        builder.body(()).expect("request")
    }

    #[test]
    fn one_valid_host_passes() {
        for host in ["example.org", "127.0.0.1:8080", "[::1]:80", ""] {
            assert_eq!(problem(&request(Version::HTTP_11, &[host])), None, "{host}");
        }
        assert_eq!(problem(&request(Version::HTTP_10, &[])), None);
    }

    #[test]
    fn missing_repeated_or_invalid_hosts_are_refused() {
        assert!(problem(&request(Version::HTTP_11, &[])).is_some());
        assert!(problem(&request(Version::HTTP_11, &["a", "b"])).is_some());
        for host in ["a b", "user@example.org", "exa mple:80", "host:port", ":80"] {
            assert!(
                problem(&request(Version::HTTP_11, &[host])).is_some(),
                "{host}"
            );
        }
    }
}
