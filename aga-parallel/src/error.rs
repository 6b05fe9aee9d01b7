use std::time::Duration;
use thiserror::Error;

/// What can go wrong between data-parallel workers.
#[derive(Debug, Error)]
pub enum ParallelError {
    /// A rank outside `0..world_size`, a world of no workers, or a bad address.
    #[error("{0}")]
    BadConfig(String),
    /// Not every worker joined in time.
    #[error("could not join the data-parallel run at {coordinator}: not every one of the {world_size} workers registered within {:.0} s (is the coordinator running and reachable, and did every rank start?)", .timeout.as_secs_f64())]
    JoinTimeout {
        /// The coordinator's address.
        coordinator: String,
        /// Workers expected.
        world_size: usize,
        /// The deadline.
        timeout: Duration,
    },
    /// A reduction did not complete in time: a worker died, stalled or lost its connection.
    #[error("reduction {call} did not complete within {:.0} s: another worker died, stalled or lost its connection (this worker stops; its last checkpoint is intact)", .timeout.as_secs_f64())]
    Timeout {
        /// The reduction's number since the workers joined (from 0).
        call: u64,
        /// The deadline.
        timeout: Duration,
    },
    /// The transport failed (burn-collective's error, or its server gone after a peer's loss).
    #[error("the all-reduce failed: {0}")]
    Transport(String),
    /// The workers disagree: different vector lengths, configurations or initial parameters.
    #[error("the data-parallel workers disagree: {0}")]
    Mismatch(String),
    /// An earlier reduction failed; the collective cannot be used again in this process.
    #[error("the all-reduce is unusable after an earlier failure")]
    Broken,
}
