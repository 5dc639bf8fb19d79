//! Causes in words, in Portuguese, with Brazilian numbers (1.234,5) and dates (dd/mm): the same
//! sentence in the API, the command line and the page.

use chrono::NaiveDate;

/// A quantity in thousandths, Brazilian style, without trailing zeros: 1234500 -> "1.234,5".
pub(crate) fn qtd(milli: i64) -> String {
    let neg = milli < 0;
    let v = milli.unsigned_abs();
    let (int, frac) = (v / 1000, v % 1000);
    let digits = int.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let mut s = format!("{}{grouped}", if neg { "-" } else { "" });
    if frac > 0 {
        let f = format!("{frac:03}");
        s.push(',');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}

fn dia(d: NaiveDate) -> String {
    d.format("%d/%m").to_string()
}

fn dia_opt(d: Option<NaiveDate>) -> String {
    d.map_or_else(
        || "vencido ou sem data".to_string(),
        |d| format!("em {}", dia(d)),
    )
}

pub(crate) fn estoque(code: &str, a: i64, b: i64) -> String {
    let verbo = if b < a { "caiu" } else { "subiu" };
    format!("estoque de {code} {verbo} de {} para {}", qtd(a), qtd(b))
}

pub(crate) fn pedido(code: &str, a: i64, b: i64) -> String {
    match (a, b) {
        (0, b) => format!("o pedido passou a ter {} de {code}", qtd(b)),
        (a, 0) => format!("o pedido deixou de ter {code} (eram {})", qtd(a)),
        (a, b) => format!(
            "quantidade de {code} no pedido {} de {} para {}",
            if b > a { "subiu" } else { "caiu" },
            qtd(a),
            qtd(b)
        ),
    }
}

pub(crate) fn compromissos(code: &str, changes: &[(Option<NaiveDate>, i64, i64)]) -> String {
    let parts: Vec<String> = changes
        .iter()
        .map(|(d, a, b)| match (*a, *b) {
            (0, b) => format!("novo compromisso de {} {}", qtd(b), dia_opt(*d)),
            (a, 0) => format!("compromisso de {} {} saiu", qtd(a), dia_opt(*d)),
            (a, b) => format!(
                "compromisso {} passou de {} para {}",
                dia_opt(*d),
                qtd(a),
                qtd(b)
            ),
        })
        .collect();
    format!("compromissos de {code}: {}", parts.join("; "))
}

pub(crate) fn producao(code: &str, changes: &[(NaiveDate, i64, i64)]) -> String {
    // One production moved from one day to another: say so.
    if let [x, y] = changes {
        let moved = |from: &(NaiveDate, i64, i64), to: &(NaiveDate, i64, i64)| {
            from.2 == 0 && to.1 == 0 && from.1 == to.2
        };
        for (from, to) in [(x, y), (y, x)] {
            if moved(from, to) {
                let verbo = if to.0 < from.0 {
                    "antecipada"
                } else {
                    "adiada"
                };
                return format!(
                    "produção de {code} {verbo} de {} para {}",
                    dia(from.0),
                    dia(to.0)
                );
            }
        }
    }
    let parts: Vec<String> = changes
        .iter()
        .map(|(d, a, b)| match (*a, *b) {
            (0, b) => format!("nova produção de {} em {}", qtd(b), dia(*d)),
            (a, 0) => format!("produção de {} em {} cancelada", qtd(a), dia(*d)),
            (a, b) => format!(
                "produção em {} passou de {} para {}",
                dia(*d),
                qtd(a),
                qtd(b)
            ),
        })
        .collect();
    format!("produção de {code}: {}", parts.join("; "))
}

pub(crate) fn fila(code: &str, a: i64, b: i64) -> String {
    format!(
        "pedidos à frente na fila tomaram {} de {code} (antes {})",
        qtd(b),
        qtd(a)
    )
}

pub(crate) fn data_base(a: Option<NaiveDate>, b: Option<NaiveDate>) -> String {
    let f = |d: Option<NaiveDate>| d.map_or("?".to_string(), |d| d.format("%d/%m/%Y").to_string());
    format!(
        "só a data de referência mudou, de {} para {} (os dias passaram)",
        f(a),
        f(b)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn quantities_in_brazilian_style() {
        assert_eq!(qtd(120_000), "120");
        assert_eq!(qtd(1_234_500), "1.234,5");
        assert_eq!(qtd(-15_250), "-15,25");
        assert_eq!(qtd(1), "0,001");
    }

    #[test]
    fn sentences() {
        assert_eq!(
            estoque("4000218", 120_000, 15_000),
            "estoque de 4000218 caiu de 120 para 15"
        );
        assert_eq!(
            producao(
                "4000037",
                &[(d("2026-03-05"), 0, 50_000), (d("2026-03-12"), 50_000, 0)]
            ),
            "produção de 4000037 antecipada de 12/03 para 05/03"
        );
        assert_eq!(
            producao("X", &[(d("2026-03-05"), 0, 50_000)]),
            "produção de X: nova produção de 50 em 05/03"
        );
        assert_eq!(
            compromissos("Y", &[(Some(d("2026-03-03")), 0, 40_000), (None, 5_000, 0)]),
            "compromissos de Y: novo compromisso de 40 em 03/03; compromisso de 5 vencido ou sem data saiu"
        );
        assert_eq!(
            pedido("Z", 10_000, 30_000),
            "quantidade de Z no pedido subiu de 10 para 30"
        );
    }
}
