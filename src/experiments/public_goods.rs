//! `aga experiment public-goods`: the two-player public goods game of MATH.md §5.
//!
//! Every rule (simgd, collective, consensus, SGA, AgA, LA, LOLA, SOS) and the SVO baseline
//! (simgd on SVO-shaped losses, `θ_svo = π/4`, `w = 1`) run from the same `runs` random points
//! `θ ∈ [−2, 2]²` for `steps` steps. Reported: final rewards `r_1`, `r_2`, social welfare
//! `SW = r_1 + r_2` and equality `E = 1 − Gini(r)` with 95% intervals; the final contributions
//! `a = σ(θ)`; and the compute per step with its ratio to simgd (the AgA paper reports this).
//!
//! Defaults: `n = 2`, `m = 1.5`, 50 runs, 100 steps, learning rate 1, `|λ| = 1`, `α = 1`.

use super::stats::{equality, Estimate};
use super::{
    create_dir, markdown_table, parallel_map, progress_bar, simulate, threads, write_csv,
    write_json, ExperimentError, ExperimentOptions, Report, RuleSpec, Settings,
};
use crate::plot::{scatter, Series};
use aga_core::{Method, RuleConfig, Svo};
use aga_games::PublicGoods;
use rand::Rng;
use serde::Serialize;

/// The rules of the public goods experiment.
pub fn rules(lambda: f64, alpha: f64) -> Vec<RuleSpec> {
    let with = |m| RuleConfig::new(m).with_lambda(lambda);
    let shaping = |m| RuleConfig::new(m).with_alpha(alpha);
    vec![
        RuleSpec::new(RuleConfig::new(Method::Simgd)),
        RuleSpec::new(RuleConfig::new(Method::Collective)),
        RuleSpec::new(with(Method::Consensus)),
        RuleSpec::new(with(Method::Sga)),
        RuleSpec::new(with(Method::Aga)),
        RuleSpec::new(shaping(Method::La)),
        RuleSpec::new(shaping(Method::Lola)),
        RuleSpec::new(shaping(Method::Sos)),
        RuleSpec::new(RuleConfig::new(Method::Simgd))
            .with_svo(Svo::default())
            .labelled("svo"),
    ]
}

#[derive(Debug, Serialize)]
struct RuleSummary {
    label: String,
    rule: RuleConfig,
    svo: Option<Svo>,
    r1: Estimate,
    r2: Estimate,
    sw: Estimate,
    e: Estimate,
    contribution: Estimate,
    diverged: usize,
}

#[derive(Debug, Serialize)]
struct Compute {
    label: String,
    ms_per_step: f64,
    ratio_to_simgd: f64,
}

#[derive(Debug, Serialize)]
struct Summary {
    experiment: &'static str,
    seed: u64,
    /// The backend and float precision the runs used.
    backend: String,
    dtype: String,
    players: usize,
    multiplier: f64,
    #[serde(flatten)]
    settings: Settings,
    rules: Vec<RuleSummary>,
    /// Measured on the machine that ran the experiment (not deterministic).
    compute: Vec<Compute>,
}

/// Run the public goods experiment.
pub fn run<B: burn::tensor::backend::Backend>(
    options: &ExperimentOptions,
) -> Result<Report, ExperimentError> {
    let settings = options.settings(Settings {
        runs: 50,
        steps: 100,
        lr: 1.0,
        lambda: 1.0,
        alpha: 1.0,
    })?;
    let Settings {
        runs, steps, lr, ..
    } = settings;
    let game = PublicGoods::two_player();
    let specs = rules(settings.lambda, settings.alpha);
    let out = &options.out;
    create_dir(out)?;

    let starts = super::starts(options.seed, runs, |rng| {
        vec![rng.gen_range(-2.0..=2.0), rng.gen_range(-2.0..=2.0)]
    });
    let jobs = specs.len() * runs;
    let bar = progress_bar(jobs as u64, options.progress, "public-goods");
    let results = parallel_map(jobs, threads(options), &bar, |job| {
        simulate::<B, _>(
            &game,
            &specs[job / runs],
            lr,
            steps,
            &starts[job % runs],
            false,
        )
    });
    bar.finish_and_clear();
    let results = results.into_iter().collect::<Result<Vec<_>, _>>()?;

    let sigmoid = |t: f64| 1.0 / (1.0 + (-t).exp());
    let header: Vec<String> = [
        "rule",
        "run",
        "init_theta1",
        "init_theta2",
        "a1",
        "a2",
        "r1",
        "r2",
        "sw",
        "e",
        "diverged",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rows = Vec::new();
    for (job, run) in results.iter().enumerate() {
        let r: Vec<f64> = run.final_losses.iter().map(|l| -l).collect();
        rows.push(vec![
            specs[job / runs].label.clone(),
            (job % runs).to_string(),
            starts[job % runs][0].to_string(),
            starts[job % runs][1].to_string(),
            sigmoid(run.final_point[0]).to_string(),
            sigmoid(run.final_point[1]).to_string(),
            r[0].to_string(),
            r[1].to_string(),
            (r[0] + r[1]).to_string(),
            equality(&r).to_string(),
            run.diverged.to_string(),
        ]);
    }
    let mut files = vec![write_csv(out, "runs.csv", &header, &rows)?];

    let mut summaries = Vec::new();
    let mut compute = Vec::new();
    let mut groups = Vec::new();
    for (k, spec) in specs.iter().enumerate() {
        let group = &results[k * runs..(k + 1) * runs];
        let finite: Vec<_> = group.iter().filter(|r| !r.diverged).collect();
        let est = |f: &dyn Fn(&super::Run) -> f64| {
            Estimate::of(&finite.iter().map(|r| f(r)).collect::<Vec<_>>())
        };
        summaries.push(RuleSummary {
            label: spec.label.clone(),
            rule: spec.rule,
            svo: spec.svo,
            r1: est(&|r| -r.final_losses[0]),
            r2: est(&|r| -r.final_losses[1]),
            sw: est(&|r| -r.final_losses[0] - r.final_losses[1]),
            e: est(&|r| equality(&[-r.final_losses[0], -r.final_losses[1]])),
            contribution: est(&|r| (sigmoid(r.final_point[0]) + sigmoid(r.final_point[1])) / 2.0),
            diverged: group.len() - finite.len(),
        });
        let seconds: f64 = group.iter().map(|r| r.seconds).sum();
        let steps_done: usize = group.iter().map(|r| r.steps + 1).sum();
        compute.push(Compute {
            label: spec.label.clone(),
            ms_per_step: 1e3 * seconds / steps_done as f64,
            ratio_to_simgd: 0.0,
        });
        groups.push(Series {
            label: spec.label.clone(),
            points: group
                .iter()
                .map(|r| (sigmoid(r.final_point[0]), sigmoid(r.final_point[1])))
                .collect(),
        });
    }
    let base = compute[0].ms_per_step;
    for c in &mut compute {
        c.ratio_to_simgd = c.ms_per_step / base;
    }
    let table_rows: Vec<Vec<String>> = summaries
        .iter()
        .zip(&compute)
        .map(|(s, c)| {
            vec![
                s.label.clone(),
                s.r1.show(3),
                s.r2.show(3),
                s.sw.show(3),
                s.e.show(3),
                s.contribution.show(3),
                format!("{:.3}", c.ms_per_step),
                format!("{:.2}", c.ratio_to_simgd),
            ]
        })
        .collect();
    let table = markdown_table(
        &[
            "rule",
            "r1",
            "r2",
            "SW",
            "E",
            "mean contribution",
            "ms/step",
            "× simgd",
        ],
        &table_rows,
    );
    let summary = Summary {
        experiment: "public-goods",
        seed: options.seed,
        backend: options.backend.clone(),
        dtype: options.dtype.clone(),
        players: game.players(),
        multiplier: game.multiplier(),
        settings,
        rules: summaries,
        compute,
    };
    files.push(write_json(out, "summary.json", &summary)?);
    files.push(super::write_text(out, "table.md", &table)?);
    let p = out.join("public_goods_contributions.png");
    scatter(
        &p,
        "Public goods (n = 2, m = 1.5): final contributions per rule",
        ("a1 = σ(θ1)", "a2 = σ(θ2)"),
        (-0.02, 1.25),
        (-0.02, 1.02),
        &groups,
    )
    .map_err(|message| ExperimentError::Write {
        path: p.display().to_string(),
        message,
    })?;
    files.push(p);
    Ok(Report { table, files })
}
