//! The subcommands.

use super::{Cli, CliError, Command, DirectionArgs, RuleArgs, RunArgs};
use aga_burn::{backends::CpuF64, Derivatives, FlatTensor, Game, HvpBackend};
use aga_core::{descend, direction, GameOracle, Method, RuleConfig};
use aga_games::{build, GameOptions};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

/// Run the parsed command.
pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Direction(args) => direction_command(args),
        Command::Run(args) => run_command(args),
    }
}

/// The backend the command line computes on: exact f64 on the CPU.
type Backend = CpuF64;

struct Setup {
    game: Box<dyn Game<HvpBackend<Backend>>>,
    suggested_init: Option<Vec<f64>>,
    rule: RuleConfig,
}

fn setup(args: &RuleArgs) -> Result<Setup, CliError> {
    let method: Method = args.method.parse()?;
    let rule = RuleConfig::new(method)
        .with_lambda(args.lambda)
        .with_align(!args.no_align)
        .with_sga_epsilon(args.sga_epsilon);
    rule.validate()?;
    let options = GameOptions {
        matrix: args.matrix.clone(),
        players: args.players,
        hidden: args.hidden,
        seed: args.seed,
    };
    let built = build::<HvpBackend<Backend>>(&args.game, &options)?;
    Ok(Setup {
        game: built.game,
        suggested_init: built.suggested_init,
        rule,
    })
}

/// Parse a comma-separated list of `expected` finite numbers given to `option`.
fn parse_point(
    option: &'static str,
    text: Option<&str>,
    suggested: Option<Vec<f64>>,
    names: &[String],
) -> Result<Vec<f64>, CliError> {
    let bad = |message: String| CliError::BadList { option, message };
    let text = match (text, suggested) {
        (Some(t), _) => t,
        (None, Some(w)) => return Ok(w),
        (None, None) => return Err(CliError::Missing(option)),
    };
    let values = text
        .split(',')
        .map(|s| {
            let s = s.trim();
            if s.is_empty() {
                return Err(bad(format!("empty entry in `{text}`")));
            }
            let x: f64 = s
                .parse()
                .map_err(|_| bad(format!("`{s}` is not a number")))?;
            if !x.is_finite() {
                return Err(bad(format!("`{s}` is not a finite number")));
            }
            Ok(x)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if values.len() != names.len() {
        let shown = if names.len() <= 8 {
            format!(" ({})", names.join(","))
        } else {
            String::new()
        };
        return Err(bad(format!(
            "expected {} comma-separated numbers{shown}, got {}",
            names.len(),
            values.len()
        )));
    }
    Ok(values)
}

#[derive(Serialize)]
struct DirectionJson {
    xi: Vec<f64>,
    xi_c: Vec<f64>,
    direction: Vec<f64>,
    lambda: Option<f64>,
}

fn direction_command(args: DirectionArgs) -> Result<(), CliError> {
    let setup = setup(&args.rule)?;
    let engine = Derivatives::<Backend, _>::new(setup.game.as_ref(), Default::default())?;
    let at = parse_point(
        "--at",
        args.at.as_deref(),
        setup.suggested_init,
        &engine.layout().names(),
    )?;
    let mut oracle = engine.oracle(engine.point(&at)?)?;
    let d = direction(&setup.rule, &mut oracle)?;
    let out = DirectionJson {
        xi: oracle.xi()?.to_vec(),
        xi_c: oracle.xi_c()?.to_vec(),
        direction: d.value.to_vec(),
        lambda: d.lambda,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&out).expect("finite numbers serialise")
        );
    } else {
        let names = &engine.layout().names();
        println!(
            "game {}, method {} at {}",
            args.rule.game,
            describe_rule(&setup.rule),
            format_named(names, &at)
        );
        println!("xi         {}", format_named(names, &out.xi));
        println!("xi_c       {}", format_named(names, &out.xi_c));
        println!("direction  {}", format_named(names, &out.direction));
        if let Some(l) = out.lambda {
            println!("lambda     {l}");
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct RunJson {
    #[serde(rename = "final")]
    final_point: Vec<f64>,
    losses: Vec<f64>,
    steps: usize,
}

fn run_command(args: RunArgs) -> Result<(), CliError> {
    let setup = setup(&args.rule)?;
    if !(args.lr.is_finite() && args.lr > 0.0) {
        return Err(CliError::BadValue(format!(
            "--lr must be a positive finite number, got {}",
            args.lr
        )));
    }
    if args.steps == 0 {
        return Err(CliError::BadValue("--steps must be at least 1".into()));
    }
    let engine = Derivatives::<Backend, _>::new(setup.game.as_ref(), Default::default())?;
    let names = engine.layout().names();
    let init = parse_point("--init", args.init.as_deref(), setup.suggested_init, &names)?;
    let w0 = engine.point(&init)?;

    let mut trajectory = match &args.trajectory {
        Some(path) => Some(Trajectory::create(
            path,
            &names,
            engine.layout().num_players(),
        )?),
        None => None,
    };
    let progress = progress_bar(args.steps as u64);
    let mut final_losses = Vec::new();
    let final_w = descend(
        &setup.rule,
        args.lr,
        args.steps,
        w0,
        |w: &FlatTensor<Backend>| engine.oracle(w.clone()),
        |step| {
            let losses = step.oracle.losses()?;
            if let Some(t) = trajectory.as_mut() {
                t.row(step.step, &step.w.to_vec(), &losses);
            }
            if step.direction.is_none() {
                final_losses = losses;
            } else {
                progress.inc(1);
            }
            Ok(())
        },
    );
    progress.finish_and_clear();
    if let Some(t) = trajectory {
        t.finish()?;
    }
    let final_w = final_w?.to_vec();

    if args.json {
        let out = RunJson {
            final_point: final_w,
            losses: final_losses,
            steps: args.steps,
        };
        println!(
            "{}",
            serde_json::to_string(&out).expect("finite numbers serialise")
        );
    } else {
        println!(
            "game {}, method {}, lr {}, {} steps",
            args.rule.game,
            describe_rule(&setup.rule),
            args.lr,
            args.steps
        );
        println!("final   {}", format_named(&names, &final_w));
        let loss_names: Vec<String> = (1..=final_losses.len()).map(|i| format!("l{i}")).collect();
        println!("losses  {}", format_named(&loss_names, &final_losses));
    }
    Ok(())
}

/// A CSV file of `step, w…, l…` rows. The first write error is kept and reported at the end.
struct Trajectory {
    path: String,
    writer: csv::Writer<std::fs::File>,
    error: Option<csv::Error>,
}

impl Trajectory {
    fn create(path: &std::path::Path, names: &[String], players: usize) -> Result<Self, CliError> {
        let shown = path.display().to_string();
        let mut writer = csv::Writer::from_path(path).map_err(|source| CliError::Csv {
            path: shown.clone(),
            source,
        })?;
        let header = std::iter::once("step".to_string())
            .chain(names.iter().cloned())
            .chain((1..=players).map(|i| format!("l{i}")));
        writer
            .write_record(header)
            .map_err(|source| CliError::Csv {
                path: shown.clone(),
                source,
            })?;
        Ok(Self {
            path: shown,
            writer,
            error: None,
        })
    }

    fn row(&mut self, step: usize, w: &[f64], losses: &[f64]) {
        if self.error.is_some() {
            return;
        }
        let record =
            std::iter::once(step.to_string()).chain(w.iter().chain(losses).map(|x| x.to_string()));
        if let Err(e) = self.writer.write_record(record) {
            self.error = Some(e);
        }
    }

    fn finish(mut self) -> Result<(), CliError> {
        if let Some(source) = self.error.take() {
            return Err(CliError::Csv {
                path: self.path,
                source,
            });
        }
        self.writer.flush().map_err(|source| CliError::Io {
            path: self.path,
            source,
        })
    }
}

fn progress_bar(steps: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} steps ({elapsed}, eta {eta})")
            .expect("valid template"),
    );
    bar
}

fn describe_rule(rule: &RuleConfig) -> String {
    if rule.method.uses_lambda() {
        let align = match (rule.method, rule.align) {
            (Method::Aga, true) => ", sign rule",
            (Method::Sga, true) => ", aligned",
            _ => "",
        };
        format!("{} (lambda {}{align})", rule.method, rule.lambda)
    } else {
        rule.method.to_string()
    }
}

fn format_named(names: &[String], values: &[f64]) -> String {
    const SHOWN: usize = 8;
    let mut parts: Vec<String> = names
        .iter()
        .zip(values)
        .take(SHOWN)
        .map(|(n, v)| format!("{n} = {v}"))
        .collect();
    if values.len() > SHOWN {
        parts.push(format!("… ({} values)", values.len()));
    }
    parts.join(", ")
}
