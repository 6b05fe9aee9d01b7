//! Cost of one direction of every rule, on the same point (docs/performance.md, "Rules").
//!
//! `direction` from a fresh oracle (so the first-order pass is included) for simgd,
//! collective, consensus, SGA, AgA, LA, LOLA, SOS and SVO-shaped simgd, on the MLP benchmark
//! game (n = 2, h = 64 and 256; ndarray f64) and on the IPD. Ratios to simgd are what
//! `scripts/bench_table.py rules` prints.
//!
//! `cargo bench --bench rules` (about two minutes on 2 cores).

use aga_burn::{backends::CpuF64, Derivatives, Game, HvpBackend};
use aga_core::{direction, Method, RuleConfig, ShapedOracle, Svo};
use aga_games::{Ipd, MlpGame};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Duration;

fn bench_rules(c: &mut Criterion, name: &str, game: &dyn Game<HvpBackend<CpuF64>>, w0: &[f64]) {
    let engine = Derivatives::<CpuF64, _>::new(game, Default::default()).unwrap();
    let w = engine.point(w0).unwrap();
    let mut group = c.benchmark_group(format!("rules/{name}"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for method in Method::ALL {
        let rule = RuleConfig::new(method);
        group.bench_function(method.name(), |b| {
            b.iter(|| {
                let mut oracle = engine.oracle(w.clone()).unwrap();
                black_box(direction(&rule, &mut oracle).unwrap())
            })
        });
    }
    let rule = RuleConfig::new(Method::Simgd);
    group.bench_function("svo_simgd", |b| {
        b.iter(|| {
            let oracle = engine.oracle(w.clone()).unwrap();
            let mut shaped = ShapedOracle::new(oracle, Svo::default());
            black_box(direction(&rule, &mut shaped).unwrap())
        })
    });
    group.finish();
}

fn rules(c: &mut Criterion) {
    for hidden in [64, 256] {
        let game = MlpGame::benchmark(2, hidden, 0).unwrap();
        bench_rules(c, &format!("mlp_h{hidden}"), &game, &game.init());
    }
    let w: Vec<f64> = (0..10).map(|k| ((k * 7 % 11) as f64 - 5.0) / 4.0).collect();
    bench_rules(c, "ipd", &Ipd::default(), &w);
}

criterion_group!(benches, rules);
criterion_main!(benches);
