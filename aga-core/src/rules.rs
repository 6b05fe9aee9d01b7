//! The update rules of MATH.md §4, each a short function that reads like its formula.

use crate::{
    AlignDivisor, ConfigError, GameOracle, GameVector, Method, RuleConfig, RuleError, StepError,
};

/// An adjusted direction `ξ̃` and the `λ` actually used (after any sign rule).
#[derive(Debug, Clone, PartialEq)]
pub struct Direction<V> {
    /// `ξ̃`: descend along `−ξ̃`.
    pub value: V,
    /// The `λ` used, after alignment; `None` for rules without `λ` (simgd, collective).
    pub lambda: Option<f64>,
    /// What the alignment looked at, for rules that have one (sga, aga).
    pub alignment: Option<Alignment>,
}

/// The quantities behind a rule's choice of `sign(λ)` (MATH.md §4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Alignment {
    /// The product whose sign sets `sign(λ)` when alignment is on:
    /// AgA `⟨ξ_c, ∇ℋ_c⟩ (⟨ξ, ∇ℋ_c⟩ + ‖∇ℋ_c‖²)`; SGA `⟨ξ, ∇ℋ⟩ ⟨Aᵀξ, ∇ℋ⟩ / divisor + ε`.
    pub product: f64,
    /// The norm of the reference direction: `‖∇ℋ_c‖ = ‖H_c ξ_c‖` (AgA), `‖∇ℋ‖ = ‖Hᵀ ξ‖` (SGA).
    pub reference_norm: f64,
}

type Result<V, E> = std::result::Result<Direction<V>, RuleError<E>>;

/// `sgn(x)` with `sgn(0) = +1` (MATH.md §4), so that `λ` keeps its magnitude when the
/// alignment product vanishes.
pub fn sgn(x: f64) -> f64 {
    if x < 0.0 {
        -1.0
    } else {
        1.0
    }
}

/// Simultaneous gradient descent (Simul-Ind): `ξ̃ = ξ`.
pub fn simgd<O: GameOracle>(o: &mut O) -> Result<O::Vector, O::Error> {
    let xi = o.xi().map_err(RuleError::Oracle)?;
    Ok(Direction {
        value: xi,
        lambda: None,
        alignment: None,
    })
}

/// Collective gradient descent (Simul-Co): `ξ̃ = ξ_c`.
pub fn collective<O: GameOracle>(o: &mut O) -> Result<O::Vector, O::Error> {
    let xi_c = o.xi_c().map_err(RuleError::Oracle)?;
    Ok(Direction {
        value: xi_c,
        lambda: None,
        alignment: None,
    })
}

/// Consensus optimisation (Mescheder et al. 2017; CGA in the AgA paper): `ξ̃ = ξ + λ Hᵀ ξ`,
/// i.e. gradient descent on `l_i + λ ½‖ξ‖²`.
pub fn consensus<O: GameOracle>(o: &mut O, lambda: f64) -> Result<O::Vector, O::Error> {
    let xi = o.xi().map_err(RuleError::Oracle)?;
    let ht_xi = o.hvp_transpose(&xi).map_err(RuleError::Oracle)?;
    Ok(Direction {
        value: xi.add_scaled(lambda, &ht_xi),
        lambda: Some(lambda),
        alignment: None,
    })
}

/// Symplectic gradient adjustment (Balduzzi et al. 2018): `ξ̃ = ξ + λ Aᵀ ξ` with
/// `Aᵀ ξ = (Hᵀ ξ − H ξ)/2`.
///
/// With `align`, `λ ← |λ| · sgn(⟨ξ, ∇ℋ⟩ ⟨Aᵀξ, ∇ℋ⟩ / divisor + ε)`, `∇ℋ = Hᵀ ξ`.
pub fn sga<O: GameOracle>(
    o: &mut O,
    lambda: f64,
    align: bool,
    epsilon: f64,
    divisor: AlignDivisor,
) -> Result<O::Vector, O::Error> {
    let xi = o.xi().map_err(RuleError::Oracle)?;
    let h_xi = o.hvp(&xi).map_err(RuleError::Oracle)?;
    let grad_hamiltonian = o.hvp_transpose(&xi).map_err(RuleError::Oracle)?; // ∇ℋ = Hᵀ ξ
    let at_xi = grad_hamiltonian.add_scaled(-1.0, &h_xi).scaled(0.5); // Aᵀ ξ
    let divisor = match divisor {
        AlignDivisor::Dimension => xi.dim() as f64,
        AlignDivisor::Fixed(x) => x,
    };
    let product = xi.dot(&grad_hamiltonian) * at_xi.dot(&grad_hamiltonian) / divisor + epsilon;
    let lambda = if align {
        lambda.abs() * sgn(product)
    } else {
        lambda
    };
    Ok(Direction {
        value: xi.add_scaled(lambda, &at_xi),
        lambda: Some(lambda),
        alignment: Some(Alignment {
            product,
            reference_norm: grad_hamiltonian.norm_sq().sqrt(),
        }),
    })
}

/// Altruistic gradient adjustment (Li et al., NeurIPS 2024):
/// `ξ̃ = ξ_c + λ (ξ + H_c ξ_c)`.
///
/// With `align` (the sign rule), `λ ← |λ| · sgn(⟨ξ_c, ∇ℋ_c⟩ · (⟨ξ, ∇ℋ_c⟩ + ‖∇ℋ_c‖²))` with
/// `∇ℋ_c = H_c ξ_c` and `sgn(0) = +1`: the step is pulled toward stable fixed points of the
/// collective loss and pushed away from unstable ones.
pub fn aga<O: GameOracle>(o: &mut O, lambda: f64, align: bool) -> Result<O::Vector, O::Error> {
    let xi = o.xi().map_err(RuleError::Oracle)?;
    let xi_c = o.xi_c().map_err(RuleError::Oracle)?;
    let grad_hc = o.hvp_collective(&xi_c).map_err(RuleError::Oracle)?; // ∇ℋ_c = H_c ξ_c
    let grad_hc_sq = grad_hc.norm_sq();
    let product = xi_c.dot(&grad_hc) * (xi.dot(&grad_hc) + grad_hc_sq);
    let lambda = if align {
        lambda.abs() * sgn(product)
    } else {
        lambda
    };
    Ok(Direction {
        value: xi_c.add_scaled(lambda, &xi.add_scaled(1.0, &grad_hc)),
        lambda: Some(lambda),
        alignment: Some(Alignment {
            product,
            reference_norm: grad_hc_sq.sqrt(),
        }),
    })
}

/// The direction of the configured rule at the oracle's point.
///
/// Fails on an invalid configuration, an oracle error, or a non-finite direction.
pub fn direction<O: GameOracle>(rule: &RuleConfig, o: &mut O) -> Result<O::Vector, O::Error> {
    rule.validate()?;
    let d = match rule.method {
        Method::Simgd => simgd(o),
        Method::Collective => collective(o),
        Method::Consensus => consensus(o, rule.lambda),
        Method::Sga => sga(
            o,
            rule.lambda,
            rule.align,
            rule.sga_epsilon,
            rule.sga_divisor,
        ),
        Method::Aga => aga(o, rule.lambda, rule.align),
    }?;
    if !d.value.all_finite() {
        return Err(RuleError::NonFinite("direction"));
    }
    Ok(d)
}

/// One point of a gradient-descent run, as handed to the observer of [`descend`].
#[derive(Debug)]
pub struct Step<'a, V, O> {
    /// Step index: 0 is the initial point, `steps` the final one.
    pub step: usize,
    /// Parameters at this step.
    pub w: &'a V,
    /// The oracle at `w` (e.g. to read the losses).
    pub oracle: &'a mut O,
    /// The direction taken from `w`; `None` at the final point.
    pub direction: Option<&'a Direction<V>>,
}

/// Plain gradient descent `w ← w − α ξ̃` for `steps` steps from `w0`.
///
/// `oracle_at(w)` builds the oracle at a point; `observe` sees every point (`steps + 1` of
/// them, the initial and final points included). Returns the final parameters. Errors carry the
/// step at which they happened.
pub fn descend<O, F, C>(
    rule: &RuleConfig,
    learning_rate: f64,
    steps: usize,
    w0: O::Vector,
    mut oracle_at: F,
    mut observe: C,
) -> std::result::Result<O::Vector, StepError<O::Error>>
where
    O: GameOracle,
    F: FnMut(&O::Vector) -> std::result::Result<O, O::Error>,
    C: FnMut(Step<'_, O::Vector, O>) -> std::result::Result<(), O::Error>,
{
    let at_start = |e: ConfigError| StepError {
        step: 0,
        error: e.into(),
    };
    rule.validate().map_err(at_start)?;
    if !(learning_rate.is_finite() && learning_rate > 0.0) {
        return Err(at_start(ConfigError::BadLearningRate(learning_rate)));
    }
    let mut w = w0;
    for step in 0..=steps {
        let at = |error: RuleError<O::Error>| StepError { step, error };
        if !w.all_finite() {
            return Err(at(RuleError::NonFinite("parameters")));
        }
        let mut oracle = oracle_at(&w).map_err(|e| at(RuleError::Oracle(e)))?;
        if step == steps {
            observe(Step {
                step,
                w: &w,
                oracle: &mut oracle,
                direction: None,
            })
            .map_err(|e| at(RuleError::Oracle(e)))?;
            break;
        }
        let d = direction(rule, &mut oracle).map_err(at)?;
        observe(Step {
            step,
            w: &w,
            oracle: &mut oracle,
            direction: Some(&d),
        })
        .map_err(|e| at(RuleError::Oracle(e)))?;
        w = w.add_scaled(-learning_rate, &d.value);
    }
    Ok(w)
}
