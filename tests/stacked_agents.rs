//! Modules that stack several agents along the leading dimension of every parameter
//! (`ModuleLosses::stacked_agents`, as `aga-rl`'s `Actors` do): each agent's slices in the flat
//! layout, per-agent clipping and NaN checks in `GameOptimizer`, and clear errors for a module
//! that is not stacked as declared. Expected values by hand.

use aga::burn_backends::CpuF64;
use aga_burn::{
    GameError, GameOptimizerConfig, HvpBackend, ModuleLosses, ParamLayout, TransformError,
};
use aga_core::Method;
use aga_testing::assert_close;
use burn::module::{Module, Param};
use burn::tensor::{backend::Backend, Tensor, TensorData};

type AD = HvpBackend<CpuF64>;

#[test]
fn agent_ranges_are_each_agents_rows_of_every_tensor() {
    // One player: tensors [2, 3] and [2] (two agents), then a second player's [4].
    let layout = ParamLayout::new(vec![vec![vec![2, 3], vec![2]], vec![vec![4]]]).unwrap();
    assert_eq!(layout.agent_ranges(0, 2, 0).unwrap(), vec![0..3, 6..7]);
    assert_eq!(layout.agent_ranges(0, 2, 1).unwrap(), vec![3..6, 7..8]);
    assert_eq!(layout.agent_ranges(1, 4, 3).unwrap(), vec![11..12]);
    assert!(matches!(
        layout.agent_ranges(0, 2, 2),
        Err(GameError::NotStacked { .. })
    ));
    assert!(matches!(
        layout.agent_ranges(0, 3, 0),
        Err(GameError::NotStacked { agents: 3, .. })
    ));
}

/// Two agents' parameters, `[2, 3]` and a bias `[2]` (or any shapes, for the error case).
#[derive(Module, Debug)]
struct Stack<B: Backend> {
    w: Param<Tensor<B, 2>>,
    b: Param<Tensor<B, 1>>,
}

fn stack(w: [[f64; 3]; 2], b: [f64; 2]) -> Stack<AD> {
    let device = Default::default();
    let w: Vec<f64> = w.iter().flatten().copied().collect();
    Stack {
        w: Param::from_tensor(Tensor::from_data(TensorData::new(w, [2, 3]), &device)),
        b: Param::from_tensor(Tensor::from_data(TensorData::new(b.to_vec(), [2]), &device)),
    }
}

/// `l = Σ_a ½ s_a (‖w_a‖² + b_a²)`: agent `a`'s gradient is `s_a (w_a, b_a)`; with `kink`,
/// plus `Σ_a √(w_a0²)`, finite everywhere but with a NaN derivative where `w_a0 = 0`.
struct Quadratic {
    scales: [f64; 2],
    kink: bool,
}

impl ModuleLosses<AD, Stack<AD>> for Quadratic {
    fn losses(&self, players: &[Stack<AD>]) -> Vec<Tensor<AD, 1>> {
        players
            .iter()
            .map(|p| {
                let device = p.w.val().device();
                let s =
                    Tensor::<AD, 1>::from_data(TensorData::new(self.scales.to_vec(), [2]), &device);
                let w2 = p.w.val().powi_scalar(2).sum_dim(1).reshape([2]);
                let b2 = p.b.val().powi_scalar(2);
                let loss = ((w2 + b2) * s).sum().mul_scalar(0.5);
                match self.kink {
                    true => loss + p.w.val().slice([0..2, 0..1]).powi_scalar(2).sqrt().sum(),
                    false => loss,
                }
            })
            .collect()
    }

    fn is_separable(&self) -> bool {
        true
    }

    fn stacked_agents(&self) -> usize {
        2
    }
}

fn sgd() -> impl burn::optim::Optimizer<Stack<AD>, AD> {
    burn::optim::SgdConfig::new().init()
}

#[test]
fn each_agents_slice_is_clipped_and_reported_on_its_own() {
    aga_burn::backends::use_float_dtype::<CpuF64>(burn::tensor::DType::F64).unwrap();
    // Agent 0: gradient 2·(1, 2, 2, 4) has norm 10 (clipped to 1); agent 1: 0.5·(0.2, 0, 0,
    // 0.4), norm ≈ 0.2236 (kept).
    let w = [[1.0, 2.0, 2.0], [0.2, 0.0, 0.0]];
    let b = [4.0, 0.4];
    let losses = Quadratic {
        scales: [2.0, 0.5],
        kink: false,
    };
    let mut opt = GameOptimizerConfig::new(Method::Simgd)
        .with_max_grad_norm(Some(1.0))
        .init(vec![sgd()])
        .unwrap();
    let step = opt
        .step::<CpuF64, _, _>(1.0, vec![stack(w, b)], &losses)
        .unwrap();
    let norm1 = (0.5f64 * 0.5 * (0.04 + 0.16)).sqrt();
    assert_close(&step.diagnostics.direction_norms, &[10.0, norm1], 1e-12);
    let moved = &step.players[0];
    let w_after: Vec<f64> = moved.w.val().into_data().to_vec().unwrap();
    let b_after: Vec<f64> = moved.b.val().into_data().to_vec().unwrap();
    // Agent 0 moves by its gradient scaled to norm 1; agent 1 by its whole gradient.
    let g0 = [2.0, 4.0, 4.0, 8.0].map(|g| g / 10.0);
    let expected_w = [
        1.0 - g0[0],
        2.0 - g0[1],
        2.0 - g0[2],
        0.2 - 0.5 * 0.2,
        0.0,
        0.0,
    ];
    let expected_b = [4.0 - g0[3], 0.4 - 0.5 * 0.4];
    assert_close(&w_after, &expected_w, 1e-12);
    assert_close(&b_after, &expected_b, 1e-12);
}

#[test]
fn a_non_finite_direction_and_a_wrong_stack_are_errors() {
    aga_burn::backends::use_float_dtype::<CpuF64>(burn::tensor::DType::F64).unwrap();
    let opt = GameOptimizerConfig::new(Method::Simgd)
        .init(vec![sgd()])
        .unwrap();
    // A finite loss whose gradient is NaN in agent 1's slice only (the kink at w_10 = 0).
    let bad = stack([[1.0, 2.0, 2.0], [0.0, 0.0, 0.0]], [4.0, 0.4]);
    let kinked = Quadratic {
        scales: [1.0, 1.0],
        kink: true,
    };
    let err = opt
        .adjusted_gradients::<CpuF64, _, _>(&[bad], &kinked)
        .unwrap_err();
    // The rule's own finiteness check comes first (as in tests/transform.rs); the per-agent
    // check behind it names agent 1 when a rule lets a NaN through.
    assert!(
        matches!(
            err,
            TransformError::NonFiniteGradient { player: 1 } | TransformError::Rule(_)
        ),
        "{err}"
    );
    // A module declared to stack 3 agents whose tensors lead with 2.
    struct Three(Quadratic);
    impl ModuleLosses<AD, Stack<AD>> for Three {
        fn losses(&self, players: &[Stack<AD>]) -> Vec<Tensor<AD, 1>> {
            self.0.losses(players)
        }
        fn stacked_agents(&self) -> usize {
            3
        }
    }
    let err = opt
        .adjusted_gradients::<CpuF64, _, _>(
            &[stack([[1.0; 3]; 2], [1.0; 2])],
            &Three(Quadratic {
                scales: [1.0, 1.0],
                kink: false,
            }),
        )
        .unwrap_err();
    assert!(err.to_string().contains("stacks 3 agents"), "{err}");
}
