//! The cost of one all-reduce between processes on this machine, through
//! `CollectiveAllReduce` (burn-collective's coordinator and tree strategy, vendored).
//!
//! ```text
//! cargo run --release -p aga-parallel --features collective --example all_reduce_cost -- [WORKERS] [REPEATS] [SIZE...]
//! ```
//!
//! starts WORKERS (default 2) copies of itself on 127.0.0.1; each joins and sums REPEATS
//! (default 30) vectors of every SIZE (default 1,000 10,000 100,000 1,000,000 floats), after
//! two warm-up sums; rank 0 prints, per size, the median and the 90th percentile of the wall
//! time of one sum and checks every result. docs/scaling.md records its output.

use aga_parallel::{AllReduce, CollectiveAllReduce, CollectiveConfig};
use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--worker") {
        return worker(&args[2..]);
    }
    let workers: usize = args.get(1).map(|a| a.parse().unwrap()).unwrap_or(2);
    let repeats: usize = args.get(2).map(|a| a.parse().unwrap()).unwrap_or(30);
    let sizes: Vec<String> = match args.len() > 3 {
        true => args[3..].to_vec(),
        false => ["1000", "10000", "100000", "1000000"]
            .map(String::from)
            .to_vec(),
    };
    let coordinator = format!("127.0.0.1:{}", free_port());
    let children: Vec<_> = (0..workers)
        .map(|rank| {
            Command::new(std::env::current_exe().unwrap())
                .arg("--worker")
                .args([
                    coordinator.clone(),
                    format!("127.0.0.1:{}", free_port()),
                    rank.to_string(),
                    workers.to_string(),
                    repeats.to_string(),
                ])
                .args(&sizes)
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
}

fn worker(a: &[String]) {
    let (rank, world, repeats): (usize, usize, usize) = (
        a[2].parse().unwrap(),
        a[3].parse().unwrap(),
        a[4].parse().unwrap(),
    );
    let sizes: Vec<usize> = a[5..].iter().map(|s| s.parse().unwrap()).collect();
    let start = Instant::now();
    let mut all = CollectiveAllReduce::join(CollectiveConfig {
        coordinator: a[0].clone(),
        node: a[1].clone(),
        rank,
        world_size: world,
        host_coordinator: rank == 0,
        timeout: Duration::from_secs(60),
    })
    .unwrap();
    if rank == 0 {
        println!("# {world} workers on 127.0.0.1, joined in {:.1} ms; {repeats} sums per size after 2 warm-up sums", start.elapsed().as_secs_f64() * 1e3);
        println!("floats,median_ms,p90_ms,MB_per_s_median");
    }
    for size in sizes {
        let mut times = Vec::new();
        for k in 0..repeats + 2 {
            let mine: Vec<f64> = (0..size)
                .map(|i| (rank + 1) as f64 * (i % 7 + k) as f64)
                .collect();
            let t = Instant::now();
            let sum = all.sum(mine).unwrap();
            let dt = t.elapsed().as_secs_f64();
            let expected = |i: usize| (world * (world + 1) / 2) as f64 * (i % 7 + k) as f64;
            assert!(
                sum.iter().enumerate().all(|(i, &x)| x == expected(i)),
                "wrong sum"
            );
            if k >= 2 {
                times.push(dt);
            }
        }
        times.sort_by(|x, y| x.partial_cmp(y).unwrap());
        let median = times[times.len() / 2];
        let p90 = times[(times.len() * 9) / 10];
        if rank == 0 {
            println!(
                "{size},{:.3},{:.3},{:.1}",
                median * 1e3,
                p90 * 1e3,
                (size * 8) as f64 / median / 1e6
            );
        }
    }
}
