//! With `--features wgpu`: the engine, games and rules instantiate on Burn's wgpu backend
//! (`Autodiff<Dual<Wgpu>>`). This checks the types and the layout only; it touches no GPU, so
//! it passes on machines without one. Running derivatives on wgpu is left to a later issue.
#![cfg(feature = "wgpu")]

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
