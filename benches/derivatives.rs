//! Cost of the derivative quantities and of one AgA direction (docs/performance.md).
//!
//! For the toy game and the MLP benchmark game (MATH.md §5, n = 2, h ∈ {16, 64, 256, 768};
//! n ∈ {5, 10} at h = 64), on every CPU backend compiled in (ndarray; Flex with
//! `--features flex`), in the dtype of `AGA_BENCH_DTYPE` (`f64` by default, or `f32`: Burn fixes
//! one float dtype per CPU device per process, so the two dtypes are two runs): `gradient` (ξ_c, one reverse pass of l_c), `xi` (ξ: the shared forward
//! pass where the game offers one), `xi_ncopy` (ξ from the general n-copy pass),
//! `hvp_collective` (H_c v), `hvp_transpose` (Hᵀ v), and `aga_direction` (ξ, ξ_c, H_c ξ_c and
//! the sign rule, from a fresh point); `curvature` (ξ_c and H_c ξ_c through the primal tape),
//! and `aga_direction_untaped` / `curvature_untaped`, the same with the tape off. Groups are `<game>/<backend>_<dtype>`, e.g.
//! `mlp_h256/flex_f32`. Plus `cli/toy_aga_2000_steps`: the whole `aga run` process.
//!
//! `cargo bench --bench derivatives` runs everything (several minutes on 2 cores);
//! `cargo bench --bench derivatives -- mlp_h64` runs one size. `python3 scripts/bench_table.py`
//! turns Criterion's results into the table of docs/performance.md, and
//! `python3 scripts/compare_jax.py` sets them beside `scripts/jax_reference.py`'s.

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
    let general = Derivatives::<B, _>::new(game, Default::default())
        .unwrap()
        .with_shared_forward(false);
    let w = engine.point(w0).unwrap();
    let v = engine.xi_c(&w).unwrap();
    group.bench_function("gradient", |b| {
        b.iter(|| black_box(engine.xi_c(&w).unwrap()))
    });
    group.bench_function("xi", |b| b.iter(|| black_box(engine.xi(&w).unwrap())));
    group.bench_function("xi_ncopy", |b| {
        b.iter(|| black_box(general.xi(&w).unwrap()))
    });
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
    // A/B of the primal tape (docs/performance.md): the same quantities with it off.
    let untaped = Derivatives::<B, _>::new(game, Default::default())
        .unwrap()
        .with_primal_tape(false);
    group.bench_function("aga_direction_untaped", |b| {
        b.iter(|| {
            let mut oracle = untaped.oracle(w.clone()).unwrap();
            black_box(direction(&rule, &mut oracle).unwrap())
        })
    });
    group.bench_function("curvature", |b| {
        b.iter(|| black_box(engine.collective_curvature(&w).unwrap().hvp))
    });
    group.bench_function("curvature_untaped", |b| {
        b.iter(|| black_box(untaped.collective_curvature(&w).unwrap().hvp))
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

/// The float dtype of this benchmark process, from `AGA_BENCH_DTYPE` (`f32`, or `f64` by
/// default). Burn 0.21 fixes one float dtype per CPU device per process — `NdArray<f32>` and
/// `NdArray<f64>` share theirs — so f32 and f64 numbers come from two runs.
fn bench_dtype() -> &'static str {
    static DTYPE: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    DTYPE.get_or_init(|| {
        let dtype = if std::env::var("AGA_BENCH_DTYPE").is_ok_and(|v| v == "f32") {
            burn::tensor::DType::F32
        } else {
            burn::tensor::DType::F64
        };
        backends::use_float_dtype::<backends::CpuF64>(dtype).expect("set before any tensor");
        #[cfg(feature = "flex")]
        backends::use_float_dtype::<backends::Flex>(dtype).expect("set before any tensor");
        if dtype == burn::tensor::DType::F32 {
            "f32"
        } else {
            "f64"
        }
    })
}

/// Bench one game on every CPU backend compiled in, in this process's dtype.
fn on_every_backend(c: &mut Criterion, name: &str, big: bool, game: &dyn GameOnAll, w0: &[f64]) {
    let dtype = bench_dtype();
    {
        let mut g = configure(c, &format!("{name}/ndarray_{dtype}"), big);
        if dtype == "f32" {
            bench_game::<backends::CpuF32>(&mut g, game.on_f32(), w0);
        } else {
            bench_game::<backends::CpuF64>(&mut g, game.on_f64(), w0);
        }
    }
    #[cfg(feature = "flex")]
    {
        let mut g = configure(c, &format!("{name}/flex_{dtype}"), big);
        bench_game::<backends::Flex>(&mut g, game.on_flex(), w0);
    }
}

/// A game usable on every benchmarked backend.
trait GameOnAll {
    fn on_f64(&self) -> &dyn Game<HvpBackend<backends::CpuF64>>;
    fn on_f32(&self) -> &dyn Game<HvpBackend<backends::CpuF32>>;
    #[cfg(feature = "flex")]
    fn on_flex(&self) -> &dyn Game<HvpBackend<backends::Flex>>;
}

impl<G> GameOnAll for G
where
    G: Game<HvpBackend<backends::CpuF64>> + Game<HvpBackend<backends::CpuF32>> + FlexGame,
{
    fn on_f64(&self) -> &dyn Game<HvpBackend<backends::CpuF64>> {
        self
    }
    fn on_f32(&self) -> &dyn Game<HvpBackend<backends::CpuF32>> {
        self
    }
    #[cfg(feature = "flex")]
    fn on_flex(&self) -> &dyn Game<HvpBackend<backends::Flex>> {
        self
    }
}

#[cfg(feature = "flex")]
trait FlexGame: Game<HvpBackend<backends::Flex>> {}
#[cfg(feature = "flex")]
impl<G: Game<HvpBackend<backends::Flex>>> FlexGame for G {}
#[cfg(not(feature = "flex"))]
trait FlexGame {}
#[cfg(not(feature = "flex"))]
impl<G> FlexGame for G {}

fn toy(c: &mut Criterion) {
    on_every_backend(c, "toy", false, &Toy, &[0.5, 0.5]);
}

fn mlp(c: &mut Criterion) {
    for hidden in [16, 64, 256, 768] {
        let game = MlpGame::benchmark(2, hidden, 0).unwrap();
        on_every_backend(
            c,
            &format!("mlp_h{hidden}"),
            hidden >= 256,
            &game,
            &game.init(),
        );
    }
}

/// ξ against the gradient as the number of players grows (h = 64).
fn players(c: &mut Criterion) {
    for n in [5, 10] {
        let game = MlpGame::benchmark(n, 64, 0).unwrap();
        on_every_backend(c, &format!("mlp_n{n}_h64"), true, &game, &game.init());
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

criterion_group!(benches, toy, mlp, players, cli);
criterion_main!(benches);
