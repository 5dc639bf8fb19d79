//! `API_TOKEN`: when set, every `/api` and `/carteira/api` request needs
//! `Authorization: Bearer <token>`, or the session cookie that `POST /api/auth/sessao` sets
//! after checking the token. The cookie exists for the page's event stream: `EventSource`
//! cannot send headers, and a token in a URL would end up in logs and history. The cookie is
//! HttpOnly and SameSite=Strict, holds a random session id (never the token), and the token is
//! never read from a query string nor logged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "ruptura_sessao";
const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// The configured token and the sessions opened with it.
#[derive(Clone)]
pub struct Auth {
    token: Option<Arc<str>>,
    sessions: Arc<Mutex<HashMap<String, Instant>>>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Auth {
    pub fn new(token: Option<String>) -> Self {
        Self {
            token: token.filter(|t| !t.is_empty()).map(Arc::from),
            sessions: Arc::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.token.is_some()
    }

    fn token_matches(&self, given: &str) -> bool {
        self.token
            .as_deref()
            .is_some_and(|t| constant_time_eq(t.as_bytes(), given.as_bytes()))
    }

    fn open_session(&self) -> String {
        let id = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        sessions.retain(|_, since| now.duration_since(*since) < SESSION_TTL);
        sessions.insert(id.clone(), now);
        id
    }

    fn session_valid(&self, id: &str) -> bool {
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions
            .get(id)
            .is_some_and(|since| since.elapsed() < SESSION_TTL)
    }

    fn close_session(&self, id: &str) {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// Whether the request carries the token or a live session.
    pub fn allows(&self, headers: &HeaderMap) -> bool {
        if !self.enabled() {
            return true;
        }
        if let Some(token) = bearer(headers) {
            return self.token_matches(token);
        }
        session_cookie(headers).is_some_and(|id| self.session_valid(id))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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

/// Rejects unauthenticated requests with 401 JSON.
pub async fn require(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.auth.allows(request.headers()) {
        next.run(request).await
    } else {
        ApiError::Unauthorized(
            "token ausente ou inválido: envie Authorization: Bearer <token>".into(),
        )
        .into_response()
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
    if !state.auth.token_matches(given) {
        return ApiError::Unauthorized("token inválido".into()).into_response();
    }
    let id = state.auth.open_session();
    let cookie = format!(
        "{SESSION_COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        SESSION_TTL.as_secs()
    );
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
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_static("ruptura_sessao=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
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
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn sessions_open_and_close() {
        let auth = Auth::new(Some("s3cret".into()));
        let id = auth.open_session();
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_str(&format!("{SESSION_COOKIE}={id}")).unwrap(),
        );
        assert!(auth.allows(&h));
        auth.close_session(&id);
        assert!(!auth.allows(&h));
        assert!(!format!("{auth:?}").contains("s3cret"));
    }
}
