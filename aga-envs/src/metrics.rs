//! Social-outcome metrics of an episode (Perolat et al. 2017; Hughes et al. 2018).

use crate::env::{Counters, StepResult};
use serde::{Deserialize, Serialize};

/// `E = 1 − Gini(R) = 1 − Σ_i Σ_j |R_i − R_j| / (2 N Σ_i |R_i|)`.
///
/// With non-negative returns this is Perolat et al.'s equality; `|R_i|` in the denominator
/// keeps it in `[0, 1]` when fines make returns negative. All-zero returns are perfectly
/// equal: `E = 1`.
pub fn equality(returns: &[f64]) -> f64 {
    let n = returns.len() as f64;
    let total: f64 = returns.iter().map(|r| r.abs()).sum();
    if n == 0.0 || total == 0.0 {
        return 1.0;
    }
    let mut diff = 0.0;
    for a in returns {
        for b in returns {
            diff += (a - b).abs();
        }
    }
    1.0 - diff / (2.0 * n * total)
}

/// The metrics of one episode (or their means over several, see [`EpisodeMetrics::mean`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeMetrics {
    /// Steps in the episode, `T`.
    pub steps: usize,
    /// `Σ_i R_i`.
    pub collective_return: f64,
    /// `R_i` per agent.
    pub returns: Vec<f64>,
    /// `U = Σ_i R_i / T`.
    pub efficiency: f64,
    /// `E = 1 − Gini(R)` ([`equality`]).
    pub equality: f64,
    /// `S = mean_i mean{t : r_i^t > 0}` over the agents that had a positive reward (0 if none).
    pub sustainability: f64,
    /// `P = (N T − tagged agent-steps) / T`: an agent-step is tagged when the agent is hit by a
    /// penalty beam in it or spends it off the map (removal variant); each counts once.
    pub peace: f64,
    /// Apples eaten by each agent, `A_i` (Perolat et al. define efficiency, equality and
    /// sustainability on collected apples; the fields above use net rewards, fines included).
    #[serde(default)]
    pub apples: Vec<f64>,
    /// `Σ_i A_i / T`: efficiency on apples.
    #[serde(default)]
    pub apple_efficiency: f64,
    /// `1 − Gini(A)`: equality on apples ([`equality`]).
    #[serde(default)]
    pub apple_equality: f64,
    /// `mean_i mean{t : agent i ate at t}` over the agents that ate (0 if none):
    /// sustainability on apples.
    #[serde(default)]
    pub apple_sustainability: f64,
    /// Apples eaten.
    pub apples_eaten: f64,
    /// Apples on the map at the end.
    pub apples_remaining: f64,
    /// Waste cells cleaned.
    pub waste_cleaned: f64,
    /// Waste cells cleaned by each agent's clean beam, `W_i` (`Σ_i W_i` = `waste_cleaned`): with
    /// [`apples`](Self::apples), who cleans and who eats — Cleanup's division of labour.
    #[serde(default)]
    pub cleaned: Vec<f64>,
    /// Waste density at the end.
    pub waste_density: f64,
    /// Penalty beams fired.
    pub beams_fired: f64,
    /// Agents hit.
    pub agents_tagged: f64,
}

impl EpisodeMetrics {
    /// The mean of several episodes' metrics, field by field (`None` for an empty list).
    pub fn mean(all: &[EpisodeMetrics]) -> Option<EpisodeMetrics> {
        let first = all.first()?;
        let k = all.len() as f64;
        let avg = |f: &dyn Fn(&EpisodeMetrics) -> f64| all.iter().map(f).sum::<f64>() / k;
        Some(EpisodeMetrics {
            steps: first.steps,
            collective_return: avg(&|m| m.collective_return),
            returns: (0..first.returns.len())
                .map(|i| avg(&|m| m.returns[i]))
                .collect(),
            efficiency: avg(&|m| m.efficiency),
            equality: avg(&|m| m.equality),
            sustainability: avg(&|m| m.sustainability),
            peace: avg(&|m| m.peace),
            apples: (0..first.apples.len())
                .map(|i| avg(&|m| m.apples[i]))
                .collect(),
            apple_efficiency: avg(&|m| m.apple_efficiency),
            apple_equality: avg(&|m| m.apple_equality),
            apple_sustainability: avg(&|m| m.apple_sustainability),
            apples_eaten: avg(&|m| m.apples_eaten),
            apples_remaining: avg(&|m| m.apples_remaining),
            waste_cleaned: avg(&|m| m.waste_cleaned),
            cleaned: (0..first.cleaned.len())
                .map(|i| avg(&|m| m.cleaned.get(i).copied().unwrap_or(f64::NAN)))
                .collect(),
            waste_density: avg(&|m| m.waste_density),
            beams_fired: avg(&|m| m.beams_fired),
            agents_tagged: avg(&|m| m.agents_tagged),
        })
    }
}

/// Accumulates one episode's rewards, positive-reward times and tagged steps.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpisodeTracker {
    returns: Vec<f64>,
    positive_time_sum: Vec<f64>,
    positive_count: Vec<u64>,
    // Default: checkpoints written before these fields existed load (with no apples counted
    // for the episode in progress).
    #[serde(default)]
    apples: Vec<f64>,
    #[serde(default)]
    apple_time_sum: Vec<f64>,
    #[serde(default)]
    cleaned: Vec<f64>,
    tagged_steps: u64,
    steps: usize,
    counters: Counters,
}

impl EpisodeTracker {
    /// A tracker for `agents` agents.
    pub fn new(agents: usize) -> Self {
        Self {
            returns: vec![0.0; agents],
            positive_time_sum: vec![0.0; agents],
            positive_count: vec![0; agents],
            apples: vec![0.0; agents],
            apple_time_sum: vec![0.0; agents],
            cleaned: vec![0.0; agents],
            tagged_steps: 0,
            steps: 0,
            counters: Counters::default(),
        }
    }

    /// Record one step. `removed[i]` says that agent `i` is off the map at the end of the step
    /// (the removal variant; pass an empty slice where agents are never removed). An agent-step
    /// counts as tagged once when the agent was hit in it or is off the map after it, so the step
    /// of the hit that removes an agent is not counted twice.
    pub fn record(&mut self, step: &StepResult, removed: &[bool]) {
        let t = self.steps as f64;
        for (i, r) in step.rewards.iter().enumerate() {
            self.returns[i] += r;
            if *r > 0.0 {
                self.positive_time_sum[i] += t;
                self.positive_count[i] += 1;
            }
        }
        if self.apples.len() < step.ate.len() {
            self.apples.resize(step.ate.len(), 0.0);
            self.apple_time_sum.resize(step.ate.len(), 0.0);
        }
        for (i, &ate) in step.ate.iter().enumerate() {
            if ate {
                self.apples[i] += 1.0;
                self.apple_time_sum[i] += t;
            }
        }
        if self.cleaned.len() < step.cleaned.len() {
            self.cleaned.resize(step.cleaned.len(), 0.0);
        }
        for (i, &cells) in step.cleaned.iter().enumerate() {
            self.cleaned[i] += f64::from(cells);
        }
        let tagged = (0..step.tagged.len().max(removed.len()))
            .filter(|&i| {
                step.tagged.get(i).copied().unwrap_or(false)
                    || removed.get(i).copied().unwrap_or(false)
            })
            .count();
        self.tagged_steps += tagged as u64;
        self.steps += 1;
        self.counters = step.info;
    }

    /// The episode's metrics so far.
    pub fn metrics(&self) -> EpisodeMetrics {
        let n = self.returns.len() as f64;
        let t = self.steps.max(1) as f64;
        let collective: f64 = self.returns.iter().sum();
        let positive_counts: Vec<f64> = self.positive_count.iter().map(|&c| c as f64).collect();
        let c = self.counters;
        EpisodeMetrics {
            steps: self.steps,
            collective_return: collective,
            returns: self.returns.clone(),
            efficiency: collective / t,
            equality: equality(&self.returns),
            sustainability: mean_event_time(&self.positive_time_sum, &positive_counts),
            peace: (n * t - self.tagged_steps as f64) / t,
            apples: self.apples.clone(),
            apple_efficiency: self.apples.iter().sum::<f64>() / t,
            apple_equality: equality(&self.apples),
            apple_sustainability: mean_event_time(&self.apple_time_sum, &self.apples),
            apples_eaten: c.apples_eaten as f64,
            apples_remaining: c.apples_remaining as f64,
            waste_cleaned: c.waste_cleaned as f64,
            cleaned: self.cleaned.clone(),
            waste_density: c.waste_density,
            beams_fired: c.beams_fired as f64,
            agents_tagged: c.agents_tagged as f64,
        }
    }
}

/// Sustainability's average: over the agents with at least one event (`counts[i] > 0`), the
/// mean of each agent's mean event time `time_sums[i] / counts[i]`; 0 when no agent had one.
fn mean_event_time(time_sums: &[f64], counts: &[f64]) -> f64 {
    let means: Vec<f64> = time_sums
        .iter()
        .zip(counts)
        .filter(|(_, &c)| c > 0.0)
        .map(|(s, c)| s / c)
        .collect();
    if means.is_empty() {
        0.0
    } else {
        means.iter().sum::<f64>() / means.len() as f64
    }
}
