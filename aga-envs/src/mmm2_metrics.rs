//! A battle episode's metrics: win, each unit's return, the collective return and its equality,
//! SMAC's team reward, damage dealt and taken, healing, survivors and length.

use crate::metrics::equality;
use crate::multi_agent::EpisodeSummary;
use serde::{Deserialize, Serialize};

/// One battle episode's metrics (or the mean of several: `win_rate` is then the fraction won).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BattleMetrics {
    /// Steps played.
    pub steps: f64,
    /// 1 for a win, 0 otherwise (the mean over episodes is the win rate).
    pub win_rate: f64,
    /// 1 when the episode hit its step limit (neither side lost).
    pub truncated: f64,
    /// `Σ_i R_i` of the selfish rewards (what AgA's collective loss sums).
    pub collective_return: f64,
    /// Each ally's return `R_i`.
    pub returns: Vec<f64>,
    /// `1 − Gini(R)` of the returns ([`equality`]).
    pub equality: f64,
    /// SMAC's team reward summed over the episode (scaled, signed: enemy healing counts
    /// against it; SMAC takes its absolute value per step).
    pub team_return: f64,
    /// Damage the allies dealt to enemies (hit points).
    pub damage_dealt: f64,
    /// Damage the allies took.
    pub damage_taken: f64,
    /// Hit points the allies' healers restored.
    pub hp_healed: f64,
    /// Allies alive at the end.
    pub allies_alive: f64,
    /// Enemies alive at the end.
    pub enemies_alive: f64,
}

impl BattleMetrics {
    /// An episode not started, for `allies` learners.
    pub fn empty(allies: usize) -> Self {
        Self {
            steps: 0.0,
            win_rate: 0.0,
            truncated: 0.0,
            collective_return: 0.0,
            returns: vec![0.0; allies],
            equality: 1.0,
            team_return: 0.0,
            damage_dealt: 0.0,
            damage_taken: 0.0,
            hp_healed: 0.0,
            allies_alive: allies as f64,
            enemies_alive: 0.0,
        }
    }

    /// Recompute the collective return and the equality from the returns.
    pub(crate) fn finish(&mut self) {
        self.collective_return = self.returns.iter().sum();
        self.equality = equality(&self.returns);
    }
}

impl EpisodeSummary for BattleMetrics {
    fn named(&self) -> Vec<(String, f64)> {
        let mut out = vec![
            ("steps".to_string(), self.steps),
            ("win_rate".to_string(), self.win_rate),
            ("truncated".to_string(), self.truncated),
            ("collective_return".to_string(), self.collective_return),
        ];
        out.extend(
            self.returns
                .iter()
                .enumerate()
                .map(|(i, &r)| (format!("return_agent_{i}"), r)),
        );
        out.extend(
            [
                ("equality", self.equality),
                ("team_return", self.team_return),
                ("damage_dealt", self.damage_dealt),
                ("damage_taken", self.damage_taken),
                ("hp_healed", self.hp_healed),
                ("allies_alive", self.allies_alive),
                ("enemies_alive", self.enemies_alive),
            ]
            .map(|(k, v)| (k.to_string(), v)),
        );
        out
    }

    fn mean(all: &[Self]) -> Option<Self> {
        let first = all.first()?;
        let k = all.len() as f64;
        let avg = |f: &dyn Fn(&Self) -> f64| all.iter().map(f).sum::<f64>() / k;
        Some(Self {
            steps: avg(&|m| m.steps),
            win_rate: avg(&|m| m.win_rate),
            truncated: avg(&|m| m.truncated),
            collective_return: avg(&|m| m.collective_return),
            returns: (0..first.returns.len())
                .map(|i| avg(&|m| m.returns[i]))
                .collect(),
            equality: avg(&|m| m.equality),
            team_return: avg(&|m| m.team_return),
            damage_dealt: avg(&|m| m.damage_dealt),
            damage_taken: avg(&|m| m.damage_taken),
            hp_healed: avg(&|m| m.hp_healed),
            allies_alive: avg(&|m| m.allies_alive),
            enemies_alive: avg(&|m| m.enemies_alive),
        })
    }
}
