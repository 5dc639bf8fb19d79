//! The demo book must show a sales team every outcome: mostly green orders, a real share of each
//! shortage level, and short lines both with and without an availability date. This analyses
//! the generated book with the real engine at its defaults (horizon 7, lead time 0,
//! independent mode, rule `monotona`) and checks the mix the generator was calibrated for.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use ruptura_datagen::{generate, snapshot, GenConfig, DEFAULT_DEMO_ORDERS};
use ruptura_engine::{analyze, Criticality, Params, TotalAvailability};

struct Mix {
    orders: usize,
    levels: BTreeMap<Criticality, usize>,
    short_lines_dated: usize,
    short_lines_undated: usize,
    orders_no_forecast: usize,
}

impl Mix {
    fn percent(&self, level: Criticality) -> f64 {
        *self.levels.get(&level).unwrap_or(&0) as f64 * 100.0 / self.orders as f64
    }
}

fn demo_mix(seed: u64, today: NaiveDate, orders: usize) -> Mix {
    let ds = generate(&GenConfig::demo(seed, today, orders));
    let numbers: Vec<String> = {
        let mut n: Vec<String> = ds
            .carteira_principal
            .iter()
            .flatten()
            .map(|r| r.num_pedido.clone())
            .collect();
        n.dedup();
        n
    };
    let results = analyze(snapshot(&ds), Params::new(today), &numbers);
    let mut mix = Mix {
        orders: 0,
        levels: BTreeMap::new(),
        short_lines_dated: 0,
        short_lines_undated: 0,
        orders_no_forecast: 0,
    };
    for (_, outcome) in &results {
        let Some(result) = outcome.found() else {
            continue;
        };
        mix.orders += 1;
        *mix.levels.entry(result.summary.criticidade).or_default() += 1;
        for line in result.short_lines() {
            if line.data_disponivel.is_some() {
                mix.short_lines_dated += 1;
            } else {
                mix.short_lines_undated += 1;
            }
        }
        if result.summary.disponibilidade_total == TotalAvailability::NoForecast {
            mix.orders_no_forecast += 1;
        }
    }
    let summary: Vec<String> = Criticality::ALL
        .iter()
        .map(|&l| format!("{l} {:.1}%", mix.percent(l)))
        .collect();
    println!(
        "seed {seed}: {} orders analysed: {}; short lines dated {}, undated {}; orders with no forecast {}",
        mix.orders,
        summary.join(", "),
        mix.short_lines_dated,
        mix.short_lines_undated,
        mix.orders_no_forecast
    );
    mix
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

#[test]
fn demo_book_has_every_criticality_level_in_the_calibrated_mix() {
    for seed in [1, 42, 20_260_302] {
        let mix = demo_mix(seed, today(), DEFAULT_DEMO_ORDERS);
        assert!(mix.orders > DEFAULT_DEMO_ORDERS * 95 / 100);
        let ok = mix.percent(Criticality::Ok);
        assert!((50.0..=65.0).contains(&ok), "seed {seed}: OK {ok:.1}%");
        let critica = mix.percent(Criticality::Critica);
        assert!(
            (10.0..=25.0).contains(&critica),
            "seed {seed}: CRITICA {critica:.1}%"
        );
        for level in [Criticality::Alta, Criticality::Media, Criticality::Baixa] {
            let share = mix.percent(level);
            assert!(share >= 3.0, "seed {seed}: {level} {share:.1}%");
        }
        assert!(mix.short_lines_dated > 0 && mix.short_lines_undated > 0);
        assert!(mix.orders_no_forecast > 0);
    }
}

#[test]
fn a_small_demo_book_still_has_short_and_ok_orders() {
    let mix = demo_mix(7, today(), 200);
    assert!(mix.percent(Criticality::Ok) > 30.0);
    assert!(mix.percent(Criticality::Ok) < 90.0);
}
