//! `aga experiment ipd`, `matching-pennies` and `tandem`: the opponent-shaping games of the
//! SOS paper, with the SOS reference code's protocol and constants.
//!
//! simgd, LOLA, LA, SOS, SGA, consensus, AgA and collective run from the same `runs` random
//! initial points (every parameter `~ N(0, σ²)`, as in the reference) for `steps` steps.
//!
//! * IPD (`γ = 0.96`): the curve is the average loss `(l_1 + l_2)/2` per step (all-defect is
//!   2, all-cooperate 1); reported are the final average loss (mean ± std over runs, as the
//!   reference reports it) and each player's final cooperation probabilities `σ(θ)` in the start
//!   state and after CC, CD, DC, DD.
//! * Matching pennies: the curve is the distance of `(p_1, p_2) = σ(θ)` to the equilibrium
//!   `(½, ½)`; reported are the final distance and the final probabilities of heads.
//! * Tandem (`l_i = (x + y)² − 2 x_i`): the curve is `x + y`, whose fixed line is `x + y = 1`;
//!   LOLA is known to leave it (SOS paper, Fig. 1).
//!
//! **Constants.** `--lr`, `--alpha` and `--lambda` are in the reference's units: the SOS
//! notebook's `lr = α` (1 for the IPD and matching pennies, 0.1 for tandem), its `a = 0.5`,
//! `b = 0.1`, SGA's `|λ| = 1`, `ε = 0.1` and consensus' `γ = 1`. The reference's IPD loss is
//! the unnormalised value `V`, ours is `l = (1 − γ) V`; every rule's constants are therefore
//! transformed by [`RuleConfig::for_loss_scale`] with `c = 1 − γ`, and the learning rate is
//! `lr / c` (25), so that each rule takes the reference's steps exactly (tests/sos_reference.rs
//! checks this run by run). AgA has no reference and no equivalent under a rescaled loss; it
//! runs with `λ = --lambda` on our loss at the same learning rate.
//!
//! Defaults: 50 runs, 200 steps (IPD, matching pennies) or 100 steps (tandem).

use super::stats::Estimate;
use super::{
    create_dir, markdown_table, parallel_map, progress_bar, simulate, threads, write_csv,
    write_json, ExperimentError, ExperimentOptions, Report, RuleSpec, Run, Settings,
};
use crate::plot::{lines, Series};
use aga_burn::{Game, HvpBackend};
use aga_core::{Method, RuleConfig};
use aga_games::{Ipd, MatrixGame, Tandem};
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;

/// Which opponent-shaping game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapingGame {
    /// The iterated prisoner's dilemma.
    Ipd,
    /// Matching pennies.
    MatchingPennies,
    /// The tandem game.
    Tandem,
}

impl ShapingGame {
    fn name(self) -> &'static str {
        match self {
            ShapingGame::Ipd => "ipd",
            ShapingGame::MatchingPennies => "matching-pennies",
            ShapingGame::Tandem => "tandem",
        }
    }

    fn dim(self) -> usize {
        match self {
            ShapingGame::Ipd => 10,
            ShapingGame::MatchingPennies | ShapingGame::Tandem => 2,
        }
    }

    /// `c` with `our loss = c · the reference's loss`.
    fn loss_scale(self) -> f64 {
        match self {
            ShapingGame::Ipd => 1.0 - Ipd::default().gamma(),
            ShapingGame::MatchingPennies | ShapingGame::Tandem => 1.0,
        }
    }

    /// The reference's `lr = α`, standard deviation of the starts, and number of steps.
    fn reference_protocol(self) -> (f64, f64, usize) {
        match self {
            ShapingGame::Ipd | ShapingGame::MatchingPennies => (1.0, 1.0, 200),
            ShapingGame::Tandem => (0.1, 0.1, 100),
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
            ShapingGame::Tandem => point[0] + point[1],
        }
    }

    fn metric_name(self) -> &'static str {
        match self {
            ShapingGame::Ipd => "average loss",
            ShapingGame::MatchingPennies => "distance to equilibrium",
            ShapingGame::Tandem => "x + y",
        }
    }
}

fn sigmoid(t: f64) -> f64 {
    1.0 / (1.0 + (-t).exp())
}

/// The rules of the opponent-shaping experiments with the reference's constants (its
/// `update_th` defaults, look-ahead `alpha`, SGA and consensus `|λ| = lambda`), transformed for
/// our loss `c ·` the reference's by [`RuleConfig::for_loss_scale`]; AgA with `λ = lambda` as
/// given (it has no equivalent, see the module documentation).
pub fn rules(lambda: f64, alpha: f64, c: f64) -> Result<Vec<RuleSpec>, ExperimentError> {
    let reference = [
        RuleConfig::new(Method::Simgd),
        RuleConfig::new(Method::Lola).with_alpha(alpha),
        RuleConfig::new(Method::La).with_alpha(alpha),
        RuleConfig::new(Method::Sos).with_alpha(alpha),
        RuleConfig::new(Method::Sga).with_lambda(lambda),
        RuleConfig::new(Method::Consensus).with_lambda(lambda),
    ];
    let mut specs = reference
        .iter()
        .map(|r| {
            r.for_loss_scale(c)
                .map(RuleSpec::new)
                .map_err(|e| ExperimentError::BadOption(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    specs.push(RuleSpec::new(
        RuleConfig::new(Method::Aga).with_lambda(lambda),
    ));
    specs.push(RuleSpec::new(RuleConfig::new(Method::Collective)));
    Ok(specs)
}

/// The constants a rule runs with on our loss, for the table.
fn constants(rule: &RuleConfig, lr: f64) -> String {
    let g = |x: f64| {
        if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e5) {
            format!("{x:.3e}")
        } else {
            let fixed = format!("{x:.4}");
            fixed
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        }
    };
    let mut parts = vec![format!("lr {}", g(lr))];
    match rule.method {
        Method::La | Method::Lola => parts.push(format!("α {}", g(rule.alpha))),
        Method::Sos => parts.extend([
            format!("α {}", g(rule.alpha)),
            format!("b {}", g(rule.sos_b)),
            format!("k {}", g(rule.sos_k)),
        ]),
        Method::Sga => parts.extend([
            format!("λ {}", g(rule.lambda)),
            format!("ε {}", g(rule.sga_epsilon)),
        ]),
        Method::Consensus | Method::Aga => parts.push(format!("λ {}", g(rule.lambda))),
        Method::Simgd | Method::Collective => {}
    }
    parts.join(", ")
}

#[derive(Debug, Serialize)]
struct RuleSummary {
    label: String,
    /// The rule as run on our loss (constants already transformed).
    rule: RuleConfig,
    /// The learning rate on our loss.
    learning_rate: f64,
    final_metric: Estimate,
    /// Mean final probability of cooperating (IPD) / heads (MP), per parameter.
    final_probabilities: Vec<f64>,
    /// Mean final parameters.
    final_coordinates: Vec<f64>,
    diverged: usize,
    /// Mean of the metric over runs at every step (runs that diverged drop out).
    curve: Vec<f64>,
}

#[derive(Debug, Serialize)]
struct Summary {
    experiment: &'static str,
    seed: u64,
    /// The backend and float precision the runs used.
    backend: String,
    dtype: String,
    /// In the SOS reference's units (its loss is ours divided by `loss_scale`).
    #[serde(flatten)]
    settings: Settings,
    /// `c`: our loss is `c ·` the reference's.
    loss_scale: f64,
    /// Standard deviation of the initial parameters.
    start_std: f64,
    metric: &'static str,
    parameter_names: Vec<String>,
    rules: Vec<RuleSummary>,
}

/// Run the IPD or matching pennies experiment.
pub fn run<B: burn::tensor::backend::Backend>(
    which: ShapingGame,
    options: &ExperimentOptions,
) -> Result<Report, ExperimentError> {
    // Settings in the reference's units; the rules run on our loss c · the reference's.
    let (reference_lr, start_std, reference_steps) = which.reference_protocol();
    let c = which.loss_scale();
    let settings = options.settings(Settings {
        runs: 50,
        steps: reference_steps,
        lr: reference_lr,
        lambda: 1.0,
        alpha: reference_lr,
    })?;
    let Settings { runs, steps, .. } = settings;
    let lr = settings.lr / c;
    let game: Box<dyn Game<HvpBackend<B>> + Sync> = match which {
        ShapingGame::Ipd => Box::new(Ipd::default()),
        ShapingGame::MatchingPennies => Box::new(MatrixGame::matching_pennies()),
        ShapingGame::Tandem => Box::new(Tandem),
    };
    let names = game.layout().names();
    let specs = rules(settings.lambda, settings.alpha, c)?;
    let out = &options.out;
    create_dir(out)?;

    let d = which.dim();
    let starts = super::starts(options.seed, runs, |rng| {
        (0..d)
            .map(|_| start_std * Distribution::<f64>::sample(&StandardNormal, rng))
            .collect()
    });
    let jobs = specs.len() * runs;
    let bar = progress_bar(jobs as u64, options.progress, which.name());
    let results = parallel_map(jobs, threads(options), &bar, |job| {
        simulate::<B, _>(
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

    // Curves: mean metric per step over the runs that did not diverge (a diverged run's last
    // finite values would set the plot's range and hide every other curve); the legend says
    // how many runs each curve leaves out.
    let mut curve_rows = Vec::new();
    let mut summaries = Vec::new();
    let mut series = Vec::new();
    let mut run_rows = Vec::new();
    for (k, spec) in specs.iter().enumerate() {
        let group = &results[k * runs..(k + 1) * runs];
        let diverged_runs = group.iter().filter(|r| r.diverged).count();
        let mut curve = Vec::with_capacity(steps + 1);
        for step in 0..=steps {
            let values: Vec<f64> = group
                .iter()
                .filter(|r| !r.diverged && step < r.points.len())
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
            label: match diverged_runs {
                0 => spec.label.clone(),
                d if d == runs => format!("{} (all {runs} runs diverged)", spec.label),
                d => format!("{} ({d}/{runs} diverged, not drawn)", spec.label),
            },
            points: curve
                .iter()
                .enumerate()
                .map(|(s, v)| (s as f64, *v))
                .collect(),
        });
        let finite: Vec<&Run> = group.iter().filter(|r| !r.diverged).collect();
        // Means over the runs that did not diverge (NaN when none is left).
        let mean_of = |f: &dyn Fn(&Run) -> f64| -> f64 {
            finite.iter().map(|r| f(r)).sum::<f64>() / finite.len() as f64
        };
        let probabilities: Vec<f64> = (0..d)
            .map(|i| mean_of(&|r| sigmoid(r.final_point[i])))
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
            learning_rate: lr,
            final_metric: Estimate::of(
                &finite
                    .iter()
                    .map(|r| which.metric(&r.final_point, &r.final_losses))
                    .collect::<Vec<_>>(),
            ),
            final_probabilities: probabilities,
            final_coordinates: (0..d)
                .map(|i| {
                    finite.iter().map(|r| r.final_point[i]).sum::<f64>()
                        / finite.len().max(1) as f64
                })
                .collect(),
            diverged: diverged_runs,
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
        backend: options.backend.clone(),
        dtype: options.dtype.clone(),
        settings,
        loss_scale: c,
        start_std,
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
        ShapingGame::Tandem => (
            "tandem_sum.png",
            "Tandem: x + y (the fixed points are the line x + y = 1)",
            "x + y",
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
    // A rule whose every run diverged has no final point to average: "—", not NaN.
    let shown = |s: &RuleSummary, text: String| match s.diverged == runs {
        true => "—".to_string(),
        false => text,
    };
    let on_our_loss = |s: &RuleSummary| constants(&s.rule, s.learning_rate);
    match which {
        ShapingGame::Ipd => {
            let header = [
                "rule",
                "final average loss (mean ± std)",
                "P1 cooperate: start, CC, CD, DC, DD",
                "P2 cooperate: start, CC, CD, DC, DD",
                "diverged",
                "constants on l = (1 − γ) V",
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
                        shown(s, s.final_metric.show_std(3)),
                        shown(s, probs(&s.final_probabilities[..5])),
                        shown(s, probs(&s.final_probabilities[5..])),
                        diverged(s),
                        on_our_loss(s),
                    ]
                })
                .collect();
            (header.map(String::from).to_vec(), rows)
        }
        ShapingGame::MatchingPennies | ShapingGame::Tandem => {
            let (metric, p1, p2) = match which {
                ShapingGame::Tandem => ("final x + y (mean ± std)", "mean x", "mean y"),
                _ => (
                    "final distance (mean ± std)",
                    "mean p1 (heads)",
                    "mean p2 (heads)",
                ),
            };
            let header = ["rule", metric, p1, p2, "diverged", "constants"];
            let coordinate = |s: &RuleSummary, i: usize| match which {
                ShapingGame::Tandem => s.final_coordinates[i],
                _ => s.final_probabilities[i],
            };
            let rows = summaries
                .iter()
                .map(|s| {
                    vec![
                        s.label.clone(),
                        shown(s, s.final_metric.show_std(3)),
                        shown(s, format!("{:.3}", coordinate(s, 0))),
                        shown(s, format!("{:.3}", coordinate(s, 1))),
                        diverged(s),
                        on_our_loss(s),
                    ]
                })
                .collect();
            (header.map(String::from).to_vec(), rows)
        }
    }
}
