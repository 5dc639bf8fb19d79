//! The data layer's one error type.

use thiserror::Error;

/// Errors of the data layer. Messages are meant for the person running the service: they name
/// the table, column or file, and never include a password.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database URL cannot be used.
    #[error("URL de banco inválida: {0}")]
    BadUrl(String),
    /// The database does not answer (not started, restarting, network): try again later.
    #[error("banco de dados indisponível: {0}")]
    Unavailable(String),
    /// Tables or columns the analysis reads are missing.
    #[error("o banco não tem o que a análise lê: {}", .0.join(", "))]
    Schema(Vec<String>),
    /// The database belongs to another system; Ruptura reads it but never changes it.
    #[error("{0}")]
    Foreign(String),
    /// The data cannot be written as it is (for example a repeated id); nothing was written.
    #[error("importação recusada pelo banco, nada foi gravado: {0}")]
    Rejected(String),
    #[error("erro de migração: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("erro do banco de dados: {0}")]
    Database(sqlx::Error),
    #[error("erro do banco SQLite: {0}")]
    Sqlite(String),
}

impl StoreError {
    /// True when the database could not be reached: the request may succeed later (HTTP 503).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        let message = e.to_string();
        match &e {
            rusqlite::Error::SqliteFailure(f, _) => match f.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                    StoreError::Unavailable(format!("banco SQLite ocupado: {message}"))
                }
                ErrorCode::CannotOpen
                | ErrorCode::NotADatabase
                | ErrorCode::ReadOnly
                | ErrorCode::DiskFull => StoreError::Unavailable(message),
                ErrorCode::ConstraintViolation => StoreError::Rejected(message),
                _ if message.contains("no such table") || message.contains("no such column") => {
                    StoreError::Schema(vec![message])
                }
                _ => StoreError::Sqlite(message),
            },
            _ if message.contains("no such table") || message.contains("no such column") => {
                StoreError::Schema(vec![message])
            }
            _ => StoreError::Sqlite(message),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_) => StoreError::Unavailable(e.to_string()),
            sqlx::Error::Database(db) => {
                // PostgreSQL: 57P01 admin_shutdown (a fast shutdown or pg_terminate_backend: the
                // session is gone, the pool opens a new one), 57P02 crash_shutdown, 57P03
                // cannot_connect_now (starting up or shutting down), 08xxx connection exceptions,
                // 53300 too_many_connections. A closed socket comes as `Io` (EOF, reset, broken
                // pipe), a server that does not come back in time as `PoolTimedOut`.
                let code = db.code().map(|c| c.to_string()).unwrap_or_default();
                if code.starts_with("08") || code.starts_with("57P") || code == "53300" {
                    StoreError::Unavailable(e.to_string())
                } else if code == "57014" && db.message().contains("statement timeout") {
                    // query_canceled by statement_timeout: a table the load reads is locked by
                    // another transaction, or the read is too slow. Worth another try later.
                    StoreError::Unavailable(format!(
                        "o PostgreSQL cancelou a leitura ao fim do statement_timeout: uma tabela \
                         lida está travada por outra transação (LOCK) ou a leitura é lenta demais \
                         ({})",
                        db.message()
                    ))
                } else if matches!(code.as_str(), "42P01" | "42703")
                    || db.message().starts_with("no such table")
                    || db.message().starts_with("no such column")
                {
                    StoreError::Schema(vec![db.message().to_string()])
                } else {
                    StoreError::Database(e)
                }
            }
            _ => StoreError::Database(e),
        }
    }
}
