//! PostgreSQL: the production database, and the old system's database read as it is.

use async_trait::async_trait;
use chrono::NaiveDate;
use ruptura_engine::records::Dataset;
use sqlx::PgPool;

use crate::{Backend, ImportMode, ImportReport, Loaded, Selection, Store, StoreError};

#[derive(Debug, Clone)]
pub struct PgStore {
    #[allow(dead_code)]
    pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .connect(url)
            .await
            .map_err(|e| StoreError::Unavailable(format!("{}: {e}", crate::redact(url))))?;
        Ok(Self { pool })
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        Err(StoreError::Foreign(
            "PostgreSQL ainda não é suportado".into(),
        ))
    }

    async fn check_schema(&self) -> Result<(), StoreError> {
        Err(StoreError::Foreign(
            "PostgreSQL ainda não é suportado".into(),
        ))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn load(&self, _selection: &Selection, _today: NaiveDate) -> Result<Loaded, StoreError> {
        Err(StoreError::Foreign(
            "PostgreSQL ainda não é suportado".into(),
        ))
    }

    async fn import(&self, _data: &Dataset, _mode: ImportMode) -> Result<ImportReport, StoreError> {
        Err(StoreError::Foreign(
            "PostgreSQL ainda não é suportado".into(),
        ))
    }
}
