//! The primal tape: one pass's primal values, kept so that a later pass at the same point runs
//! only the tangent channel.
//!
//! Forward-over-reverse needs the tangent seed when the forward pass starts, and AgA's seed is
//! `ξ_c`, which the pass itself would produce — so `ξ_c` and `H_c ξ_c` take two passes, and the
//! second recomputes every primal value of the first (the forward activations and the reverse
//! pass's gradient arithmetic). XLA avoids that by keeping the first pass's values (`linearize`);
//! this is the same idea for `Autodiff<Dual<B>>`. [`record`] runs a pass and keeps the primal
//! output of every expensive `Dual` op (products, element-wise arithmetic, unary functions,
//! reductions, convolutions) in order; [`replay`] runs a pass that performs the same ops on the
//! same shapes and takes each of those primal values from the tape instead of computing it, so
//! a dual matrix product costs two products (`ȧb + aḃ`) instead of three.
//!
//! Replaying is exact: the values taken are the values the op would compute (same inputs, same
//! arithmetic), so an `f64` result is bit-identical to a pass without the tape
//! (`tests/primal_tape.rs`). Every replayed op checks that its name and its inputs' shapes are
//! those recorded at that position; at the first mismatch the replay stops and every remaining
//! op computes its own primal, which is still exact.
//!
//! The contract, which the key (op name and input shapes) cannot check in full: replay only the
//! pass that was recorded, at the point where it was recorded, and only a **deterministic**
//! pass. A loss that draws random numbers through Burn (`Tensor::random`, dropout) turns the
//! tape off for that pass (a random op during a recording leaves an empty tape, during a replay
//! stops it); one that draws them elsewhere (a `RefCell<Rng>` feeding `from_data`) would give
//! the replay the first sample's primal values with the second sample's tangents — such a game
//! must use `Derivatives::with_primal_tape(false)`. Scalar arguments (`x + c`), dims and masks
//! are not part of the key either: within one deterministic pass they are the same in both
//! runs. Two passes over the same graph run the same ops in the same order because Burn's
//! autodiff orders its backward steps by the graph's structure alone (a walk of each node's
//! parent lists, then grouped by depth: `burn-autodiff`'s `graph/traversal.rs` and
//! `runtime/server.rs`), never by a hash map's iteration order or by values.
//!
//! The state is per thread: the CPU backends run every op on the calling thread. Recording and
//! replaying do not nest. A pass must not run as a rayon job of the pool the backend's kernels
//! use (a thread waiting inside a parallel product can pick up another queued job, which would
//! then see this thread's tape); the engine's own passes run on the caller's thread.

use burn_backend::{tensor::FloatTensor, Backend, TensorMetadata};
use burn_std::Shape;
use std::any::Any;
use std::cell::RefCell;
use std::sync::Arc;

/// Whether engines use the tape by default: yes, unless the environment variable
/// `AGA_NO_PRIMAL_TAPE` is set (read once per process) — for A/B benchmarks in one binary
/// (docs/performance.md), not for users; `Derivatives::with_primal_tape` is the API.
pub fn enabled_by_default() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("AGA_NO_PRIMAL_TAPE").is_none())
}

/// One op's primal output and what identifies its position.
struct Entry {
    op: &'static str,
    inputs: Vec<Shape>,
    output: Box<dyn Any + Send + Sync>,
}

/// The primal values of one recorded pass, in op order ([`record`]). Cheap to clone; the
/// values are shared, not copied.
#[derive(Clone, Default)]
pub struct PrimalTape {
    entries: Arc<Vec<Entry>>,
}

impl PrimalTape {
    /// The number of primal values kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the tape is empty (a pass with no taped op).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl std::fmt::Debug for PrimalTape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrimalTape")
            .field("len", &self.len())
            .finish()
    }
}

/// What one [`replay`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Primal values taken from the tape.
    pub replayed: usize,
    /// Taped ops that computed their own primal (after a mismatch).
    pub computed: usize,
    /// The tape position of the first mismatch, if there was one.
    pub diverged_at: Option<usize>,
    /// The tape's length: a replay that followed the whole pass has `replayed == recorded`.
    pub recorded: usize,
}

impl ReplayStats {
    /// Whether every recorded value was used and every taped op of the pass found its value.
    pub fn complete(&self) -> bool {
        self.diverged_at.is_none() && self.computed == 0 && self.replayed == self.recorded
    }
}

enum Mode {
    Off,
    Record(Vec<Entry>),
    Replay {
        entries: Arc<Vec<Entry>>,
        next: usize,
        stats: ReplayStats,
    },
}

thread_local! {
    static MODE: RefCell<Mode> = const { RefCell::new(Mode::Off) };
}

thread_local! {
    /// Set by a random op during a recording: the recording keeps nothing.
    static RANDOM_SEEN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A random op ran inside the pass: the pass is not deterministic, so a recording keeps nothing
/// and a replay stops taking values (every later op computes its own primal).
pub(crate) fn random_op() {
    MODE.with(|m| match &mut *m.borrow_mut() {
        Mode::Record(entries) => {
            entries.clear();
            RANDOM_SEEN.with(|r| r.set(true));
        }
        Mode::Replay { next, stats, .. } => {
            if stats.diverged_at.is_none() {
                stats.diverged_at = Some(*next);
            }
        }
        Mode::Off => {}
    })
}

/// Puts the mode back to `Off` when a pass ends, also by unwinding.
struct Reset;

impl Drop for Reset {
    fn drop(&mut self) {
        MODE.with(|m| *m.borrow_mut() = Mode::Off);
    }
}

fn is_off() -> bool {
    MODE.with(|m| matches!(*m.borrow(), Mode::Off))
}

/// Run `pass`, keeping the primal output of every taped op.
///
/// # Panics
/// If called while recording or replaying (they do not nest): a programming error.
pub fn record<R>(pass: impl FnOnce() -> R) -> (R, PrimalTape) {
    assert!(is_off(), "aga Dual: primal tape passes do not nest");
    MODE.with(|m| *m.borrow_mut() = Mode::Record(Vec::new()));
    RANDOM_SEEN.with(|r| r.set(false));
    let reset = Reset;
    let out = pass();
    let random = RANDOM_SEEN.with(|r| r.replace(false));
    let mut entries = MODE.with(
        |m| match std::mem::replace(&mut *m.borrow_mut(), Mode::Off) {
            Mode::Record(entries) => entries,
            _ => unreachable!("the mode is Record until this pass ends"),
        },
    );
    if random {
        // A random op ran: the pass is not deterministic, so nothing of it is replayed.
        entries.clear();
    }
    drop(reset);
    (
        out,
        PrimalTape {
            entries: Arc::new(entries),
        },
    )
}

/// Run `pass`, taking every taped op's primal from `tape` while the ops match it.
///
/// # Panics
/// If called while recording or replaying (they do not nest): a programming error.
pub fn replay<R>(tape: &PrimalTape, pass: impl FnOnce() -> R) -> (R, ReplayStats) {
    assert!(is_off(), "aga Dual: primal tape passes do not nest");
    MODE.with(|m| {
        *m.borrow_mut() = Mode::Replay {
            entries: tape.entries.clone(),
            next: 0,
            stats: ReplayStats {
                recorded: tape.len(),
                ..ReplayStats::default()
            },
        }
    });
    let reset = Reset;
    let out = pass();
    let stats = MODE.with(
        |m| match std::mem::replace(&mut *m.borrow_mut(), Mode::Off) {
            Mode::Replay { stats, .. } => stats,
            _ => unreachable!("the mode is Replay until this pass ends"),
        },
    );
    drop(reset);
    (out, stats)
}

/// One taped op: where its primal comes from ([`Site::take`]) and where it goes
/// ([`Site::keep`]). Costs one thread-local read when no tape is active.
pub(crate) struct Site {
    op: &'static str,
    /// The inputs' shapes; `None` when no tape is active.
    inputs: Option<Vec<Shape>>,
}

impl Site {
    /// The site of op `op` with these inputs.
    pub(crate) fn new<B: Backend>(op: &'static str, inputs: &[&FloatTensor<B>]) -> Self {
        let inputs = (!is_off()).then(|| inputs.iter().map(|t| t.shape()).collect());
        Self { op, inputs }
    }

    /// The recorded primal, when replaying and the tape matches this op here.
    pub(crate) fn take<B: Backend>(&self) -> Option<FloatTensor<B>> {
        let inputs = self.inputs.as_ref()?;
        MODE.with(|m| {
            let mut m = m.borrow_mut();
            let Mode::Replay {
                entries,
                next,
                stats,
            } = &mut *m
            else {
                return None;
            };
            if stats.diverged_at.is_some() {
                return None;
            }
            let found = entries
                .get(*next)
                .filter(|e| e.op == self.op && &e.inputs == inputs)
                .and_then(|e| e.output.downcast_ref::<FloatTensor<B>>());
            match found {
                Some(y) => {
                    *next += 1;
                    stats.replayed += 1;
                    Some(y.clone())
                }
                None => {
                    stats.diverged_at = Some(*next);
                    None
                }
            }
        })
    }

    /// Keep `y`, this op's primal, when recording (count it when a replay computed it).
    pub(crate) fn keep<B: Backend>(&self, y: &FloatTensor<B>) {
        let Some(inputs) = &self.inputs else {
            return;
        };
        MODE.with(|m| match &mut *m.borrow_mut() {
            Mode::Record(_) if RANDOM_SEEN.with(|r| r.get()) => {}
            Mode::Record(entries) => entries.push(Entry {
                op: self.op,
                inputs: inputs.clone(),
                output: Box::new(y.clone()),
            }),
            Mode::Replay { stats, .. } => stats.computed += 1,
            Mode::Off => {}
        })
    }

    /// The primal: from the tape when replaying, else `f()` (kept when recording).
    pub(crate) fn primal<B: Backend>(&self, f: impl FnOnce() -> FloatTensor<B>) -> FloatTensor<B> {
        if let Some(y) = self.take::<B>() {
            return y;
        }
        let y = f();
        self.keep::<B>(&y);
        y
    }
}
