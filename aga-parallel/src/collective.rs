use crate::{AllReduce, ParallelError, ReduceStats};
use burn::backend::Flex;
use burn::tensor::ops::FloatTensorOps;
use burn::tensor::{Tensor, TensorData, TensorPrimitive};
use burn_collective::{AllReduceStrategy, PeerId, ReduceOperation};
use burn_communication::Address;
use std::net::{TcpListener, ToSocketAddrs};
use std::str::FromStr;
use std::sync::mpsc::{channel, sync_channel, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// The backend the sums travel on: Flex, with `f64` data (exact for `f32` and `f64` values;
/// Flex keeps the data's float type and converts a contiguous tensor to bytes without a
/// copy, where ndarray's conversion of a shared tensor walks it element by element —
/// measured at half of a 10^6-float all-reduce, docs/scaling.md).
type Wire = Flex;

/// Where a worker of a run across processes or machines finds the others.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectiveConfig {
    /// The coordinator's `HOST:PORT` (burn-collective's orchestrator), the same for every
    /// worker.
    pub coordinator: String,
    /// This worker's data-service `HOST:PORT`: the others download its tensors from there, so
    /// `HOST` must be reachable from every other worker and `PORT` free here.
    pub node: String,
    /// This worker's rank, `0..world_size`.
    pub rank: usize,
    /// The number of workers (one per process).
    pub world_size: usize,
    /// Whether this process starts the coordinator (on `coordinator`'s port, every interface).
    pub host_coordinator: bool,
    /// The deadline of joining and of every reduction.
    pub timeout: Duration,
}

/// The [`AllReduce`] of one process of a run across processes or machines, on Burn's
/// `burn-collective` (vendored with the fixes in vendor/PATCHES.md).
///
/// [`CollectiveAllReduce::join`] registers with the coordinator and waits until every worker
/// has; each [`AllReduce::sum`] is one all-reduce (sum) of the vector with burn-collective's
/// tree strategy. burn-collective has no timeouts and blocks the calling thread, so its calls
/// run on a thread of their own and this worker waits for each at most
/// [`CollectiveConfig::timeout`]: a worker that died, stalled or cannot be reached is an error
/// here within that time, never a hang. After an error the collective cannot be used again
/// in this process (burn-collective keeps global state); the trainer stops. One join per
/// process: dropping it does not un-register (see `serve`), the process's exit does.
pub struct CollectiveAllReduce {
    config: CollectiveConfig,
    requests: Option<Sender<Request>>,
    /// The completed sums (after a failure no other is made, so its count is also the number
    /// of the next call).
    stats: ReduceStats,
    broken: bool,
}

/// A sum for the collective's thread, and where its answer goes.
struct Request(Vec<f64>, Sender<Result<Vec<f64>, String>>);

/// `HOST:PORT` → its port, checking that it resolves.
fn port_of(address: &str, what: &str) -> Result<u16, ParallelError> {
    let bad = || {
        ParallelError::BadConfig(format!(
            "the {what} address {address:?} is not HOST:PORT with a host that resolves"
        ))
    };
    let mut resolved = address.to_socket_addrs().map_err(|_| bad())?;
    resolved.next().map(|a| a.port()).ok_or_else(bad)
}

/// Fails with a clear message when `port` cannot be bound here (burn-collective only logs
/// a failed bind, and the run would hang).
fn check_free(port: u16, what: &str) -> Result<(), ParallelError> {
    TcpListener::bind(("0.0.0.0", port)).map(drop).map_err(|e| {
        ParallelError::BadConfig(format!("the {what} port {port} cannot be opened here: {e}"))
    })
}

impl CollectiveAllReduce {
    /// Join the run: start the coordinator if asked, register with it, and wait (at most
    /// `config.timeout`) until all `world_size` workers have registered.
    pub fn join(config: CollectiveConfig) -> Result<Self, ParallelError> {
        if config.world_size == 0 || config.rank >= config.world_size {
            return Err(ParallelError::BadConfig(format!(
                "rank {} is not below the world size {}",
                config.rank, config.world_size
            )));
        }
        if config.timeout.is_zero() {
            return Err(ParallelError::BadConfig(
                "the collective timeout must be positive".into(),
            ));
        }
        let coordinator_port = port_of(&config.coordinator, "coordinator")?;
        let node_port = port_of(&config.node, "node")?;
        if config.host_coordinator {
            check_free(coordinator_port, "coordinator")?;
            std::thread::Builder::new()
                .name("aga-coordinator".into())
                .spawn(move || {
                    let runtime = tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(1)
                        .enable_all()
                        .build()
                        .expect("a tokio runtime for the coordinator");
                    runtime.block_on(burn_collective::start_global_orchestrator(coordinator_port));
                })
                .map_err(|e| ParallelError::Transport(e.to_string()))?;
        }
        check_free(node_port, "node")?;
        let collective = burn_collective::CollectiveConfig::default()
            .with_num_devices(1)
            .with_num_nodes(config.world_size as u32)
            .with_global_address(
                Address::from_str(&format!("ws://{}", config.coordinator)).expect("infallible"),
            )
            .with_node_address(
                Address::from_str(&format!("ws://{}", config.node)).expect("infallible"),
            )
            .with_data_service_port(node_port)
            .with_global_all_reduce_strategy(AllReduceStrategy::Tree(2))
            .with_local_all_reduce_strategy(AllReduceStrategy::Tree(2));
        let (requests, inbox) = channel::<Request>();
        let (joined_tx, joined) = sync_channel::<Result<(), String>>(1);
        let peer = PeerId::from(config.rank as u32);
        std::thread::Builder::new()
            .name("aga-collective".into())
            .spawn(move || serve(peer, collective, joined_tx, inbox))
            .map_err(|e| ParallelError::Transport(e.to_string()))?;
        match joined.recv_timeout(config.timeout) {
            Ok(Ok(())) => Ok(Self {
                config,
                requests: Some(requests),
                stats: ReduceStats::default(),
                broken: false,
            }),
            Ok(Err(e)) => Err(ParallelError::Transport(e)),
            Err(_) => Err(ParallelError::JoinTimeout {
                coordinator: config.coordinator.clone(),
                world_size: config.world_size,
                timeout: config.timeout,
            }),
        }
    }

    /// The configuration it joined with.
    pub fn config(&self) -> &CollectiveConfig {
        &self.config
    }
}

/// The collective's own thread: register, then answer sums until told to finish.
fn serve(
    peer: PeerId,
    config: burn_collective::CollectiveConfig,
    joined: std::sync::mpsc::SyncSender<Result<(), String>>,
    inbox: Receiver<Request>,
) {
    let device = Default::default();
    if let Err(e) = burn_collective::register::<Wire>(peer, device, config) {
        let _ = joined.send(Err(format!("{e:?}")));
        return;
    }
    let _ = joined.send(Ok(()));
    let device = Default::default();
    // The thread ends when the worker drops its end of the channel, without burn-collective's
    // `finish`: un-registering needs the coordinator, which lives in rank 0's process and
    // may be gone already when the others leave (they waited for it, measured: up to the
    // whole timeout at the end of a run). Leaving a run is leaving the process.
    for Request(values, reply) in inbox {
        let len = values.len();
        // The primitive keeps the data's f64 (`Tensor::from_data` would convert to Flex's
        // default float type).
        let tensor = <Wire as FloatTensorOps<Wire>>::float_from_data(
            TensorData::new(values, [len]),
            &device,
        );
        let result = burn_collective::all_reduce::<Wire>(peer, tensor, ReduceOperation::Sum)
            .map_err(|e| format!("{e:?}"))
            .and_then(|sum| {
                Tensor::<Wire, 1>::from_primitive(TensorPrimitive::Float(sum))
                    .into_data()
                    .to_vec::<f64>()
                    .map_err(|e| format!("{e:?}"))
            });
        let failed = result.is_err();
        let _ = reply.send(result);
        if failed {
            return;
        }
    }
}

impl AllReduce for CollectiveAllReduce {
    fn rank(&self) -> usize {
        self.config.rank
    }

    fn world_size(&self) -> usize {
        self.config.world_size
    }

    fn sum(&mut self, mut values: Vec<f64>) -> Result<Vec<f64>, ParallelError> {
        if self.broken {
            return Err(ParallelError::Broken);
        }
        let call = self.stats.calls;
        // The length travels with the values: a worker that made a different call is caught.
        let len = values.len();
        values.push(len as f64);
        let start = std::time::Instant::now();
        let (reply, answer) = channel();
        let requests = self.requests.as_ref().ok_or(ParallelError::Broken)?;
        if requests.send(Request(values, reply)).is_err() {
            self.broken = true;
            return Err(ParallelError::Transport(
                "the collective's thread is gone".into(),
            ));
        }
        let mut sum = match answer.recv_timeout(self.config.timeout) {
            Ok(Ok(sum)) => sum,
            Ok(Err(e)) => {
                self.broken = true;
                return Err(ParallelError::Transport(e));
            }
            Err(RecvTimeoutError::Timeout) => {
                self.broken = true;
                return Err(ParallelError::Timeout {
                    call,
                    timeout: self.config.timeout,
                });
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.broken = true;
                return Err(ParallelError::Transport(
                    "the collective's thread stopped (a peer was lost)".into(),
                ));
            }
        };
        let lengths = sum.pop().unwrap_or(f64::NAN);
        if sum.len() != len || lengths != (len * self.config.world_size) as f64 {
            self.broken = true;
            return Err(ParallelError::Mismatch(format!(
                "reduction {call}: this worker sent {len} values, the workers' lengths sum to {lengths}"
            )));
        }
        self.stats.calls += 1;
        self.stats.values += len as u64;
        self.stats.seconds += start.elapsed().as_secs_f64();
        Ok(sum)
    }

    fn stats(&self) -> ReduceStats {
        self.stats
    }
}
