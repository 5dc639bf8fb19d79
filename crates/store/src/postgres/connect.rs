//! The errors of connecting to PostgreSQL and of finding a database that is not Ruptura's.

use crate::StoreError;

pub(super) fn foreign(tables: &[String]) -> StoreError {
    StoreError::Foreign(format!(
        "este banco PostgreSQL pertence a outro sistema: já tem {} e não foi criado pelo Ruptura \
         (não tem _sqlx_migrations). O Ruptura analisa esse banco como ele está, mas nunca o migra \
         nem grava nele; para importar dados, use um banco do Ruptura (vazio, depois `ruptura \
         migrate`)",
        tables.join(", ")
    ))
}

/// Errors of the first connection: a clear message with the URL redacted.
pub(super) fn connect_error(shown: &str, e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        match db.code().as_deref() {
            Some("3D000") => {
                return StoreError::BadUrl(format!(
                    "{shown}: o banco não existe ({})",
                    db.message()
                ))
            }
            Some(c) if c.starts_with("28") => {
                return StoreError::BadUrl(format!(
                    "{shown}: acesso recusado pelo PostgreSQL ({})",
                    db.message()
                ))
            }
            _ => {}
        }
    }
    match StoreError::from(e) {
        StoreError::Unavailable(m) => StoreError::Unavailable(format!("{shown} não responde: {m}")),
        other => other,
    }
}
