//! The game optimiser around Burn optimisers: agreement with the vector-level API, equality with
//! "adjust then inner step", exact resume, HVPs through modules, and errors naming the player.

use crate::common;

use aga_burn::{
    backends::CpuF64, Derivatives, FlatTensor, GameError, GameOptimizerConfig, HvpBackend,
    ModuleGame, TransformError,
};
use aga_core::{descend, Method, RuleConfig};
use aga_games::Toy;
use burn::grad_clipping::GradientClippingConfig;
use burn::module::{Module, Param};
use burn::nn::{
    conv::{Conv2d, Conv2dConfig},
    Linear, LinearConfig,
};
use burn::optim::{
    decay::WeightDecayConfig, momentum::MomentumConfig, AdamConfig, AdamWConfig, Optimizer,
    RmsPropConfig, SgdConfig,
};
use burn::record::{BinBytesRecorder, DoublePrecisionSettings, Recorder};
use burn::tensor::{backend::Backend, Tensor, TensorData};
use common::{fd_jvps, rel_err};

type AD = HvpBackend<CpuF64>;
type ScalarLosses = dyn Fn(&[Scalar<AD>]) -> Vec<Tensor<AD, 1>>;

/// A player that owns one scalar parameter.
#[derive(Module, Debug)]
struct Scalar<B: Backend> {
    a: Param<Tensor<B, 1>>,
}

impl Scalar<AD> {
    fn new(value: f64) -> Self {
        let t = Tensor::from_data(TensorData::new(vec![value], [1]), &Default::default());
        Self {
            a: Param::from_tensor(t),
        }
    }

    fn value(&self) -> f64 {
        self.a.val().into_data().to_vec::<f64>().unwrap()[0]
    }
}

/// The toy game over two `Scalar` modules.
fn toy_losses(p: &[Scalar<AD>]) -> Vec<Tensor<AD, 1>> {
    let (a1, a2) = (p[0].a.val(), p[1].a.val());
    let l1 = -(a1.clone() * a2.clone() + a2.clone() * a2.clone()).sin();
    let inner = (a1.clone() + 1.0) - (a2.clone() + 1.0).powi_scalar(2) + a1 * a2.clone() * a2;
    vec![l1, -inner.cos()]
}

fn toy_players(a1: f64, a2: f64) -> Vec<Scalar<AD>> {
    vec![Scalar::new(a1), Scalar::new(a2)]
}

#[test]
fn wrapped_sgd_reproduces_the_vector_level_run() {
    let (lr, steps, init) = (0.01, 60, [0.5, 0.5]);
    let engine = Derivatives::<CpuF64, _>::new(&Toy, Default::default()).unwrap();
    for method in Method::ALL {
        for align in [true, false] {
            let config = GameOptimizerConfig::new(method)
                .with_lambda(0.7)
                .with_align(align);
            let rule: RuleConfig = config.rule();
            let w = descend(
                &rule,
                lr,
                steps,
                engine.point(&init).unwrap(),
                |w: &FlatTensor<CpuF64>| engine.oracle(w.clone()),
                |_| Ok(()),
            )
            .unwrap()
            .to_vec();

            let mut game_opt = config
                .init(vec![SgdConfig::new().init::<AD, Scalar<AD>>()])
                .unwrap();
            let mut players = toy_players(init[0], init[1]);
            for _ in 0..steps {
                players = game_opt.step(lr, players, &toy_losses).unwrap().players;
            }
            let got = [players[0].value(), players[1].value()];
            assert!(
                rel_err(&got, &w) <= 1e-12,
                "{method} align={align}: {got:?} vs {w:?}"
            );
        }
    }
}

/// Three steps of `GameOptimizer::step` against adjusted gradients fed by hand to a second copy
/// of the same inner optimiser: bit-identical.
fn check_adjust_then_step<O>(make: impl Fn() -> O, method: Method)
where
    O: Optimizer<Scalar<AD>, AD>,
{
    let config = GameOptimizerConfig::new(method);
    let mut game_opt = config.init(vec![make(), make()]).unwrap();
    let mut by_hand = [make(), make()];
    let mut players = toy_players(0.3, -0.8);
    let mut reference = toy_players(0.3, -0.8);
    for _ in 0..3 {
        let adjusted = game_opt
            .adjusted_gradients::<CpuF64, _, _>(&reference, &toy_losses)
            .unwrap();
        reference = reference
            .into_iter()
            .zip(adjusted.grads)
            .zip(by_hand.iter_mut())
            .map(|((m, g), o)| o.step(0.05, m, g))
            .collect();
        players = game_opt.step(0.05, players, &toy_losses).unwrap().players;
        for (p, r) in players.iter().zip(&reference) {
            assert_eq!(p.value().to_bits(), r.value().to_bits(), "{method}");
        }
    }
}

#[test]
fn wrapped_steps_equal_adjust_then_inner_step() {
    for method in [Method::Aga, Method::Sga, Method::Consensus] {
        check_adjust_then_step(|| AdamConfig::new().init::<AD, Scalar<AD>>(), method);
        check_adjust_then_step(
            || {
                AdamConfig::new()
                    .with_weight_decay(Some(WeightDecayConfig::new(0.01)))
                    .with_grad_clipping(Some(GradientClippingConfig::Norm(0.5)))
                    .init::<AD, Scalar<AD>>()
            },
            method,
        );
        check_adjust_then_step(|| AdamWConfig::new().init::<AD, Scalar<AD>>(), method);
        check_adjust_then_step(|| RmsPropConfig::new().init::<AD, Scalar<AD>>(), method);
        check_adjust_then_step(
            || {
                SgdConfig::new()
                    .with_momentum(Some(MomentumConfig::new()))
                    .with_gradient_clipping(Some(GradientClippingConfig::Value(0.2)))
                    .init::<AD, Scalar<AD>>()
            },
            method,
        );
    }
}

/// The optimiser wrapper's adjusted gradients for `rule` on the toy game at `(0.3, −0.8)`,
/// after checking that they equal the vector-level direction; returns both.
fn adjusted_matches_direction(
    rule: RuleConfig,
    config: GameOptimizerConfig,
) -> (
    aga_burn::Adjusted,
    aga_core::Direction<aga_burn::FlatTensor<CpuF64>>,
) {
    let engine = Derivatives::<CpuF64, _>::new(&Toy, Default::default()).unwrap();
    let mut oracle = engine.oracle(engine.point(&[0.3, -0.8]).unwrap()).unwrap();
    let d = aga_core::direction(&rule, &mut oracle).unwrap();
    let want = d.value.to_vec();
    let players = toy_players(0.3, -0.8);
    let adjusted = config
        .init(vec![AdamConfig::new().init::<AD, Scalar<AD>>()])
        .unwrap()
        .adjusted_gradients::<CpuF64, _, _>(&players, &toy_losses)
        .unwrap();
    for (i, (g, p)) in adjusted.grads.iter().zip(&players).enumerate() {
        let t: Tensor<aga_burn::Dual<CpuF64>, 1> = g.get(p.a.id).unwrap();
        let got = aga_burn::primal(t).into_data().to_vec::<f64>().unwrap()[0];
        assert!((got - want[i]).abs() <= 1e-15 * want[i].abs().max(1.0));
    }
    (adjusted, d)
}

#[test]
fn adam_sees_the_adjusted_direction_not_the_gradient() {
    // One Adam step from zero state moves each parameter by −lr · sign-ish(g): the gradients it
    // is handed are the AgA direction computed by the vector-level oracle.
    let (adjusted, _) = adjusted_matches_direction(
        RuleConfig::new(Method::Aga),
        GameOptimizerConfig::new(Method::Aga),
    );
    assert_eq!(adjusted.diagnostics.lambda.map(f64::abs), Some(1.0));
    assert!(adjusted.diagnostics.reference_norm.unwrap() > 0.0);
    assert_eq!(adjusted.diagnostics.sos_p, None);
}

/// With `diagnostics` off, a rule that does not need `ξ_c` still reports `‖ξ_c‖` and
/// `cos(ξ, ξ_c)` where `ξ_c` comes free with `ξ` (the toy game's per-loss pass), against the
/// closed form.
#[test]
fn free_xi_c_diagnostics_are_reported_without_the_diagnostics_pass() {
    let (adjusted, _) = adjusted_matches_direction(
        RuleConfig::new(Method::Simgd),
        GameOptimizerConfig::new(Method::Simgd).with_diagnostics(false),
    );
    let (xi, xi_c) = common::toy::xi(0.3, -0.8);
    let norm = |v: &[f64; 2]| (v[0] * v[0] + v[1] * v[1]).sqrt();
    let cos = (xi[0] * xi_c[0] + xi[1] * xi_c[1]) / (norm(&xi) * norm(&xi_c));
    let d = &adjusted.diagnostics;
    assert!(
        (d.xi_c_norm - norm(&xi_c)).abs() <= 1e-12 * norm(&xi_c),
        "{d:?}"
    );
    assert!((d.cos_xi_xi_c - cos).abs() <= 1e-12, "{d:?}");
}

#[test]
fn sos_reports_its_p_and_matches_the_vector_level_rule() {
    let (adjusted, d) = adjusted_matches_direction(
        RuleConfig::new(Method::Sos).with_alpha(0.3),
        GameOptimizerConfig::new(Method::Sos).with_alpha(0.3),
    );
    let p = adjusted.diagnostics.sos_p.unwrap();
    assert!((0.0..=1.0).contains(&p));
    assert_eq!(Some(p), d.sos_p);
}

#[test]
fn save_restore_continue_is_bit_identical() {
    let config = GameOptimizerConfig::new(Method::Aga).with_lambda(0.5);
    let adam = || {
        AdamConfig::new()
            .with_weight_decay(Some(WeightDecayConfig::new(1e-3)))
            .init::<AD, Scalar<AD>>()
    };
    // Uninterrupted: 8 steps.
    let mut straight = config.init(vec![adam(), adam()]).unwrap();
    let mut players = toy_players(0.9, 0.1);
    for _ in 0..8 {
        players = straight.step(0.02, players, &toy_losses).unwrap().players;
    }
    // Interrupted after 4: save optimiser and players as bytes, restore into fresh objects.
    // (DoublePrecisionSettings: Burn's FullPrecisionSettings stores f32.)
    let mut first = config.init(vec![adam(), adam()]).unwrap();
    let mut resumed = toy_players(0.9, 0.1);
    for _ in 0..4 {
        resumed = first.step(0.02, resumed, &toy_losses).unwrap().players;
    }
    let recorder = BinBytesRecorder::<DoublePrecisionSettings>::default();
    let opt_bytes = recorder
        .record(first.to_record::<CpuF64, Scalar<AD>>(), ())
        .unwrap();
    let module_bytes: Vec<Vec<u8>> = resumed
        .iter()
        .map(|m| recorder.record(m.clone().into_record(), ()).unwrap())
        .collect();
    drop((first, resumed));
    let device = Default::default();
    let mut second = config
        .init(vec![adam(), adam()])
        .unwrap()
        .load_record::<CpuF64, Scalar<AD>>(recorder.load(opt_bytes, &device).unwrap())
        .unwrap();
    let mut resumed: Vec<Scalar<AD>> = module_bytes
        .into_iter()
        .map(|b| Scalar::new(0.0).load_record(recorder.load(b, &device).unwrap()))
        .collect();
    for _ in 0..4 {
        resumed = second.step(0.02, resumed, &toy_losses).unwrap().players;
    }
    for (a, b) in players.iter().zip(&resumed) {
        assert_eq!(a.value().to_bits(), b.value().to_bits());
    }
}

/// Players with a linear layer and a small convolution, coupled through their outputs.
#[derive(Module, Debug)]
struct Net<B: Backend> {
    linear: Linear<B>,
    conv: Conv2d<B>,
}

fn net_losses(p: &[Net<AD>]) -> Vec<Tensor<AD, 1>> {
    let device = Default::default();
    let x = Tensor::<AD, 2>::from_data(
        TensorData::new(
            (0..12).map(|i| (i as f64 * 0.37).sin()).collect::<Vec<_>>(),
            [4, 3],
        ),
        &device,
    );
    let img = Tensor::<AD, 4>::from_data(
        TensorData::new(
            (0..32).map(|i| (i as f64 * 0.21).cos()).collect::<Vec<_>>(),
            [1, 2, 4, 4],
        ),
        &device,
    );
    let outs: Vec<Tensor<AD, 1>> = p
        .iter()
        .map(|n| {
            let a = burn::tensor::activation::gelu(n.linear.forward(x.clone())).reshape([8]);
            let c = burn::tensor::activation::sigmoid(n.conv.forward(img.clone())).reshape([4]);
            a.slice(0..4).tanh() + c
        })
        .collect();
    vec![
        (outs[0].clone() * outs[1].clone()).mean().reshape([1])
            + outs[0].clone().powi_scalar(2).mean().reshape([1]),
        (outs[1].clone() - outs[0].clone())
            .powi_scalar(2)
            .mean()
            .reshape([1]),
    ]
}

fn nets() -> Vec<Net<AD>> {
    let device = Default::default();
    (0..2)
        .map(|_| Net {
            linear: LinearConfig::new(3, 2).init(&device),
            conv: Conv2dConfig::new([2, 1], [3, 3]).init(&device),
        })
        .collect()
}

#[test]
fn hvps_through_modules_match_finite_differences() {
    let players = nets();
    let game = ModuleGame::new::<CpuF64>(&players, &net_losses).unwrap();
    let engine = Derivatives::<CpuF64, _>::new(&game, Default::default()).unwrap();
    let w0 = FlatTensor(game.point::<CpuF64>()).to_vec();
    let d = w0.len();
    let v: Vec<f64> = (0..d).map(|i| ((i * 7 % 11) as f64 / 5.5) - 1.0).collect();
    let (w, fv) = (engine.point(&w0).unwrap(), engine.vector("v", &v).unwrap());
    let (fd_h, fd_hc) = fd_jvps(&engine, &w0, &v, 1e-5);
    let hv = engine.hvp(&w, &fv).unwrap().to_vec();
    let hcv = engine.hvp_collective(&w, &fv).unwrap().to_vec();
    assert!(rel_err(&hv, &fd_h) < 1e-7);
    assert!(rel_err(&hcv, &fd_hc) < 1e-7);
}

#[test]
fn module_game_errors_name_the_player() {
    let players = toy_players(0.1, 0.2);
    let sgd = || SgdConfig::new().init::<AD, Scalar<AD>>();
    let opt = GameOptimizerConfig::new(Method::Aga)
        .init(vec![sgd()])
        .unwrap();
    let err = |losses: &ScalarLosses| {
        opt.adjusted_gradients::<CpuF64, _, _>(&players, &losses)
            .unwrap_err()
    };
    let e = err(&|p| vec![p[0].a.val()]);
    assert!(
        matches!(
            e,
            TransformError::Game(GameError::WrongLossCount {
                expected: 2,
                got: 1
            })
        ),
        "{e}"
    );
    let e = err(&|p| {
        vec![
            p[0].a.val(),
            Tensor::cat(vec![p[1].a.val(), p[1].a.val()], 0),
        ]
    });
    assert!(
        matches!(
            e,
            TransformError::Game(GameError::NonScalarLoss { player: 1, .. })
        ),
        "{e}"
    );
    assert!(e.to_string().contains("player 2"), "{e}");
    let e = err(&|p| vec![p[0].a.val().log() * 0.0 + f64::NAN, p[1].a.val()]);
    assert!(
        matches!(
            e,
            TransformError::Game(GameError::NonFiniteLoss { player: 0, .. })
        ),
        "{e}"
    );
    // A finite loss whose gradient is infinite: sqrt at 0 for player 2.
    let zero = toy_players(0.1, 0.0);
    let e = opt
        .adjusted_gradients::<CpuF64, _, _>(&zero, &|p: &[Scalar<AD>]| {
            vec![p[0].a.val().powi_scalar(2), p[1].a.val().sqrt()]
        })
        .unwrap_err();
    assert!(
        matches!(
            e,
            TransformError::NonFiniteGradient { player: 1 } | TransformError::Rule(_)
        ),
        "{e}"
    );
    // A player without trainable parameters.
    let frozen = vec![
        Scalar::new(0.1),
        Scalar {
            a: Param::from_tensor(Tensor::<AD, 1>::from_data(
                TensorData::new(vec![0.2], [1]),
                &Default::default(),
            ))
            .set_require_grad(false),
        },
    ];
    let e = opt
        .adjusted_gradients::<CpuF64, _, _>(&frozen, &toy_losses)
        .unwrap_err();
    assert!(
        matches!(
            e,
            TransformError::Game(GameError::NoParameters { player: 1 })
        ),
        "{e}"
    );
    // Optimiser counts.
    let mut three = GameOptimizerConfig::new(Method::Aga)
        .init(vec![sgd(), sgd(), sgd()])
        .unwrap();
    let e = three
        .step(0.1, toy_players(0.1, 0.2), &toy_losses)
        .unwrap_err();
    assert!(matches!(
        e,
        TransformError::OptimizerCount {
            optimizers: 3,
            players: 2
        }
    ));
    assert!(GameOptimizerConfig::new(Method::Aga)
        .with_lambda(f64::NAN)
        .init(vec![sgd()])
        .is_err());
}

#[test]
fn learning_rate_schedules_drive_the_inner_step() {
    // The scheduler's rate reaches the inner optimiser unchanged: wrapped SGD under an
    // exponential schedule equals w ← w − lr_t ξ̃_t with the same rates, from the vector API.
    use burn::lr_scheduler::{exponential::ExponentialLrSchedulerConfig, LrScheduler};
    let config = GameOptimizerConfig::new(Method::Aga);
    let mut game_opt = config
        .init(vec![SgdConfig::new().init::<AD, Scalar<AD>>()])
        .unwrap();
    let mut schedule = ExponentialLrSchedulerConfig::new(0.05, 0.9).init().unwrap();
    let engine = Derivatives::<CpuF64, _>::new(&Toy, Default::default()).unwrap();
    let mut players = toy_players(0.4, -0.3);
    let mut w = vec![0.4, -0.3];
    for _ in 0..10 {
        let lr = schedule.step();
        let mut oracle = engine.oracle(engine.point(&w).unwrap()).unwrap();
        let d = aga_core::direction(&config.rule(), &mut oracle)
            .unwrap()
            .value
            .to_vec();
        w = vec![w[0] - lr * d[0], w[1] - lr * d[1]];
        players = game_opt.step(lr, players, &toy_losses).unwrap().players;
    }
    let got = [players[0].value(), players[1].value()];
    assert!(rel_err(&got, &w) <= 1e-12, "{got:?} vs {w:?}");
}

/// A batch game: two `Linear(3, 2)` players, each loss a mean over the rows of `x` (and over
/// the outputs), coupled through both players' outputs.
fn batch_losses(x: Tensor<AD, 2>) -> impl Fn(&[Net1<AD>]) -> Vec<Tensor<AD, 1>> {
    move |p: &[Net1<AD>]| {
        let o: Vec<Tensor<AD, 2>> = p
            .iter()
            .map(|n| n.linear.forward(x.clone()).tanh())
            .collect();
        vec![
            (o[0].clone() * o[1].clone()).mean().reshape([1])
                + o[0].clone().powi_scalar(2).mean().reshape([1]),
            (o[1].clone() - o[0].clone() * 0.5)
                .powi_scalar(2)
                .mean()
                .reshape([1]),
        ]
    }
}

/// What a test reads from one step: the losses before it, `‖ξ‖` and `cos(ξ, ξ_c)`.
type StepSeen = (Vec<f64>, f64, f64);

#[derive(Module, Debug)]
struct Net1<B: Backend> {
    linear: Linear<B>,
}

fn rows(data: &[f64]) -> Tensor<AD, 2> {
    Tensor::from_data(
        TensorData::new(data.to_vec(), [data.len() / 3, 3]),
        &Default::default(),
    )
}

fn flat(players: &[Net1<AD>]) -> Vec<f64> {
    players
        .iter()
        .flat_map(|n| {
            let mut v = n.linear.weight.val().into_data().to_vec::<f64>().unwrap();
            v.extend(
                n.linear
                    .bias
                    .as_ref()
                    .unwrap()
                    .val()
                    .into_data()
                    .to_vec::<f64>()
                    .unwrap(),
            );
            v
        })
        .collect()
}

/// Data parallelism through the game optimiser: two workers holding 2 and 4 of a batch's 6
/// rows, reducing through `ThreadReducer` with weights 2/6 and 4/6, take the same Adam steps
/// under AgA, SGA and consensus as one process holding all 6 rows (f64, 1e-12), bit-identical
/// on both workers, with the whole batch's losses and diagnostics.
#[test]
fn data_parallel_workers_step_as_one_process() {
    let data: Vec<f64> = (0..18).map(|i| (i as f64 * 0.61).sin()).collect();
    let device = Default::default();
    // Burn initialises parameters lazily, at their first read, and each clone of an unread
    // parameter draws its own values: read them once so that every copy starts the same.
    let init: Vec<Net1<AD>> = (0..2)
        .map(|_| Net1 {
            linear: LinearConfig::new(3, 2).init(&device),
        })
        .collect();
    let _ = flat(&init);
    for method in [Method::Simgd, Method::Aga, Method::Sga, Method::Consensus] {
        let config = GameOptimizerConfig::new(method).with_lambda(0.8);
        // One process, the whole batch.
        let mut opt = config
            .init(vec![AdamConfig::new().init(), AdamConfig::new().init()])
            .unwrap();
        let mut players = init.clone();
        let whole = batch_losses(rows(&data));
        let mut alone = Vec::new();
        for _ in 0..3 {
            let step = opt.step::<CpuF64, _, _>(0.05, players, &whole).unwrap();
            alone.push((
                step.losses_before.clone(),
                step.diagnostics.xi_norm,
                step.diagnostics.cos_xi_xi_c,
            ));
            players = step.players;
        }
        let expected = flat(&players);
        // Two workers.
        let reducers =
            aga_core::thread_reducers::<FlatTensor<CpuF64>>(&[2.0 / 6.0, 4.0 / 6.0]).unwrap();
        let shards = [data[..6].to_vec(), data[6..].to_vec()];
        let results: Vec<(Vec<f64>, Vec<StepSeen>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = reducers
                .into_iter()
                .zip(&shards)
                .map(|(mut reducer, shard)| {
                    let init = init.clone();
                    let config = config.clone();
                    scope.spawn(move || {
                        let mut opt = config
                            .init(vec![AdamConfig::new().init(), AdamConfig::new().init()])
                            .unwrap();
                        let mut players = init;
                        let losses = batch_losses(rows(shard));
                        let mut seen = Vec::new();
                        for _ in 0..3 {
                            let step = opt
                                .step_reduced::<CpuF64, _, _, _>(
                                    0.05,
                                    players,
                                    &losses,
                                    &mut reducer,
                                )
                                .unwrap();
                            seen.push((
                                step.losses_before.clone(),
                                step.diagnostics.xi_norm,
                                step.diagnostics.cos_xi_xi_c,
                            ));
                            players = step.players;
                        }
                        (flat(&players), seen)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (params, seen) in &results {
            let err = rel_err(params, &expected);
            assert!(err < 1e-12, "{method:?}: parameters differ by {err}");
            for ((l, xi, cos), (l0, xi0, cos0)) in seen.iter().zip(&alone) {
                assert!(rel_err(l, l0) < 1e-12, "{method:?}: losses {l:?} vs {l0:?}");
                assert!(
                    rel_err(&[*xi, *cos], &[*xi0, *cos0]) < 1e-12,
                    "{method:?}: diagnostics"
                );
            }
        }
        assert_eq!(results[0].0, results[1].0, "{method:?}: workers differ");
        // The shards alone (no reduction) would have moved elsewhere.
        assert!(rel_err(&flat(&init), &expected) > 1e-3);
    }
}
