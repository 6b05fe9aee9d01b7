//! GAE against a hand-computed rollout and against the discounted-return closed form, SVO
//! shaping by hand, and the configuration's errors.

use aga_rl::{gae, svo_shaped, ConfigError, RlMethod, TrainConfig};
use proptest::prelude::*;

fn close(a: &[f32], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        let err = (f64::from(*x) - y).abs();
        assert!(err <= tol, "{a:?} vs {b:?}"); // NaN fails: `NaN <= tol` is false
    }
}

/// γ = 0.9, λ = 0.8, an episode ending with step 1, V(s_4) = 0.6. By hand, backwards:
/// t = 3: δ = 1 + 0.9·0.6 − 0.2 = 1.34, A = 1.34;
/// t = 2: δ = 2 + 0.9·0.2 − 0.3 = 1.88, A = 1.88 + 0.72·1.34 = 2.8448;
/// t = 1 (done): δ = 0 − 0.4 = −0.4, A = −0.4 (nothing flows across the episode end);
/// t = 0: δ = 1 + 0.9·0.4 − 0.5 = 0.86, A = 0.86 + 0.72·(−0.4) = 0.572.
#[test]
fn gae_matches_a_hand_computed_rollout_with_an_episode_end() {
    let out = gae(
        &[1.0, 0.0, 2.0, 1.0],
        &[0.5, 0.4, 0.3, 0.2],
        &[false, true, false, false],
        0.6,
        0.9,
        0.8,
    );
    close(&out.advantages, &[0.572, -0.4, 2.8448, 1.34], 1e-6);
    close(&out.returns, &[1.072, 0.0, 3.1448, 1.54], 1e-6);
}

proptest! {
    /// λ = 1 without episode ends: `A_t + V_t = Σ_k γ^k r_{t+k} + γ^{T−t} V_T`, the bootstrapped
    /// discounted return; λ = 0: `A_t = δ_t`.
    #[test]
    fn gae_limits_are_the_discounted_return_and_the_td_error(
        rewards in prop::collection::vec(-2.0f32..2.0, 1..20),
        seed in -1.0f32..1.0,
        gamma in 0.5f64..1.0,
    ) {
        let t_max = rewards.len();
        let values: Vec<f32> = (0..t_max).map(|k| seed + 0.1 * k as f32).collect();
        let last = -seed;
        let dones = vec![false; t_max];
        let mc = gae(&rewards, &values, &dones, last, gamma, 1.0);
        for t in 0..t_max {
            let mut g = f64::from(last) * gamma.powi((t_max - t) as i32);
            for (k, r) in rewards.iter().enumerate().skip(t) {
                g += f64::from(*r) * gamma.powi((k - t) as i32);
            }
            prop_assert!((f64::from(mc.returns[t]) - g).abs() <= 1e-4 * g.abs().max(1.0));
        }
        let td = gae(&rewards, &values, &dones, last, gamma, 0.0);
        for t in 0..t_max {
            let next = if t + 1 < t_max { values[t + 1] } else { last };
            let delta = f64::from(rewards[t]) + gamma * f64::from(next) - f64::from(values[t]);
            prop_assert!((f64::from(td.advantages[t]) - delta).abs() <= 1e-5);
        }
    }
}

/// Rewards (1, 3), θ = π/4, w = 0.5: agent 1's angle to the other's reward is
/// atan2(3, 1) = 1.2490458, agent 2's atan2(1, 3) = 0.3217506; both are 0.4636476 from π/4, so
/// each loses 0.5 · 0.4636476 = 0.2318238. Equal rewards sit at π/4 and lose nothing.
#[test]
fn svo_shaping_by_hand() {
    let quarter = std::f64::consts::FRAC_PI_4;
    close(
        &svo_shaped(&[1.0, 3.0], quarter, 0.5),
        &[0.7681762, 2.7681762],
        1e-6,
    );
    close(
        &svo_shaped(&[2.0, 2.0, 2.0], quarter, 3.0),
        &[2.0, 2.0, 2.0],
        1e-6,
    );
    close(&svo_shaped(&[5.0], quarter, 1.0), &[5.0], 0.0);
    // Three agents: agent 1 sees the others' mean (2 + 4)/2 = 3.
    let expected = 0.0 - (quarter - 3.0f64.atan2(0.0)).abs();
    assert!((f64::from(svo_shaped(&[0.0, 2.0, 4.0], quarter, 1.0)[0]) - expected).abs() < 1e-6);
    // Nobody rewarded: the angle is undefined and nothing is charged (atan2(0, 0) = 0 would
    // charge w·π/4 = 0.785 each).
    close(&svo_shaped(&[0.0, 0.0, 0.0], quarter, 1.0), &[0.0; 3], 0.0);
    // Only the others rewarded, or only oneself: shaped as usual.
    let only_others = -(quarter - 1.0f64.atan2(0.0)).abs();
    close(
        &svo_shaped(&[0.0, 1.0, 1.0], quarter, 1.0)[..1],
        &[only_others],
        1e-6,
    );
}

#[test]
fn bad_configurations_are_clean_errors() {
    let base = TrainConfig::new(RlMethod::Aga, 1000);
    assert_eq!(base.validate(), Ok(()));
    assert_eq!(base.effective_lambda(), Some(1.0));
    assert_eq!(
        TrainConfig::new(RlMethod::SimulInd, 10).effective_lambda(),
        None
    );

    let mut c = base.clone();
    c.ppo.lr = -1e-3;
    assert!(matches!(
        c.validate(),
        Err(ConfigError::OutOfRange { name: "lr", .. })
    ));
    let mut c = base.clone();
    c.ppo.lr = f64::NAN;
    assert!(matches!(
        c.validate(),
        Err(ConfigError::OutOfRange { name: "lr", .. })
    ));
    let mut c = base.clone();
    c.ppo.minibatches = 0;
    assert!(matches!(
        c.validate(),
        Err(ConfigError::OutOfRange {
            name: "minibatches",
            ..
        })
    ));
    let mut c = base.clone();
    c.ppo.envs = 1;
    c.ppo.rollout_steps = 3;
    assert_eq!(
        c.validate(),
        Err(ConfigError::EmptyMinibatch {
            minibatches: 4,
            samples: 3
        })
    );
    let mut c = TrainConfig::new(RlMethod::SimulInd, 10);
    c.lambda = Some(100.0);
    let err = c.validate().unwrap_err();
    assert!(
        err.to_string()
            .contains("lambda has no meaning for method simul-ind"),
        "{err}"
    );
    let mut c = base.clone();
    c.svo_weight = Some(1.0);
    assert!(matches!(
        c.validate(),
        Err(ConfigError::NotUsedBy {
            option: "svo_weight",
            ..
        })
    ));
    let mut c = base.clone();
    c.lambda = Some(0.0);
    assert!(matches!(
        c.validate(),
        Err(ConfigError::OutOfRange { name: "lambda", .. })
    ));

    let err = "sgd".parse::<RlMethod>().unwrap_err();
    assert!(err.to_string().contains("unknown method `sgd`"));
    for m in RlMethod::ALL {
        assert_eq!(m.name().parse::<RlMethod>(), Ok(m));
    }
}

#[test]
fn json_configurations_parse_and_fail_clearly() {
    let c = TrainConfig::from_json(
        r#"{"method": "aga", "lambda": 100, "steps": 200000, "seed": 1, "ppo": {"lr": 5e-4}}"#,
    )
    .unwrap();
    assert_eq!(c.effective_lambda(), Some(100.0));
    assert_eq!(c.ppo.lr, 5e-4);
    assert_eq!(c.ppo.clip, 0.2);
    for (text, needle) in [
        (r#"{"steps": 10}"#, "missing field `method`"),
        (
            r#"{"method": "aga", "steps": 10, "lamda": 1}"#,
            "unknown field `lamda`",
        ),
        (r#"{"method": "ppo", "steps": 10}"#, "unknown variant `ppo`"),
        (
            r#"{"method": "aga", "steps": 10, "ppo": {"minibatches": 0}}"#,
            "minibatches must be >= 1",
        ),
        ("not json", "invalid training configuration"),
    ] {
        let err = TrainConfig::from_json(text).unwrap_err().to_string();
        assert!(err.contains(needle), "{text}: {err}");
    }
    // Round trip.
    let back = TrainConfig::from_json(&serde_json::to_string(&c).unwrap()).unwrap();
    assert_eq!(back, c);
}
