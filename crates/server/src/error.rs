//! One error type for the HTTP layer: every failure becomes `{"success": false, "message": ...}`
//! with a status that says whose fault it is. Internal details are logged, never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ruptura_app::AnalysisError;
use ruptura_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// The resource is not in a state that allows the request (a job still running).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Always false.
    pub success: bool,
    pub message: String,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "erro interno");
                "erro interno do servidor".to_string()
            }
            other => other.to_string(),
        };
        (
            status,
            Json(ErrorBody {
                success: false,
                message,
            }),
        )
            .into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "banco indisponível");
                ApiError::Unavailable(
                    "banco de dados indisponível; tente novamente em instantes".into(),
                )
            }
            StoreError::Schema(_) => ApiError::Internal(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<AnalysisError> for ApiError {
    fn from(e: AnalysisError) -> Self {
        match e {
            AnalysisError::Store(s) => s.into(),
            AnalysisError::Internal(s) => ApiError::Internal(s),
        }
    }
}

impl From<ruptura_app::runs::RunError> for ApiError {
    fn from(e: ruptura_app::runs::RunError) -> Self {
        use ruptura_app::runs::RunError;
        match e {
            RunError::NotFound(m) => ApiError::NotFound(m),
            RunError::Invalid(m) => ApiError::BadRequest(m),
            RunError::NoTable => ApiError::Unavailable(
                "o banco das execuções não tem a tabela execucoes: rode `ruptura migrate`".into(),
            ),
            RunError::Store(s) => s.into(),
            RunError::Corrupt(m) => ApiError::Internal(m),
        }
    }
}

impl From<ruptura_jobs::JobError> for ApiError {
    fn from(e: ruptura_jobs::JobError) -> Self {
        use ruptura_jobs::JobError;
        match e {
            JobError::Busy(m) => ApiError::TooManyRequests(m),
            JobError::Unavailable(m) => ApiError::Unavailable(m),
            JobError::Internal(m) => ApiError::Internal(m),
        }
    }
}
