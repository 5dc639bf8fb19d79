//! Database URLs: which backend a `--db` value names, and the URL with its password hidden.

use std::path::PathBuf;

use crate::StoreError;

/// A database URL, as `--db` and `DATABASE_URL` accept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// `sqlite://PATH`, `sqlite:PATH` or a plain file path.
    Sqlite(PathBuf),
    /// `sqlite::memory:` (one connection; for tests).
    SqliteMemory,
    /// `postgres://...` or `postgresql://...`.
    Postgres(String),
}

impl DbUrl {
    pub fn parse(raw: &str) -> Result<Self, StoreError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(StoreError::BadUrl("vazia".into()));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(s.to_string()));
        }
        if s == "sqlite::memory:" || s == "sqlite://:memory:" {
            return Ok(DbUrl::SqliteMemory);
        }
        let path = if let Some(rest) = s.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = s.strip_prefix("sqlite:") {
            rest
        } else if s.contains("://") {
            let scheme = s.split("://").next().unwrap_or_default();
            return Err(StoreError::BadUrl(format!(
                "esquema {scheme:?} não suportado em {}: use sqlite://ARQUIVO ou postgres://...",
                redact(s)
            )));
        } else {
            s
        };
        // Query parameters such as ?mode=rwc are not ours to interpret: drop them.
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(StoreError::BadUrl(format!(
                "{s}: falta o caminho do arquivo"
            )));
        }
        Ok(DbUrl::Sqlite(PathBuf::from(path)))
    }
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.split_once('@') {
        Some((auth, host)) => (auth, host),
        None => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(
            DbUrl::parse("sqlite://a/b.db").unwrap(),
            DbUrl::Sqlite("a/b.db".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite:b.db").unwrap(),
            DbUrl::Sqlite("b.db".into())
        );
        assert_eq!(
            DbUrl::parse("/tmp/x.db").unwrap(),
            DbUrl::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DbUrl::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite::memory:").unwrap(),
            DbUrl::SqliteMemory
        );
        assert!(matches!(
            DbUrl::parse("postgres://u@h/db").unwrap(),
            DbUrl::Postgres(_)
        ));
        assert!(DbUrl::parse("mysql://x").is_err());
        assert!(DbUrl::parse("").is_err());
        assert!(DbUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
