//! The configuration of an update rule.

use crate::ConfigError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which update rule (MATH.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Simultaneous individual gradient descent: `ξ̃ = ξ` (Simul-Ind, naive learning).
    Simgd,
    /// Gradient descent on the collective loss: `ξ̃ = ξ_c` (Simul-Co).
    Collective,
    /// Consensus optimisation (CGA in the AgA paper): `ξ̃ = ξ + λ Hᵀ ξ`.
    Consensus,
    /// Symplectic gradient adjustment: `ξ̃ = ξ + λ Aᵀ ξ`.
    Sga,
    /// Altruistic gradient adjustment: `ξ̃ = ξ_c + λ (ξ + H_c ξ_c)`.
    Aga,
    /// Look-ahead (Letcher et al. 2019): `ξ̃_i = ξ_i − α ∇_{w_i} Σ_{j≠i} ⟨g_{ij}, stop(g_{jj})⟩`.
    La,
    /// Learning with opponent-learning awareness (Foerster et al. 2018):
    /// `ξ̃_i = ξ_i − α ∇_{w_i} Σ_{j≠i} ⟨g_{ij}, g_{jj}⟩`.
    Lola,
    /// Stable opponent shaping (Letcher et al. 2019): LA plus a `p`-scaled share of LOLA's
    /// shaping term.
    Sos,
}

impl Method {
    /// Every method, in the order the documentation lists them.
    pub const ALL: [Method; 8] = [
        Method::Simgd,
        Method::Collective,
        Method::Consensus,
        Method::Sga,
        Method::Aga,
        Method::La,
        Method::Lola,
        Method::Sos,
    ];

    /// The method's command-line and serialised name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Simgd => "simgd",
            Method::Collective => "collective",
            Method::Consensus => "consensus",
            Method::Sga => "sga",
            Method::Aga => "aga",
            Method::La => "la",
            Method::Lola => "lola",
            Method::Sos => "sos",
        }
    }

    /// Whether the rule has a `λ` (simgd and collective do not).
    pub fn uses_lambda(self) -> bool {
        matches!(self, Method::Consensus | Method::Sga | Method::Aga)
    }

    /// Whether the rule has a look-ahead rate `α` (la, lola, sos).
    pub fn uses_alpha(self) -> bool {
        matches!(self, Method::La | Method::Lola | Method::Sos)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| ConfigError::UnknownMethod(s.to_string()))
    }
}

/// What the SGA alignment product is divided by (MATH.md §4: "make the divisor explicit").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AlignDivisor {
    /// The number of parameters `d` (MATH.md; the default).
    #[default]
    Dimension,
    /// A fixed number, e.g. the number of parameter tensors as in Balduzzi et al.'s code.
    Fixed(f64),
}

/// A complete, serialisable update rule: the method and its hyper-parameters.
///
/// ```
/// use aga_core::{Method, RuleConfig};
/// let rule = RuleConfig::new(Method::Aga).with_lambda(0.5).with_align(false);
/// let json = serde_json::to_string(&rule).unwrap();
/// assert_eq!(serde_json::from_str::<RuleConfig>(&json).unwrap(), rule);
/// ```
///
/// In JSON, `method` is required (a rule without one is an error, never a silent default);
/// every other field takes its documented default when absent, and unknown fields are errors.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// The rule.
    pub method: Method,
    /// Adjustment strength `λ` (consensus, sga, aga); default 1.0. With alignment on, only its
    /// magnitude is used and the rule chooses the sign.
    #[serde(default = "default_lambda")]
    pub lambda: f64,
    /// SGA's alignment of `sign(λ)` / AgA's sign rule; default on. Off is the ablation.
    #[serde(default = "default_align")]
    pub align: bool,
    /// SGA's alignment `ε`; default 0.1 (Balduzzi et al. 2018, Alg. 1).
    #[serde(default = "default_sga_epsilon")]
    pub sga_epsilon: f64,
    /// SGA's alignment divisor; default `d`.
    #[serde(default = "default_divisor")]
    pub sga_divisor: AlignDivisor,
    /// Look-ahead rate `α` of la, lola and sos; default 1.0 (the SOS reference notebook's
    /// default, where it is also the learning rate).
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// SOS's `a ∈ (0, 1]`, bounding how much of the shaping term may oppose LA; default 0.5.
    #[serde(default = "default_sos_a")]
    pub sos_a: f64,
    /// SOS's `b > 0`: below `‖ξ‖ < b` the shaping term is scaled by `p_2 = k ‖ξ‖²`; default 0.1.
    #[serde(default = "default_sos_b")]
    pub sos_b: f64,
    /// SOS's `k > 0` in `p_2 = k ‖ξ‖²` (below `‖ξ‖ < b`); default 1, as in MATH.md and the SOS
    /// paper. It exists so that SOS keeps its dynamics when the losses are rescaled: see
    /// [`RuleConfig::for_loss_scale`].
    #[serde(default = "default_sos_k")]
    pub sos_k: f64,
}

fn default_lambda() -> f64 {
    1.0
}
fn default_align() -> bool {
    true
}
fn default_sga_epsilon() -> f64 {
    0.1
}
fn default_divisor() -> AlignDivisor {
    AlignDivisor::Dimension
}
fn default_alpha() -> f64 {
    1.0
}
fn default_sos_a() -> f64 {
    0.5
}
fn default_sos_b() -> f64 {
    0.1
}
fn default_sos_k() -> f64 {
    1.0
}

impl RuleConfig {
    /// A rule with the documented defaults: `λ = 1`, alignment on, `ε = 0.1`, divisor `d`,
    /// `α = 1`, SOS `a = 0.5`, `b = 0.1`.
    pub fn new(method: Method) -> Self {
        Self {
            method,
            lambda: default_lambda(),
            align: default_align(),
            sga_epsilon: default_sga_epsilon(),
            sga_divisor: default_divisor(),
            alpha: default_alpha(),
            sos_a: default_sos_a(),
            sos_b: default_sos_b(),
            sos_k: default_sos_k(),
        }
    }

    /// Set the look-ahead rate `α` (la, lola, sos).
    pub fn with_alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Set SOS's `a` and `b`.
    pub fn with_sos(mut self, a: f64, b: f64) -> Self {
        self.sos_a = a;
        self.sos_b = b;
        self
    }

    /// Set SOS's `k` in `p_2 = k ‖ξ‖²`.
    pub fn with_sos_k(mut self, k: f64) -> Self {
        self.sos_k = k;
        self
    }

    /// Set `λ`.
    pub fn with_lambda(mut self, lambda: f64) -> Self {
        self.lambda = lambda;
        self
    }

    /// Turn the sign rule / alignment on or off.
    pub fn with_align(mut self, align: bool) -> Self {
        self.align = align;
        self
    }

    /// Set SGA's alignment `ε`.
    pub fn with_sga_epsilon(mut self, epsilon: f64) -> Self {
        self.sga_epsilon = epsilon;
        self
    }

    /// Set SGA's alignment divisor.
    pub fn with_sga_divisor(mut self, divisor: AlignDivisor) -> Self {
        self.sga_divisor = divisor;
        self
    }

    /// The rule that, run on losses scaled by `c > 0` (`l' = c · l`) with learning rate `lr / c`,
    /// takes exactly the steps this rule takes on `l` with learning rate `lr`.
    ///
    /// With `ξ' = c ξ`, `H' = c H`, each rule's constants transform as follows (derivation in
    /// docs/experiments.md): the look-ahead `α → α / c` (LA, LOLA, SOS: the shaping terms are
    /// `α` times a product of two gradients); `λ → λ / c` for consensus and SGA (their
    /// adjustments are products of a Hessian and a gradient); SGA's alignment offset
    /// `ε → c⁷ ε` (its product `⟨ξ, Hᵀξ⟩ ⟨Aᵀξ, Hᵀξ⟩` scales as `c³ · c⁴`); SOS's threshold `b → c b` and
    /// `k → k / c²` (`p_2 = k ‖ξ‖²` compares and squares a gradient); `a` and the SGA divisor
    /// are unchanged. simgd and collective have no constants. AgA has no equivalent: its `λ`
    /// multiplies `ξ` (scaling as `c`) and `H_c ξ_c` (scaling as `c²`) at once, so a rescaled
    /// loss changes the balance of its two terms — that is an error here.
    pub fn for_loss_scale(&self, c: f64) -> Result<Self, ConfigError> {
        if !(c.is_finite() && c > 0.0) {
            return Err(ConfigError::BadLossScale(c));
        }
        let mut rule = *self;
        match self.method {
            Method::Simgd | Method::Collective => {}
            Method::Consensus => rule.lambda = self.lambda / c,
            Method::Sga => {
                rule.lambda = self.lambda / c;
                rule.sga_epsilon = self.sga_epsilon * c.powi(7);
            }
            Method::La | Method::Lola => rule.alpha = self.alpha / c,
            Method::Sos => {
                rule.alpha = self.alpha / c;
                rule.sos_b = self.sos_b * c;
                rule.sos_k = self.sos_k / (c * c);
            }
            Method::Aga => return Err(ConfigError::NotScaleEquivariant(self.method)),
        }
        rule.validate()?;
        Ok(rule)
    }

    /// Check that every hyper-parameter is usable.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.lambda.is_finite() {
            return Err(ConfigError::NonFiniteLambda(self.lambda));
        }
        if !self.sga_epsilon.is_finite() {
            return Err(ConfigError::NonFiniteEpsilon(self.sga_epsilon));
        }
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(ConfigError::BadAlpha(self.alpha));
        }
        if !(self.sos_a.is_finite() && self.sos_a > 0.0 && self.sos_a <= 1.0) {
            return Err(ConfigError::BadSosA(self.sos_a));
        }
        if !(self.sos_b.is_finite() && self.sos_b > 0.0) {
            return Err(ConfigError::BadSosB(self.sos_b));
        }
        if !(self.sos_k.is_finite() && self.sos_k > 0.0) {
            return Err(ConfigError::BadSosK(self.sos_k));
        }
        if let AlignDivisor::Fixed(x) = self.sga_divisor {
            if !(x.is_finite() && x > 0.0) {
                return Err(ConfigError::BadDivisor(x));
            }
        }
        Ok(())
    }
}
