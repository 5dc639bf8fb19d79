//! Test helpers (feature `testing`): throwaway PostgreSQL databases, the old system's layout
//! (`../shared/spec/original_schema.sql`) filled from a dataset, and a store whose loads are held
//! a moment ([`HeldStore`]).
//!
//! The server is `RUPTURA_TEST_PG` (default `postgres://postgres@127.0.0.1:5432`, no database
//! part). When it does not answer, [`TestDb::create`] prints a notice and returns `None` so the
//! test can return early, except with `CI=true`, where it panics: CI must run these tests.
// Test helpers: a failed setup panics, as a test should.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use sqlx::{Connection, Executor, PgConnection};

use crate::StoreError;
use ruptura_engine::records::Dataset;

mod held;
mod original;

pub use held::HeldStore;

/// The PostgreSQL server of the tests, without a database name.
pub fn base_url() -> String {
    let raw = std::env::var("RUPTURA_TEST_PG")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432".into());
    let raw = raw.trim();
    // Drop a database part if one was given: the tests pick their own.
    let (scheme, rest) = raw.split_once("://").unwrap_or(("postgres", raw));
    let host = rest.split(['/', '?']).next().unwrap_or(rest);
    format!("{scheme}://{host}")
}

/// The URL of database `name` on the test server.
pub fn url_of(name: &str) -> String {
    format!("{}/{name}", base_url())
}

/// The shared folder beside the checkout (`../shared`), or `RUPTURA_SHARED` when set.
pub fn shared_dir() -> PathBuf {
    match std::env::var("RUPTURA_SHARED") {
        Ok(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// The old system's schema, as the spec gives it.
pub fn original_schema_sql() -> String {
    let path = shared_dir().join("spec/original_schema.sql");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn admin() -> Result<PgConnection, String> {
    let url = url_of("postgres");
    match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&url)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer in 5 s".into()),
    }
}

/// Whether PostgreSQL must answer (`CI=true`).
fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// A database created for one test and dropped (`WITH (FORCE)`) when this value is dropped, even
/// when the test panics.
#[derive(Debug)]
pub struct TestDb {
    name: String,
    url: String,
}

impl TestDb {
    /// Creates an empty database `ruptura_t_<random>`. `None` (with a notice on stderr) when
    /// PostgreSQL does not answer and `CI` is not `true`.
    pub async fn create() -> Option<Self> {
        let mut conn = match admin().await {
            Ok(conn) => conn,
            Err(e) => {
                let msg = format!(
                    "PostgreSQL at {} does not answer ({e}); set RUPTURA_TEST_PG or start it",
                    crate::redact(&base_url())
                );
                if required() {
                    panic!("{msg} (CI=true: the PostgreSQL tests must run)");
                }
                // Written to stderr directly, not with eprintln!, which the test harness
                // captures: a skipped test must be visible.
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "NOTICE: skipping a PostgreSQL test: {msg}"
                );
                return None;
            }
        };
        let name = unique_name();
        // CREATE DATABASE copies template1 and fails while another session uses it: retry.
        let mut attempt = 0;
        loop {
            match conn
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await
            {
                Ok(_) => break,
                Err(e) if attempt < 20 => {
                    attempt += 1;
                    eprintln!("CREATE DATABASE {name}: {e}; retrying");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => panic!("CREATE DATABASE {name}: {e}"),
            }
        }
        let _ = conn.close().await;
        let url = url_of(&name);
        Some(Self { name, url })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A direct connection to this database.
    pub async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("connect {}: {e}", self.name))
    }

    /// Runs `sql` (one or more statements) as it is.
    pub async fn run_script(&self, sql: &str) {
        let mut conn = self.connect().await;
        sqlx::raw_sql(sql)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("script on {}: {e}", self.name));
        let _ = conn.close().await;
    }

    /// Creates the old system's tables (`original_schema.sql`, run as it is).
    pub async fn create_original_schema(&self) {
        self.run_script(&original_schema_sql()).await;
    }

    /// Every table and column of the public schema with its type, nullability and default.
    pub async fn schema_description(&self) -> Vec<String> {
        let mut conn = self.connect().await;
        let rows: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, \
             column_default::text FROM information_schema.columns WHERE table_schema = 'public' \
             ORDER BY table_name, ordinal_position",
        )
        .fetch_all(&mut conn)
        .await
        .expect("information_schema.columns");
        let _ = conn.close().await;
        rows.into_iter()
            .map(|(t, c, ty, null, def)| format!("{t}.{c} {ty} null={null} default={def:?}"))
            .collect()
    }

    /// Whether a table of this name exists on the search path.
    pub async fn has_table(&self, table: &str) -> bool {
        let mut conn = self.connect().await;
        let found: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(table)
            .fetch_one(&mut conn)
            .await
            .expect("to_regclass");
        let _ = conn.close().await;
        found
    }

    /// A digest of the rows of the five tables (count and md5 of the rows as text, sorted): equal
    /// before and after an operation that must change nothing.
    pub async fn contents_digest(&self) -> Vec<String> {
        let mut conn = self.connect().await;
        let mut out = Vec::new();
        for table in ruptura_engine::records::TABLES {
            let row: (i64, Option<String>) = sqlx::query_as(&format!(
                "SELECT COUNT(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} AS t"
            ))
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("digest of {table}: {e}"));
            out.push(format!("{table}: {} {:?}", row.0, row.1));
        }
        let _ = conn.close().await;
        out
    }

    /// Ends every session on this database but the caller's (`pg_terminate_backend`): what a
    /// server restart or a network cut does to a pool. Returns how many were ended.
    pub async fn terminate_sessions(&self) -> usize {
        let mut conn = admin().await.expect("admin connection");
        let ended: Vec<(bool,)> = sqlx::query_as(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&self.name)
        .fetch_all(&mut conn)
        .await
        .expect("pg_terminate_backend");
        let _ = conn.close().await;
        ended.into_iter().filter(|(ok,)| *ok).count()
    }

    /// Fills the old system's tables (see [`TestDb::create_original_schema`]) with `data`, the
    /// way that system stores it: integer codes in `unificacao_codigos`, double precision
    /// quantities in `separacao` and `programacao_producao`, city and UF in `municipio` /
    /// `estado` on every other line (in `nome_cidade` / `cod_uf` on the others), and the default
    /// flags (`ativo` true, `sincronizado_nf` false) left NULL on every other row.
    pub async fn insert_original(&self, data: &Dataset) -> Result<(), StoreError> {
        let mut conn = self.connect().await;
        let mut tx = conn.begin().await?;
        for rows in data.tables() {
            original::move_sequence(&mut tx, rows).await?;
        }
        if let Some(rows) = &data.carteira_principal {
            original::carteira(&mut tx, rows).await?;
        }
        if let Some(rows) = &data.movimentacao_estoque {
            original::movimentacao(&mut tx, rows).await?;
        }
        if let Some(rows) = &data.separacao {
            original::separacao(&mut tx, rows).await?;
        }
        if let Some(rows) = &data.programacao_producao {
            original::programacao(&mut tx, rows).await?;
        }
        if let Some(rows) = &data.unificacao_codigos {
            original::unificacao(&mut tx, rows).await?;
        }
        tx.commit().await?;
        let _ = conn.close().await;
        Ok(())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop may run inside a runtime (or while unwinding): use a thread with its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let mut conn = admin().await?;
                conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = conn.close().await;
                Ok::<(), String>(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test database {}: {e}", self.name),
            Err(_) => eprintln!(
                "could not drop test database {}: thread panicked",
                self.name
            ),
        }
    }
}

/// Lower-case letters and digits only, so the name needs no quoting.
fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let seq = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "ruptura_t_{:x}_{:x}_{seq}",
        std::process::id(),
        (nanos & 0xffff_ffff_ffff) as u64
    )
}
