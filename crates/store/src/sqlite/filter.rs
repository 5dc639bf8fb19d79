//! The `WHERE` condition of the open lines of the orders a filter selects, written together with
//! the values it binds (numbered `?N` parameters, so a value is bound once however often the
//! condition reads it).

use rusqlite::types::Value;

use super::OPEN;
use crate::shared::{filter_terms, FilterTerm};
use crate::OrderFilter;

/// The columns a search reads.
const SEARCHED: [&str; 6] = [
    "num_pedido",
    "raz_social_red",
    "cnpj_cpf",
    "nome_cidade",
    "cod_produto",
    "nome_produto",
];

/// A condition and its parameters, `?1` first.
#[derive(Debug, Clone)]
pub(super) struct Condition {
    sql: String,
    params: Vec<Value>,
}

impl Condition {
    /// The open lines of the orders that have a line (open or not) meeting every term of
    /// `filter`; every open line for an empty filter.
    pub(super) fn open_lines_of(filter: &OrderFilter) -> Self {
        let mut condition = Self {
            sql: OPEN.to_string(),
            params: Vec::new(),
        };
        let terms = filter_terms(filter);
        if terms.is_empty() {
            return condition;
        }
        let mut matched = Vec::with_capacity(terms.len());
        for term in terms {
            matched.push(match term {
                FilterTerm::Vendedor(v) => format!("vendedor = {}", condition.bind(v)),
                FilterTerm::Equipe(v) => format!("equipe_vendas = {}", condition.bind(v)),
                FilterTerm::Uf(v) => format!("cod_uf = {}", condition.bind(v)),
                FilterTerm::Busca(pattern) => {
                    let p = condition.bind(pattern);
                    let any: Vec<String> = SEARCHED
                        .iter()
                        .map(|column| format!("{column} LIKE {p} ESCAPE '\\'"))
                        .collect();
                    format!("({})", any.join(" OR "))
                }
            });
        }
        condition.sql.push_str(&format!(
            " AND num_pedido IN (SELECT num_pedido FROM carteira_principal WHERE {})",
            matched.join(" AND ")
        ));
        condition
    }

    /// Adds a parameter; returns its placeholder, for SQL written after the condition.
    pub(super) fn bind(&mut self, value: impl Into<Value>) -> String {
        self.params.push(value.into());
        format!("?{}", self.params.len())
    }

    pub(super) fn sql(&self) -> &str {
        &self.sql
    }

    /// The parameters bound so far.
    pub(super) fn params(&self) -> rusqlite::ParamsFromIter<&[Value]> {
        rusqlite::params_from_iter(self.params.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_term_binds_its_value_once() {
        let filter = OrderFilter {
            vendedor: Some("Ana".into()),
            busca: Some("x".into()),
            ..OrderFilter::default()
        };
        let mut c = Condition::open_lines_of(&filter);
        assert_eq!(c.params.len(), 2);
        assert!(c.sql().contains("vendedor = ?1 AND (num_pedido LIKE ?2"));
        assert_eq!(c.sql().matches("?2").count(), SEARCHED.len());
        assert_eq!(c.bind(10i64), "?3");
        assert_eq!(
            Condition::open_lines_of(&OrderFilter::default()).sql(),
            OPEN
        );
    }
}
