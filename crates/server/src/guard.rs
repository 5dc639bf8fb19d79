//! Cross-site request forgery: a page on another origin (another port of the same host
//! included, which `SameSite` does not cover) must not make a browser change anything here.
//!
//! - A request that changes state (any method but GET, HEAD, OPTIONS) and has a body must say
//!   `Content-Type: application/json` (415 otherwise). A cross-site HTML form or a "simple"
//!   `fetch` can only send `text/plain`, `application/x-www-form-urlencoded` or
//!   `multipart/form-data`; JSON from another origin needs a CORS preflight, which this server
//!   never grants.
//! - Unless it carries `Authorization: Bearer` (which a browser never adds by itself), such a
//!   request is refused (403) when the browser says it comes from elsewhere: `Sec-Fetch-Site`
//!   other than `same-origin`/`none`, or an `Origin` whose host is not the request's `Host`.
//!   Clients that send neither header (curl, scripts) are not browsers acting for a victim.

use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, ORIGIN, TRANSFER_ENCODING};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(TRANSFER_ENCODING)
        || headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0)
}

/// Whether the Content-Type is JSON (`application/json`, parameters allowed).
fn is_json(headers: &HeaderMap) -> Option<bool> {
    let value = headers.get(CONTENT_TYPE)?;
    let essence = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .unwrap_or_default();
    Some(essence.eq_ignore_ascii_case("application/json"))
}

fn has_bearer(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
}

/// Whether a browser says the request comes from another origin.
fn cross_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or_default().trim();
        if !site.eq_ignore_ascii_case("same-origin") && !site.eq_ignore_ascii_case("none") {
            return true;
        }
    }
    if let Some(origin) = headers.get(ORIGIN) {
        let host = headers.get(HOST).and_then(|h| h.to_str().ok());
        let origin_host = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, rest)| rest.trim_end_matches('/'));
        return match (origin_host, host) {
            (Some(o), Some(h)) => !o.eq_ignore_ascii_case(h.trim()),
            _ => true, // `Origin: null` (sandboxed or file pages) or no Host: not ours
        };
    }
    false
}

/// Refuses cross-site state changes and non-JSON bodies.
pub async fn csrf(request: Request, next: Next) -> Response {
    let headers = request.headers();
    if changes_state(request.method()) {
        match is_json(headers) {
            Some(false) => {
                return ApiError::UnsupportedMediaType(
                    "tipo de conteúdo não suportado: envie o corpo como JSON, com \
                     Content-Type: application/json"
                        .into(),
                )
                .into_response()
            }
            None if has_body(headers) => {
                return ApiError::UnsupportedMediaType(
                    "Content-Type ausente: envie o corpo como JSON, com \
                     Content-Type: application/json"
                        .into(),
                )
                .into_response()
            }
            _ => {}
        }
        if !has_bearer(headers) && cross_origin(headers) {
            return ApiError::Forbidden(
                "requisição de outra origem recusada: use a página deste servidor ou \
                 Authorization: Bearer <token>"
                    .into(),
            )
            .into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn h(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_static(v));
        }
        m
    }

    #[test]
    fn origins() {
        assert!(!cross_origin(&h(&[
            ("host", "a:8080"),
            ("origin", "http://a:8080")
        ])));
        assert!(cross_origin(&h(&[
            ("host", "a:8080"),
            ("origin", "http://a:9090")
        ])));
        assert!(cross_origin(&h(&[("host", "a:8080"), ("origin", "null")])));
        assert!(cross_origin(&h(&[("sec-fetch-site", "same-site")])));
        assert!(!cross_origin(&h(&[("sec-fetch-site", "same-origin")])));
        assert!(!cross_origin(&h(&[])));
        assert_eq!(
            is_json(&h(&[("content-type", "Application/JSON; charset=utf-8")])),
            Some(true)
        );
        assert_eq!(is_json(&h(&[("content-type", "text/plain")])), Some(false));
    }
}
