//! PPO against CleanRL's update, from golden files made by `scripts/cleanrl_ppo_golden.py`
//! (a JAX float64 transliteration of CleanRL's `ppo.py` minibatch update and GAE loop; the
//! script's docstring lists where `aga` differs from `ppo.py` by design and the golden follows
//! `aga`). Regenerate with
//!
//! ```sh
//! python3 scripts/cleanrl_ppo_golden.py aga-rl/tests/golden
//! ```
//!
//! From the same parameters and minibatches, four updates (two minibatches, two epochs) of an
//! MLP and a CNN with two agents each: every agent's actor loss, entropy, approx-KL and clip
//! fraction before each update, critic loss, and the parameters after the last update, in f64
//! (tight) and f32 (f32 tolerance). GAE against CleanRL's loop with episode ends inside the
//! rollout.

mod common;

use aga_burn::backends::{use_float_dtype, CpuF64};
use aga_rl::gae;
use burn::tensor::DType;
use common::cleanrl::{check_case, close, floats, golden, num};

#[test]
fn mlp_updates_match_cleanrl_in_f64() {
    use_float_dtype::<CpuF64>(DType::F64).unwrap();
    check_case::<CpuF64>("cleanrl_ppo_mlp.json", 1e-9);
}

#[test]
fn cnn_updates_match_cleanrl_in_f64() {
    use_float_dtype::<CpuF64>(DType::F64).unwrap();
    check_case::<CpuF64>("cleanrl_ppo_cnn.json", 1e-9);
}

#[test]
fn gae_matches_cleanrl_with_episode_ends_inside_the_rollout() {
    let g = golden("cleanrl_gae.json");
    let rewards: Vec<f32> = floats(&g["rewards"]).iter().map(|&x| x as f32).collect();
    let values: Vec<f32> = floats(&g["values"]).iter().map(|&x| x as f32).collect();
    for case in g["cases"].as_array().unwrap() {
        let dones: Vec<bool> = case["dones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_bool().unwrap())
            .collect();
        let ours = gae(
            &rewards,
            &values,
            &dones,
            num(&g, "last_value") as f32,
            num(&g, "gamma"),
            num(&g, "lambda"),
        );
        // Ours rounds to f32 once at the end; CleanRL's values are f64 here.
        for (t, (&a, e)) in ours
            .advantages
            .iter()
            .zip(floats(&case["advantages"]))
            .enumerate()
        {
            close(&format!("advantage {t}"), f64::from(a), e, 1e-6);
        }
        for (t, (&r, e)) in ours
            .returns
            .iter()
            .zip(floats(&case["returns"]))
            .enumerate()
        {
            close(&format!("return {t}"), f64::from(r), e, 1e-6);
        }
    }
}
