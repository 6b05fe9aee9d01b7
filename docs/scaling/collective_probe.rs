//! Probe of burn-collective 0.21 across processes: N node processes + one orchestrator on
//! localhost; each node registers once and all-reduces COUNT tensors of SIZE floats (Mean),
//! printing each result's first value and the time; a watchdog reports a hang after 30 s.
use burn::tensor::{Tensor, TensorPrimitive};
use burn_collective::{all_reduce, finish_collective, register, AllReduceStrategy, CollectiveConfig, PeerId, ReduceOperation};
use burn_communication::Address;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
type B = burn::backend::Flex;

static OP: AtomicUsize = AtomicUsize::new(0);

fn main() {
    let a: Vec<String> = std::env::args().collect();
    match a[1].as_str() {
        "orchestrator" => {
            let port: u16 = a[2].parse().unwrap();
            tokio::runtime::Runtime::new().unwrap().block_on(burn_collective::start_global_orchestrator(port));
        }
        "node" => {
            let (rank, n, count, size, reregister): (u32, u32, usize, usize, bool) = (
                a[2].parse().unwrap(), a[3].parse().unwrap(), a[4].parse().unwrap(), a[5].parse().unwrap(), a.get(6).map(|s| s == "reregister").unwrap_or(false));
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(30));
                eprintln!("PROBE rank {rank}: HUNG in op {} after 30 s", OP.load(Ordering::SeqCst));
                std::process::exit(3);
            });
            let port = 3101 + rank as u16;
            let cfg = CollectiveConfig::default()
                .with_num_devices(1)
                .with_global_address(Address::from_str("ws://127.0.0.1:3100").unwrap())
                .with_node_address(Address::from_str(&format!("ws://127.0.0.1:{port}")).unwrap())
                .with_data_service_port(port)
                .with_num_nodes(n)
                .with_global_all_reduce_strategy(AllReduceStrategy::Tree(2))
                .with_local_all_reduce_strategy(AllReduceStrategy::Tree(2));
            let id = PeerId::from(rank);
            let device = Default::default();
            let t0 = Instant::now();
            if !reregister {
                register::<B>(id, device, cfg.clone()).unwrap();
                eprintln!("PROBE rank {rank}: registered in {:?}", t0.elapsed());
            }
            for k in 0..count {
                OP.store(k, Ordering::SeqCst);
                let t = Instant::now();
                if reregister {
                    register::<B>(id, Default::default(), cfg.clone()).unwrap();
                }
                let x = Tensor::<B, 1>::full([size], (rank + 1) as f32 * (k + 1) as f32, &Default::default());
                let out = all_reduce::<B>(id, x.into_primitive().tensor(), ReduceOperation::Mean).unwrap();
                let out = Tensor::<B, 1>::from_primitive(TensorPrimitive::Float(out));
                let v: Vec<f32> = out.into_data().to_vec().unwrap();
                if reregister {
                    finish_collective::<B>(id).unwrap();
                }
                eprintln!("PROBE rank {rank}: op {k} size {size} mean {} in {:.3} ms", v[0], t.elapsed().as_secs_f64() * 1e3);
            }
            if !reregister {
                finish_collective::<B>(id).unwrap();
            }
            eprintln!("PROBE rank {rank}: done");
            std::process::exit(0);
        }
        _ => panic!("orchestrator PORT | node RANK N COUNT SIZE [reregister]"),
    }
}
