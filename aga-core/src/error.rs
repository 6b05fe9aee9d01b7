//! Error types.

use thiserror::Error;

/// A rule configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ConfigError {
    /// `λ` is NaN or infinite.
    #[error("lambda must be a finite number, got {0}")]
    NonFiniteLambda(f64),
    /// The SGA alignment `ε` is NaN or infinite.
    #[error("the SGA alignment epsilon must be a finite number, got {0}")]
    NonFiniteEpsilon(f64),
    /// A fixed alignment divisor that is not a positive finite number.
    #[error("the SGA alignment divisor must be positive and finite, got {0}")]
    BadDivisor(f64),
    /// A look-ahead rate `α` that is not a positive finite number.
    #[error("the look-ahead rate alpha must be positive and finite, got {0}")]
    BadAlpha(f64),
    /// An SOS `a` outside `(0, 1]`.
    #[error("the SOS parameter a must be in (0, 1], got {0}")]
    BadSosA(f64),
    /// An SOS `b` that is not a positive finite number.
    #[error("the SOS parameter b must be positive and finite, got {0}")]
    BadSosB(f64),
    /// An SOS `k` that is not a positive finite number.
    #[error("the SOS parameter k must be positive and finite, got {0}")]
    BadSosK(f64),
    /// A loss scale that is not a positive finite number.
    #[error("a loss scale must be positive and finite, got {0}")]
    BadLossScale(f64),
    /// A rule whose dynamics no change of constants preserves under a loss scale.
    #[error("{0} has no equivalent under a rescaled loss: its lambda multiplies terms of different orders (xi and H_c xi_c)")]
    NotScaleEquivariant(crate::Method),
    /// A learning rate that is not a positive finite number.
    #[error("the learning rate must be positive and finite, got {0}")]
    BadLearningRate(f64),
    /// An unknown method name.
    #[error("unknown method `{0}` (expected one of: simgd, collective, consensus, sga, aga, la, lola, sos)")]
    UnknownMethod(String),
}

/// Failure while computing a direction or taking a step.
#[derive(Debug, Error)]
pub enum RuleError<E: std::error::Error + 'static> {
    /// The rule's configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The game could not be evaluated.
    #[error(transparent)]
    Oracle(E),
    /// A derivative, the direction or the parameters contain NaN or ±∞.
    #[error("non-finite {0} (NaN or infinity)")]
    NonFinite(&'static str),
    /// The product whose sign chooses `sign(λ)` is NaN or ±∞, so no sign can be chosen.
    #[error("{rule}: the alignment product that sets the sign of lambda is {product} (a derivative overflowed or is NaN)")]
    NonFiniteAlignment {
        /// The rule (`sga` or `aga`).
        rule: &'static str,
        /// The product.
        product: f64,
    },
}

/// A [`RuleError`] during a gradient-descent run, with the step at which it happened.
#[derive(Debug, Error)]
#[error("at step {step}: {error}")]
pub struct StepError<E: std::error::Error + 'static> {
    /// The step (0 is the initial point).
    pub step: usize,
    /// What went wrong.
    #[source]
    pub error: RuleError<E>,
}
