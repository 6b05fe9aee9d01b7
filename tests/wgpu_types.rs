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

    let probe = std::panic::catch_unwind(|| {
        let engine = Derivatives::<WgpuF32, _>::new(&Toy, Default::default()).unwrap();
        engine
            .first_order(&engine.point(&[0.5, 0.5]).unwrap())
            .unwrap()
            .xi
            .to_vec()
    });
    if probe.is_err() {
        println!("skipped: no wgpu adapter (install a Vulkan driver, e.g. mesa-vulkan-drivers)");
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
