//! The host part of a URL, for logs: never the path, query, fragment, credentials or
//! port.
//!
//! A small parser rather than a URL crate: it only has to find the host, and must
//! never fail loudly: a URL it cannot read gives [`UNKNOWN_HOST`]. Where a URL has a
//! scheme, the host is the one the WHATWG URL standard (what browsers and `fetch`
//! use) finds: tabs and newlines anywhere are ignored, and after a special scheme
//! (`http`, `https`, `ws`, `wss`, `ftp`) any run of `/` and `\` (none included)
//! leads to the authority, so `https:/user:pw@example.com` and
//! `https:\\example.com` both name `example.com`.

/// What [`url_host`] returns when it finds no plausible host.
pub const UNKNOWN_HOST: &str = "unknown";

/// Longest host kept (the DNS limit); longer ones are reported as unknown.
const MAX_HOST_LEN: usize = 253;

/// The host of `url`, lowercased, or `"unknown"`.
///
/// Accepts URLs with a scheme (`https://host/...`), scheme-relative ones
/// (`//host/...`) and bare `host/path` forms. Credentials (`user:pass@`) and the
/// port are dropped; an IPv6 literal keeps its brackets (`[::1]`). Special schemes
/// follow the WHATWG URL rules (see [`fetch`](crate::fetch)).
///
/// ```
/// use memtrack::fetch::url_host;
///
/// assert_eq!(url_host("https://user:secret@Example.COM:8443/a?b#c"), "example.com");
/// assert_eq!(url_host("http://[2001:db8::1]:8080/x"), "[2001:db8::1]");
/// assert_eq!(url_host("example.org/path"), "example.org");
/// assert_eq!(url_host("https:/user:pw@example.com"), "example.com");
/// assert_eq!(url_host("https:\\\\user:pw@example.com"), "example.com");
/// assert_eq!(url_host("not a url"), "unknown");
/// ```
#[must_use]
pub fn url_host(url: &str) -> String {
    // The standard drops every tab and newline before parsing.
    let url: String = url
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    host(&url).map_or_else(|| UNKNOWN_HOST.to_owned(), |h| h.to_ascii_lowercase())
}

fn host(url: &str) -> Option<&str> {
    // Leading and trailing C0 controls and spaces are not part of a URL.
    let url = url.trim_matches(|c: char| c <= ' ');
    let (had_scheme, rest) = strip_scheme(url);
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let authority = rest.get(..end)?;
    // Credentials end at the last '@' of the authority; without a scheme, an '@'
    // means an address (`mailto:`-like), not a URL.
    let host_port = match authority.rsplit_once('@') {
        Some((_, host_port)) if had_scheme => host_port,
        Some(_) => return None,
        None => authority,
    };
    let (host, port) = if host_port.starts_with('[') {
        let close = host_port.find(']')?;
        let (host, after) = host_port.split_at(close + 1);
        (valid_ipv6(host)?, after)
    } else {
        match host_port.split_once(':') {
            Some((host, _)) => (valid_name(host)?, host_port.get(host.len()..)?),
            None => (valid_name(host_port)?, ""),
        }
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    port_ok.then_some(host)
}

/// The schemes the URL standard treats as special (with a host), `file` aside
/// (whose URLs name no host worth logging).
const SPECIAL_SCHEMES: [&str; 5] = ["http", "https", "ws", "wss", "ftp"];

/// Drops the scheme and what separates it from the authority (and says whether
/// there was one): `//` after any scheme; for a special scheme, any run of `/` and
/// `\`, none included. A URL without either is taken as starting with its host.
fn strip_scheme(url: &str) -> (bool, &str) {
    if let Some(rest) = url.strip_prefix("//") {
        return (true, rest);
    }
    let Some((scheme, rest)) = url.split_once(':') else {
        return (false, url);
    };
    let mut chars = scheme.chars();
    let is_scheme = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !is_scheme {
        return (false, url);
    }
    if SPECIAL_SCHEMES
        .iter()
        .any(|special| scheme.eq_ignore_ascii_case(special))
    {
        return (true, rest.trim_start_matches(['/', '\\']));
    }
    match rest.strip_prefix("//") {
        Some(authority) => (true, authority),
        // `host:port/path` without a scheme.
        None if rest.starts_with(|c: char| c.is_ascii_digit()) => (false, url),
        // A URL with a scheme and no authority (`mailto:`, `data:`): no host.
        None => (true, ""),
    }
}

/// A registered name or IPv4 address: letters, digits, `-`, `_` and `.`, with at
/// least one letter or digit.
fn valid_name(host: &str) -> Option<&str> {
    let ok = !host.is_empty()
        && host.len() <= MAX_HOST_LEN
        && host.bytes().any(|b| b.is_ascii_alphanumeric())
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !host.starts_with('.')
        && !host.contains("..");
    ok.then_some(host)
}

/// `[...]` holding hex digits, `:` and `.` (an embedded IPv4), with at least one `:`.
fn valid_ipv6(host: &str) -> Option<&str> {
    let inner = host.strip_prefix('[')?.strip_suffix(']')?;
    let ok = inner.contains(':')
        && inner.len() <= 45
        && inner
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'));
    ok.then_some(host)
}

#[cfg(test)]
mod tests {
    use super::url_host;

    #[test]
    fn hosts_of_ordinary_urls() {
        let cases = [
            ("https://example.com", "example.com"),
            ("https://example.com/", "example.com"),
            ("http://Example.COM/Path/To?q=1#frag", "example.com"),
            ("https://api.example.co.uk:443/v1", "api.example.co.uk"),
            ("ftp://files.example.net/x", "files.example.net"),
            ("https://example.com?x=1", "example.com"),
            ("https://example.com#top", "example.com"),
            ("http://127.0.0.1:8080/health", "127.0.0.1"),
            ("https://my_host.internal/x", "my_host.internal"),
            ("  https://padded.example.com/  ", "padded.example.com"),
        ];
        for (url, host) in cases {
            assert_eq!(url_host(url), host, "{url}");
        }
    }

    #[test]
    fn credentials_and_ports_never_appear() {
        assert_eq!(url_host("https://user:p%40ss@example.com/x"), "example.com");
        assert_eq!(url_host("https://user@example.com:8443"), "example.com");
        assert_eq!(url_host("https://a@b@example.com/"), "example.com");
        assert_eq!(url_host("https://token:x@[::1]:9000/"), "[::1]");
    }

    #[test]
    fn ipv6_literals_keep_their_brackets() {
        assert_eq!(url_host("http://[::1]/"), "[::1]");
        assert_eq!(url_host("http://[2001:DB8::1]:8080"), "[2001:db8::1]");
        assert_eq!(
            url_host("http://[::ffff:192.0.2.1]/x"),
            "[::ffff:192.0.2.1]"
        );
        assert_eq!(url_host("http://[::1/"), "unknown");
        assert_eq!(url_host("http://[zz::1]/"), "unknown");
        assert_eq!(url_host("http://[]/"), "unknown");
    }

    #[test]
    fn special_schemes_follow_the_url_standard() {
        let cases = [
            ("https:/user:pw@example.com", "example.com"),
            ("https:\\\\user:pw@example.com/x", "example.com"),
            ("https:\\/example.com", "example.com"),
            ("https:example.com/path", "example.com"),
            ("HTTPS:////Example.com", "example.com"),
            ("wss:/\\socket.example.net:443/", "socket.example.net"),
            ("https:///path", "path"),
            ("https://example.com\\path@evil.com", "example.com"),
            ("ht\ntps://exa\tmple.com/a\r", "example.com"),
            ("\u{0}\u{1f} https://example.com \u{7}", "example.com"),
        ];
        for (url, host) in cases {
            assert_eq!(url_host(url), host, "{url:?}");
        }
    }

    #[test]
    fn other_schemes_need_two_slashes_for_a_host() {
        assert_eq!(url_host("foo://files.example.net/x"), "files.example.net");
        assert_eq!(url_host("foo:/files.example.net/x"), "unknown");
        assert_eq!(url_host("s3://bucket.example/key"), "bucket.example");
    }

    #[test]
    fn urls_without_scheme() {
        assert_eq!(url_host("example.com/path"), "example.com");
        assert_eq!(url_host("example.com:8080/path"), "example.com");
        assert_eq!(url_host("//cdn.example.com/lib.js"), "cdn.example.com");
        assert_eq!(url_host("www.example.com"), "www.example.com");
    }

    #[test]
    fn garbage_is_unknown() {
        let cases = [
            "",
            "   ",
            "not a url",
            "/relative/path",
            "?q=1",
            "https://",
            "https:",
            "https:///",
            "file:///etc/passwd",
            "https://:8080/",
            "https://example.com:80a/",
            "https://example.com:123456/",
            "https://exa mple.com/",
            "https://.example.com/",
            "https://example..com/",
            "https://user@/x",
            "mailto:someone@example.com",
            "javascript:alert(1)",
            "https://ex\u{e4}mple.com/",
            "\u{0}\u{1}\u{2}",
        ];
        for url in cases {
            assert_eq!(url_host(url), "unknown", "{url:?}");
        }
        let long = format!("https://{}.com/", "a".repeat(300));
        assert_eq!(url_host(&long), "unknown");
    }
}
