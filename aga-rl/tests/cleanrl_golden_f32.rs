//! The CleanRL golden updates of `cleanrl_golden.rs` in f32, the learner's training dtype, at
//! f32 tolerance (its own binary: one float dtype per process on Burn's CPU device).

mod common;

use aga_burn::backends::{use_float_dtype, CpuF32};
use burn::tensor::DType;
use common::cleanrl::check_case;

#[test]
fn mlp_and_cnn_updates_match_cleanrl_in_f32() {
    use_float_dtype::<CpuF32>(DType::F32).unwrap();
    check_case::<CpuF32>("cleanrl_ppo_mlp.json", 2e-4);
    check_case::<CpuF32>("cleanrl_ppo_cnn.json", 2e-4);
}
