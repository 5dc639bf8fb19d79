//! Invariants of the analysis, checked on random books.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use ruptura_engine::{
    Analyzer, CodeLink, Criticality, DatedQty, Mode, OrderLine, OrderOutcome, Params, Prazo,
    ProductGroups, Snapshot, Sugestao, TotalAvailability,
};
use rust_decimal::Decimal;

const CODES: [&str; 5] = ["A", "B", "C", "D", "E"];

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).expect("valid date")
}

/// Quantities with up to 3 decimal places.
fn qty(max_units: i64) -> impl Strategy<Value = Decimal> {
    (0..max_units * 1000).prop_map(|m| Decimal::new(m, 3))
}

fn day(lo: i64, hi: i64) -> impl Strategy<Value = Option<NaiveDate>> {
    prop_oneof![1 => Just(None), 6 => (lo..=hi).prop_map(|d| Some(today() + Duration::days(d)))]
}

/// A random book whose outflow and inflow days lie in `lo..=hi` (offsets from today).
fn book(lo: i64, hi: i64) -> impl Strategy<Value = Snapshot> {
    let code = || prop::sample::select(&CODES[..]);
    let stock = prop::collection::vec((code(), (-50i64..300).prop_map(Decimal::from)), 0..6);
    let outflows =
        prop::collection::vec((code(), day(lo.min(-3), hi), qty(80)), 0..8).prop_map(|v| {
            v.into_iter()
                .map(|(c, d, q)| DatedQty::new(c, d, q))
                .collect::<Vec<_>>()
        });
    let inflows = prop::collection::vec((code(), (lo..=hi), qty(120)), 0..8).prop_map(|v| {
        v.into_iter()
            .map(|(c, d, q)| DatedQty::new(c, Some(today() + Duration::days(d)), q))
            .collect::<Vec<_>>()
    });
    let links = prop::collection::vec((code(), code()), 0..3).prop_map(|v| {
        v.into_iter()
            .map(|(a, b)| CodeLink::new(a, b))
            .collect::<Vec<_>>()
    });
    let line = (
        code(),
        qty(90),
        prop::option::of((0i64..5000).prop_map(|c| Decimal::new(c, 2))),
    );
    let order = (prop::collection::vec(line, 1..5), day(-3, 10), day(-20, 0));
    let orders = prop::collection::vec(order, 1..7);
    (stock, outflows, inflows, links, orders).prop_map(
        |(stock, outflows, inflows, links, orders)| {
            let mut lines = Vec::new();
            let mut id = 0;
            for (o, (ls, exp, ped)) in orders.into_iter().enumerate() {
                for (c, q, p) in ls {
                    id += 1;
                    lines.push(OrderLine {
                        id,
                        num_pedido: format!("P{o}").into(),
                        cod_produto: (*c).into(),
                        nome_produto: (*c).into(),
                        qtd: q,
                        preco: p,
                        expedicao: exp,
                        data_pedido: ped,
                    });
                }
            }
            Snapshot {
                lines,
                stock: stock.into_iter().map(|(c, q)| ((*c).into(), q)).collect(),
                outflows,
                inflows,
                links,
            }
        },
    )
}

fn order_numbers(s: &Snapshot) -> Vec<String> {
    let set: BTreeSet<String> = s.lines.iter().map(|l| l.num_pedido.to_string()).collect();
    set.into_iter().collect()
}

/// Initial `saldo_final` per group key and day 0..=last, straight from the definition.
fn initial_balances(s: &Snapshot, last: u32) -> HashMap<String, Vec<Decimal>> {
    let groups = ProductGroups::from_links(&s.links);
    let mut stock: HashMap<String, Decimal> = HashMap::new();
    let mut net: HashMap<String, BTreeMap<u32, Decimal>> = HashMap::new();
    for (c, q) in &s.stock {
        *stock.entry(groups.key_of(c).to_string()).or_default() += *q;
    }
    for o in &s.outflows {
        let d = o.date.map_or(0, |d| (d - today()).num_days().max(0) as u32);
        *net.entry(groups.key_of(&o.cod_produto).to_string())
            .or_default()
            .entry(d)
            .or_default() -= o.qty;
    }
    for i in &s.inflows {
        let d = (i.date.expect("dated") - today()).num_days();
        if d >= 0 {
            *net.entry(groups.key_of(&i.cod_produto).to_string())
                .or_default()
                .entry(d as u32)
                .or_default() += i.qty;
        }
    }
    let keys: BTreeSet<String> = s
        .lines
        .iter()
        .map(|l| groups.key_of(&l.cod_produto).to_string())
        .collect();
    keys.into_iter()
        .map(|k| {
            let mut bal = stock.get(&k).copied().unwrap_or_default();
            let flows = net.get(&k);
            let series = (0..=last)
                .map(|d| {
                    bal += flows.and_then(|f| f.get(&d)).copied().unwrap_or_default();
                    bal
                })
                .collect();
            (k, series)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_line_is_never_short_by_more_than_its_quantity(s in book(-3, 12)) {
        let orders = order_numbers(&s);
        for mode in [Mode::Independent, Mode::Sequential] {
            let a = Analyzer::new(s.clone(), Params::new(today()).with_mode(mode));
            for (_, outcome) in a.analyze(&orders) {
                let r = outcome.found().expect("every generated order has lines").clone();
                for l in &r.lines {
                    prop_assert!(l.ruptura_qtd >= Decimal::ZERO && l.ruptura_qtd <= l.qtd);
                    prop_assert_eq!(l.disponivel + l.ruptura_qtd, l.qtd);
                    if let Some(d) = l.data_disponivel {
                        prop_assert!(d >= today());
                    }
                }
            }
        }
    }

    #[test]
    fn an_order_without_short_lines_is_ok_now(s in book(-3, 12)) {
        let a = Analyzer::new(s.clone(), Params::new(today()));
        for (_, outcome) in a.analyze(&order_numbers(&s)) {
            let r = outcome.found().expect("found").clone();
            let short = r.lines.iter().any(|l| l.ruptura_qtd > Decimal::ZERO);
            prop_assert_eq!(short, !r.is_ok());
            if !short {
                prop_assert_eq!(r.summary.criticidade, Criticality::Ok);
                prop_assert_eq!(r.summary.disponibilidade_total, TotalAvailability::Now);
                prop_assert_eq!(r.summary.percentual_disponibilidade, Decimal::ONE_HUNDRED);
            } else {
                prop_assert_ne!(r.summary.criticidade, Criticality::Ok);
            }
        }
    }

    #[test]
    fn independent_results_do_not_depend_on_the_other_orders(s in book(-3, 12), pick in 0usize..7) {
        let orders = order_numbers(&s);
        let target = orders[pick % orders.len()].clone();
        let all = Analyzer::new(s.clone(), Params::new(today())).analyze(&orders);
        let together = all.into_iter().find(|(n, _)| *n == target).expect("asked").1;
        // Alone, with only its own lines in the snapshot.
        let mut alone = s.clone();
        alone.lines.retain(|l| *l.num_pedido == *target);
        let by_itself = Analyzer::new(alone, Params::new(today())).analyze(&[target.as_str()]);
        prop_assert_eq!(&by_itself[0].1, &together);
    }

    #[test]
    fn sequential_never_promises_more_than_the_window_holds(s in book(-3, 12)) {
        let params = Params::new(today()).with_mode(Mode::Sequential);
        let horizon = params.horizon_days;
        let result = Analyzer::new(s.clone(), params).analyze(&order_numbers(&s));
        let initial = initial_balances(&s, horizon);
        let groups = ProductGroups::from_links(&s.links);
        for d in 0..=horizon {
            let mut promised: HashMap<String, Decimal> = HashMap::new();
            for (_, outcome) in &result {
                for l in &outcome.found().expect("found").lines {
                    let by_d = l.disponivel
                        + if l.dia_cobertura.is_some_and(|c| c <= d) { l.ruptura_qtd } else { Decimal::ZERO };
                    *promised.entry(groups.key_of(&l.cod_produto).to_string()).or_default() += by_d;
                }
            }
            for (g, p) in promised {
                let supply = initial[&g][d as usize];
                prop_assert!(p <= supply.max(Decimal::ZERO), "group {} day {}: promised {} > {}", g, d, p, supply);
            }
        }
    }

    #[test]
    fn sequential_promises_fit_every_day_when_flows_lie_in_the_window(s in book(-3, 7)) {
        // With every dated flow inside D0..=D_H the balance after D_H is constant, so the window
        // bound holds on every day. (With flows after D_H it need not: SPEC 2.4 checks lines
        // against the window minimum only, so a line may take stock that a commitment after the
        // window needs; see ARCHITECTURE.md.)
        let params = Params::new(today()).with_mode(Mode::Sequential);
        let result = Analyzer::new(s.clone(), params).analyze(&order_numbers(&s));
        let last = 40u32;
        let initial = initial_balances(&s, last);
        let groups = ProductGroups::from_links(&s.links);
        for d in [0, 3, 7, 8, 20, last] {
            let mut promised: HashMap<String, Decimal> = HashMap::new();
            for (_, outcome) in &result {
                for l in &outcome.found().expect("found").lines {
                    let by_d = l.disponivel
                        + if l.dia_cobertura.is_some_and(|c| c <= d) { l.ruptura_qtd } else { Decimal::ZERO };
                    *promised.entry(groups.key_of(&l.cod_produto).to_string()).or_default() += by_d;
                }
            }
            for (g, p) in promised {
                prop_assert!(p <= initial[&g][d as usize].max(Decimal::ZERO));
            }
        }
    }

    #[test]
    fn sequential_first_order_sees_what_independent_sees(s in book(-3, 12)) {
        let orders = order_numbers(&s);
        let seq = Analyzer::new(s.clone(), Params::new(today()).with_mode(Mode::Sequential));
        let first = seq.rank(&orders.iter().map(String::as_str).collect::<Vec<_>>())[0].to_string();
        let from_seq = seq.analyze(&orders).into_iter().find(|(n, _)| *n == first).expect("ranked").1;
        let ind = Analyzer::new(s, Params::new(today())).analyze_order(&first);
        prop_assert_eq!(from_seq, ind);
    }

    /// SPEC 8.1: priority mode on any subset of the book gives each order of the subset what
    /// sequential mode over the whole book gives it; orders outside the book stay not found.
    #[test]
    fn priority_on_a_subset_is_sequential_on_the_whole_book(
        s in book(-3, 12),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        partial in (0i64..3000, 0i64..100),
    ) {
        let orders = order_numbers(&s);
        let mut subset: Vec<String> = picks.iter().map(|i| i.get(&orders).clone()).collect();
        subset.push("NOPE".into());
        let params = Params::new(today())
            .with_partial_minimum(Decimal::new(partial.0, 1), Decimal::from(partial.1));
        let whole: HashMap<String, OrderOutcome> =
            Analyzer::new(s.clone(), params.clone().with_mode(Mode::Sequential))
                .analyze(&orders)
                .into_iter()
                .collect();
        let priority = Analyzer::new(s, params.with_mode(Mode::Priority)).analyze(&subset);
        let asked: BTreeSet<&String> = subset.iter().collect();
        prop_assert_eq!(priority.len(), asked.len());
        for (num, outcome) in priority {
            match whole.get(&num) {
                Some(expected) => prop_assert_eq!(&outcome, expected, "{}", num),
                None => prop_assert_eq!(outcome, OrderOutcome::NotFound),
            }
        }
    }

    /// SPEC 8.2 and 8.3 hold together on every order: what can ship now never exceeds the
    /// order, the suggestion follows shortness and the minimums, and the ship-date status agrees
    /// with the dates.
    #[test]
    fn decisions_agree_with_the_summary(s in book(-3, 12), min_value in 0i64..2000, min_pct in 0i64..100) {
        let orders = order_numbers(&s);
        let params = Params::new(today())
            .with_mode(Mode::Sequential)
            .with_lead_time(1)
            .with_partial_minimum(Decimal::from(min_value), Decimal::from(min_pct));
        for (_, outcome) in Analyzer::new(s, params).analyze(&orders) {
            let Some(r) = outcome.found() else { continue };
            let m = &r.summary;
            prop_assert!(m.valor_agora >= Decimal::ZERO && m.valor_agora <= m.valor_total_pedido);
            prop_assert!(m.percentual_valor_agora <= Decimal::ONE_HUNDRED);
            prop_assert!(m.itens_agora <= m.total_itens);
            prop_assert_eq!(m.sugestao == Sugestao::Enviar, r.is_ok());
            if m.sugestao == Sugestao::Parcial {
                prop_assert!(m.valor_agora > Decimal::ZERO);
                prop_assert!(m.valor_agora.round_dp(2) >= Decimal::from(min_value));
            }
            if r.is_ok() {
                prop_assert_eq!(m.valor_agora, m.valor_total_pedido);
                prop_assert_eq!(m.data_pronto, Some(today() + Duration::days(1)));
            }
            match (m.expedicao, m.data_pronto) {
                (None, _) => prop_assert_eq!(m.prazo, Prazo::SemExpedicao),
                (Some(e), _) if e < today() => prop_assert_eq!(m.prazo, Prazo::Vencida),
                (Some(_), None) => prop_assert_eq!(m.prazo, Prazo::SemPrevisao),
                (Some(e), Some(p)) => {
                    prop_assert_eq!(m.prazo, if p <= e { Prazo::NoPrazo } else { Prazo::Atrasa });
                    prop_assert_eq!(m.dias_atraso, Some((p - e).num_days().max(0)));
                }
            }
        }
    }

    #[test]
    fn groups_are_symmetric_and_transitive(pairs in prop::collection::vec((0u8..12, 0u8..12), 0..14)) {
        let links: Vec<CodeLink> = pairs.iter().map(|(a, b)| CodeLink::new(a.to_string(), b.to_string())).collect();
        let reversed: Vec<CodeLink> = pairs.iter().map(|(a, b)| CodeLink::new(b.to_string(), a.to_string())).collect();
        let g = ProductGroups::from_links(&links);
        let r = ProductGroups::from_links(&reversed);
        // Component of each node by a walk over the undirected graph.
        let component = undirected_components(12, &pairs);
        for (i, ci) in component.iter().enumerate() {
            for (j, cj) in component.iter().enumerate() {
                let (a, b) = (i.to_string(), j.to_string());
                prop_assert_eq!(g.key_of(&a) == g.key_of(&b), ci == cj);
                prop_assert_eq!(r.key_of(&a) == r.key_of(&b), ci == cj);
            }
        }
    }

    #[test]
    fn not_found_orders_stay_not_found(s in book(-3, 12)) {
        let a = Analyzer::new(s, Params::new(today()));
        prop_assert_eq!(a.analyze_order("NOPE"), OrderOutcome::NotFound);
    }
}

/// Component label of each of `n` nodes, walking the links in both directions.
fn undirected_components(n: usize, pairs: &[(u8, u8)]) -> Vec<usize> {
    let mut label = vec![usize::MAX; n];
    for start in 0..n {
        if label[start] != usize::MAX {
            continue;
        }
        let mut stack = vec![start];
        label[start] = start;
        while let Some(x) = stack.pop() {
            for &(a, b) in pairs {
                let (a, b) = (a as usize, b as usize);
                for (from, to) in [(a, b), (b, a)] {
                    if from == x && label[to] == usize::MAX {
                        label[to] = start;
                        stack.push(to);
                    }
                }
            }
        }
    }
    label
}
