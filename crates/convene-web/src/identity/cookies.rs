//! The session and CSRF cookies.
//!
//! Over https they are `__Host-` prefixed and `Secure` (so no subdomain or
//! plain-http page can set or read them); on a plain-http localhost, where
//! browsers refuse `Secure`, they drop both. Always `HttpOnly` and
//! `SameSite=Lax`, with no lifetime: the server decides when a session ends.

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};

use crate::state::WebSettings;

pub const SESSION: &str = "convene_session";
pub const CSRF: &str = "convene_csrf";

fn name(settings: &WebSettings, base: &str) -> String {
    if settings.is_https() {
        format!("__Host-{base}")
    } else {
        base.to_string()
    }
}

/// The value of our cookie `base` in the request, if any.
pub fn read(headers: &HeaderMap, settings: &WebSettings, base: &str) -> Option<String> {
    let wanted = name(settings, base);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| Cookie::parse(pair.trim().to_string()).ok())
        .find(|cookie| cookie.name() == wanted)
        .map(|cookie| cookie.value().to_string())
}

/// A `Set-Cookie` header that sets (or, with `None`, removes) cookie `base`.
pub fn set(settings: &WebSettings, base: &str, value: Option<&str>) -> HeaderValue {
    let mut cookie = Cookie::new(name(settings, base), value.unwrap_or("").to_string());
    cookie.set_path("/");
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_secure(settings.is_https());
    if value.is_none() {
        cookie.set_max_age(cookie::time::Duration::ZERO);
    }
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_cookies_are_host_prefixed_and_secure() {
        let secure = WebSettings::new("https://convene.example".parse().unwrap());
        let value = set(&secure, SESSION, Some("abc"))
            .to_str()
            .unwrap()
            .to_string();
        assert!(value.starts_with("__Host-convene_session=abc"), "{value}");
        for part in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(value.contains(part), "{value}");
        }
        let local = WebSettings::new("http://127.0.0.1:8080".parse().unwrap());
        let value = set(&local, SESSION, Some("abc"))
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            value.starts_with("convene_session=abc") && !value.contains("Secure"),
            "{value}"
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("other=1; convene_session=xyz"),
        );
        assert_eq!(read(&headers, &local, SESSION).as_deref(), Some("xyz"));
        assert_eq!(read(&headers, &secure, SESSION), None);
    }
}
