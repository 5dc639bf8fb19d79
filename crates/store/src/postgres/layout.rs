//! Layout detection: which columns, of which types, the tables the analysis reads have in this
//! database (Ruptura's own layout or the old system's), read once from
//! `information_schema.columns`, and how to read each column as the type the analysis wants.

use std::collections::HashMap;

use sqlx::PgConnection;

use crate::{StoreError, READ_COLUMNS};

/// The columns of the tables the analysis reads, with their types, as the search path resolves
/// them (the first schema of the path that has the table).
#[derive(Debug, Default)]
pub(super) struct Columns(HashMap<String, Vec<Column>>);

#[derive(Debug)]
pub(super) struct Column {
    name: String,
    data_type: String,
    /// Decimal places of a NUMERIC(p, s) column; `None` for an unconstrained NUMERIC.
    numeric_scale: Option<i32>,
}

impl Columns {
    pub(super) async fn read(conn: &mut PgConnection) -> Result<Self, StoreError> {
        let tables: Vec<&str> = READ_COLUMNS.iter().map(|(t, _)| *t).collect();
        let rows: Vec<(String, String, String, String, Option<i32>)> = sqlx::query_as(
            "SELECT table_schema::text, table_name::text, column_name::text, data_type::text, \
             numeric_scale::int FROM information_schema.columns \
             WHERE table_name::text = ANY($1) AND table_schema::name = ANY(current_schemas(false)) \
             ORDER BY array_position(current_schemas(false), table_schema::name), ordinal_position",
        )
        .bind(&tables)
        .fetch_all(&mut *conn)
        .await?;
        let mut schema_of: HashMap<String, String> = HashMap::new();
        let mut cols: HashMap<String, Vec<Column>> = HashMap::new();
        for (schema, table, name, data_type, numeric_scale) in rows {
            // Rows come in search-path order: the first schema seen for a table is the one an
            // unqualified name resolves to.
            let first = schema_of.entry(table.clone()).or_insert(schema.clone());
            if *first == schema {
                cols.entry(table).or_default().push(Column {
                    name,
                    data_type,
                    numeric_scale,
                });
            }
        }
        Ok(Self(cols))
    }

    pub(super) fn names(&self, table: &str) -> Option<Vec<String>> {
        self.0
            .get(table)
            .map(|c| c.iter().map(|col| col.name.clone()).collect())
    }

    /// The tables found, in the order of [`READ_COLUMNS`].
    pub(super) fn tables(&self) -> Vec<String> {
        READ_COLUMNS
            .iter()
            .filter(|(t, _)| self.0.contains_key(*t))
            .map(|(t, _)| t.to_string())
            .collect()
    }

    pub(super) fn column(&self, table: &str, column: &str) -> Option<&Column> {
        self.0
            .get(table)?
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(column))
    }

    pub(super) fn type_of(&self, table: &str, column: &str) -> Option<&str> {
        self.column(table, column).map(|c| c.data_type.as_str())
    }

    pub(super) fn has(&self, table: &str, column: &str) -> bool {
        self.column(table, column).is_some()
    }

    /// `column` read as exact decimal with at most `places` places: as it is when it is a
    /// NUMERIC of that scale or less, else rounded (double precision in the old layout).
    pub(super) fn decimal(&self, table: &str, column: &str, places: u32) -> String {
        match self.column(table, column) {
            Some(c)
                if c.data_type == "numeric"
                    && c.numeric_scale
                        .is_some_and(|s| s >= 0 && s as u32 <= places) =>
            {
                column.to_string()
            }
            _ => format!("round({column}::numeric, {places})"),
        }
    }

    /// `column` read as text (a CHAR(n) is cast, which drops its padding).
    pub(super) fn text(&self, table: &str, column: &str) -> String {
        match self.type_of(table, column) {
            Some("text" | "character varying") => column.to_string(),
            _ => format!("{column}::text"),
        }
    }

    /// `column` read as bigint.
    pub(super) fn bigint(&self, table: &str, column: &str) -> String {
        match self.type_of(table, column) {
            Some("bigint") => column.to_string(),
            _ => format!("{column}::bigint"),
        }
    }

    /// `column` read as a date.
    pub(super) fn date(&self, table: &str, column: &str) -> String {
        match self.type_of(table, column) {
            Some("date") => column.to_string(),
            _ => format!("{column}::date"),
        }
    }
}
