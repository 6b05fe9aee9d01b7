//! The derivative engine on Burn's Flex CPU backend in f64 (cargo feature `flex`): the same
//! closed forms and finite differences as on ndarray, at the same tolerances.
#![cfg(feature = "flex")]

mod common;

use aga_burn::backends::{use_f64_on_flex, Flex};
use aga_burn::Derivatives;
use aga_games::{MlpGame, Toy};
use common::{assert_close, matvec, rel_err, toy, transpose};

#[test]
fn toy_derivatives_are_exact_on_flex_f64() {
    use_f64_on_flex().unwrap();
    let engine = Derivatives::<Flex, _>::new(&Toy, Default::default()).unwrap();
    for [a1, a2] in [[0.5, 0.5], [-1.3, 0.7], [1.9, -1.2], [0.25, -1.75]] {
        let w = engine.point(&[a1, a2]).unwrap();
        assert_eq!(
            burn::tensor::TensorMetadata::dtype(&w.0.clone().into_primitive().tensor()),
            burn::tensor::DType::F64,
            "Flex computes in f64"
        );
        let first = engine.first_order(&w).unwrap();
        let (xi, xi_c) = toy::xi(a1, a2);
        assert_close(&first.xi.to_vec(), &xi, 1e-12);
        assert_close(&first.xi_c.to_vec(), &xi_c, 1e-12);
        let h = toy::game_hessian(a1, a2);
        let hc = toy::collective_hessian(a1, a2);
        for v in [[1.0, 0.0], [0.3, -2.1]] {
            let fv = engine.vector("v", &v).unwrap();
            assert_close(
                &engine.hvp(&w, &fv).unwrap().to_vec(),
                &matvec(&h, &v),
                1e-12,
            );
            assert_close(
                &engine.hvp_transpose(&w, &fv).unwrap().to_vec(),
                &matvec(&transpose(&h), &v),
                1e-12,
            );
            assert_close(
                &engine.hvp_collective(&w, &fv).unwrap().to_vec(),
                &matvec(&hc, &v),
                1e-12,
            );
        }
    }
}

#[test]
fn mlp_hvps_on_flex_f64_match_finite_differences() {
    use_f64_on_flex().unwrap();
    let game = MlpGame::new(2, 5, 4, 7, 13).unwrap();
    let engine = Derivatives::<Flex, _>::new(&game, Default::default()).unwrap();
    let w0 = game.init();
    let v: Vec<f64> = (0..w0.len())
        .map(|k| ((k * 37 % 11) as f64 - 5.0) / 7.0)
        .collect();
    let w = engine.point(&w0).unwrap();
    let fv = engine.vector("v", &v).unwrap();
    let h = 1e-5;
    let at = |s: f64| {
        let p: Vec<f64> = w0.iter().zip(&v).map(|(a, b)| a + s * b).collect();
        engine.first_order(&engine.point(&p).unwrap()).unwrap()
    };
    let (plus, minus) = (at(h), at(-h));
    let diff = |a: Vec<f64>, b: Vec<f64>| -> Vec<f64> {
        a.iter().zip(&b).map(|(x, y)| (x - y) / (2.0 * h)).collect()
    };
    let fd_h = diff(plus.xi.to_vec(), minus.xi.to_vec());
    let fd_hc = diff(plus.xi_c.to_vec(), minus.xi_c.to_vec());
    let hv = engine.hvp(&w, &fv).unwrap().to_vec();
    let hcv = engine.hvp_collective(&w, &fv).unwrap().to_vec();
    assert!(rel_err(&hv, &fd_h) < 1e-7, "H v: {:e}", rel_err(&hv, &fd_h));
    assert!(
        rel_err(&hcv, &fd_hc) < 1e-7,
        "H_c v: {:e}",
        rel_err(&hcv, &fd_hc)
    );
    // And the same numbers as the ndarray engine, to rounding.
    let nd = Derivatives::<aga_burn::backends::CpuF64, _>::new(&game, Default::default()).unwrap();
    let nd_w = nd.point(&w0).unwrap();
    let nd_hv = nd
        .hvp(&nd_w, &nd.vector("v", &v).unwrap())
        .unwrap()
        .to_vec();
    assert_close(&hv, &nd_hv, 1e-12);
}

/// A game large enough (hidden activations 128 × 64) for `Dual`'s fused kernels on Flex
/// (`tanh`, products: 4096 elements and up), against central differences and against the
/// ndarray engine, whose `Dual` composes ndarray's own ops.
#[test]
fn fused_dual_kernels_keep_flex_f64_hvps_exact() {
    use_f64_on_flex().unwrap();
    let game = MlpGame::new(2, 8, 64, 128, 5).unwrap();
    let engine = Derivatives::<Flex, _>::new(&game, Default::default()).unwrap();
    let nd = Derivatives::<aga_burn::backends::CpuF64, _>::new(&game, Default::default()).unwrap();
    let w0 = game.init();
    let v: Vec<f64> = (0..w0.len())
        .map(|k| ((k * 37 % 11) as f64 - 5.0) / 7.0)
        .collect();
    let (w, fv) = (engine.point(&w0).unwrap(), engine.vector("v", &v).unwrap());
    let (nd_w, nd_v) = (nd.point(&w0).unwrap(), nd.vector("v", &v).unwrap());
    let hv = engine.hvp(&w, &fv).unwrap().to_vec();
    let hcv = engine.hvp_collective(&w, &fv).unwrap().to_vec();
    let htv = engine.hvp_transpose(&w, &fv).unwrap().to_vec();
    assert_close(&hv, &nd.hvp(&nd_w, &nd_v).unwrap().to_vec(), 1e-12);
    assert_close(
        &hcv,
        &nd.hvp_collective(&nd_w, &nd_v).unwrap().to_vec(),
        1e-12,
    );
    assert_close(
        &htv,
        &nd.hvp_transpose(&nd_w, &nd_v).unwrap().to_vec(),
        1e-12,
    );
    let h = 1e-5;
    let at = |s: f64| {
        let p: Vec<f64> = w0.iter().zip(&v).map(|(a, b)| a + s * b).collect();
        nd.first_order(&nd.point(&p).unwrap()).unwrap()
    };
    let (plus, minus) = (at(h), at(-h));
    let fd: Vec<f64> = plus
        .xi_c
        .to_vec()
        .iter()
        .zip(minus.xi_c.to_vec())
        .map(|(a, b)| (a - b) / (2.0 * h))
        .collect();
    assert!(rel_err(&hcv, &fd) < 1e-7, "H_c v: {:e}", rel_err(&hcv, &fd));
}

#[test]
fn the_command_line_runs_on_flex_f64_as_on_ndarray() {
    let run = |backend: &str| {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = aga::cli::main_with(
            [
                "aga",
                "run",
                "--game",
                "toy",
                "--method",
                "aga",
                "--lr",
                "0.01",
                "--steps",
                "200",
                "--init",
                "0.5,0.5",
                "--json",
                "--backend",
                backend,
                "--dtype",
                "f64",
            ],
            &mut out,
            &mut err,
        );
        assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        common::cli::floats(&v["final"])
    };
    assert_close(&run("flex"), &run("ndarray"), 1e-12);
}
