//! Browser origins allowed to open live connections (WebSocket upgrades, Engine.IO
//! handshakes). Requests without `Origin` come from agents, not browsers, and are not checked.

use actix_web::http::header;
use actix_web::HttpRequest;

/// The allow-list: empty means same-origin only; `*` allows every origin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOrigins {
    any: bool,
    list: Vec<String>,
}

impl AllowedOrigins {
    /// Parses a comma-separated list of `scheme://host[:port]` origins, or `*`.
    pub fn parse(list: &str) -> Result<AllowedOrigins, String> {
        let mut out = AllowedOrigins::default();
        for entry in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if entry == "*" {
                out.any = true;
                continue;
            }
            let normal = entry.trim_end_matches('/').to_ascii_lowercase();
            let ok = normal.split_once("://").is_some_and(|(scheme, host)| {
                !scheme.is_empty() && !host.is_empty() && !host.contains('/')
            });
            if !ok {
                return Err(format!(
                    "allowed_origins: {entry:?} is not an origin like https://example.com or *"
                ));
            }
            out.list.push(normal);
        }
        Ok(out)
    }

    /// Whether `origin` may connect to a server reached as `host` (the `Host` header).
    pub fn allows(&self, origin: &str, host: Option<&str>) -> bool {
        if self.any {
            return true;
        }
        let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
        if self.list.contains(&origin) {
            return true;
        }
        let (Some((scheme, authority)), Some(host)) = (origin.split_once("://"), host) else {
            return false;
        };
        let host = host.trim().to_ascii_lowercase();
        let default_port = match scheme {
            "http" | "ws" => ":80",
            "https" | "wss" => ":443",
            _ => "",
        };
        let strip = |s: &str| -> String {
            s.strip_suffix(default_port)
                .filter(|_| !default_port.is_empty())
                .unwrap_or(s)
                .to_string()
        };
        !authority.is_empty() && strip(authority) == strip(&host)
    }
}

/// Refuses a request whose `Origin` is not allowed; the error names it. No `Origin`: allowed.
pub fn check(req: &HttpRequest) -> Result<(), String> {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("(not text)");
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    if super::NetPolicy::of(req).origins.allows(origin, host) {
        Ok(())
    } else {
        let shown: String = origin.chars().take(100).collect();
        Err(format!("Origin not allowed: {shown}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_only_by_default() {
        let o = AllowedOrigins::parse("").unwrap();
        assert!(o.allows("http://127.0.0.1:3000", Some("127.0.0.1:3000")));
        assert!(o.allows("HTTPS://Chat.Example.com", Some("chat.example.com:443")));
        assert!(!o.allows("http://evil.example", Some("127.0.0.1:3000")));
        assert!(!o.allows("http://127.0.0.1:3001", Some("127.0.0.1:3000")));
        assert!(!o.allows("null", Some("127.0.0.1:3000")));
        assert!(!o.allows("http://127.0.0.1:3000", None));
    }

    #[test]
    fn the_list_and_the_wildcard() {
        let o = AllowedOrigins::parse("https://app.example.com/, http://localhost:5173").unwrap();
        assert!(o.allows("https://app.example.com", Some("api.example.com")));
        assert!(o.allows("http://localhost:5173", Some("127.0.0.1:3000")));
        assert!(!o.allows("https://other.example.com", Some("api.example.com")));
        assert!(AllowedOrigins::parse("*").unwrap().allows("null", None));
        let e = AllowedOrigins::parse("app.example.com").unwrap_err();
        assert!(e.contains("app.example.com"), "{e}");
    }
}
