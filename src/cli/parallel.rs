//! Data-parallel `aga train`: `--workers N` (a launcher of N worker processes on this
//! machine) and `--coordinator HOST:PORT --rank R --world-size N` (one worker of a run across
//! processes or machines). The workers' reductions are `aga_parallel::CollectiveAllReduce`'s.

use super::args::TrainArgs;
use super::CliError;
use aga_rl::parallel::{AllReduce, CollectiveAllReduce, CollectiveConfig};
use std::ffi::OsString;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a worker waits for the others when `--collective-timeout` is not given.
const DEFAULT_TIMEOUT_S: f64 = 300.0;

/// What this `aga train` process is.
pub(crate) enum Role {
    /// The whole batch in this process.
    Single,
    /// Start this many worker processes here and wait for them.
    Launcher(usize),
    /// One worker of a data-parallel run.
    Worker(CollectiveConfig),
}

fn bad(message: impl Into<String>) -> CliError {
    CliError::BadValue(message.into())
}

/// `HOST:PORT` split, the port checked.
fn host_port(address: &str, flag: &str) -> Result<(String, u16), CliError> {
    let parsed = address
        .rsplit_once(':')
        .and_then(|(host, port)| Some((host, port.parse::<u16>().ok()?)))
        .filter(|(host, port)| !host.is_empty() && *port > 0);
    match parsed {
        Some((host, port)) => Ok((host.to_string(), port)),
        None => Err(bad(format!("{flag} must be HOST:PORT, got {address:?}"))),
    }
}

/// The data-parallel options of `aga train`, checked.
pub(crate) fn role(args: &TrainArgs) -> Result<Role, CliError> {
    let timeout = match args.collective_timeout {
        None => DEFAULT_TIMEOUT_S,
        Some(t) if t.is_finite() && t > 0.0 && t <= 86_400.0 => t,
        Some(t) => {
            return Err(bad(format!(
                "--collective-timeout must be between 0 and 86400 seconds, got {t}"
            )))
        }
    };
    let joined = [
        args.coordinator.is_some(),
        args.rank.is_some(),
        args.world_size.is_some(),
    ];
    if let Some(n) = args.workers {
        if joined.iter().any(|&x| x) || args.node_address.is_some() {
            return Err(bad(
                "--workers starts its own workers: not with --coordinator, --rank, --world-size or --node-address",
            ));
        }
        return match n {
            0 => Err(bad("--workers must be at least 1")),
            1 => Ok(Role::Single),
            n if n > 256 => Err(bad(format!("--workers must be at most 256, got {n}"))),
            n => Ok(Role::Launcher(n)),
        };
    }
    if joined.iter().all(|&x| !x) {
        if args.node_address.is_some() || args.collective_timeout.is_some() {
            return Err(bad(
                "--node-address and --collective-timeout belong to a data-parallel run (--workers, or --coordinator --rank --world-size)",
            ));
        }
        return Ok(Role::Single);
    }
    let (Some(coordinator), Some(rank), Some(world_size)) =
        (&args.coordinator, args.rank, args.world_size)
    else {
        return Err(bad(
            "a data-parallel worker needs all of --coordinator HOST:PORT, --rank and --world-size",
        ));
    };
    if world_size == 0 || world_size > 256 {
        return Err(bad(format!(
            "--world-size must be between 1 and 256, got {world_size}"
        )));
    }
    if rank >= world_size {
        return Err(bad(format!(
            "--rank {rank} must be below --world-size {world_size} (ranks count from 0)"
        )));
    }
    let (host, port) = host_port(coordinator, "--coordinator")?;
    let node = match &args.node_address {
        Some(node) => {
            host_port(node, "--node-address")?;
            node.clone()
        }
        None if host == "127.0.0.1" || host == "localhost" => {
            let node_port = u32::from(port) + 1 + rank as u32;
            let node_port = u16::try_from(node_port)
                .map_err(|_| bad("--coordinator's port leaves no room for the workers' ports"))?;
            format!("127.0.0.1:{node_port}")
        }
        None => {
            return Err(bad(
                "--node-address HOST:PORT is required when the coordinator is on another machine (this worker's address as the others reach it)",
            ))
        }
    };
    Ok(Role::Worker(CollectiveConfig {
        coordinator: coordinator.clone(),
        node,
        rank,
        world_size,
        host_coordinator: rank == 0,
        timeout: Duration::from_secs_f64(timeout),
    }))
}

/// The folder of worker `rank` of the run in `dir`: `dir` for rank 0, `dir/workers/rank-R`
/// for the others (their checkpoints of their own environment copies).
pub(crate) fn worker_dir(dir: &Path, rank: usize) -> PathBuf {
    match rank {
        0 => dir.to_path_buf(),
        r => dir.join("workers").join(format!("rank-{r}")),
    }
}

/// Join the run as `config` says (at most its timeout).
pub(crate) fn join(config: CollectiveConfig) -> Result<Box<dyn AllReduce>, CliError> {
    CollectiveAllReduce::join(config)
        .map(|c| Box::new(c) as Box<dyn AllReduce>)
        .map_err(|e| bad(e.to_string()))
}

/// `n` free TCP ports on 127.0.0.1 (held together, then released for the workers).
fn free_ports(n: usize) -> Result<Vec<u16>, CliError> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("cannot find free local ports for the workers: {e}")))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("cannot find free local ports for the workers: {e}")))
}

/// `aga train --workers N`: runs this binary N times with this command line (without
/// `--workers`, with the run's folder, a coordinator and a node address on 127.0.0.1 and a
/// share of the cores each), rank 0 on this terminal, and waits for them. When one fails, the
/// others stop by their own deadline (or are stopped after it).
pub(crate) fn launch(
    args: &TrainArgs,
    n: usize,
    copies: usize,
    dir: &Path,
) -> Result<(), CliError> {
    if n > copies {
        return Err(bad(format!(
            "{n} workers cannot share {copies} environment copies: give each worker at least one (--envs)"
        )));
    }
    let argv: Vec<OsString> = std::env::args_os().skip(1).collect();
    let is_workers = |a: &OsString| {
        a.to_str()
            .is_some_and(|a| a == "--workers" || a.starts_with("--workers="))
    };
    let position = argv.iter().position(is_workers);
    if !argv.iter().any(|a| a == "train") || position.is_none() {
        return Err(bad(
            "--workers re-runs this program with its own command line, which is not `aga train … --workers N` here",
        ));
    }
    let mut base = argv.clone();
    let at = position.expect("checked");
    let with_value = base[at] == "--workers";
    base.remove(at);
    if with_value {
        base.remove(at);
    }
    if args.resume.is_none() && args.out.is_none() {
        base.extend(["--out".into(), dir.as_os_str().to_owned()]);
    }
    if args.threads.is_none() {
        let per = (crate::training::available_threads() / n).max(1);
        base.extend(["--threads".into(), per.to_string().into()]);
    }
    let timeout = args.collective_timeout.unwrap_or(DEFAULT_TIMEOUT_S);
    let ports = free_ports(n + 1)?;
    let exe = std::env::current_exe().map_err(|e| {
        bad(format!(
            "cannot find this program to start the workers: {e}"
        ))
    })?;
    let mut children: Vec<Child> = Vec::with_capacity(n);
    for rank in 0..n {
        let mut command = Command::new(&exe);
        command
            .args(&base)
            .arg("--coordinator")
            .arg(format!("127.0.0.1:{}", ports[0]))
            .arg("--rank")
            .arg(rank.to_string())
            .arg("--world-size")
            .arg(n.to_string())
            .arg("--node-address")
            .arg(format!("127.0.0.1:{}", ports[rank + 1]));
        if rank > 0 {
            if !args.quiet {
                command.arg("--quiet");
            }
            command.stdout(Stdio::null());
        }
        match command.spawn() {
            Ok(child) => children.push(child),
            Err(e) => {
                for mut child in children {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                return Err(bad(format!("cannot start worker {rank}: {e}")));
            }
        }
    }
    supervise(children, Duration::from_secs_f64(timeout))
}

/// Wait for every worker; after the first failure, give the others their deadline (plus a
/// margin) to stop by themselves, then stop them.
fn supervise(mut children: Vec<Child>, timeout: Duration) -> Result<(), CliError> {
    let mut status: Vec<Option<std::process::ExitStatus>> = vec![None; children.len()];
    // When the first worker was seen to fail.
    let mut first_failure: Option<Instant> = None;
    loop {
        for (rank, child) in children.iter_mut().enumerate() {
            if status[rank].is_none() {
                if let Ok(Some(s)) = child.try_wait() {
                    status[rank] = Some(s);
                    if !s.success() && first_failure.is_none() {
                        first_failure = Some(Instant::now());
                    }
                }
            }
        }
        if status.iter().all(Option::is_some) {
            break;
        }
        if let Some(at) = first_failure {
            if at.elapsed() > timeout + Duration::from_secs(10) {
                for (rank, child) in children.iter_mut().enumerate() {
                    if status[rank].is_none() {
                        let _ = child.kill();
                        status[rank] = child.wait().ok();
                    }
                }
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if first_failure.is_none() {
        return Ok(());
    }
    // Every worker that failed (they stop within one polling interval of each other when one
    // takes the others down: which came first is not known).
    let failed: Vec<String> = status
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.is_some_and(|s| s.success()))
        .map(|(rank, s)| match s {
            Some(s) => format!("{rank} ({s})"),
            None => format!("{rank} (stopped)"),
        })
        .collect();
    Err(bad(format!(
        "data-parallel workers failed: {}; the run stopped (the last checkpoint is intact: resume with the same --workers)",
        failed.join(", ")
    )))
}
