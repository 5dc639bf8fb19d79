//! The engine alone on the seeded scale data set (10,000 orders, ~50,000 lines, 2,000 products):
//! preparing the projections, analysing every order in independent mode (one thread), the
//! sequential allocation over the whole book, and the mapping to the wire JSON.
//!
//!   cargo bench -p ruptura --bench engine

use chrono::NaiveDate;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ruptura_app::wire::Resultado;
use ruptura_datagen::GenConfig;
use ruptura_engine::{Analyzer, Mode, Params};

fn engine(c: &mut Criterion) {
    let today = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
    let data = ruptura_datagen::generate(&GenConfig::scale(42, today));
    let snapshot = ruptura_datagen::snapshot(&data);
    let independent = Params::new(today);
    let sequential = Params::new(today).with_mode(Mode::Sequential);
    let analyzer = Analyzer::new(snapshot.clone(), independent.clone());
    let orders: Vec<String> = analyzer
        .order_numbers()
        .into_iter()
        .map(str::to_string)
        .collect();
    eprintln!("{} orders, {} lines", orders.len(), snapshot.lines.len());

    let mut g = c.benchmark_group("engine");
    g.sample_size(20);
    g.bench_function("prepare projections (Analyzer::new)", |b| {
        b.iter(|| Analyzer::new(snapshot.clone(), independent.clone()))
    });
    g.bench_function("independent: every order, one thread", |b| {
        b.iter(|| {
            for o in &orders {
                black_box(analyzer.analyze_order(o));
            }
        })
    });
    let seq = Analyzer::new(snapshot.clone(), sequential);
    g.bench_function("sequential: allocation over the whole book", |b| {
        b.iter(|| seq.analyze(&orders).len())
    });
    let outcomes: Vec<_> = orders
        .iter()
        .map(|o| (o, analyzer.analyze_order(o)))
        .collect();
    g.bench_function("wire: results to JSON values, every order", |b| {
        b.iter(|| {
            for (n, o) in &outcomes {
                black_box(Resultado::from_outcome(n, o, today));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
