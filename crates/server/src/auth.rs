//! `API_TOKEN`: when set, every `/api` and `/carteira/api` request needs
//! `Authorization: Bearer <token>`, or the session cookie that `POST /api/auth/sessao` sets
//! after checking the token. The cookie exists for the page's event stream: `EventSource`
//! cannot send headers, and a token in a URL would end up in logs and history. The cookie is
//! HttpOnly and SameSite=Strict (and `Secure` with `COOKIE_SECURE`), never holds the token,
//! and the token is never read from a query string nor logged.
//!
//! The cookie is signed, not looked up: `expiry.nonce.hmac` with HMAC-SHA256 under a key taken
//! from `SESSION_KEY` or, without it, derived from `API_TOKEN`. So a session survives a restart
//! and works on every server sharing the key; changing the key (or the token) ends every
//! session. Logging out forgets the cookie in the browser and, on this server, refuses it
//! until it expires.
//!
//! Token checks compare SHA-256 digests in constant time (`subtle`), so neither the content
//! nor the length of the token leaks through timing, and failed attempts are limited: after
//! `MAX_FAILURES` wrong tokens within `FAILURE_WINDOW`, token checks answer 429 until the
//! window ends (sessions already open keep working).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "ruptura_sessao";
const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Wrong tokens accepted within one window; then token checks answer 429.
pub const MAX_FAILURES: u32 = 20;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(10);

type HmacSha256 = Hmac<Sha256>;

/// The outcome of checking a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCheck {
    Valid,
    Invalid,
    /// Too many wrong tokens lately: not checked.
    Limited,
}

#[derive(Debug)]
struct Failures {
    since: Instant,
    count: u32,
}

/// The configured token, the key that signs sessions, and the failure counter.
#[derive(Clone)]
pub struct Auth {
    token_digest: Option<[u8; 32]>,
    key: Arc<[u8; 32]>,
    secure_cookie: bool,
    failures: Arc<Mutex<Failures>>,
    /// Sessions closed on this server, until they expire (nonce -> expiry).
    closed: Arc<Mutex<HashMap<String, u64>>>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("token", &self.token_digest.map(|_| "***"))
            .field("secure_cookie", &self.secure_cookie)
            .finish()
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An HMAC-SHA256 keyed with `key`.
// HMAC takes a key of any length (RFC 2104: a long key is hashed, a short one padded), so
// `new_from_slice` cannot fail: the one `expect` allowed outside tests.
#[allow(clippy::expect_used)]
fn hmac(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length")
}

impl Auth {
    /// `token` empty or absent: no authentication.
    pub fn new(token: Option<String>) -> Self {
        let token = token.filter(|t| !t.is_empty());
        let key = match &token {
            Some(t) => {
                let mut mac = hmac(t.as_bytes());
                mac.update(b"ruptura-sessao-v1");
                mac.finalize().into_bytes().into()
            }
            None => [0; 32],
        };
        Self {
            token_digest: token.map(|t| sha256(t.as_bytes())),
            key: Arc::new(key),
            secure_cookie: false,
            failures: Arc::new(Mutex::new(Failures {
                since: Instant::now(),
                count: 0,
            })),
            closed: Arc::default(),
        }
    }

    /// Signs sessions with `SESSION_KEY` instead of a key derived from the token.
    pub fn with_session_key(mut self, key: Option<&str>) -> Self {
        if let Some(k) = key.filter(|k| !k.is_empty()) {
            self.key = Arc::new(sha256(k.as_bytes()));
        }
        self
    }

    /// Marks the session cookie `Secure` (only sent over HTTPS).
    pub fn with_secure_cookie(mut self, secure: bool) -> Self {
        self.secure_cookie = secure;
        self
    }

    pub fn enabled(&self) -> bool {
        self.token_digest.is_some()
    }

    /// Checks a token in constant time, within the failure budget.
    pub fn check_token(&self, given: &str) -> TokenCheck {
        let Some(want) = &self.token_digest else {
            return TokenCheck::Invalid;
        };
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if f.since.elapsed() >= FAILURE_WINDOW {
            f.since = Instant::now();
            f.count = 0;
        }
        if f.count >= MAX_FAILURES {
            return TokenCheck::Limited;
        }
        if bool::from(sha256(given.as_bytes()).ct_eq(want)) {
            TokenCheck::Valid
        } else {
            f.count += 1;
            TokenCheck::Invalid
        }
    }

    fn sign(&self, payload: &str) -> [u8; 32] {
        let mut mac = hmac(self.key.as_ref());
        mac.update(payload.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A new signed session value: `expiry.nonce.mac`.
    pub fn open_session(&self) -> String {
        let expiry = now_secs() + SESSION_TTL.as_secs();
        let payload = format!("{expiry}.{}", uuid::Uuid::new_v4().simple());
        let mac = hex(&self.sign(&payload));
        format!("{payload}.{mac}")
    }

    /// The nonce and expiry of a valid, unexpired, not closed session value.
    fn session(&self, value: &str) -> Option<(String, u64)> {
        let (payload, mac) = value.rsplit_once('.')?;
        let want = hex(&self.sign(payload));
        if !bool::from(want.as_bytes().ct_eq(mac.as_bytes())) {
            return None;
        }
        let (expiry, nonce) = payload.split_once('.')?;
        let expiry: u64 = expiry.parse().ok()?;
        if expiry <= now_secs() {
            return None;
        }
        let closed = self.closed.lock().unwrap_or_else(|e| e.into_inner());
        (!closed.contains_key(nonce)).then(|| (nonce.to_string(), expiry))
    }

    fn session_valid(&self, value: &str) -> bool {
        self.enabled() && self.session(value).is_some()
    }

    fn close_session(&self, value: &str) {
        if let Some((nonce, expiry)) = self.session(value) {
            let now = now_secs();
            let mut closed = self.closed.lock().unwrap_or_else(|e| e.into_inner());
            closed.retain(|_, exp| *exp > now);
            closed.insert(nonce, expiry);
        }
    }

    /// Whether the request carries the token or a live session.
    pub fn allows(&self, headers: &HeaderMap) -> bool {
        self.check(headers) == TokenCheck::Valid
    }

    /// What the request's credentials amount to.
    pub fn check(&self, headers: &HeaderMap) -> TokenCheck {
        if !self.enabled() {
            return TokenCheck::Valid;
        }
        if let Some(token) = bearer(headers) {
            return self.check_token(token);
        }
        if session_cookie(headers).is_some_and(|v| self.session_valid(v)) {
            TokenCheck::Valid
        } else {
            TokenCheck::Invalid
        }
    }

    fn cookie(&self, value: &str, max_age: u64) -> String {
        let secure = if self.secure_cookie { "; Secure" } else { "" };
        format!("{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}")
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

fn too_many() -> ApiError {
    ApiError::TooManyRequests(format!(
        "tentativas demais com token inválido; aguarde {} segundos",
        FAILURE_WINDOW.as_secs()
    ))
}

/// Rejects unauthenticated requests with 401 JSON.
pub async fn require(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match state.auth.check(request.headers()) {
        TokenCheck::Valid => next.run(request).await,
        TokenCheck::Limited => too_many().into_response(),
        TokenCheck::Invalid => ApiError::Unauthorized(
            "token ausente ou inválido: envie Authorization: Bearer <token>".into(),
        )
        .into_response(),
    }
}

/// The token, to open a session.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SessionRequest {
    pub token: String,
}

/// Opens a session: checks the token (in the body, or as a Bearer header) and sets the HttpOnly
/// session cookie.
#[utoipa::path(post, path = "/api/auth/sessao", tag = "auth",
    summary = "Abre a sessão da página com o token",
    description = "Com `API_TOKEN` definido, a página envia o token uma vez e recebe um cookie de sessão HttpOnly; o token nunca vai para uma URL nem para o log.",
    request_body = SessionRequest,
    responses((status = 204, description = "sessão aberta (cookie definido)"), (status = 401, body = crate::error::ErrorBody)))]
pub async fn open_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !state.auth.enabled() {
        return StatusCode::NO_CONTENT.into_response();
    }
    let from_body = serde_json::from_slice::<SessionRequest>(&body)
        .ok()
        .map(|r| r.token);
    let given = from_body
        .as_deref()
        .or_else(|| bearer(&headers))
        .unwrap_or_default();
    match state.auth.check_token(given) {
        TokenCheck::Valid => {}
        TokenCheck::Limited => return too_many().into_response(),
        TokenCheck::Invalid => {
            return ApiError::Unauthorized("token inválido".into()).into_response()
        }
    }
    let id = state.auth.open_session();
    let cookie = state.auth.cookie(&id, SESSION_TTL.as_secs());
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, v);
    }
    response
}

/// Closes the session of the cookie.
#[utoipa::path(delete, path = "/api/auth/sessao", tag = "auth",
    summary = "Fecha a sessão da página",
    responses((status = 204, description = "sessão encerrada (cookie apagado)")))]
pub async fn close_session(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = session_cookie(&headers) {
        state.auth.close_session(id);
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&state.auth.cookie("", 0)) {
        response.headers_mut().insert(SET_COOKIE, v);
    }
    response
}

/// Whether the server asks for a token (for the page).
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct AuthStatus {
    pub token_exigido: bool,
    pub autenticado: bool,
}

#[utoipa::path(get, path = "/api/auth/status", tag = "auth",
    summary = "O token é exigido? Esta sessão já está autenticada?",
    responses((status = 200, description = "estado da autenticação", body = AuthStatus)))]
pub async fn status(State(state): State<AppState>, headers: HeaderMap) -> Json<AuthStatus> {
    Json(AuthStatus {
        token_exigido: state.auth.enabled(),
        autenticado: state.auth.allows(&headers),
    })
}

/// The page's session: open, close, status (open to all).
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/auth/sessao", post(open_session).delete(close_session))
        .route("/api/auth/status", get(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_cookie_parsing() {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; ruptura_sessao=xyz; b=2"),
        );
        assert_eq!(bearer(&h), Some("abc"));
        assert_eq!(session_cookie(&h), Some("xyz"));
    }

    fn with_cookie(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_str(&format!("{SESSION_COOKIE}={value}")).unwrap(),
        );
        h
    }

    #[test]
    fn sessions_are_signed_survive_a_restart_and_close() {
        let auth = Auth::new(Some("s3cret".into()));
        let id = auth.open_session();
        assert!(!id.contains("s3cret"));
        assert!(auth.allows(&with_cookie(&id)));
        // Another server (or this one restarted) with the same token accepts it.
        let other = Auth::new(Some("s3cret".into()));
        assert!(other.allows(&with_cookie(&id)));
        // A different key, a tampered expiry or signature: refused.
        assert!(!Auth::new(Some("outro".into())).allows(&with_cookie(&id)));
        let keyed = Auth::new(Some("s3cret".into())).with_session_key(Some("k"));
        assert!(!keyed.allows(&with_cookie(&id)));
        let (exp, rest) = id.split_once('.').unwrap();
        let later = format!("{}.{rest}", exp.parse::<u64>().unwrap() + 1000);
        assert!(!auth.allows(&with_cookie(&later)));
        let mut bad_mac = id.clone();
        bad_mac.pop();
        bad_mac.push('0');
        if bad_mac != id {
            assert!(!auth.allows(&with_cookie(&bad_mac)));
        }
        auth.close_session(&id);
        assert!(!auth.allows(&with_cookie(&id)));
        assert!(!format!("{auth:?}").contains("s3cret"));
    }

    #[test]
    fn wrong_tokens_are_limited() {
        let auth = Auth::new(Some("s3cret".into()));
        assert_eq!(auth.check_token("s3cret"), TokenCheck::Valid);
        for _ in 0..MAX_FAILURES {
            assert_eq!(auth.check_token("x"), TokenCheck::Invalid);
        }
        // Even the right token is not checked until the window ends.
        assert_eq!(auth.check_token("s3cret"), TokenCheck::Limited);
        assert_eq!(auth.check_token("x"), TokenCheck::Limited);
    }

    #[test]
    fn secure_cookie_option() {
        let auth = Auth::new(Some("t".into())).with_secure_cookie(true);
        assert!(auth.cookie("v", 10).ends_with("; Secure"));
        assert!(!Auth::new(Some("t".into()))
            .cookie("v", 10)
            .contains("Secure"));
    }
}
