//! Selfish-MMM2's reward ledger (ENVS.md, "Selfish-MMM2", Rewards; issue 18's second piece):
//! what one sub-step's simultaneous hits did to every unit — damage dealt with overkill split
//! in proportion to each shooter's damage, kills shared equally among the killers, damage
//! taken, deaths — and the selfish reward built from a unit's ledger.

use serde::{Deserialize, Serialize};

/// One hit of a sub-step: `shooter` hits `target` for `damage` (after armour and bonuses,
/// before capping at the target's hit points). Units are indexed over both teams.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The unit that fired.
    pub shooter: usize,
    /// The unit hit.
    pub target: usize,
    /// Its damage, ≥ 0.
    pub damage: f32,
}

/// What one sub-step's hits did, per unit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ledger {
    /// Damage each unit dealt (its share of what its targets lost).
    pub dealt: Vec<f32>,
    /// Kills each unit is credited with (a kill shared by `k` shooters is `1/k` each).
    pub kills: Vec<f32>,
    /// Damage each unit took.
    pub taken: Vec<f32>,
    /// Units that died in this sub-step.
    pub died: Vec<bool>,
}

/// Apply one sub-step's simultaneous `hits` to `hp` (every unit's hit points; dead units have
/// 0 and take nothing): a target loses `min(Σ damage, hp)`, each shooter is credited with
/// `damage / Σ damage` of that loss, and a target brought to 0 credits each distinct shooter
/// that hurt it with an equal share of the kill.
pub fn resolve_hits(hp: &mut [f32], hits: &[Hit]) -> Ledger {
    let n = hp.len();
    let mut ledger = Ledger {
        dealt: vec![0.0; n],
        kills: vec![0.0; n],
        taken: vec![0.0; n],
        died: vec![false; n],
    };
    let mut total = vec![0f32; n];
    for h in hits.iter().filter(|h| h.damage > 0.0 && hp[h.target] > 0.0) {
        total[h.target] += h.damage;
    }
    let before: Vec<f32> = hp.to_vec();
    for target in (0..n).filter(|&t| total[t] > 0.0) {
        let lost = total[target].min(before[target]);
        hp[target] = before[target] - lost;
        ledger.taken[target] = lost;
        let shooters: Vec<&Hit> = hits
            .iter()
            .filter(|h| h.target == target && h.damage > 0.0)
            .collect();
        for h in &shooters {
            ledger.dealt[h.shooter] += lost * h.damage / total[target];
        }
        if hp[target] <= 0.0 {
            hp[target] = 0.0;
            ledger.died[target] = true;
            let mut killers: Vec<usize> = shooters.iter().map(|h| h.shooter).collect();
            killers.sort_unstable();
            killers.dedup();
            let share = 1.0 / killers.len() as f32;
            for k in killers {
                ledger.kills[k] += share;
            }
        }
    }
    ledger
}

/// The selfish reward's weights: `r_i = (dealt_i + kill·kills_i + heal·healed_i −
/// penalty·(taken_i + death·[i died]) + win_share/n·[won]) / scale`, ENVS.md's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelfishWeights {
    /// Reward per kill (10).
    pub kill: f32,
    /// Reward per hit point healed (1).
    pub heal: f32,
    /// Weight of the unit's own losses (0.5).
    pub penalty: f32,
    /// A death counted as this much damage taken (10).
    pub death: f32,
    /// A win's reward shared equally by the `n` allies (off by default; ENVS.md's option: 200).
    pub win_share: Option<f32>,
    /// Divisor: SMAC's `max_reward / 20 = 1205 / 20 = 60.25` for MMM2.
    pub scale: f32,
}

impl Default for SelfishWeights {
    fn default() -> Self {
        Self {
            kill: 10.0,
            heal: 1.0,
            penalty: 0.5,
            death: 10.0,
            win_share: None,
            scale: 60.25,
        }
    }
}

impl SelfishWeights {
    /// Unit `i`'s reward for a step from its ledger totals over the step's sub-steps; `allies`
    /// is the team's size and `won` whether the step won the episode.
    #[allow(clippy::too_many_arguments)]
    pub fn reward(
        &self,
        dealt: f32,
        kills: f32,
        healed: f32,
        taken: f32,
        died: bool,
        won: bool,
        allies: usize,
    ) -> f32 {
        let death = if died { self.death } else { 0.0 };
        let win = match (won, self.win_share) {
            (true, Some(share)) => share / allies.max(1) as f32,
            _ => 0.0,
        };
        (dealt + self.kill * kills + self.heal * healed - self.penalty * (taken + death) + win)
            / self.scale
    }
}
