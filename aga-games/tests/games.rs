//! The games' values and layouts, and the registry.

use aga_burn::{backends::CpuF64, Derivatives, Game};
use aga_games::{build, Bilinear, GameOptions, GamesError, MlpGame, Toy, GAMES};
use burn::backend::NdArray;

#[test]
fn toy_losses_match_closed_form() {
    let engine = Derivatives::<CpuF64, _>::new(&Toy, Default::default()).unwrap();
    for (a1, a2) in [(0.5, 0.5), (-1.0, 2.0), (0.0, 0.0)] {
        let (l1, l2) = Toy::losses_f64(a1, a2);
        let got = engine.losses(&engine.point(&[a1, a2]).unwrap()).unwrap();
        assert!((got[0] - l1).abs() < 1e-15 && (got[1] - l2).abs() < 1e-15);
    }
    // The joint reward maximum the AgA run reaches: sin(u) = cos(v) = 1.
    let (l1, l2) = Toy::losses_f64(1.3249760916306899, 0.7551461586404911);
    assert!((l1 + 1.0).abs() < 1e-12 && (l2 + 1.0).abs() < 1e-12);
}

#[test]
fn bilinear_parses_and_rejects_bad_matrices() {
    let g = Bilinear::parse("1, 2; 3,4 ;5,6").unwrap();
    assert_eq!(g.shape(), (3, 2));
    assert_eq!(g.matrix(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert!(matches!(
        Bilinear::parse("1,2;3"),
        Err(GamesError::BadMatrix(_))
    ));
    assert!(matches!(
        Bilinear::parse("1,x"),
        Err(GamesError::BadMatrix(_))
    ));
    assert!(matches!(Bilinear::parse(""), Err(GamesError::BadMatrix(_))));
    assert!(matches!(
        Bilinear::parse("1,inf"),
        Err(GamesError::BadMatrix(_))
    ));
    let names = Game::<NdArray<f64>>::layout(&g).names();
    assert_eq!(names, ["x1", "x2", "x3", "y1", "y2"]);
    // l1 = xᵀ M y = −l2
    let engine = Derivatives::<CpuF64, _>::new(&g, Default::default()).unwrap();
    let l = engine
        .losses(&engine.point(&[1.0, 0.0, -1.0, 2.0, 1.0]).unwrap())
        .unwrap();
    assert_eq!(l, vec![(2.0 + 2.0) - (10.0 + 6.0), 12.0]);
}

#[test]
fn mlp_benchmark_sizes_match_math_md() {
    // MATH.md §5: h = 16, 64, 256, 768 give d ≈ 1.6e3, 1.3e4, 1.5e5, 1.2e6 for n = 2.
    let dims: Vec<usize> = [16, 64, 256, 768]
        .iter()
        .map(|&h| {
            let g = MlpGame::benchmark(2, h, 0).unwrap();
            let d = Game::<NdArray<f64>>::layout(&g).dim();
            assert_eq!(d, 2 * g.player_dim());
            assert_eq!(g.init().len(), d);
            d
        })
        .collect();
    assert_eq!(dims, vec![1634, 12674, 148_994, 1_233_410]);
    assert!(MlpGame::new(1, 32, 16, 256, 0).is_err());
    assert!(MlpGame::new(2, 32, 0, 256, 0).is_err());
}

/// `y = tanh(tanh(X W1 + b1) W2 + b2) W3 + b3` for one player, with plain loops.
fn mlp_forward(x: &[f64], w: &[f64], input: usize, hidden: usize, batch: usize) -> Vec<f64> {
    let (w1, rest) = w.split_at(input * hidden);
    let (b1, rest) = rest.split_at(hidden);
    let (w2, rest) = rest.split_at(hidden * hidden);
    let (b2, rest) = rest.split_at(hidden);
    let (w3, b3) = rest.split_at(hidden);
    (0..batch)
        .map(|r| {
            let h1: Vec<f64> = (0..hidden)
                .map(|j| {
                    (b1[j]
                        + (0..input)
                            .map(|k| x[r * input + k] * w1[k * hidden + j])
                            .sum::<f64>())
                    .tanh()
                })
                .collect();
            let h2: Vec<f64> = (0..hidden)
                .map(|j| {
                    (b2[j] + (0..hidden).map(|k| h1[k] * w2[k * hidden + j]).sum::<f64>()).tanh()
                })
                .collect();
            b3[0] + (0..hidden).map(|k| h2[k] * w3[k]).sum::<f64>()
        })
        .collect()
}

#[test]
fn mlp_losses_match_a_direct_computation() {
    let g = MlpGame::new(3, 4, 3, 5, 7).unwrap();
    let (n, input, hidden, batch) = g.sizes();
    // Perturb the initialisation so that the biases are not zero.
    let w: Vec<f64> = g
        .init()
        .iter()
        .enumerate()
        .map(|(i, a)| a + 0.01 * (i % 7) as f64)
        .collect();
    let pd = g.player_dim();
    let ys: Vec<Vec<f64>> = (0..n)
        .map(|i| mlp_forward(g.inputs(), &w[i * pd..(i + 1) * pd], input, hidden, batch))
        .collect();
    let mean: Vec<f64> = (0..batch)
        .map(|r| ys.iter().map(|y| y[r]).sum::<f64>() / n as f64)
        .collect();
    let want: Vec<f64> = (0..n)
        .map(|i| {
            let next = &ys[(i + 1) % n];
            let spread = (0..batch)
                .map(|r| (ys[i][r] - mean[r]).powi(2))
                .sum::<f64>()
                / batch as f64;
            let coupling = (0..batch).map(|r| ys[i][r] * next[r]).sum::<f64>() / batch as f64;
            spread - coupling
        })
        .collect();
    let engine = Derivatives::<CpuF64, _>::new(&g, Default::default()).unwrap();
    let got = engine.losses(&engine.point(&w).unwrap()).unwrap();
    for (a, b) in got.iter().zip(&want) {
        assert!((a - b).abs() < 1e-14, "{got:?} vs {want:?}");
    }
}

#[test]
fn registry_builds_every_listed_game() {
    for info in GAMES {
        let built = build::<NdArray<f64>>(info.name, &GameOptions::default()).unwrap();
        assert!(built.game.layout().dim() > 0, "{}", info.name);
        assert!(!info.description.is_empty() && !info.parameters.is_empty());
    }
    assert!(matches!(
        build::<NdArray<f64>>("chess", &GameOptions::default()),
        Err(GamesError::UnknownGame(_))
    ));
    let opts = GameOptions {
        matrix: Some("1,2;3,4".into()),
        ..Default::default()
    };
    assert_eq!(
        build::<NdArray<f64>>("bilinear", &opts)
            .unwrap()
            .game
            .layout()
            .dim(),
        4
    );
    let opts = GameOptions {
        players: Some(3),
        hidden: Some(4),
        ..Default::default()
    };
    let mlp = build::<NdArray<f64>>("mlp", &opts).unwrap();
    assert_eq!(mlp.game.layout().num_players(), 3);
    assert_eq!(mlp.suggested_init.unwrap().len(), mlp.game.layout().dim());
}
