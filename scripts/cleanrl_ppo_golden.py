#!/usr/bin/env python3
"""Golden PPO updates for `aga-rl/tests/cleanrl_golden.rs`, computed in JAX (float64) by a
transliteration of CleanRL's PPO minibatch update.

Reference: CleanRL (MIT), `cleanrl/ppo.py` at commit 020cf0e53305793c8e39f4b68f9ac1ae9099f004
(vwxyzjn/cleanrl): the GAE loop, and per minibatch `logratio`, `ratio`,
`approx_kl = ((ratio - 1) - logratio).mean()`, the clip fraction
`((ratio - 1).abs() > clip_coef).mean()`, normalised advantages, the clipped policy loss
`max(-A ratio, -A clamp(ratio, 1 - eps, 1 + eps)).mean()`, the clipped value loss
(`clip_vloss`), `entropy.mean()`, and one Adam step (eps = 1e-5) after global-norm gradient
clipping at `max_grad_norm`. PyTorch is not installable here, so the same arithmetic is written
in JAX; the update is `optax.clip_by_global_norm(max_grad_norm)` then Adam (eps = 1e-5) with
Burn's float32 scalars (`BurnAdam` below) — torch's `clip_grad_norm_` + `Adam` up to torch's
1e-6 in the clipping denominator and float64 scalars.

Where `aga` differs from `ppo.py` by design, the golden follows `aga` and says so here:
  * advantages are normalised with the population standard deviation (CleanRL's JAX PPO,
    `ppo_atari_envpool_xla_jax_scan.py`, and JaxMARL), not torch's sample one;
  * each agent has its own actor and critic; the actor and the critic are clipped and stepped
    as separate networks (CleanRL's MLP agent also has separate actor and critic networks, but
    clips their joint gradient norm);
  * the critic has two heads, `[V_i, V_c]`, regressed on the agent's return and the collective
    return: its loss is `vf_coef * 0.5 * mean(e_i + e_c)`, each `e` CleanRL's clipped squared
    error;
  * the CNN torso is SocialJax's IPPO CNN (3 valid convolutions, ReLU, a 64-unit ReLU layer),
    separate for actor and critic.

Usage (writes the golden JSON files):
    python3 scripts/cleanrl_ppo_golden.py aga-rl/tests/golden
"""
import json
import sys

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

HIDDEN = 64
CHANNELS = 32
CLIP = 0.2
ENT_COEF = 0.01
VF_COEF = 0.5
MAX_GRAD_NORM = 0.4
LR = 2.5e-3
STRIDE = 7


def f32(x):
    """Round to float32 (so that the Rust side's f32 parameters are the same numbers)."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def layer_shapes(kind, obs_len, channels, side, outputs):
    if kind == "mlp":
        return [("dense", (obs_len, HIDDEN)), ("dense", (HIDDEN, HIDDEN)), ("dense", (HIDDEN, outputs))]
    out = side - 8
    return [
        ("conv", (CHANNELS, channels, 5, 5)),
        ("conv", (CHANNELS, CHANNELS, 3, 3)),
        ("conv", (CHANNELS, CHANNELS, 3, 3)),
        ("dense", (CHANNELS * out * out, HIDDEN)),
        ("dense", (HIDDEN, outputs)),
    ]


def formula_value(i, agent, salt, bound):
    """The starting parameters, by a formula the Rust test evaluates too (integer arithmetic,
    then correctly rounded IEEE operations, then rounding to float32): a sawtooth in
    [-bound, bound]."""
    k = (i * 7919 + agent * 104729 + salt) % 2001
    return float(np.float32(bound * (k / 1000.0 - 1.0)))


def init(shapes, agent, critic):
    params = []
    for j, (kind, shape) in enumerate(shapes):
        fan_in = shape[0] if kind == "dense" else int(np.prod(shape[1:]))
        bound = 1.0 / np.sqrt(fan_in)
        base = 31 * j + (5000 if critic else 0)
        nw = int(np.prod(shape))
        nb = shape[0] if kind == "conv" else shape[1]
        w = np.array([formula_value(i, agent, base, bound) for i in range(nw)]).reshape(shape)
        b = np.array([formula_value(i, agent, base + 17, bound) for i in range(nb)])
        params.append((w, b))
    return params


def forward(params, shapes, kind, x, channels, side, divisor):
    x = x / divisor
    if kind == "mlp":
        for (w, b) in params[:-1]:
            x = jnp.tanh(x @ w + b)
    else:
        x = x.reshape(x.shape[0], channels, side, side)
        for (w, b), (k, _) in zip(params, shapes):
            if k != "conv":
                break
            x = jax.lax.conv_general_dilated(x, w, (1, 1), "VALID", dimension_numbers=("NCHW", "OIHW", "NCHW"))
            x = jax.nn.relu(x + b[None, :, None, None])
        x = x.reshape(x.shape[0], -1)
        w, b = params[-2]
        x = jax.nn.relu(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def actor_loss(params, shapes, kind, dims, obs, actions, old_logp, adv):
    logits = forward(params, shapes, kind, obs, *dims)
    logp_all = jax.nn.log_softmax(logits, axis=-1)
    newlogprob = jnp.take_along_axis(logp_all, actions[:, None], axis=1)[:, 0]
    entropy = -(jnp.exp(logp_all) * logp_all).sum(-1)
    logratio = newlogprob - old_logp
    ratio = jnp.exp(logratio)
    mb_adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    pg_loss1 = -mb_adv * ratio
    pg_loss2 = -mb_adv * jnp.clip(ratio, 1 - CLIP, 1 + CLIP)
    pg_loss = jnp.maximum(pg_loss1, pg_loss2).mean()
    entropy_loss = entropy.mean()
    approx_kl = ((ratio - 1) - logratio).mean()
    clipfrac = (jnp.abs(ratio - 1.0) > CLIP).astype(jnp.float64).mean()
    return pg_loss - ENT_COEF * entropy_loss, (pg_loss, entropy_loss, approx_kl, clipfrac)


def critic_loss(params, shapes, kind, dims, obs, returns, old_values):
    newvalue = forward(params, shapes, kind, obs, *dims)  # [m, 2]
    v_loss_unclipped = (newvalue - returns) ** 2
    v_clipped = old_values + jnp.clip(newvalue - old_values, -CLIP, CLIP)
    v_loss_clipped = (v_clipped - returns) ** 2
    v_loss_max = jnp.maximum(v_loss_unclipped, v_loss_clipped)
    return VF_COEF * 0.5 * v_loss_max.sum(-1).mean()


def powi_f32(a, n):
    """`f32::powi` as compiler-rt's `__powisf2` computes it: square-and-multiply in f32."""
    a, r = np.float32(a), np.float32(1.0)
    while True:
        if n & 1:
            r = np.float32(r * a)
        n //= 2
        if n == 0:
            return r
        a = np.float32(a * a)


def BurnAdam(lr, beta_1=0.9, beta_2=0.999, eps=1e-5):
    """Adam as Burn 0.21's `AdaptiveMomentum` computes it: the textbook update
    `m̂ / (√v̂ + ε)`, with β₁, β₂, ε and the bias-correction scalars in float32 (Burn's
    `AdamConfig` holds them as f32) and the tensors in the backend's precision, in Burn's order:
    `m·c / (√v + ε·√(1 − β₂ᵗ))` with `c = √(1 − β₂ᵗ) / (1 − β₁ᵗ)`. With optax's float64
    scalars the parameters after four updates differ by about 1e-8 (the f32 test covers that
    regime); this keeps the f64 comparison about our PPO, not Burn's scalar precision."""
    b1, b2, e = np.float32(beta_1), np.float32(beta_2), np.float32(eps)
    one = np.float32(1.0)

    def init(params):
        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        return {"t": 0, "m": zeros, "v": zeros}

    def update(grads, state, params=None):
        t = state["t"] + 1
        f1, f2 = float(np.float32(one - b1)), float(np.float32(one - b2))
        if t == 1:
            m = jax.tree_util.tree_map(lambda g: g * f1, grads)
            v = jax.tree_util.tree_map(lambda g: (g * g) * f2, grads)
        else:
            m = jax.tree_util.tree_map(lambda mm, g: mm * float(b1) + g * f1, state["m"], grads)
            v = jax.tree_util.tree_map(lambda vv, g: vv * float(b2) + (g * g) * f2, state["v"], grads)
        bc2 = np.float32(np.sqrt(np.float32(one - powi_f32(b2, t))))
        c = float(np.float32(bc2 / np.float32(one - powi_f32(b1, t))))
        denom_add = float(np.float32(e * bc2))
        updates = jax.tree_util.tree_map(lambda mm, vv: -lr * ((mm * c) / (jnp.sqrt(vv) + denom_add)), m, v)
        return updates, {"t": t, "m": m, "v": v}

    return optax.GradientTransformation(init, update)


def gae_cleanrl(rewards, values, dones_cleanrl, next_value, next_done, gamma, lam):
    """CleanRL's loop: `dones[t]` says obs[t] starts a new episode; `next_done` is for the
    observation after the rollout."""
    steps = len(rewards)
    advantages = np.zeros(steps)
    lastgaelam = 0.0
    for t in reversed(range(steps)):
        if t == steps - 1:
            nextnonterminal = 1.0 - next_done
            nextvalues = next_value
        else:
            nextnonterminal = 1.0 - dones_cleanrl[t + 1]
            nextvalues = values[t + 1]
        delta = rewards[t] + gamma * nextvalues * nextnonterminal - values[t]
        advantages[t] = lastgaelam = delta + gamma * lam * nextnonterminal * lastgaelam
    return advantages, advantages + values


def case(kind, seed):
    rng = np.random.default_rng(seed)
    agents, samples, actions_n = 2, 16, 5
    if kind == "mlp":
        channels, side, divisor = 12, 1, 1.0
        obs = f32(rng.integers(0, 2, size=(agents, samples, channels)))  # one-hot-like bytes
    else:
        channels, side, divisor = 3, 9, 255.0
        obs = f32(rng.integers(0, 256, size=(agents, samples, channels * side * side)))
    obs_len = channels * side * side
    dims = (channels, side, divisor)
    a_shapes = layer_shapes(kind, obs_len, channels, side, actions_n)
    c_shapes = layer_shapes(kind, obs_len, channels, side, 2)
    actors = [init(a_shapes, a, False) for a in range(agents)]
    critics = [init(c_shapes, a, True) for a in range(agents)]
    acts = rng.integers(0, actions_n, size=(agents, samples))
    # Old log-probs: the initial policy's, perturbed so that ratios spread around 1 and some
    # samples clip.
    old_logp = np.stack([
        f32(np.asarray(jax.nn.log_softmax(forward(actors[i], a_shapes, kind, obs[i], *dims), -1))[np.arange(samples), acts[i]]
            + rng.normal(0, 0.3, size=samples))
        for i in range(agents)
    ])
    adv = f32(rng.normal(0.5, 2.0, size=(agents, samples)))
    adv_c = f32(rng.normal(-0.3, 1.5, size=(agents, samples)))
    returns = f32(rng.normal(0, 1.0, size=(agents, samples, 2)))
    old_values = f32(np.stack([np.asarray(forward(critics[i], c_shapes, kind, obs[i], *dims)) for i in range(agents)])
                     + rng.normal(0, 0.3, size=(agents, samples, 2)))
    # Minibatches: two halves, two epochs (fixed index lists).
    perm = rng.permutation(samples)
    minibatches = [sorted(perm[: samples // 2].tolist()), sorted(perm[samples // 2:].tolist())] * 2

    tx = optax.chain(optax.clip_by_global_norm(MAX_GRAD_NORM), BurnAdam(LR))
    a_state = [tx.init(p) for p in actors]
    c_state = [tx.init(p) for p in critics]
    steps = []
    for mb in minibatches:
        idx = np.array(mb)
        record = {"rows": mb, "agents": []}
        for i in range(agents):
            (la, (pg, ent, kl, cf)), ga = jax.value_and_grad(actor_loss, has_aux=True)(
                actors[i], a_shapes, kind, dims, obs[i, idx], acts[i, idx], old_logp[i, idx], adv[i, idx])
            lc, gc = jax.value_and_grad(critic_loss)(
                critics[i], c_shapes, kind, dims, obs[i, idx], returns[i, idx], old_values[i, idx])
            gnorm_a = float(optax.global_norm(ga))
            gnorm_c = float(optax.global_norm(gc))
            ua, a_state[i] = tx.update(ga, a_state[i], actors[i])
            actors[i] = optax.apply_updates(actors[i], ua)
            uc, c_state[i] = tx.update(gc, c_state[i], critics[i])
            critics[i] = optax.apply_updates(critics[i], uc)
            record["agents"].append({
                "actor_loss": float(la), "pg_loss": float(pg), "entropy": float(ent),
                "approx_kl": float(kl), "clip_fraction": float(cf), "critic_loss": float(lc),
                "actor_grad_norm": gnorm_a, "critic_grad_norm": gnorm_c,
            })
        steps.append(record)
    return {
        "kind": kind, "agents": agents, "samples": samples, "actions": actions_n,
        "channels": channels, "side": side, "divisor": divisor,
        "clip": CLIP, "entropy_coef": ENT_COEF, "value_coef": VF_COEF,
        "max_grad_norm": MAX_GRAD_NORM, "lr": LR,
        "obs": obs.reshape(-1).astype(np.int64).tolist(), "actions_taken": acts.reshape(-1).tolist(),
        "old_log_probs": f9(old_logp), "advantages": f9(adv),
        "collective_advantages": f9(adv_c),
        "returns": f9(returns[..., 0]),
        "collective_returns": f9(returns[..., 1]),
        "old_values": f9(old_values),
        "steps": steps,
        "final_sample_stride": STRIDE,
        "final_actor_params": sampled(actors),
        "final_critic_params": sampled(critics),
    }


def f9(x):
    """Float32 values as float64 numbers, written exactly (shortest round-trip repr of the
    float64; nine digits would round-trip only when read back as float32)."""
    return [float(v) for v in np.asarray(x, dtype=np.float64).reshape(-1)]


def sampled(per_agent):
    """Per layer, every agent's weights then biases stacked agent-major and flattened, as the
    Rust side lays them out: every STRIDE-th entry (13 significant digits) and the sum of all
    (the file's size; the losses of later updates depend on every parameter anyway)."""
    layers = []
    for j in range(len(per_agent[0])):
        out = []
        for part in range(2):
            v = np.concatenate([np.asarray(p[j][part]).reshape(-1) for p in per_agent])
            out.append({"every": [float(f"{x:.13g}") for x in v[::STRIDE]], "sum": float(v.sum())})
        layers.append(out)
    return layers


def main(out_dir):
    for kind, seed in [("mlp", 11), ("cnn", 12)]:
        data = case(kind, seed)
        clipped = sum(a["actor_grad_norm"] > MAX_GRAD_NORM for s in data["steps"] for a in s["agents"])
        path = f"{out_dir}/cleanrl_ppo_{kind}.json"
        with open(path, "w") as f:
            json.dump(data, f)
        print(f"{path}: {len(data['steps'])} updates, {clipped} actor steps with clipping active")

    # GAE: CleanRL's loop on a 12-step rollout with two episode ends inside it and one at the
    # last step, against aga's convention (`dones[t]`: the episode ended with step t).
    rng = np.random.default_rng(13)
    steps = 12
    rewards = f32(rng.normal(0, 1, size=steps))
    values = f32(rng.normal(0, 1, size=steps))
    ended = np.zeros(steps, dtype=bool)
    ended[[3, 8]] = True
    next_value = float(f32(rng.normal()))
    cases = []
    for last_done in [False, True]:
        ended_case = ended.copy()
        ended_case[-1] = last_done
        dones_cleanrl = np.zeros(steps)
        dones_cleanrl[1:] = ended_case[:-1]
        adv, ret = gae_cleanrl(rewards, values, dones_cleanrl, next_value, float(ended_case[-1]), 0.99, 0.95)
        cases.append({"dones": ended_case.tolist(), "advantages": adv.tolist(), "returns": ret.tolist()})
    with open(f"{out_dir}/cleanrl_gae.json", "w") as f:
        json.dump({"gamma": 0.99, "lambda": 0.95, "rewards": rewards.tolist(), "values": values.tolist(),
                   "last_value": next_value, "cases": cases}, f)
    print(f"{out_dir}/cleanrl_gae.json: 2 cases")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "aga-rl/tests/golden")
