//! With `--features wgpu`: the engine, games and rules instantiate on Burn's wgpu backend
//! (`Autodiff<Dual<Wgpu>>`), and the engine's derivatives run there (on a GPU or a CPU Vulkan
//! driver; skipped with a printed reason where no adapter exists). `.ci/run` installs Debian's
//! `mesa-vulkan-drivers` (lavapipe) when it is missing and runs this file.
#![cfg(feature = "wgpu")]

mod common;

use aga_burn::{backends::WgpuF32, Derivatives};
use aga_games::{Bilinear, MlpGame, Toy};

#[test]
fn engine_instantiates_on_wgpu() {
    let device = Default::default();
    let toy = Derivatives::<WgpuF32, _>::new(&Toy, device).unwrap();
    assert_eq!(toy.layout().dim(), 2);
    let bilinear = Bilinear::scalar();
    assert_eq!(
        Derivatives::<WgpuF32, _>::new(&bilinear, Default::default())
            .unwrap()
            .layout()
            .dim(),
        2
    );
    let mlp = MlpGame::benchmark(2, 16, 0).unwrap();
    assert_eq!(
        Derivatives::<WgpuF32, _>::new(&mlp, Default::default())
            .unwrap()
            .layout()
            .dim(),
        1634
    );
}

/// The engine *runs* on wgpu (a GPU, or a CPU Vulkan driver such as lavapipe from Debian's
/// `mesa-vulkan-drivers`): gradients and Hessian-vector products of the toy game against its
/// closed forms at f32 tolerances. Skips, with the reason printed, when no adapter exists.
#[test]
fn toy_derivatives_run_on_wgpu_at_f32_tolerance() {
    use common::{matvec, rel_err, toy};

    if !wgpu_available() {
        return;
    }
    let engine = Derivatives::<WgpuF32, _>::new(&Toy, Default::default()).unwrap();
    for [a1, a2] in [[0.5, 0.5], [-1.3, 0.7], [1.9, -1.2]] {
        let w = engine.point(&[a1, a2]).unwrap();
        let first = engine.first_order(&w).unwrap();
        let (xi, xi_c) = toy::xi(a1, a2);
        assert!(rel_err(&first.xi.to_vec(), &xi) < 1e-5, "ξ at ({a1}, {a2})");
        assert!(
            rel_err(&first.xi_c.to_vec(), &xi_c) < 1e-5,
            "ξ_c at ({a1}, {a2})"
        );
        let hc = toy::collective_hessian(a1, a2);
        let h = toy::game_hessian(a1, a2);
        let v = [0.3, -2.1];
        let fv = engine.vector("v", &v).unwrap();
        let got = engine.hvp_collective(&w, &fv).unwrap().to_vec();
        assert!(rel_err(&got, &matvec(&hc, &v)) < 1e-4, "H_c v: {got:?}");
        let got = engine.hvp(&w, &fv).unwrap().to_vec();
        assert!(rel_err(&got, &matvec(&h, &v)) < 1e-4, "H v: {got:?}");
    }
}

/// Whether a wgpu adapter exists (lavapipe counts); prints the reason when it does not.
fn wgpu_available() -> bool {
    let probe = std::panic::catch_unwind(|| {
        let engine = Derivatives::<WgpuF32, _>::new(&Toy, Default::default()).unwrap();
        engine
            .xi(&engine.point(&[0.5, 0.5]).unwrap())
            .unwrap()
            .to_vec()
    });
    if probe.is_err() {
        // CI installs lavapipe and sets AGA_REQUIRE_WGPU: there a missing adapter is a failure,
        // so that a green CI proves the GPU backend ran.
        assert!(
            std::env::var_os("AGA_REQUIRE_WGPU").is_none(),
            "AGA_REQUIRE_WGPU is set but no wgpu adapter works (is mesa-vulkan-drivers installed?)"
        );
        println!("skipped: no wgpu adapter (install a Vulkan driver, e.g. mesa-vulkan-drivers)");
    }
    probe.is_ok()
}

/// A start away from symmetric points, where every rule's terms are non-zero.
fn start(dim: usize, suggested: Option<Vec<f64>>) -> Vec<f64> {
    let wiggle = (0..dim).map(|k| 0.3 * ((k as f64 * 1.7).sin()));
    match suggested {
        Some(w) => w.iter().zip(wiggle).map(|(a, b)| a + b).collect(),
        None => wiggle.map(|x| x + 0.5).collect(),
    }
}

/// Every game of the registry and every rule: the direction on `Autodiff<Dual<Wgpu>>` (f32)
/// against the same direction on ndarray f64, at f32 tolerance.
#[test]
fn every_rule_on_every_game_runs_on_wgpu() {
    use aga_burn::backends::CpuF64;
    use aga_core::{direction, Method, RuleConfig};
    use aga_games::{build, GameOptions, GAMES};

    if !wgpu_available() {
        return;
    }
    let options = GameOptions {
        hidden: Some(8),
        ..GameOptions::default()
    };
    for info in GAMES {
        let cpu = build::<aga_burn::HvpBackend<CpuF64>>(info.name, &options).unwrap();
        let gpu = build::<aga_burn::HvpBackend<WgpuF32>>(info.name, &options).unwrap();
        let cpu_engine =
            Derivatives::<CpuF64, _>::new(cpu.game.as_ref(), Default::default()).unwrap();
        let gpu_engine =
            Derivatives::<WgpuF32, _>::new(gpu.game.as_ref(), Default::default()).unwrap();
        let w0 = start(cpu_engine.layout().dim(), cpu.suggested_init.clone());
        for method in Method::ALL {
            let rule = RuleConfig::new(method);
            let expected = direction(
                &rule,
                &mut cpu_engine.oracle(cpu_engine.point(&w0).unwrap()).unwrap(),
            )
            .unwrap()
            .value
            .to_vec();
            let got = direction(
                &rule,
                &mut gpu_engine.oracle(gpu_engine.point(&w0).unwrap()).unwrap(),
            )
            .unwrap()
            .value
            .to_vec();
            let err = common::rel_err(&got, &expected);
            assert!(err < 2e-3, "{} / {method}: relative error {err}", info.name);
        }
    }
}

/// A player with two weight matrices, built from fixed numbers so both backends start equal.
#[derive(burn::module::Module, Debug)]
struct Net<B: burn::tensor::backend::Backend> {
    w1: burn::module::Param<burn::tensor::Tensor<B, 2>>,
    w2: burn::module::Param<burn::tensor::Tensor<B, 2>>,
}

fn net<B: burn::tensor::backend::Backend>(seed: f64) -> Net<B> {
    use burn::tensor::{Tensor, TensorData};
    let device = Default::default();
    let fill = |rows: usize, cols: usize, offset: f64| {
        let values: Vec<f64> = (0..rows * cols)
            .map(|k| 0.5 * ((k as f64 + offset) * 1.3 + seed).sin())
            .collect();
        burn::module::Param::from_tensor(Tensor::from_data(
            TensorData::new(values, [rows, cols]),
            &device,
        ))
    };
    Net {
        w1: fill(3, 5, 0.0),
        w2: fill(5, 1, 7.0),
    }
}

/// Two networks on a fixed batch: `l_1` pulls the outputs apart and up, `l_2` couples them.
fn net_losses<B: burn::tensor::backend::Backend>(p: &[Net<B>]) -> Vec<burn::tensor::Tensor<B, 1>> {
    use burn::tensor::{Tensor, TensorData};
    let device = p[0].w1.val().device();
    let x = Tensor::<B, 2>::from_data(
        TensorData::new(
            (0..12).map(|k| (k as f64 * 0.37).cos()).collect::<Vec<_>>(),
            [4, 3],
        ),
        &device,
    );
    let y: Vec<Tensor<B, 1>> = p
        .iter()
        .map(|n| {
            x.clone()
                .matmul(n.w1.val())
                .tanh()
                .matmul(n.w2.val())
                .reshape([4])
        })
        .collect();
    vec![
        (y[0].clone() - y[1].clone()).powi_scalar(2).mean() - y[0].clone().mean(),
        (y[0].clone() * y[1].clone()).mean() + y[1].clone().powi_scalar(2).mean() * 0.5,
    ]
}

/// Five steps of AgA around Adam on the given backend; every weight at the end.
fn five_aga_adam_steps<B: burn::tensor::backend::Backend>() -> Vec<f64> {
    use aga_burn::{GameOptimizerConfig, HvpBackend};
    use burn::optim::AdamConfig;
    let config = GameOptimizerConfig::new(aga_core::Method::Aga).with_lambda(0.5);
    let mut opt = config
        .init(vec![
            AdamConfig::new().init::<HvpBackend<B>, Net<HvpBackend<B>>>()
        ])
        .unwrap();
    let mut players = vec![net::<HvpBackend<B>>(0.0), net::<HvpBackend<B>>(1.0)];
    for _ in 0..5 {
        players = opt
            .step::<B, _, _>(0.05, players, &net_losses::<HvpBackend<B>>)
            .unwrap()
            .players;
    }
    players
        .iter()
        .flat_map(|n| [n.w1.val(), n.w2.val()])
        .flat_map(|t| t.into_data().convert::<f64>().to_vec::<f64>().unwrap())
        .collect()
}

/// The optimiser wrapper runs on wgpu: AgA around Adam, five steps, against ndarray f64.
#[test]
fn game_optimizer_runs_on_wgpu() {
    if !wgpu_available() {
        return;
    }
    let expected = five_aga_adam_steps::<aga_burn::backends::CpuF64>();
    let got = five_aga_adam_steps::<WgpuF32>();
    let err = common::rel_err(&got, &expected);
    assert!(err < 1e-4, "relative error {err}");
}

/// The shared forward pass on wgpu: the MLP game's ξ, ξ_c and H v against ndarray f64.
#[test]
fn shared_forward_pass_runs_on_wgpu() {
    use aga_burn::backends::CpuF64;
    if !wgpu_available() {
        return;
    }
    let game = MlpGame::new(3, 4, 6, 10, 2).unwrap();
    let w0 = start(3 * game.player_dim(), Some(game.init()));
    let v: Vec<f64> = (0..w0.len()).map(|k| (k as f64 * 0.71).cos()).collect();
    let cpu = Derivatives::<CpuF64, _>::new(&game, Default::default()).unwrap();
    let gpu = Derivatives::<WgpuF32, _>::new(&game, Default::default()).unwrap();
    let (cw, gw) = (cpu.point(&w0).unwrap(), gpu.point(&w0).unwrap());
    let (cf, gf) = (cpu.first_order(&cw).unwrap(), gpu.first_order(&gw).unwrap());
    assert!(
        common::rel_err(&gf.xi.to_vec(), &cf.xi.to_vec()) < 1e-4,
        "ξ"
    );
    assert!(
        common::rel_err(&gf.xi_c.to_vec(), &cf.xi_c.to_vec()) < 1e-4,
        "ξ_c"
    );
    let hv_cpu = cpu
        .hvp(&cw, &cpu.vector("v", &v).unwrap())
        .unwrap()
        .to_vec();
    let hv_gpu = gpu
        .hvp(&gw, &gpu.vector("v", &v).unwrap())
        .unwrap()
        .to_vec();
    assert!(common::rel_err(&hv_gpu, &hv_cpu) < 1e-4, "H v");
}
