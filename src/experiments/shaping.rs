//! `aga experiment ipd` and `aga experiment matching-pennies`: the opponent-shaping games.
//!
//! simgd, LOLA, LA, SOS, SGA, consensus, AgA and collective run from the same `runs` random
//! initial points (every logit `~ N(0, 1)`, as in the SOS reference code) for `steps` steps.
//!
//! * IPD (`γ = 0.96`): the curve is the average loss `(l_1 + l_2)/2` per step (all-defect is
//!   2, all-cooperate 1); reported are the final average loss and each player's final
//!   cooperation probabilities `σ(θ)` in the start state and after CC, CD, DC, DD.
//! * Matching pennies: the curve is the distance of `(p_1, p_2) = σ(θ)` to the equilibrium
//!   `(½, ½)`; reported are the final distance and the final probabilities of heads.
//!
//! Defaults: 20 runs, 200 steps, `|λ| = 1`; learning rate and look-ahead `α` as in the SOS
//! reference notebook (`lr = α = 1`). That notebook's IPD loss is the unnormalised discounted
//! value `V`, ours is `(1 − γ) V`, so the same dynamics need `lr = α = 1/(1 − γ) = 25` here
//! (the default for `ipd`); matching pennies uses `lr = α = 1`.

use super::stats::Estimate;
use super::{
    create_dir, markdown_table, parallel_map, progress_bar, simulate, threads, write_csv,
    write_json, ExperimentError, ExperimentOptions, Report, RuleSpec, Run, Settings,
};
use crate::plot::{lines, Series};
use aga_burn::{Game, HvpBackend};
use aga_core::{Method, RuleConfig};
use aga_games::{Ipd, MatrixGame};
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;

/// Which opponent-shaping game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapingGame {
    /// The iterated prisoner's dilemma.
    Ipd,
    /// Matching pennies.
    MatchingPennies,
}

impl ShapingGame {
    fn name(self) -> &'static str {
        match self {
            ShapingGame::Ipd => "ipd",
            ShapingGame::MatchingPennies => "matching-pennies",
        }
    }

    fn dim(self) -> usize {
        match self {
            ShapingGame::Ipd => 10,
            ShapingGame::MatchingPennies => 2,
        }
    }

    /// The plotted quantity at one point: average loss (IPD) or distance to `(½, ½)` (MP).
    fn metric(self, point: &[f64], losses: &[f64]) -> f64 {
        match self {
            ShapingGame::Ipd => (losses[0] + losses[1]) / 2.0,
            ShapingGame::MatchingPennies => {
                let (p, q) = (sigmoid(point[0]), sigmoid(point[1]));
                ((p - 0.5).powi(2) + (q - 0.5).powi(2)).sqrt()
            }
        }
    }

    fn metric_name(self) -> &'static str {
        match self {
            ShapingGame::Ipd => "average loss",
            ShapingGame::MatchingPennies => "distance to equilibrium",
        }
    }
}

fn sigmoid(t: f64) -> f64 {
    1.0 / (1.0 + (-t).exp())
}

/// The rules of the opponent-shaping experiments, with `|λ| = lambda`.
pub fn rules(lambda: f64, alpha: f64) -> Vec<RuleSpec> {
    let with = |m| RuleConfig::new(m).with_lambda(lambda);
    let shaping = |m| RuleConfig::new(m).with_alpha(alpha);
    vec![
        RuleSpec::new(RuleConfig::new(Method::Simgd)),
        RuleSpec::new(shaping(Method::Lola)),
        RuleSpec::new(shaping(Method::La)),
        RuleSpec::new(shaping(Method::Sos)),
        RuleSpec::new(with(Method::Sga)),
        RuleSpec::new(with(Method::Consensus)),
        RuleSpec::new(with(Method::Aga)),
        RuleSpec::new(RuleConfig::new(Method::Collective)),
    ]
}

#[derive(Debug, Serialize)]
struct RuleSummary {
    label: String,
    rule: RuleConfig,
    final_metric: Estimate,
    /// Mean final probability of cooperating (IPD) / heads (MP), per parameter.
    final_probabilities: Vec<f64>,
    diverged: usize,
    /// Mean of the metric over runs at every step (runs that diverged drop out).
    curve: Vec<f64>,
}

#[derive(Debug, Serialize)]
struct Summary {
    experiment: &'static str,
    seed: u64,
    #[serde(flatten)]
    settings: Settings,
    metric: &'static str,
    parameter_names: Vec<String>,
    rules: Vec<RuleSummary>,
}

/// Run the IPD or matching pennies experiment.
pub fn run(which: ShapingGame, options: &ExperimentOptions) -> Result<Report, ExperimentError> {
    // The IPD loss is the normalised value (1 − γ)·V: the SOS reference code's lr = α = 1 on
    // the unnormalised V is lr = α = 1/(1 − γ) = 25 here.
    let scale = match which {
        ShapingGame::Ipd => 1.0 / (1.0 - Ipd::default().gamma()),
        ShapingGame::MatchingPennies => 1.0,
    };
    let settings = options.settings(Settings {
        runs: 20,
        steps: 200,
        lr: scale,
        lambda: 1.0,
        alpha: scale,
    })?;
    let Settings {
        runs, steps, lr, ..
    } = settings;
    let game: Box<dyn Game<HvpBackend<super::Backend>> + Sync> = match which {
        ShapingGame::Ipd => Box::new(Ipd::default()),
        ShapingGame::MatchingPennies => Box::new(MatrixGame::matching_pennies()),
    };
    let names = game.layout().names();
    let specs = rules(settings.lambda, settings.alpha);
    let out = &options.out;
    create_dir(out)?;

    let d = which.dim();
    let starts = super::starts(options.seed, runs, |rng| {
        (0..d).map(|_| StandardNormal.sample(rng)).collect()
    });
    let jobs = specs.len() * runs;
    let bar = progress_bar(jobs as u64, options.progress, which.name());
    let results = parallel_map(jobs, threads(options), &bar, |job| {
        simulate(
            game.as_ref(),
            &specs[job / runs],
            lr,
            steps,
            &starts[job % runs],
            true,
        )
    });
    bar.finish_and_clear();
    let results: Vec<Run> = results.into_iter().collect::<Result<_, _>>()?;

    // Curves: mean metric per step over the runs still going.
    let mut curve_rows = Vec::new();
    let mut summaries = Vec::new();
    let mut series = Vec::new();
    let mut run_rows = Vec::new();
    for (k, spec) in specs.iter().enumerate() {
        let group = &results[k * runs..(k + 1) * runs];
        let mut curve = Vec::with_capacity(steps + 1);
        for step in 0..=steps {
            let values: Vec<f64> = group
                .iter()
                .filter(|r| step < r.points.len())
                .map(|r| which.metric(&r.points[step], &r.losses[step]))
                .collect();
            if values.is_empty() {
                break;
            }
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            curve_rows.push(vec![
                spec.label.clone(),
                step.to_string(),
                mean.to_string(),
                values.len().to_string(),
            ]);
            curve.push(mean);
        }
        series.push(Series {
            label: spec.label.clone(),
            points: curve
                .iter()
                .enumerate()
                .map(|(s, v)| (s as f64, *v))
                .collect(),
        });
        let finite: Vec<&Run> = group.iter().filter(|r| !r.diverged).collect();
        let probabilities: Vec<f64> = (0..d)
            .map(|i| {
                finite
                    .iter()
                    .map(|r| sigmoid(r.final_point[i]))
                    .sum::<f64>()
                    / finite.len().max(1) as f64
            })
            .collect();
        for (run, r) in group.iter().enumerate() {
            let mut row = vec![
                spec.label.clone(),
                run.to_string(),
                which.metric(&r.final_point, &r.final_losses).to_string(),
                r.final_losses[0].to_string(),
                r.final_losses[1].to_string(),
            ];
            row.extend(r.final_point.iter().map(|t| sigmoid(*t).to_string()));
            row.push(r.diverged.to_string());
            run_rows.push(row);
        }
        summaries.push(RuleSummary {
            label: spec.label.clone(),
            rule: spec.rule,
            final_metric: Estimate::of(
                &finite
                    .iter()
                    .map(|r| which.metric(&r.final_point, &r.final_losses))
                    .collect::<Vec<_>>(),
            ),
            final_probabilities: probabilities,
            diverged: group.len() - finite.len(),
            curve,
        });
    }
    let mut files = vec![write_csv(
        out,
        "curves.csv",
        &["rule", "step", "metric", "runs"].map(String::from),
        &curve_rows,
    )?];
    let mut run_header: Vec<String> = ["rule", "run", "metric", "l1", "l2"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    run_header.extend(names.iter().map(|n| format!("prob_{n}")));
    run_header.push("diverged".into());
    files.push(write_csv(out, "runs.csv", &run_header, &run_rows)?);

    let (table_header, table_rows) = table(which, &summaries, runs);
    let table_header: Vec<&str> = table_header.iter().map(|s| s.as_str()).collect();
    let table = markdown_table(&table_header, &table_rows);
    let summary = Summary {
        experiment: which.name(),
        seed: options.seed,
        settings,
        metric: which.metric_name(),
        parameter_names: names,
        rules: summaries,
    };
    files.push(write_json(out, "summary.json", &summary)?);
    files.push(super::write_text(out, "table.md", &table)?);

    let (file, title, y) = match which {
        ShapingGame::Ipd => (
            "ipd_loss.png",
            "Iterated prisoner's dilemma: average loss (2 = all defect, 1 = all cooperate)",
            "average loss",
        ),
        ShapingGame::MatchingPennies => (
            "matching_pennies_distance.png",
            "Matching pennies: distance of (p1, p2) to the equilibrium (1/2, 1/2)",
            "distance",
        ),
    };
    let p = out.join(file);
    lines(&p, title, ("step", y), &series).map_err(|message| ExperimentError::Write {
        path: p.display().to_string(),
        message,
    })?;
    files.push(p);
    Ok(Report { table, files })
}

fn table(
    which: ShapingGame,
    summaries: &[RuleSummary],
    runs: usize,
) -> (Vec<String>, Vec<Vec<String>>) {
    let diverged = |s: &RuleSummary| format!("{}/{}", s.diverged, runs);
    match which {
        ShapingGame::Ipd => {
            let header = [
                "rule",
                "final average loss",
                "P1 cooperate: start, CC, CD, DC, DD",
                "P2 cooperate: start, CC, CD, DC, DD",
                "diverged",
            ];
            let probs = |p: &[f64]| {
                p.iter()
                    .map(|x| format!("{x:.2}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let rows = summaries
                .iter()
                .map(|s| {
                    vec![
                        s.label.clone(),
                        s.final_metric.show(3),
                        probs(&s.final_probabilities[..5]),
                        probs(&s.final_probabilities[5..]),
                        diverged(s),
                    ]
                })
                .collect();
            (header.map(String::from).to_vec(), rows)
        }
        ShapingGame::MatchingPennies => {
            let header = [
                "rule",
                "final distance",
                "mean p1 (heads)",
                "mean p2 (heads)",
                "diverged",
            ];
            let rows = summaries
                .iter()
                .map(|s| {
                    vec![
                        s.label.clone(),
                        s.final_metric.show(3),
                        format!("{:.3}", s.final_probabilities[0]),
                        format!("{:.3}", s.final_probabilities[1]),
                        diverged(s),
                    ]
                })
                .collect();
            (header.map(String::from).to_vec(), rows)
        }
    }
}
