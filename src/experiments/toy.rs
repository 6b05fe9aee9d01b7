//! `aga experiment toy`: the AgA paper's toy game (Fig. 1, MATH.md §5).
//!
//! Every rule — simgd, collective, consensus, SGA, AgA, and the SGA/AgA ablations without
//! alignment — runs plain gradient descent from `runs` random points in `[−2, 2]²` and from one
//! showcase point. Each final point is classified by the fixed-point analysis of
//! [`crate::analysis`] (the game's `H` and the collective `H_c`, from exact HVPs).
//!
//! Per rule, over the random starts: the fraction ending at the joint reward maximum
//! (`r_1, r_2 > 0.99`); the fraction in which a player ends at its reward minimum
//! (`r_i < −0.99`, the unstable end points of simgd and SGA); the fraction that diverged or
//! ended at a fixed point of `l_c` that is not a minimum (`class_c` unstable or saddle); the
//! fraction still moving (`‖ξ‖_∞ > 10⁻⁶` at the end); and mean `r_1`, `r_2`, `SW`, `E`.
//!
//! Defaults: 50 runs, 2000 steps, learning rate 0.01, `|λ| = 0.1`, showcase point
//! `(0.5, 1.5)`. (`λ = 1` overshoots where `‖H_c ξ_c‖` is large: from `(−1.5, −1.5)` AgA's first
//! steps are `O(100)` and the run diverges; docs/experiments.md reports both.)

use super::stats::{equality, Estimate};
use super::{
    create_dir, markdown_table, parallel_map, progress_bar, simulate, threads, write_csv,
    write_json, ExperimentError, ExperimentOptions, Report, RuleSpec, Run, Settings,
};
use crate::analysis::{analyse, PointClass, Tolerances};
use crate::plot::{contour_with_paths, Series};
use aga_burn::Derivatives;
use aga_core::{Method, RuleConfig};
use aga_games::Toy;
use rand::Rng;
use serde::Serialize;

/// The showcase point of the trajectory plots.
pub const SHOWCASE: [f64; 2] = [0.5, 1.5];

/// A reward above this counts as maximal (`r_i ≤ 1` in the toy game).
pub const JOINT_MAX: f64 = 0.99;

/// The rules of the toy experiment, with `|λ| = lambda`.
pub fn rules(lambda: f64) -> Vec<RuleSpec> {
    let with = |m| RuleConfig::new(m).with_lambda(lambda);
    vec![
        RuleSpec::new(RuleConfig::new(Method::Simgd)),
        RuleSpec::new(RuleConfig::new(Method::Collective)),
        RuleSpec::new(with(Method::Consensus)),
        RuleSpec::new(with(Method::Sga)),
        RuleSpec::new(with(Method::Aga)),
        RuleSpec::new(with(Method::Sga).with_align(false)).labelled("sga-noalign"),
        RuleSpec::new(with(Method::Aga).with_align(false)).labelled("aga-noalign"),
    ]
}

/// One finished run and what its end point is.
#[derive(Debug, Clone)]
struct Outcome {
    run: Run,
    class: Option<PointClass>,
    class_c: Option<PointClass>,
}

impl Outcome {
    fn rewards(&self) -> [f64; 2] {
        [-self.run.final_losses[0], -self.run.final_losses[1]]
    }

    fn joint_max(&self) -> bool {
        !self.run.diverged && self.rewards().iter().all(|r| *r > JOINT_MAX)
    }

    /// Diverged, or ended at a fixed point of `l_c` that is not a local minimum.
    fn unstable_or_diverged(&self) -> bool {
        self.run.diverged
            || matches!(
                self.class_c,
                Some(PointClass::Unstable | PointClass::Saddle)
            )
    }

    /// Some player ended at (or next to) its worst reward, `r_i < −0.99`.
    fn player_at_minimum(&self) -> bool {
        !self.run.diverged && self.rewards().iter().any(|r| *r < -JOINT_MAX)
    }
}

/// Per-rule summary in `summary.json`.
#[derive(Debug, Serialize)]
struct RuleSummary {
    label: String,
    rule: RuleConfig,
    joint_max: f64,
    player_at_minimum: f64,
    unstable_or_diverged: f64,
    diverged: f64,
    not_fixed: f64,
    class_counts: std::collections::BTreeMap<String, usize>,
    class_c_counts: std::collections::BTreeMap<String, usize>,
    r1: Estimate,
    r2: Estimate,
    sw: Estimate,
    e: Estimate,
    showcase_final: Vec<f64>,
    showcase_rewards: [f64; 2],
    showcase_class: Option<PointClass>,
    showcase_class_c: Option<PointClass>,
}

#[derive(Debug, Serialize)]
struct Summary {
    experiment: &'static str,
    seed: u64,
    /// The backend and float precision the runs used.
    backend: String,
    dtype: String,
    #[serde(flatten)]
    settings: Settings,
    showcase: [f64; 2],
    joint_max_threshold: f64,
    rules: Vec<RuleSummary>,
}

/// Run the toy experiment.
pub fn run<B: burn::tensor::backend::Backend>(
    options: &ExperimentOptions,
) -> Result<Report, ExperimentError> {
    // End points are classified with f64 tolerances (gradient 1e-6, eigenvalues 1e-9 relative):
    // in f32 the residuals sit at those thresholds and the classes would flip silently.
    let probe = burn::tensor::Tensor::<B, 1>::zeros([1], &Default::default());
    if probe.dtype() != burn::tensor::DType::F64 {
        return Err(ExperimentError::BadOption(
            "the toy experiment classifies fixed points with f64 tolerances: run it with --dtype f64"
                .into(),
        ));
    }
    let settings = options.settings(Settings {
        runs: 50,
        steps: 2000,
        lr: 0.01,
        lambda: 0.1,
        alpha: 1.0, // unused: no opponent-shaping rule here
    })?;
    let Settings {
        runs, steps, lr, ..
    } = settings;
    let specs = rules(settings.lambda);
    let out = &options.out;
    create_dir(out)?;

    // Run k starts from the same point for every rule; the last start is the showcase point.
    let mut starts = super::starts(options.seed, runs, |rng| {
        vec![rng.gen_range(-2.0..=2.0), rng.gen_range(-2.0..=2.0)]
    });
    starts.push(SHOWCASE.to_vec());
    let per_rule = starts.len();
    let jobs = specs.len() * per_rule;
    let bar = progress_bar(jobs as u64, options.progress, "toy");
    let results = parallel_map(jobs, threads(options), &bar, |job| {
        let (spec, start) = (&specs[job / per_rule], &starts[job % per_rule]);
        let showcase = job % per_rule == runs;
        let run = simulate::<B, _>(&Toy, spec, lr, steps, start, showcase)?;
        let (class, class_c) = if run.diverged {
            (None, None)
        } else {
            let analysis_error = |message: String| ExperimentError::Analysis {
                rule: spec.label.clone(),
                message,
            };
            let engine = Derivatives::<B, _>::new(&Toy, Default::default())
                .map_err(|e| analysis_error(e.to_string()))?;
            let a = analyse(&engine, &run.final_point, Tolerances::default())
                .map_err(|e| analysis_error(e.to_string()))?;
            (Some(a.class), Some(a.class_c))
        };
        Ok::<_, ExperimentError>(Outcome {
            run,
            class,
            class_c,
        })
    });
    bar.finish_and_clear();
    let results = results.into_iter().collect::<Result<Vec<_>, _>>()?;

    // Raw CSV: one row per (rule, start).
    let header: Vec<String> = [
        "rule", "run", "init_a1", "init_a2", "final_a1", "final_a2", "r1", "r2", "sw", "e",
        "class", "class_c", "diverged", "steps",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let class_name = |c: Option<PointClass>| c.map_or("diverged".to_string(), |c| c.to_string());
    let mut rows = Vec::new();
    for (job, o) in results.iter().enumerate() {
        let (spec, start) = (&specs[job / per_rule], &starts[job % per_rule]);
        let r = o.rewards();
        let run_name = if job % per_rule == runs {
            "showcase".to_string()
        } else {
            (job % per_rule).to_string()
        };
        rows.push(vec![
            spec.label.clone(),
            run_name,
            start[0].to_string(),
            start[1].to_string(),
            o.run.final_point[0].to_string(),
            o.run.final_point[1].to_string(),
            r[0].to_string(),
            r[1].to_string(),
            (r[0] + r[1]).to_string(),
            equality(&r).to_string(),
            class_name(o.class),
            class_name(o.class_c),
            o.run.diverged.to_string(),
            o.run.steps.to_string(),
        ]);
    }
    let mut files = vec![write_csv(out, "runs.csv", &header, &rows)?];

    // Showcase trajectories.
    let mut traj_rows = Vec::new();
    for (k, spec) in specs.iter().enumerate() {
        let o = &results[k * per_rule + runs];
        for (step, (p, l)) in o.run.points.iter().zip(&o.run.losses).enumerate() {
            traj_rows.push(vec![
                spec.label.clone(),
                step.to_string(),
                p[0].to_string(),
                p[1].to_string(),
                (-l[0]).to_string(),
                (-l[1]).to_string(),
            ]);
        }
    }
    let traj_header: Vec<String> = ["rule", "step", "a1", "a2", "r1", "r2"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    files.push(write_csv(out, "showcase.csv", &traj_header, &traj_rows)?);

    // Summary.
    let mut summaries = Vec::new();
    let mut table_rows = Vec::new();
    for (k, spec) in specs.iter().enumerate() {
        let random = &results[k * per_rule..k * per_rule + runs];
        let frac = |f: &dyn Fn(&Outcome) -> bool| {
            random.iter().filter(|o| f(o)).count() as f64 / runs as f64
        };
        let finite: Vec<&Outcome> = random.iter().filter(|o| !o.run.diverged).collect();
        let est = |f: &dyn Fn(&Outcome) -> f64| {
            Estimate::of(&finite.iter().map(|o| f(o)).collect::<Vec<_>>())
        };
        let count = |f: &dyn Fn(&Outcome) -> Option<PointClass>| {
            let mut m = std::collections::BTreeMap::new();
            for o in random {
                *m.entry(class_name(f(o))).or_insert(0) += 1;
            }
            m
        };
        let showcase = &results[k * per_rule + runs];
        let s = RuleSummary {
            label: spec.label.clone(),
            rule: spec.rule,
            joint_max: frac(&|o| o.joint_max()),
            player_at_minimum: frac(&|o| o.player_at_minimum()),
            unstable_or_diverged: frac(&|o| o.unstable_or_diverged()),
            diverged: frac(&|o| o.run.diverged),
            not_fixed: frac(&|o| o.class == Some(PointClass::NotFixed)),
            class_counts: count(&|o| o.class),
            class_c_counts: count(&|o| o.class_c),
            r1: est(&|o| o.rewards()[0]),
            r2: est(&|o| o.rewards()[1]),
            sw: est(&|o| o.rewards()[0] + o.rewards()[1]),
            e: est(&|o| equality(&o.rewards())),
            showcase_final: showcase.run.final_point.clone(),
            showcase_rewards: showcase.rewards(),
            showcase_class: showcase.class,
            showcase_class_c: showcase.class_c,
        };
        table_rows.push(vec![
            s.label.clone(),
            format!("{:.2}", s.joint_max),
            format!("{:.2}", s.player_at_minimum),
            format!("{:.2}", s.unstable_or_diverged),
            format!("{:.2}", s.not_fixed),
            s.r1.show(3),
            s.r2.show(3),
            s.sw.show(3),
            s.e.show(3),
            format!(
                "({:.2}, {:.2}) r = ({:.2}, {:.2})",
                s.showcase_final[0],
                s.showcase_final[1],
                s.showcase_rewards[0],
                s.showcase_rewards[1]
            ),
        ]);
        summaries.push(s);
    }
    let summary = Summary {
        experiment: "toy",
        seed: options.seed,
        backend: options.backend.clone(),
        dtype: options.dtype.clone(),
        settings,
        showcase: SHOWCASE,
        joint_max_threshold: JOINT_MAX,
        rules: summaries,
    };
    files.push(write_json(out, "summary.json", &summary)?);
    let table = markdown_table(
        &[
            "rule",
            "joint max",
            "a player at its minimum",
            "unstable for l_c / diverged",
            "not fixed",
            "r1",
            "r2",
            "SW",
            "E",
            "showcase end",
        ],
        &table_rows,
    );
    files.push(super::write_text(out, "table.md", &table)?);

    // Fig. 1: contour maps with the showcase trajectories.
    let paths: Vec<Series> = specs
        .iter()
        .enumerate()
        .map(|(k, spec)| Series {
            label: spec.label.clone(),
            points: results[k * per_rule + runs]
                .run
                .points
                .iter()
                .map(|p| (p[0], p[1]))
                .collect(),
        })
        .collect();
    let (x_range, y_range) = plot_box(&paths);
    let r1 = |a1: f64, a2: f64| -Toy::losses_f64(a1, a2).0;
    let rc = |a1: f64, a2: f64| {
        let (l1, l2) = Toy::losses_f64(a1, a2);
        -(l1 + l2)
    };
    let plot_err = |path: &std::path::Path| {
        let shown = path.display().to_string();
        move |message| ExperimentError::Write {
            path: shown.clone(),
            message,
        }
    };
    let p = out.join("toy_r1.png");
    contour_with_paths(
        &p,
        "Toy game: player 1's reward r1, trajectories from the showcase point",
        ("a1", "a2"),
        x_range,
        y_range,
        &r1,
        12,
        &paths,
    )
    .map_err(plot_err(&p))?;
    files.push(p);
    let p = out.join("toy_collective.png");
    contour_with_paths(
        &p,
        "Toy game: collective reward r1 + r2, same trajectories",
        ("a1", "a2"),
        x_range,
        y_range,
        &rc,
        12,
        &paths,
    )
    .map_err(plot_err(&p))?;
    files.push(p);
    Ok(Report { table, files })
}

/// A square-ish box around the paths, at least `[−2, 2]²` around the start, at most `[−4, 4]²`.
fn plot_box(paths: &[Series]) -> ((f64, f64), (f64, f64)) {
    let (mut x0, mut x1, mut y0, mut y1) = (-2.0f64, 2.0f64, -2.0f64, 2.0f64);
    for &(x, y) in paths.iter().flat_map(|s| s.points.iter()) {
        if x.is_finite() && y.is_finite() {
            x0 = x0.min(x - 0.2);
            x1 = x1.max(x + 0.2);
            y0 = y0.min(y - 0.2);
            y1 = y1.max(y + 0.2);
        }
    }
    ((x0.max(-4.0), x1.min(4.0)), (y0.max(-4.0), y1.min(4.0)))
}
