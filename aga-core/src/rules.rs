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
    /// SOS's `p ∈ [0, 1]`, the share of LOLA's shaping term it kept; `None` for other rules.
    pub sos_p: Option<f64>,
}

impl<V> Direction<V> {
    /// A direction with no `λ`, alignment or SOS `p` to report.
    pub fn plain(value: V) -> Self {
        Self {
            value,
            lambda: None,
            alignment: None,
            sos_p: None,
        }
    }
}

/// The quantities behind a rule's choice of `sign(λ)` (MATH.md §4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Alignment {
    /// The product whose sign sets `sign(λ)` when alignment is on:
    /// AgA `⟨ξ_c, ∇ℋ_c⟩ (⟨ξ, ∇ℋ_c⟩ + ‖∇ℋ_c‖²)`; SGA `⟨ξ, ∇ℋ⟩ ⟨Aᵀξ, ∇ℋ⟩ / divisor + ε`.
    pub product: f64,
    /// The norm of the reference direction: `‖∇ℋ_c‖ = ‖H_c ξ_c‖` (AgA), `‖∇ℋ‖ = ‖Hᵀ ξ‖` (SGA).
    pub reference_norm: f64,
    /// `sgn(product)` (`sgn(0) = +1`); for AgA from the signs of the two factors, so it is
    /// defined where the product itself overflows. NaN when a factor is not finite.
    pub sign: f64,
}

type Result<V, E> = std::result::Result<Direction<V>, RuleError<E>>;

/// `sgn(x)` with `sgn(0) = +1` (MATH.md §4), so that `λ` keeps its magnitude when the
/// alignment product vanishes. `None` for NaN and ±∞, which have no usable sign.
pub fn sgn(x: f64) -> Option<f64> {
    if !x.is_finite() {
        None
    } else if x < 0.0 {
        Some(-1.0)
    } else {
        Some(1.0)
    }
}

/// `|λ| · sgn(product)` for an aligned rule, `λ` as given otherwise; an error naming the rule
/// when the product is not finite (a NaN must never silently pick `+|λ|`).
fn aligned_lambda<E: std::error::Error>(
    rule: &'static str,
    lambda: f64,
    align: bool,
    product: f64,
) -> std::result::Result<f64, RuleError<E>> {
    if !align {
        return Ok(lambda);
    }
    sgn(product)
        .map(|s| lambda.abs() * s)
        .ok_or(RuleError::NonFiniteAlignment { rule, product })
}

/// Simultaneous gradient descent (Simul-Ind): `ξ̃ = ξ`.
pub fn simgd<O: GameOracle>(o: &mut O) -> Result<O::Vector, O::Error> {
    let xi = o.xi().map_err(RuleError::Oracle)?;
    Ok(Direction::plain(xi))
}

/// Collective gradient descent (Simul-Co): `ξ̃ = ξ_c`.
pub fn collective<O: GameOracle>(o: &mut O) -> Result<O::Vector, O::Error> {
    let xi_c = o.xi_c().map_err(RuleError::Oracle)?;
    Ok(Direction::plain(xi_c))
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
        sos_p: None,
    })
}

/// Symplectic gradient adjustment (Balduzzi et al. 2018): `ξ̃ = ξ + λ Aᵀ ξ` with
/// `Aᵀ ξ = (Hᵀ ξ − H ξ)/2`.
///
/// With `align`, `λ ← |λ| · sgn(⟨ξ, ∇ℋ⟩ ⟨Aᵀξ, ∇ℋ⟩ / divisor + ε)`, `∇ℋ = Hᵀ ξ`.
///
/// For a separable game ([`GameOracle::is_separable`]) `A = 0`: the direction is `ξ`, the
/// alignment product is `ε`, and no Hessian-vector product is taken (so the reference norm
/// `‖∇ℋ‖` is not known and reported as NaN).
pub fn sga<O: GameOracle>(
    o: &mut O,
    lambda: f64,
    align: bool,
    epsilon: f64,
    divisor: AlignDivisor,
) -> Result<O::Vector, O::Error> {
    let xi = o.xi().map_err(RuleError::Oracle)?;
    if o.is_separable() {
        let lambda = aligned_lambda("sga", lambda, align, epsilon)?;
        return Ok(Direction {
            value: xi,
            lambda: Some(lambda),
            alignment: Some(Alignment {
                product: epsilon,
                reference_norm: f64::NAN,
                sign: sgn(epsilon).unwrap_or(f64::NAN),
            }),
            sos_p: None,
        });
    }
    let h_xi = o.hvp(&xi).map_err(RuleError::Oracle)?;
    let grad_hamiltonian = o.hvp_transpose(&xi).map_err(RuleError::Oracle)?; // ∇ℋ = Hᵀ ξ
    let at_xi = grad_hamiltonian.add_scaled(-1.0, &h_xi).scaled(0.5); // Aᵀ ξ
    let divisor = match divisor {
        AlignDivisor::Dimension => xi.dim() as f64,
        AlignDivisor::Fixed(x) => x,
    };
    // One read-back for the three inner products.
    let dots = grad_hamiltonian.dots(&[&xi, &at_xi, &grad_hamiltonian]);
    let product = dots[0] * dots[1] / divisor + epsilon;
    let lambda = aligned_lambda("sga", lambda, align, product)?;
    Ok(Direction {
        value: xi.add_scaled(lambda, &at_xi),
        lambda: Some(lambda),
        alignment: Some(Alignment {
            product,
            reference_norm: dots[2].sqrt(),
            sign: sgn(product).unwrap_or(f64::NAN),
        }),
        sos_p: None,
    })
}

/// Altruistic gradient adjustment (Li et al., NeurIPS 2024):
/// `ξ̃ = ξ_c + λ (ξ + H_c ξ_c)`.
///
/// With `align` (the sign rule), `λ ← |λ| · sgn(⟨ξ_c, ∇ℋ_c⟩ · (⟨ξ, ∇ℋ_c⟩ + ‖∇ℋ_c‖²))` with
/// `∇ℋ_c = H_c ξ_c` and `sgn(0) = +1`: the step is pulled toward stable fixed points of the
/// collective loss and pushed away from unstable ones.
pub fn aga<O: GameOracle>(o: &mut O, lambda: f64, align: bool) -> Result<O::Vector, O::Error> {
    // ∇ℋ_c = H_c ξ_c, asked for first: an oracle can then share the passes of ξ_c and H_c ξ_c,
    // and compute ξ without ξ_c.
    let (xi_c, grad_hc) = o.collective_curvature().map_err(RuleError::Oracle)?;
    let xi = o.xi().map_err(RuleError::Oracle)?;
    // One read-back for the three inner products.
    let dots = grad_hc.dots(&[&xi_c, &xi, &grad_hc]);
    let grad_hc_sq = dots[2];
    let (first, second) = (dots[0], dots[1] + grad_hc_sq);
    let product = first * second;
    // The sign of the product from the signs of its factors: a product of two finite factors
    // that overflows (far from a fixed point) still has a sign, and one that underflows to 0
    // keeps its true one. `sgn(0) = +1` as in MATH.md.
    let sign = if !(first.is_finite() && second.is_finite()) {
        f64::NAN
    } else if first == 0.0 || second == 0.0 {
        1.0
    } else {
        first.signum() * second.signum()
    };
    let lambda = match (align, sign.is_nan()) {
        (false, _) => lambda,
        (true, false) => lambda.abs() * sign,
        (true, true) => aligned_lambda("aga", lambda, align, product)?,
    };
    Ok(Direction {
        value: xi_c.add_scaled(lambda, &xi.add_scaled(1.0, &grad_hc)),
        lambda: Some(lambda),
        alignment: Some(Alignment {
            product,
            reference_norm: grad_hc_sq.sqrt(),
            sign,
        }),
        sos_p: None,
    })
}

/// `Σ_i P_i u_i`: block `i` taken from the `i`-th vector.
fn own_blocks<O: GameOracle>(o: &O, us: &[O::Vector]) -> O::Vector {
    let mut total = o.project(&us[0], 0);
    for (i, u) in us.iter().enumerate().skip(1) {
        total = total.add_scaled(1.0, &o.project(u, i));
    }
    total
}

/// LA's shaping term, block `i` = `∇_{w_i} Σ_{j≠i} ⟨g_{ij}, stop(g_{jj})⟩` = block `i` of
/// `∇²l_i · (ξ − P_i ξ)`: one batched per-loss HVP.
fn look_ahead_term<O: GameOracle>(
    o: &mut O,
    xi: &O::Vector,
) -> std::result::Result<O::Vector, O::Error> {
    let n = o.num_players();
    let seeds: Vec<_> = (0..n)
        .map(|i| xi.add_scaled(-1.0, &o.project(xi, i)))
        .collect();
    let hvps = o.loss_hvps(&seeds)?;
    Ok(own_blocks(o, &hvps))
}

/// LOLA's extra term `χ`, block `i` = `∇_{w_i} Σ_{j≠i} ⟨stop(g_{ij}), g_{jj}⟩` = block `i` of
/// `Σ_{j≠i} ∇²l_j · P_j g_{ij}`. Round `k = 1 … n−1` seeds copy `j` with `P_j g_{ij}` for
/// `i = (j + k) mod n`, so `n − 1` batched per-loss HVPs cover every pair.
fn shaping_term<O: GameOracle>(o: &mut O) -> std::result::Result<O::Vector, O::Error> {
    let n = o.num_players();
    let grads = o.loss_gradients()?;
    let mut chi: Option<O::Vector> = None;
    for k in 1..n {
        let seeds: Vec<_> = (0..n).map(|j| o.project(&grads[(j + k) % n], j)).collect();
        let hvps = o.loss_hvps(&seeds)?;
        for (j, u) in hvps.iter().enumerate() {
            let part = o.project(u, (j + k) % n);
            chi = Some(match chi {
                None => part,
                Some(c) => c.add_scaled(1.0, &part),
            });
        }
    }
    Ok(chi.unwrap_or_else(|| grads[0].scaled(0.0)))
}

/// Look-ahead (Letcher et al. 2019): `ξ̃_i = ξ_i − α ∇_{w_i} Σ_{j≠i} ⟨g_{ij}, stop(g_{jj})⟩`,
/// with `g_{ij} = ∇_{w_j} l_i`. Each player anticipates the others' naive step but does not
/// try to shape it.
pub fn la<O: GameOracle>(o: &mut O, alpha: f64) -> Result<O::Vector, O::Error> {
    let xi = o.xi().map_err(RuleError::Oracle)?;
    let term = look_ahead_term(o, &xi).map_err(RuleError::Oracle)?;
    Ok(Direction::plain(xi.add_scaled(-alpha, &term)))
}

/// LOLA (Foerster et al. 2018): `ξ̃_i = ξ_i − α ∇_{w_i} Σ_{j≠i} ⟨g_{ij}, g_{jj}⟩`, i.e. LA
/// minus `α χ` (MATH.md §4): each player also differentiates through the others' step.
pub fn lola<O: GameOracle>(o: &mut O, alpha: f64) -> Result<O::Vector, O::Error> {
    let xi = o.xi().map_err(RuleError::Oracle)?;
    let term = look_ahead_term(o, &xi).map_err(RuleError::Oracle)?;
    let chi = shaping_term(o).map_err(RuleError::Oracle)?;
    Ok(Direction::plain(
        xi.add_scaled(-alpha, &term).add_scaled(-alpha, &chi),
    ))
}

/// Stable opponent shaping (Letcher et al. 2019): `ξ̃ = ξ_0 − p α χ` with `ξ_0` the LA
/// direction and `p = min(p_1, p_2)`:
/// `p_1 = 1` if `⟨−αχ, ξ_0⟩ ≥ 0`, else `min(1, −a‖ξ_0‖² / ⟨−αχ, ξ_0⟩)`;
/// `p_2 = k ‖ξ‖²` if `‖ξ‖ < b`, else `1` (`k = 1` in MATH.md and the SOS paper; see
/// [`RuleConfig::for_loss_scale`] for other values). The `p` used is reported in
/// [`Direction::sos_p`].
pub fn sos<O: GameOracle>(
    o: &mut O,
    alpha: f64,
    a: f64,
    b: f64,
    k: f64,
) -> Result<O::Vector, O::Error> {
    let xi = o.xi().map_err(RuleError::Oracle)?;
    let term = look_ahead_term(o, &xi).map_err(RuleError::Oracle)?;
    let chi = shaping_term(o).map_err(RuleError::Oracle)?;
    let xi_0 = xi.add_scaled(-alpha, &term);
    let shaping = chi.scaled(-alpha); // −α χ
    let dot = shaping.dot(&xi_0);
    let p1 = if dot >= 0.0 {
        1.0
    } else {
        (-a * xi_0.norm_sq() / dot).min(1.0)
    };
    let xi_norm_sq = xi.norm_sq();
    let p2 = if xi_norm_sq.sqrt() < b {
        k * xi_norm_sq
    } else {
        1.0
    };
    let p = p1.min(p2);
    Ok(Direction {
        value: xi_0.add_scaled(p, &shaping),
        lambda: None,
        alignment: None,
        sos_p: Some(p),
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
        Method::La => la(o, rule.alpha),
        Method::Lola => lola(o, rule.alpha),
        Method::Sos => sos(o, rule.alpha, rule.sos_a, rule.sos_b, rule.sos_k),
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
