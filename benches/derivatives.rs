//! Cost of the derivative quantities and of one AgA direction (docs/performance.md).
//!
//! For the toy game and the MLP benchmark game (MATH.md §5, n = 2, h ∈ {16, 64, 256, 768}),
//! on ndarray f64 and f32:
//! `gradient` (ξ_c, one reverse pass of l_c), `xi` (ξ, one per-loss pass), `hvp_collective`
//! (H_c v), `hvp_transpose` (Hᵀ v), and `aga_direction` (ξ, ξ_c, H_c ξ_c and the sign rule,
//! from a fresh point). Plus `cli/toy_aga_2000_steps`: the whole `aga run` process.
//!
//! `cargo bench --bench derivatives` runs everything (several minutes on 2 cores);
//! `cargo bench --bench derivatives -- mlp_h64` runs one size. `python3 scripts/bench_table.py`
//! turns Criterion's results into the table of docs/performance.md.

use aga_burn::{backends, Derivatives, Game, HvpBackend};
use aga_core::{direction, Method, RuleConfig};
use aga_games::{MlpGame, Toy};
use burn::tensor::backend::Backend;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use std::hint::black_box;
use std::time::Duration;

type Group<'a> = BenchmarkGroup<'a, criterion::measurement::WallTime>;

fn bench_game<B: Backend>(group: &mut Group<'_>, game: &dyn Game<HvpBackend<B>>, w0: &[f64]) {
    let engine = Derivatives::<B, _>::new(game, Default::default()).unwrap();
    let w = engine.point(w0).unwrap();
    let v = engine.xi_c(&w).unwrap();
    group.bench_function("gradient", |b| {
        b.iter(|| black_box(engine.xi_c(&w).unwrap()))
    });
    group.bench_function("xi", |b| b.iter(|| black_box(engine.xi(&w).unwrap())));
    group.bench_function("hvp_collective", |b| {
        b.iter(|| black_box(engine.hvp_collective(&w, &v).unwrap()))
    });
    group.bench_function("hvp_transpose", |b| {
        b.iter(|| black_box(engine.hvp_transpose(&w, &v).unwrap()))
    });
    let rule = RuleConfig::new(Method::Aga);
    group.bench_function("aga_direction", |b| {
        b.iter(|| {
            let mut oracle = engine.oracle(w.clone()).unwrap();
            black_box(direction(&rule, &mut oracle).unwrap())
        })
    });
}

fn configure<'a>(c: &'a mut Criterion, name: &str, big: bool) -> Group<'a> {
    let mut group = c.benchmark_group(name);
    if big {
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
    } else {
        group
            .sample_size(30)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
    }
    group
}

fn toy(c: &mut Criterion) {
    {
        let mut g = configure(c, "toy/f64", false);
        bench_game::<backends::CpuF64>(&mut g, &Toy, &[0.5, 0.5]);
    }
    let mut g = configure(c, "toy/f32", false);
    bench_game::<backends::CpuF32>(&mut g, &Toy, &[0.5, 0.5]);
}

fn mlp(c: &mut Criterion) {
    for hidden in [16, 64, 256, 768] {
        let game = MlpGame::benchmark(2, hidden, 0).unwrap();
        let w0 = game.init();
        let big = hidden >= 256;
        {
            let mut g = configure(c, &format!("mlp_h{hidden}/f64"), big);
            bench_game::<backends::CpuF64>(&mut g, &game, &w0);
        }
        let mut g = configure(c, &format!("mlp_h{hidden}/f32"), big);
        bench_game::<backends::CpuF32>(&mut g, &game, &w0);
    }
}

fn cli(c: &mut Criterion) {
    let mut g = configure(c, "cli", false);
    g.sample_size(20).measurement_time(Duration::from_secs(6));
    g.bench_function("toy_aga_2000_steps", |b| {
        b.iter(|| {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_aga"))
                .args([
                    "run", "--game", "toy", "--method", "aga", "--lr", "0.01", "--steps", "2000",
                    "--init", "0.5,0.5", "--json",
                ])
                .output()
                .expect("aga runs");
            assert!(out.status.success());
            black_box(out)
        })
    });
}

criterion_group!(benches, toy, mlp, cli);
criterion_main!(benches);
