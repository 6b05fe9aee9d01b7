//! One AgA(Adam) game step against one Adam step per player (docs/performance.md).
//!
//! Two MLP players `32 → h → h → 1` on a fixed batch of 256 (the MLP benchmark game of
//! MATH.md §5, as Burn modules), ndarray f32, `h ∈ {64, 256, 768}` for a total size `d` of about
//! 1e4, 1e5 and 1e6. The baseline is what independent learners do without `aga`: on
//! `Autodiff<NdArray<f32>>`, each player's loss is differentiated and its Adam steps.
//!
//! `cargo bench --bench transform`; `python3 scripts/bench_table.py` prints the ratios.

use aga_burn::{initialized, GameOptimizerConfig, HvpBackend};
use aga_core::Method;
use burn::backend::{Autodiff, NdArray};
use burn::module::{AutodiffModule, Module};
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::{backend::AutodiffBackend, backend::Backend, Distribution, Tensor};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Duration;

type Plain = Autodiff<NdArray<f32>>;
type Hvp = HvpBackend<NdArray<f32>>;

#[derive(Module, Debug)]
struct Player<B: Backend> {
    l1: Linear<B>,
    l2: Linear<B>,
    l3: Linear<B>,
}

impl<B: Backend> Player<B> {
    fn new(hidden: usize, device: &B::Device) -> Self {
        Self {
            l1: LinearConfig::new(32, hidden).init(device),
            l2: LinearConfig::new(hidden, hidden).init(device),
            l3: LinearConfig::new(hidden, 1).init(device),
        }
    }

    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        let y = self
            .l3
            .forward(self.l2.forward(self.l1.forward(x).tanh()).tanh());
        let [batch, _] = y.dims();
        y.reshape([batch])
    }
}

/// `l_i = mean((y_i − ȳ)²) − mean(y_i ⊙ y_{i+1})` (MATH.md §5).
fn losses<B: Backend>(players: &[Player<B>], x: &Tensor<B, 2>) -> Vec<Tensor<B, 1>> {
    let ys: Vec<_> = players.iter().map(|p| p.forward(x.clone())).collect();
    let n = ys.len();
    let mean = ys.iter().skip(1).fold(ys[0].clone(), |s, y| s + y.clone()) / n as f64;
    (0..n)
        .map(|i| {
            let spread = (ys[i].clone() - mean.clone()).powi_scalar(2).mean();
            spread - (ys[i].clone() * ys[(i + 1) % n].clone()).mean()
        })
        .collect()
}

fn players<B: Backend>(hidden: usize) -> Vec<Player<B>> {
    let device = Default::default();
    (0..2)
        .map(|_| initialized(Player::new(hidden, &device)))
        .collect()
}

fn batch<B: Backend>() -> Tensor<B, 2> {
    Tensor::random(
        [256, 32],
        Distribution::Normal(0.0, 1.0),
        &Default::default(),
    )
}

/// Independent Adam: each player's own gradient, one Adam step each.
fn adam_step<B, O>(players: Vec<Player<B>>, optims: &mut [O], x: &Tensor<B, 2>) -> Vec<Player<B>>
where
    B: AutodiffBackend,
    Player<B>: AutodiffModule<B>,
    O: Optimizer<Player<B>, B>,
{
    let grads: Vec<GradientsParams> = (0..players.len())
        .map(|i| {
            let mut l = losses(&players, x);
            GradientsParams::from_grads(l.swap_remove(i).backward(), &players[i])
        })
        .collect();
    players
        .into_iter()
        .zip(grads)
        .zip(optims.iter_mut())
        .map(|((p, g), o)| o.step(1e-3, p, g))
        .collect()
}

fn transform(c: &mut Criterion) {
    for hidden in [64, 256, 768] {
        let d = 2 * (32 * hidden + hidden + hidden * hidden + hidden + hidden + 1);
        let mut group = c.benchmark_group(format!("transform_d{d}"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(if hidden >= 768 { 12 } else { 5 }));

        let x = batch::<Plain>();
        let mut state = Some(players::<Plain>(hidden));
        let mut optims: Vec<_> = (0..2)
            .map(|_| AdamConfig::new().init::<Plain, Player<Plain>>())
            .collect();
        group.bench_function("adam_per_player", |b| {
            b.iter(|| {
                let p = adam_step(state.take().unwrap(), &mut optims, &x);
                state = Some(black_box(p));
            })
        });

        let x = batch::<Hvp>();
        let loss_fn = |p: &[Player<Hvp>]| losses(p, &x);
        let mut state = Some(players::<Hvp>(hidden));
        let adam = || AdamConfig::new().init::<Hvp, Player<Hvp>>();
        let mut game = GameOptimizerConfig::new(Method::Aga)
            .init(vec![adam(), adam()])
            .unwrap();
        group.bench_function("aga_adam_game_step", |b| {
            b.iter(|| {
                let step = game.step(1e-3, state.take().unwrap(), &loss_fn).unwrap();
                state = Some(black_box(step.players));
            })
        });
        group.finish();
    }
}

criterion_group!(benches, transform);
criterion_main!(benches);
