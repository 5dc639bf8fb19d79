//! One test per rule of SPEC section 2, on small hand-built books.

mod common;

use common::{date, dec, Book};
use ruptura_engine::{
    Analyzer, Criticality, CriticalityRule, Mode, OrderOutcome, OrderResult, Params, Prazo,
    Sugestao, TotalAvailability,
};

const TODAY: &str = "2026-03-02";

fn run(book: Book, params: Params, orders: &[&str]) -> Vec<(String, OrderOutcome)> {
    Analyzer::new(book.build(), params).analyze(orders)
}

fn one(book: Book, num: &str) -> OrderResult {
    let params = Params::new(book.today);
    match Analyzer::new(book.build(), params).analyze_order(num) {
        OrderOutcome::Found(r) => r,
        other => panic!("{num}: {other:?}"),
    }
}

/// Checked arithmetic: an order whose quantity × price overflows gets an error outcome (in
/// both modes); the other orders are analysed as usual.
#[test]
fn an_overflowing_order_fails_alone() {
    let huge = "39614081257132168796771975168"; // Decimal::MAX / 2, about
    let book = || {
        Book::new(TODAY)
            .stock("A", "100")
            .stock("B", "100")
            .order("P1", |o| o.line("A", "10"))
            .order("GRANDE", |o| o.priced("B", huge, Some("1000")))
            .order("P3", |o| o.line("A", "20"))
    };
    for mode in [Mode::Independent, Mode::Sequential] {
        let out = run(
            book(),
            Params::new(date(TODAY)).with_mode(mode),
            &["P1", "GRANDE", "P3"],
        );
        assert!(out[0].1.found().is_some_and(|r| r.is_ok()), "{mode:?}");
        assert!(out[2].1.found().is_some_and(|r| r.is_ok()), "{mode:?}");
        match &out[1].1 {
            OrderOutcome::Failed(message) => {
                assert!(message.contains("grandes demais"), "{message}")
            }
            other => panic!("{mode:?}: {other:?}"),
        }
    }
}

#[test]
fn covered_order_is_ok_now() {
    let r = one(
        Book::new(TODAY)
            .stock("A", "100")
            .order("P1", |o| o.line("A", "80")),
        "P1",
    );
    assert!(r.is_ok());
    assert_eq!(r.summary.criticidade, Criticality::Ok);
    assert_eq!(r.summary.disponibilidade_total, TotalAvailability::Now);
    assert_eq!(r.summary.percentual_disponibilidade, dec("100"));
    assert_eq!(r.lines[0].menor_estoque, dec("100"));
}

#[test]
fn inactive_or_invoiced_lines_are_left_out_2_1() {
    let book = Book::new(TODAY)
        .stock("A", "10")
        .order("P1", |o| o.line("A", "5").line("A", "0.0009"))
        .order("P2", |o| o.line("A", "0"));
    let out = run(book, Params::new(date(TODAY)), &["P1", "P2"]);
    let p1 = out[0].1.found().expect("P1 found");
    assert_eq!(p1.lines.len(), 1);
    assert_eq!(out[1].1, OrderOutcome::NotFound);
}

#[test]
fn overdue_and_undated_outflows_count_on_d0_2_1() {
    let book = Book::new(TODAY)
        .stock("A", "100")
        .out("A", -2, "30")
        .out_undated("A", "10")
        .order("P1", |o| o.line("A", "60"))
        .order("P2", |o| o.line("A", "61"));
    let out = run(book, Params::new(date(TODAY)), &["P1", "P2"]);
    let (p1, p2) = (out[0].1.found().unwrap(), out[1].1.found().unwrap());
    assert_eq!(p1.lines[0].menor_estoque, dec("60"));
    assert!(p1.is_ok());
    assert_eq!(p2.lines[0].ruptura_qtd, dec("1"));
}

#[test]
fn past_production_is_ignored_2_1() {
    let r = one(
        Book::new(TODAY)
            .stock("A", "0")
            .prod("A", -1, "100")
            .order("P1", |o| o.line("A", "5")),
        "P1",
    );
    assert_eq!(r.lines[0].ruptura_qtd, dec("5"));
    assert_eq!(r.lines[0].data_producao, None);
    assert_eq!(
        r.summary.disponibilidade_total,
        TotalAvailability::NoForecast
    );
}

#[test]
fn groups_pool_stock_flows_and_production_2_2() {
    let book = Book::new(TODAY)
        .link("4004", "3003")
        .link("3003", "2002")
        .link("1001", "2002")
        .stock("4004", "70")
        .stock("2002", "30")
        .prod("4004", 2, "25")
        .out("3003", 1, "5")
        .order("P1", |o| o.line("1001", "100"));
    let r = one(book, "P1");
    let l = &r.lines[0];
    assert_eq!(l.estoque_atual, dec("100"));
    assert_eq!(l.menor_estoque, dec("95"));
    assert_eq!(l.ruptura_qtd, dec("5"));
    assert_eq!(l.dia_cobertura, Some(2));
    assert_eq!(l.qtd_producao, dec("25"));
    assert_eq!(&*l.grupo, "1001");
}

#[test]
fn window_min_covers_d0_to_dh_inclusive_2_3() {
    let mk = || {
        Book::new(TODAY)
            .stock("A", "100")
            .out("A", 7, "40")
            .out("A", 8, "50")
            .prod("A", 10, "200")
            .order("P1", |o| o.line("A", "60"))
            .order("P2", |o| o.line("A", "61"))
    };
    let p1 = one(mk(), "P1");
    assert_eq!(p1.lines[0].menor_estoque, dec("60"));
    assert!(p1.is_ok(), "the D8 outflow is outside the window");
    let p2 = one(mk(), "P2");
    // The D8 outflow still blocks the date: balances 60 on D7, 10 on D8-D9, 210 from D10.
    assert_eq!(p2.lines[0].data_disponivel, Some(date("2026-03-12")));
    // A shorter horizon moves the window.
    let r =
        Analyzer::new(mk().build(), Params::new(date(TODAY)).with_horizon(6)).analyze_order("P2");
    assert!(r.found().unwrap().is_ok());
}

#[test]
fn lines_of_one_group_are_checked_cumulatively_2_4() {
    let r = one(
        Book::new(TODAY)
            .stock("A", "100")
            .prod("A", 4, "20")
            .order("P1", |o| o.line("A", "60").line("A", "60")),
        "P1",
    );
    assert_eq!(r.lines[0].ruptura_qtd, dec("0"));
    assert_eq!(r.lines[1].disponivel, dec("40"));
    assert_eq!(r.lines[1].ruptura_qtd, dec("20"));
    assert_eq!(r.lines[1].data_disponivel, Some(date("2026-03-06")));
}

#[test]
fn lines_are_taken_in_ascending_id_2_4() {
    let r = one(
        Book::new(TODAY).stock("A", "100").order("P1", |o| {
            o.line_with_id(9, "A", "60", Some("1"))
                .line_with_id(3, "A", "50", Some("1"))
        }),
        "P1",
    );
    assert_eq!(r.lines[0].id, 3);
    assert_eq!(r.lines[0].ruptura_qtd, dec("0"));
    assert_eq!(r.lines[1].id, 9);
    assert_eq!(r.lines[1].ruptura_qtd, dec("10"));
}

#[test]
fn short_never_exceeds_line_quantity_2_4() {
    let r = one(
        Book::new(TODAY)
            .stock("A", "10")
            .out("A", 1, "40")
            .order("P1", |o| o.line("A", "5")),
        "P1",
    );
    assert_eq!(r.lines[0].menor_estoque, dec("-30"));
    assert_eq!(r.lines[0].ruptura_qtd, dec("5"));
    assert_eq!(r.lines[0].disponivel, dec("0"));
}

#[test]
fn availability_never_promises_a_later_commitment_2_5() {
    let r = one(
        Book::new(TODAY)
            .stock("A", "50")
            .prod("A", 1, "100")
            .out("A", 3, "120")
            .order("P1", |o| o.line("A", "40")),
        "P1",
    );
    assert_eq!(r.lines[0].ruptura_qtd, dec("10"));
    assert_eq!(r.lines[0].data_disponivel, None);
    assert_eq!(r.lines[0].data_producao, Some(date("2026-03-03")));
    assert_eq!(
        r.summary.disponibilidade_total,
        TotalAvailability::NoForecast
    );
}

#[test]
fn lead_time_is_added_to_the_covering_day_2_5() {
    let book = Book::new(TODAY)
        .stock("A", "10")
        .prod("A", 1, "100")
        .order("P1", |o| o.line("A", "50"));
    let params = Params::new(date(TODAY)).with_lead_time(2);
    let r = Analyzer::new(book.build(), params).analyze_order("P1");
    assert_eq!(
        r.found().unwrap().lines[0].data_disponivel,
        Some(date("2026-03-05"))
    );
}

#[test]
fn production_dates_are_not_counted_twice_2_5() {
    // The old system added every production to the window minimum; here two productions that
    // together cover only after the second arrive give the second day.
    let r = one(
        Book::new(TODAY)
            .stock("A", "0")
            .prod("A", 2, "30")
            .prod("A", 5, "30")
            .order("P1", |o| o.line("A", "50")),
        "P1",
    );
    assert_eq!(r.lines[0].dia_cobertura, Some(5));
}

#[test]
fn summary_values_and_percentages_2_6() {
    let r = one(
        Book::new(TODAY)
            .stock("A", "10")
            .out("A", 1, "40")
            .stock("B", "2")
            .order("P1", |o| {
                o.priced("A", "5", Some("3.50"))
                    .priced("B", "2", Some("1.00"))
            }),
        "P1",
    );
    let s = &r.summary;
    assert_eq!(s.valor_total_pedido, dec("19.50"));
    assert_eq!(s.valor_com_ruptura, dec("17.50"));
    assert_eq!(s.valor_disponivel, dec("2.00"));
    assert_eq!(s.percentual_ruptura.round_dp(2), dec("89.74"));
    assert_eq!(s.percentual_disponibilidade, dec("10"));
    assert_eq!(s.percentual_itens_disponiveis, dec("50"));
    assert_eq!(s.qtd_itens_ruptura, 1);
}

#[test]
fn zero_total_value_gives_zero_percent_2_6() {
    let r = one(
        Book::new(TODAY)
            .stock("B", "5")
            .order("P1", |o| o.priced("A", "1", None).priced("B", "1", None)),
        "P1",
    );
    assert_eq!(r.summary.percentual_ruptura, dec("0"));
    assert_eq!(r.summary.percentual_disponibilidade, dec("100"));
    assert_eq!(r.summary.criticidade, Criticality::Baixa);
}

#[test]
fn total_date_is_the_latest_short_line_date_2_6() {
    let r = one(
        Book::new(TODAY)
            .prod("A", 2, "10")
            .prod("B", 6, "10")
            .order("P1", |o| o.line("A", "5").line("B", "5")),
        "P1",
    );
    assert_eq!(
        r.summary.disponibilidade_total,
        TotalAvailability::On(date("2026-03-08"))
    );
}

#[test]
fn percentages_round_half_away_from_zero_2_6() {
    // 1 of 8 lines short with equal values: 12.5% short -> 87.5 -> 88 available; items 7/8 =
    // 87.5 -> 88.
    let r = one(
        Book::new(TODAY).stock("OK", "1000").order("P1", |o| {
            (0..7).fold(o, |o, _| o.line("OK", "1")).line("Z", "1")
        }),
        "P1",
    );
    assert_eq!(r.summary.percentual_disponibilidade, dec("88"));
    assert_eq!(r.summary.percentual_itens_disponiveis, dec("88"));
}

#[test]
fn criticality_uses_the_configured_rule_2_7() {
    let mk = || {
        Book::new(TODAY).stock("OK", "1000").order("P1", |o| {
            o.priced("Z", "1", Some("60")).priced("OK", "40", Some("1"))
        })
    };
    assert_eq!(one(mk(), "P1").summary.criticidade, Criticality::Critica);
    let params = Params::new(date(TODAY)).with_criticality(CriticalityRule::Original);
    let r = Analyzer::new(mk().build(), params).analyze_order("P1");
    assert_eq!(r.found().unwrap().summary.criticidade, Criticality::Baixa);
}

#[test]
fn sequential_mode_allocates_in_priority_order_2_8() {
    let book = Book::new(TODAY)
        .stock("A", "100")
        .prod("A", 5, "60")
        .prod("A", 9, "100")
        .order("P3", |o| o.shipping(3).ordered(-5).line("A", "70"))
        .order("P1", |o| o.shipping(1).ordered(-3).line("A", "70"))
        .order("P2", |o| o.shipping(1).ordered(-4).line("A", "70"))
        .order("P4", |o| o.ordered(-9).line("A", "70"));
    let params = Params::new(date(TODAY)).with_mode(Mode::Sequential);
    let out = run(book, params, &["P1", "P2", "P3", "P4"]);
    let get = |n: &str| {
        out.iter()
            .find(|(k, _)| k == n)
            .unwrap()
            .1
            .found()
            .unwrap()
            .clone()
    };
    assert!(get("P2").is_ok());
    assert_eq!(get("P1").lines[0].data_disponivel, Some(date("2026-03-07")));
    assert_eq!(get("P1").lines[0].menor_estoque, dec("30"));
    assert_eq!(get("P3").lines[0].data_disponivel, Some(date("2026-03-11")));
    assert_eq!(get("P4").lines[0].data_disponivel, None);
    // Results come back in the order asked.
    assert_eq!(
        out.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["P1", "P2", "P3", "P4"]
    );
}

#[test]
fn sequential_ranking_counts_past_shipping_as_today_2_8() {
    let book = Book::new(TODAY)
        .order("LATE", |o| o.shipping(-10).ordered(-1).line("A", "1"))
        .order("TODAY", |o| o.shipping(0).ordered(-2).line("A", "1"))
        .order("NODATE", |o| o.line("A", "1"))
        .order("NOPED", |o| o.shipping(0).line("A", "1"));
    let a = Analyzer::new(
        book.build(),
        Params::new(date(TODAY)).with_mode(Mode::Sequential),
    );
    assert_eq!(
        a.rank(&["NODATE", "NOPED", "LATE", "TODAY", "MISSING"]),
        ["TODAY", "LATE", "NOPED", "NODATE"]
    );
}

#[test]
fn sequential_lines_of_one_order_see_the_projection_before_it_2_8() {
    // Two lines of one order in the same group: the second is checked cumulatively against the
    // projection before the order, not after the first line's hold.
    let book = Book::new(TODAY)
        .stock("A", "100")
        .order("P1", |o| o.line("A", "60").line("A", "60"));
    let params = Params::new(date(TODAY)).with_mode(Mode::Sequential);
    let out = run(book, params, &["P1"]);
    let r = out[0].1.found().unwrap();
    assert_eq!(r.lines[1].menor_estoque, dec("100"));
    assert_eq!(r.lines[1].ruptura_qtd, dec("20"));
}

#[test]
fn duplicates_are_analysed_once() {
    let book = Book::new(TODAY)
        .stock("A", "100")
        .order("P1", |o| o.line("A", "60"));
    let params = Params::new(date(TODAY)).with_mode(Mode::Sequential);
    let out = run(book, params, &["P1", "P1"]);
    assert_eq!(out.len(), 1);
    assert!(out[0].1.found().unwrap().is_ok());
}

#[test]
fn short_line_carries_its_projection_over_the_horizon() {
    let r = one(
        Book::new(TODAY)
            .stock("A", "10")
            .out("A", 2, "5")
            .order("P1", |o| o.line("A", "20")),
        "P1",
    );
    let proj = &r.lines[0].projecao;
    assert_eq!(proj.len(), 8);
    assert_eq!(proj[0], dec("10"));
    assert_eq!(proj[2], dec("5"));
}

#[test]
fn short_line_projection_runs_to_the_covering_day_or_the_last_event() {
    // Covered by a production on D12: the chart reaches D12, past the window.
    let r = one(
        Book::new(TODAY)
            .stock("A", "10")
            .prod("A", 12, "50")
            .order("P1", |o| o.line("A", "20")),
        "P1",
    );
    let line = &r.lines[0];
    assert_eq!(line.dia_cobertura, Some(12));
    assert_eq!(line.projecao.len(), 13);
    assert_eq!(line.projecao[11], dec("10"));
    assert_eq!(line.projecao[12], dec("60"));
    // Never covered: the chart reaches the last known event (an outflow on D20).
    let r = one(
        Book::new(TODAY)
            .stock("A", "10")
            .out("A", 20, "5")
            .order("P1", |o| o.line("A", "20")),
        "P1",
    );
    assert_eq!(r.lines[0].dia_cobertura, None);
    assert_eq!(r.lines[0].projecao.len(), 21);
    assert_eq!(r.lines[0].projecao[20], dec("5"));
}

#[test]
fn priority_mode_allocates_over_the_whole_book_8_1() {
    // P1 ships first and takes 60 of 100; P2 (asked alone) gets what is left after P1.
    let book = || {
        Book::new(TODAY)
            .stock("A", "100")
            .prod("A", 6, "100")
            .order("P1", |o| o.shipping(1).line("A", "60"))
            .order("P2", |o| o.shipping(2).line("A", "50"))
    };
    let priority = run(
        book(),
        Params::new(date(TODAY)).with_mode(Mode::Priority),
        &["P2", "NOPE"],
    );
    let p2 = priority[0].1.found().unwrap();
    assert_eq!(p2.lines[0].ruptura_qtd, dec("10"));
    assert_eq!(p2.lines[0].menor_estoque, dec("40"));
    // Before any allocation the window minimum was 100 (what 8.4 reports).
    assert_eq!(p2.lines[0].menor_estoque_inicial, dec("100"));
    assert_eq!(priority[1].1, OrderOutcome::NotFound);
    // Sequential mode allocates among the requested orders only: P2 alone is covered.
    let sequential = run(
        book(),
        Params::new(date(TODAY)).with_mode(Mode::Sequential),
        &["P2"],
    );
    assert!(sequential[0].1.found().unwrap().is_ok());
}

#[test]
fn ship_date_status_and_days_late_8_2() {
    let params = Params::new(date(TODAY)).with_lead_time(1);
    let book = Book::new(TODAY)
        .stock("A", "100")
        .prod("A", 4, "30")
        .order("NOPRAZO", |o| o.shipping(5).line("A", "10"))
        .order("ATRASA", |o| o.shipping(2).line("A", "120"))
        .order("VENCIDA", |o| o.shipping(-3).line("A", "10"))
        .order("SEMPREV", |o| o.shipping(6).line("A", "500"))
        .order("SEMDATA", |o| o.line("A", "10"));
    let a = Analyzer::new(book.build(), params);
    let get = |n: &str| a.analyze_order(n).found().unwrap().summary.clone();
    let s = get("NOPRAZO");
    assert_eq!(
        (s.prazo, s.dias_atraso, s.data_pronto),
        (Prazo::NoPrazo, Some(0), Some(date("2026-03-03")))
    );
    assert_eq!(s.expedicao, Some(date("2026-03-07")));
    let s = get("ATRASA");
    assert_eq!(
        (s.prazo, s.dias_atraso, s.data_pronto),
        (Prazo::Atrasa, Some(3), Some(date("2026-03-07")))
    );
    let s = get("VENCIDA");
    assert_eq!((s.prazo, s.dias_atraso), (Prazo::Vencida, Some(4)));
    let s = get("SEMPREV");
    assert_eq!(
        (s.prazo, s.dias_atraso, s.data_pronto),
        (Prazo::SemPrevisao, None, None)
    );
    let s = get("SEMDATA");
    assert_eq!((s.prazo, s.dias_atraso), (Prazo::SemExpedicao, None));
}

#[test]
fn partial_shipment_value_and_suggestion_8_3() {
    let book = || {
        Book::new(TODAY)
            .stock("A", "100")
            .stock("B", "8")
            .order("P1", |o| {
                o.priced("A", "100", Some("10.00"))
                    .priced("B", "20", Some("5.00"))
                    .priced("C", "3", Some("1.00"))
            })
            .order("OK", |o| o.priced("A", "1", Some("2.00")))
            .order("NADA", |o| o.priced("C", "1", Some("2.00")))
    };
    let r = one(book(), "P1");
    let s = &r.summary;
    assert_eq!(s.valor_agora, dec("1040.00"));
    assert_eq!(s.percentual_valor_agora.round_dp(2), dec("94.29"));
    assert_eq!(s.itens_agora, 2);
    assert_eq!(s.sugestao, Sugestao::Parcial);
    assert_eq!(r.lines[1].disponivel, dec("8"));
    assert_eq!(one(book(), "OK").summary.sugestao, Sugestao::Enviar);
    assert_eq!(one(book(), "NADA").summary.sugestao, Sugestao::Aguardar);
    // The minimums: 1040.00 (94.29%) is enough for 1040 and 94.29%, not for more.
    let with = |value: &str, pct: &str| {
        let params = Params::new(date(TODAY)).with_partial_minimum(dec(value), dec(pct));
        Analyzer::new(book().build(), params)
            .analyze_order("P1")
            .found()
            .unwrap()
            .summary
            .sugestao
    };
    assert_eq!(with("1040", "94.29"), Sugestao::Parcial);
    assert_eq!(with("1040.01", "0"), Sugestao::Aguardar);
    assert_eq!(with("0", "94.3"), Sugestao::Aguardar);
}
