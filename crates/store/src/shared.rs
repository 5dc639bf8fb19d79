//! What both backends share: the order list of a selection, the codes a load reads, the terms
//! of an order filter and the `LIKE` pattern of a search, the column each sort orders by. Neither
//! backend imports from the other; both import from here.

use ruptura_engine::{CodeLink, OrderLine, ProductGroups};

use crate::{Facets, OrderFilter, OrderSort, Selection};

/// One condition of an order filter. The filter selects the orders that have a line meeting
/// every one of its terms; each backend writes a term as a condition with a bound value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FilterTerm {
    Vendedor(String),
    Equipe(String),
    Uf(String),
    /// A `LIKE ... ESCAPE '\'` pattern (see [`like_pattern`]) matched against the order, client,
    /// CNPJ/CPF, city and product columns.
    Busca(String),
}

/// The terms of `filter`; blank fields do not filter, the others are trimmed. Empty for an
/// empty filter.
pub(crate) fn filter_terms(filter: &OrderFilter) -> Vec<FilterTerm> {
    let f = filter.normalized();
    let mut terms = Vec::with_capacity(4);
    terms.extend(f.vendedor.map(FilterTerm::Vendedor));
    terms.extend(f.equipe_vendas.map(FilterTerm::Equipe));
    terms.extend(f.estado.map(FilterTerm::Uf));
    terms.extend(
        f.busca
            .as_deref()
            .map(|b| FilterTerm::Busca(like_pattern(b))),
    );
    terms
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern that matches `term` anywhere.
pub(crate) fn like_pattern(term: &str) -> String {
    let mut s = String::with_capacity(term.len() + 2);
    s.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

/// The orders, first occurrence order, each once.
pub(crate) fn dedup(orders: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(orders.len());
    orders
        .iter()
        .filter(|o| seen.insert(o.as_str()))
        .cloned()
        .collect()
}

/// The orders of `lines`, sorted, each once: the order list of a selection over the book.
pub(crate) fn sorted_orders(lines: &[OrderLine]) -> Vec<String> {
    // Sorted and deduplicated as the lines' shared strings: one `String` per order, not per line.
    let mut v: Vec<&str> = lines.iter().map(|l| &*l.num_pedido).collect();
    v.sort_unstable();
    v.dedup();
    v.into_iter().map(str::to_string).collect()
}

/// The codes a load reads stock and flows of: `None` (every code) for the whole book, else the
/// codes of the whole product groups of `lines`.
pub(crate) fn codes_to_load(
    selection: &Selection,
    links: &[CodeLink],
    lines: &[OrderLine],
) -> Option<Vec<String>> {
    match selection {
        Selection::Book(f) if f.is_empty() => None,
        _ => Some(
            ProductGroups::from_links(links)
                .expand(lines.iter().map(|l| &*l.cod_produto))
                .into_iter()
                .collect(),
        ),
    }
}

/// The column of the order list that `sort` orders by.
pub(crate) fn sort_column(sort: OrderSort) -> &'static str {
    match sort {
        OrderSort::NumPedido => "num_pedido",
        OrderSort::Cliente => "cliente",
        OrderSort::Cidade => "cidade",
        OrderSort::Vendedor => "vendedor",
        OrderSort::Expedicao => "expedicao",
        OrderSort::DataPedido => "data_pedido",
        OrderSort::Valor => "valor",
        OrderSort::Linhas => "linhas",
    }
}

/// The filter menus from the distinct sellers, teams and UFs, in that order.
pub(crate) fn facets_of(mut lists: Vec<Vec<String>>) -> Facets {
    let estados = lists.pop().unwrap_or_default();
    let equipes = lists.pop().unwrap_or_default();
    let vendedores = lists.pop().unwrap_or_default();
    Facets {
        vendedores,
        equipes,
        estados,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_fields_do_not_filter() {
        let f = OrderFilter {
            vendedor: Some(" Ana ".into()),
            equipe_vendas: Some("  ".into()),
            estado: None,
            busca: Some("50%".into()),
        };
        assert_eq!(
            filter_terms(&f),
            [
                FilterTerm::Vendedor("Ana".into()),
                FilterTerm::Busca("%50\\%%".into())
            ]
        );
        assert!(filter_terms(&OrderFilter::default()).is_empty());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }
}
