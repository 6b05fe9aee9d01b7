#!/usr/bin/env python3
"""JAX reference timings of one multi-agent PPO update, next to `benches/rl.rs`.

Usage (from the repository root; needs `pip install "jax[cpu]"`, nothing else):

  python3 scripts/ppo_jax_reference.py --check                       # self-check (1-2 min)
  python3 scripts/ppo_jax_reference.py --quick --out /tmp/ppo_jax_quick.json   # MLP smoke run
  python3 scripts/ppo_jax_reference.py --quick --policy cnn --rollout-steps 16 --epochs 1 \
      --minibatches 1 --out /tmp/ppo_jax_quick_cnn.json                 # CNN smoke run
  python3 scripts/ppo_jax_reference.py --policy mlp --out results/ppo_jax_mlp.json  # rl/harvest_mlp
  python3 scripts/ppo_jax_reference.py --policy cnn --rollout-steps 16 --epochs 1 \
      --minibatches 1 --out results/ppo_jax_cnn_bench.json   # = rl/harvest_cnn of benches/rl.rs
  python3 scripts/ppo_jax_reference.py --out results/ppo_jax_reference.json    # full default sizes
  python3 scripts/ppo_jax_reference.py --policy cnn --conv im2col --loop scan  # CNN, cheap compile
  python3 scripts/ppo_jax_reference.py --presets default,socialjax --policy mlp --agents unrolled
  python3 scripts/ppo_jax_reference.py --agents unrolled --rules aga --rust-diagnostics
  taskset -c 0 python3 scripts/ppo_jax_reference.py --single-thread ...  # XLA on one thread

(`whole_update` of a row is the counterpart of Criterion's `rl/harvest_<policy>/<rule>/iteration`
and `learn` of `rl/harvest_<policy>/<rule>/update` — which is the PPO epochs alone — when run
with the configuration benches/rl.rs uses; ours also steps the environment.)

The JSON goes to stdout, and also to `--out FILE` when given; progress goes to stderr.

What is timed: ONE update of the multi-agent PPO learner of `aga-rl` (`Trainer::update` =
`collect` + `learn`, aga-rl/src/trainer.rs), written as `jax.jit`-ed float32 functions on the
CPU. `n` agents (default 5, Harvest), each with its OWN actor and its OWN critic (nothing is
shared):

  mlp   input the one-hot S×S×8 window (S = 15: 1800 floats, 0/1, exactly one hot channel per
        cell); actor Linear 1800→64, tanh, Linear 64→64, tanh, Linear 64→8 (logits),
        log_softmax; critic the same torso (its own weights), Linear 64→2 (the individual and
        the collective value).
  cnn   input the RGB S×S×3 window, bytes as floats / 255; conv 5×5 3→32, ReLU, conv 3×3
        32→32, ReLU, conv 3×3 32→32, ReLU (valid padding, stride 1: 7×7×32 = 1568), Linear
        1568→64, ReLU, then the head (8 logits, or 2 values). `--conv-layout nhwc` (default,
        what Flax/SocialJax write) or `nchw` (channel-first, as our Burn networks).

Initialisation as ours: every weight and bias uniform in ±1/√fan_in; the actor's logits layer
scaled by 0.01 with a zero bias.

One update (`whole_update`, a single jitted function), with E env copies × T steps:
  1. rollout: `lax.scan` over T steps; at each step ONE forward of every agent's actor on its E
     observations, actions drawn with `jax.random.categorical`, their log-probabilities kept.
     The environment is NOT part of the timing: the T+1 observation batches (T steps and the
     bootstrap), the rewards (Bernoulli(0.1) per agent) and the episode ends (none) are
     generated beforehand and fed in; actions do not influence them.
  2. both value heads of every agent's critic on all T·E (+E bootstrap) observations (in
     chunks of about 4096 rows, as ours), then GAE (γ, λ_GAE) per agent for its own reward and
     for the collective reward r_c = Σ_i r_i (from the agent's own collective head).
  3. learn (`learn`, also timed alone as its own jitted function on a collected rollout):
     `epochs` × (shuffle the T·E samples — one permutation for all agents —, then per
     minibatch of T·E/minibatches samples: one actor step with the rule, then one critic
     step).
     PPO game on a minibatch, agent i: l_i = −mean(min(ρA_i, clip(ρ, 1−ε, 1+ε)A_i)) − c_H·H(π_i)
     with ρ = exp(log π_i(a|o) − log π_old(a|o)), advantages normalised over the minibatch
     ((A − mean)/(population std + 1e-8)), old log-probs and advantages constants, H the mean
     policy entropy; l_c = Σ_i [same surrogate of agent i with its collective advantages
     A_c,i − c_H·H(π_i)].
     Rules (`--rules`): `simul-ind` ξ̃ = ξ = (∇_{w_i} l_i)_i (`jax.grad` of Σ_i l_i: l_i reads
     w_i only); `aga` ξ, ξ_c = ∇_w l_c, ∇ℋ_c = H_c ξ_c = `jax.jvp(jax.grad(l_c), (w,), (ξ_c,))`
     (forward-over-reverse), λ ← |λ|·sgn(⟨ξ_c,∇ℋ_c⟩·(⟨ξ,∇ℋ_c⟩ + ‖∇ℋ_c‖²)) with sgn(0) = +1
     (taken from the signs of the two factors, as aga-core), ξ̃ = ξ_c + λ(ξ + ∇ℋ_c).
     Then per agent: global-norm clipping of ξ̃_i (over all of that agent's actor parameters)
     to `--max-grad-norm`, Adam (β 0.9/0.999, ε 1e-5, bias-corrected, hand-written, as Burn's).
     Critic step per agent: ½·c_V·mean((V_i − R_i)² + (V_c,i − R_c,i)²) (with `--clip-value`
     CleanRL's clipped value loss around the rollout's values, ε = `--clip`), the same
     per-agent clipping, Adam. Learning rate constant (`--lr`; ours anneals it linearly per
     update, which does not change the cost).
  `--rust-diagnostics` also computes what our learner computes for its metrics besides the
  update: at every actor step ξ_c for `simul-ind` (our engine forms ξ and ξ_c for every rule),
  ‖ξ‖, ‖ξ_c‖ and cos(ξ, ξ_c); after the epochs one more forward of every actor on the whole
  rollout (approximate KL, clip fraction, entropy). Default off: a JAX user would not.

Agents (`--agents`): `vmap` stacks every parameter over agents and `jax.vmap`s one agent's
network (for the CNN, XLA then runs grouped convolutions); `unrolled` keeps one parameter
pytree per agent and loops over agents in Python inside the jit (n separate networks in the
graph).

XLA:CPU and convolutions (found with jax 0.10.2): inside a while loop (`lax.scan`) the
gradient convolutions keep non-canonical dimension labels and run on XLA's naive convolution
emitter, many times slower than the same gradient outside a loop. So `--loop` (how the epochs ×
minibatches run): `scan` (`lax.scan`), `unroll` (a Python loop: every minibatch step is its
own copy in the graph; compile time grows with epochs × minibatches), `auto` (default: `unroll`
for the CNN, `scan` for the MLP, where unrolling brought nothing and compiled far longer).
`--conv im2col` replaces `lax.conv_general_dilated` by k·k slices and one matmul (gradients are
matmuls and pads, fast inside loops too; somewhat slower than XLA's convolution outside a
loop): with `--loop scan` it is the cheap-to-compile CNN variant. The vmapped CNN (grouped
convolutions) is slow either way. Each row records `loop` and `conv`.

Batch presets (`--presets`): `default` = `--envs` × `--rollout-steps` (8 × 128: 1024 samples
per agent; 4 epochs × 4 minibatches of 256); `socialjax` = 64 copies × 1000 steps (64000
samples per agent; `--epochs` × `--minibatches`, so 4 minibatches of 16000). The socialjax
preset needs several GB of memory (MLP observations alone are 0.6 GB as bytes) and, with the
CNN, a long time per update.

Timing: each function is compiled ahead of time (`jit(f).lower(...).compile()`, `compile_s`),
run `--warmup` times (not timed in the median), then called `reps` times, each call timed with
`jax.block_until_ready`; `median_s` is the median. `reps` is `--reps` when given, else chosen so
that the measurement takes about `--target-seconds` (at least `--min-reps`). The same inputs are
passed to every call (the update is a pure function of parameters, Adam state, key and data).
`--quick`: 1 warm-up and 1 timed rep, MLP only unless `--policy` is given.

Threads: XLA on CPU uses all cores it may (`threads` is `os.cpu_count()`, `affinity` the cores
this process may run on). `taskset -c 0 …` restricts it; `--single-thread` sets
`XLA_FLAGS=--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1` before jax is
imported.

`--check`: on a tiny configuration (n = 2, E = 2, T = 4, 1 epoch, 1 minibatch, MLP on a 3×3×8
window with 16 hidden units; and the CNN on a 9×9×3 window with 4 channels and 8 hidden units)
checks that the AgA direction computed with `jax.jvp` equals the one from the dense Hessian
(`jax.hessian` of l_c on the flat parameter vector, times ξ_c) to 1e-5 relative; that ξ's
blocks are the agents' own gradients and l_i does not depend on the other agents' parameters;
that `vmap` and `unrolled` give the same direction and the same whole update; that the
sign rule has sgn(0) = +1; that the unrolled learn loop equals the scanned one (MLP) and
im2col convolutions give XLA's direction (CNN); and that GAE matches a transliteration of
aga-rl/src/gae.rs (with episode ends). It exits non-zero on a failure.
"""

import argparse
import math
import os
import statistics
import sys
import time

SINGLE_THREAD_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
VALUE_CHUNK = 4096  # rows per critic evaluation after a rollout (as trainer.rs)
PRESETS = {"default": None, "socialjax": (64, 1000)}  # None: --envs × --rollout-steps
RULES = ["simul-ind", "aga"]
AGENTS = ["vmap", "unrolled"]
POLICIES = ["mlp", "cnn"]
ONE_HOT_CHANNELS = 8


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jax_reference import log, machine_report, write_report  # noqa: E402  (shared helpers)


class Cfg:
    """The hyperparameters of one learner (a plain record)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def replace(self, **kw):
        d = dict(self.__dict__)
        d.update(kw)
        return Cfg(**d)

    def obs_len(self):
        ch = ONE_HOT_CHANNELS if self.policy == "mlp" else 3
        return self.side * self.side * ch


# --------------------------------------------------------------------------------------------
# Agents: stacked + vmap, or one pytree per agent + Python loop
# --------------------------------------------------------------------------------------------

class Vmapped:
    """Every parameter stacked over agents (leading axis n); one agent's function vmapped."""

    name = "vmap"

    def __init__(self, jax, jnp, n):
        self.jax, self.jnp, self.n = jax, jnp, n

    def pack(self, trees):
        return self.jax.tree_util.tree_map(lambda *xs: self.jnp.stack(xs), *trees)

    def unpack(self, p):
        return [self.jax.tree_util.tree_map(lambda x, i=i: x[i], p) for i in range(self.n)]

    def map(self, f, p, *data):
        """[f(p_i, data_0[i], …) for every agent i], stacked on a leading axis."""
        return self.jax.vmap(f)(p, *data)

    def sq_norms(self, g):
        jnp = self.jnp
        return sum(jnp.sum(x.reshape(self.n, -1) ** 2, axis=1)
                   for x in self.jax.tree_util.tree_leaves(g))

    def scale(self, g, s):
        return self.jax.tree_util.tree_map(
            lambda x: x * s.reshape((self.n,) + (1,) * (x.ndim - 1)), g)


class Unrolled:
    """A list of per-agent pytrees; a Python loop over agents inside the jit."""

    name = "unrolled"

    def __init__(self, jax, jnp, n):
        self.jax, self.jnp, self.n = jax, jnp, n

    def pack(self, trees):
        return list(trees)

    def unpack(self, p):
        return list(p)

    def map(self, f, p, *data):
        outs = [f(p[i], *(d[i] for d in data)) for i in range(self.n)]
        return self.jax.tree_util.tree_map(lambda *xs: self.jnp.stack(xs), *outs)

    def sq_norms(self, g):
        jnp = self.jnp
        return jnp.stack([sum(jnp.sum(x ** 2) for x in self.jax.tree_util.tree_leaves(gi))
                          for gi in g])

    def scale(self, g, s):
        return [self.jax.tree_util.tree_map(lambda x, i=i: x * s[i], gi) for i, gi in enumerate(g)]


# --------------------------------------------------------------------------------------------
# The learner
# --------------------------------------------------------------------------------------------

def sign_rule(jnp, first, second):
    """sgn(first · second) from the factors' signs, sgn(0) = +1 (aga-core's `aga`)."""
    return jnp.where((first == 0) | (second == 0), 1.0,
                     jnp.sign(first) * jnp.sign(second)).astype(jnp.float32)


def build(jax, jnp, cfg, rule, agents_mode):
    """The jittable functions of one learner: init, env data, collect, learn, update."""
    lax = jax.lax
    sg = lax.stop_gradient
    tmap = jax.tree_util.tree_map
    leaves = jax.tree_util.tree_leaves
    f32 = jnp.float32
    n, E, T, A = cfg.n, cfg.envs, cfg.steps, cfg.actions
    side, H, C = cfg.side, cfg.hidden, cfg.channels
    F = cfg.obs_len()
    mlp = cfg.policy == "mlp"
    nhwc = cfg.conv_layout == "nhwc"
    agents = (Vmapped if agents_mode == "vmap" else Unrolled)(jax, jnp, n)
    if not mlp and side < 9:
        raise SystemExit("the CNN needs a window of at least 9×9")

    # ---- networks (one agent) ------------------------------------------------------------

    def uniform(key, shape, fan_in):
        b = 1.0 / math.sqrt(fan_in)
        return jax.random.uniform(key, shape, f32, -b, b)

    def init_linear(key, i, o):
        k1, k2 = jax.random.split(key)
        return {"w": uniform(k1, (i, o), i), "b": uniform(k2, (o,), i)}

    def init_conv(key, cin, cout, k):
        k1, k2 = jax.random.split(key)
        shape = (k, k, cin, cout) if nhwc else (cout, cin, k, k)
        return {"w": uniform(k1, shape, cin * k * k), "b": uniform(k2, (cout,), cin * k * k)}

    def init_torso(key):
        if mlp:
            k1, k2 = jax.random.split(key)
            return {"dense": [init_linear(k1, F, H), init_linear(k2, H, H)]}
        ks = jax.random.split(key, 4)
        out = side - 8
        return {"convs": [init_conv(ks[0], 3, C, 5), init_conv(ks[1], C, C, 3),
                          init_conv(ks[2], C, C, 3)],
                "dense": [init_linear(ks[3], C * out * out, H)]}

    def init_actor(key):
        k1, k2 = jax.random.split(key)
        head = init_linear(k2, H, A)
        return {"torso": init_torso(k1),
                "head": {"w": head["w"] * 0.01, "b": jnp.zeros_like(head["b"])}}

    def init_critic(key):
        k1, k2 = jax.random.split(key)
        return {"torso": init_torso(k1), "head": init_linear(k2, H, 2)}

    dn = ("NHWC", "HWIO", "NHWC") if nhwc else ("NCHW", "OIHW", "NCHW")

    def conv_op(x, w):
        """A valid, stride-1 convolution: XLA's, or im2col (k·k slices, one matmul)."""
        if cfg.conv == "lax":
            return lax.conv_general_dilated(x, w, (1, 1), "VALID", dimension_numbers=dn)
        kh, kw, cin, cout = w.shape  # NHWC / HWIO only
        ho, wo = x.shape[1] - kh + 1, x.shape[2] - kw + 1
        cols = jnp.concatenate([x[:, i:i + ho, j:j + wo, :] for i in range(kh) for j in range(kw)],
                               axis=-1)
        return cols @ w.reshape(kh * kw * cin, cout)

    def torso(p, x):
        """[m, F] observation bytes (uint8) → [m, H] features."""
        x = x.astype(f32)
        if mlp:
            for layer in p["dense"]:
                x = jnp.tanh(x @ layer["w"] + layer["b"])
            return x
        m = x.shape[0]
        x = (x / 255.0).reshape(m, side, side, 3)  # the window as the env writes it
        if not nhwc:
            x = jnp.transpose(x, (0, 3, 1, 2))
        for conv in p["convs"]:
            x = conv_op(x, conv["w"])
            b = conv["b"].reshape((1, 1, 1, -1) if nhwc else (1, -1, 1, 1))
            x = jax.nn.relu(x + b)
        layer = p["dense"][0]
        return jax.nn.relu(x.reshape(m, -1) @ layer["w"] + layer["b"])

    def actor_logp(p, x):
        return jax.nn.log_softmax(torso(p["torso"], x) @ p["head"]["w"] + p["head"]["b"], axis=-1)

    def critic_values(p, x):
        return torso(p["torso"], x) @ p["head"]["w"] + p["head"]["b"]  # [m, 2]

    # ---- state and data ------------------------------------------------------------------

    def init(key):
        ka, kc = jax.random.split(key)
        actors = agents.pack([init_actor(jax.random.fold_in(ka, i)) for i in range(n)])
        critics = agents.pack([init_critic(jax.random.fold_in(kc, i)) for i in range(n)])
        return (actors, adam_init(actors), critics, adam_init(critics))

    def env_data(key):
        """Pre-generated environment output: obs [T+1, E, n, F] uint8 (copy, agent order as
        our VecEnv), rewards [T, E, n], dones [T, E]."""
        k1, k2 = jax.random.split(key)
        if mlp:
            kinds = jax.random.randint(k1, (T + 1, E, n, side * side), 0, ONE_HOT_CHANNELS)
            obs = jax.nn.one_hot(kinds, ONE_HOT_CHANNELS, dtype=jnp.uint8).reshape(T + 1, E, n, F)
        else:
            obs = jax.random.randint(k1, (T + 1, E, n, F), 0, 256).astype(jnp.uint8)
        rewards = (jax.random.uniform(k2, (T, E, n)) < 0.1).astype(f32)
        dones = jnp.zeros((T, E), bool)
        return obs, rewards, dones

    # ---- Adam, clipping ------------------------------------------------------------------

    def adam_init(p):
        return {"m": tmap(jnp.zeros_like, p), "v": tmap(jnp.zeros_like, p),
                "t": jnp.zeros((), jnp.int32)}

    def adam(p, opt, g):
        t = opt["t"] + 1
        m = tmap(lambda m, g: cfg.beta1 * m + (1 - cfg.beta1) * g, opt["m"], g)
        v = tmap(lambda v, g: cfg.beta2 * v + (1 - cfg.beta2) * g * g, opt["v"], g)
        tf = t.astype(f32)
        c1, c2 = 1 - cfg.beta1 ** tf, 1 - cfg.beta2 ** tf
        p = tmap(lambda p, m, v: p - cfg.lr * (m / c1) / (jnp.sqrt(v / c2) + cfg.adam_eps),
                 p, m, v)
        return p, {"m": m, "v": v, "t": t}

    def clip_per_agent(g):
        norms = jnp.sqrt(agents.sq_norms(g))
        limit = cfg.max_grad_norm
        return agents.scale(g, jnp.where(norms > limit, limit / jnp.maximum(norms, 1e-30), 1.0))

    def dot(a, b):
        return sum(jnp.vdot(x, y) for x, y in zip(leaves(a), leaves(b)))

    # ---- collect: rollout, values, GAE ---------------------------------------------------

    def gae(values, rewards, dones):
        """values [T+1, E, n, 2], rewards [T, E, n], dones [T, E] → advantages, returns
        [T, E, n, 2] (head 0: own reward, head 1: collective reward Σ_i r_i)."""
        r_c = jnp.broadcast_to(jnp.sum(rewards, axis=2, keepdims=True), rewards.shape)
        r = jnp.stack([rewards, r_c], axis=-1)
        live = (1.0 - dones.astype(f32))[:, :, None, None]
        v = values[:T]

        def body(carry, x):
            next_adv, next_v = carry
            r_t, v_t, l_t = x
            delta = r_t + cfg.gamma * l_t * next_v - v_t
            adv = delta + cfg.gamma * cfg.gae_lambda * l_t * next_adv
            return (adv, v_t), adv

        _, adv = lax.scan(body, (jnp.zeros_like(values[T]), values[T]), (r, v, live),
                          reverse=True)
        return adv, adv + v

    def collect(state, key, env):
        actors, _, critics, _ = state
        obs, rewards, dones = env

        def step(_, xs):
            o, k = xs  # o [E, n, F]
            logp = agents.map(actor_logp, actors, jnp.swapaxes(o, 0, 1))  # [n, E, A]
            a = jax.random.categorical(k, logp, axis=-1)  # [n, E]
            lp = jnp.take_along_axis(logp, a[..., None], axis=-1)[..., 0]
            return None, (a.T.astype(jnp.int32), lp.T)

        _, (actions, logp) = lax.scan(step, None, (obs[:T], jax.random.split(key, T)))

        def values_at(o):  # [E, n, F] → [E, n, 2]
            return jnp.swapaxes(agents.map(critic_values, critics, jnp.swapaxes(o, 0, 1)), 0, 1)

        values = lax.map(values_at, obs, batch_size=max(1, VALUE_CHUNK // E))  # [T+1, E, n, 2]
        adv, ret = gae(values, rewards, dones)
        return {"actions": actions, "logp": logp, "adv": adv, "ret": ret, "values": values[:T]}

    # ---- the PPO game and the actor step -------------------------------------------------

    def normalise(a):
        a = sg(a)
        c = a - jnp.mean(a)
        return c / (jnp.sqrt(jnp.mean(c * c)) + 1e-8)

    def actor_losses(p, o, a, old, adv, adv_c):
        """One agent: [l_i, its term of l_c], both with the entropy bonus."""
        logp = actor_logp(p, o)
        taken = jnp.take_along_axis(logp, a[:, None], axis=1)[:, 0]
        ratio = jnp.exp(taken - sg(old))
        entropy = -jnp.mean(jnp.sum(jnp.exp(logp) * logp, axis=1))

        def surrogate(adv):
            adv = normalise(adv)
            clipped = jnp.clip(ratio, 1 - cfg.clip, 1 + cfg.clip)
            return -jnp.mean(jnp.minimum(ratio * adv, clipped * adv))

        bonus = cfg.entropy_coef * entropy
        return jnp.stack([surrogate(adv) - bonus, surrogate(adv_c) - bonus])

    def game_losses(p, mb):
        """[n, 2]: per agent l_i and its term of l_c."""
        return agents.map(actor_losses, p, mb["obs"], mb["actions"], mb["old"], mb["adv"],
                          mb["adv_c"])

    def l_ind(p, mb):  # Σ_i l_i: its gradient is ξ, since l_i reads w_i only
        return jnp.sum(game_losses(p, mb)[:, 0])

    def l_col(p, mb):
        return jnp.sum(game_losses(p, mb)[:, 1])

    grad_col = jax.grad(l_col)

    def hvp_col(p, mb, v):
        return jax.jvp(lambda w: grad_col(w, mb), (p,), (v,))[1]

    def direction(p, mb):
        """ξ̃ and the step's statistics."""
        loss, xi = jax.value_and_grad(l_ind)(p, mb)
        stats = {"policy_loss": loss / n}
        if rule == "simul-ind":
            d = xi
            xi_c = grad_col(p, mb) if cfg.rust_diagnostics else None
        else:
            xi_c = grad_col(p, mb)
            h = hvp_col(p, mb, xi_c)
            sign = sign_rule(jnp, dot(xi_c, h), dot(xi, h) + dot(h, h))
            lam = abs(cfg.lam) * sign
            d = tmap(lambda c, x, g: c + lam * (x + g), xi_c, xi, h)
            stats["lambda"] = lam
        if cfg.rust_diagnostics:
            nx, nc = jnp.sqrt(dot(xi, xi)), jnp.sqrt(dot(xi_c, xi_c))
            stats.update(xi_norm=nx, xi_c_norm=nc,
                         cos_xi_xi_c=jnp.where(nx * nc > 0, dot(xi, xi_c) / (nx * nc), 0.0),
                         direction_norm=jnp.mean(jnp.sqrt(agents.sq_norms(d))))
        return d, stats

    def critic_loss(p, o, ret, ret_c, old_v):
        v = critic_values(p, o)
        targets = jnp.stack([ret, ret_c], axis=1)
        err = (v - targets) ** 2
        if cfg.clip_value:  # CleanRL's clip_vloss, around the rollout's values
            clipped = old_v + jnp.clip(v - old_v, -cfg.clip, cfg.clip)
            err = jnp.maximum(err, (clipped - targets) ** 2)
        return 0.5 * cfg.value_coef * jnp.mean(jnp.sum(err, axis=1))

    def critic_losses(p, mb):
        return jnp.sum(agents.map(critic_loss, p, mb["obs"], mb["ret"], mb["ret_c"],
                                  mb["old_values"]))

    def ppo_metrics(actors, obs, ro):
        """Our learner's end-of-update metrics: approx. KL, clip fraction and entropy of the
        updated actors on the whole rollout (one more forward of every actor)."""
        def logp_at(o):  # [E, n, F] → [E, n, A]
            return jnp.swapaxes(agents.map(actor_logp, actors, jnp.swapaxes(o, 0, 1)), 0, 1)

        logp = lax.map(logp_at, obs[:T], batch_size=max(1, VALUE_CHUNK // E))  # [T, E, n, A]
        taken = jnp.take_along_axis(logp, ro["actions"][..., None], axis=-1)[..., 0]
        log_ratio = taken - ro["logp"]
        ratio = jnp.exp(log_ratio)
        return {"approx_kl": jnp.mean(ratio - 1 - log_ratio),
                "clip_fraction": jnp.mean((jnp.abs(ratio - 1) > cfg.clip).astype(f32)),
                "entropy": -jnp.mean(jnp.sum(jnp.exp(logp) * logp, axis=-1))}

    # ---- learn ---------------------------------------------------------------------------

    samples = T * E
    mb_size = samples // cfg.minibatches

    def minibatch(obs, flat, idx):
        """Agent-major [n, m, …] arrays of the samples idx (s = t·E + e)."""
        o = jnp.swapaxes(obs[idx // E, idx % E], 0, 1)  # [m, n, F] → [n, m, F]
        adv, ret, old_v = (jnp.transpose(flat[k][idx], (1, 0, 2)) for k in ("adv", "ret", "values"))
        return {"obs": o, "actions": flat["actions"][idx].T, "old": flat["logp"][idx].T,
                "adv": adv[..., 0], "adv_c": adv[..., 1], "ret": ret[..., 0],
                "ret_c": ret[..., 1], "old_values": old_v}

    def flatten_rollout(ro):
        return {k: v.reshape((samples,) + v.shape[2:]) for k, v in ro.items()}

    def learn(state, key, obs, ro):
        flat = flatten_rollout(ro)

        def mb_step(state, idx):
            actors, actor_opt, critics, critic_opt = state
            mb = minibatch(obs, flat, idx)
            d, stats = direction(actors, mb)
            actors, actor_opt = adam(actors, actor_opt, clip_per_agent(d))
            vloss, g = jax.value_and_grad(critic_losses)(critics, mb)
            critics, critic_opt = adam(critics, critic_opt, clip_per_agent(g))
            stats["value_loss"] = vloss / n
            return (actors, actor_opt, critics, critic_opt), stats

        def epoch(state, k):
            perm = jax.random.permutation(k, samples)[:cfg.minibatches * mb_size]
            return lax.scan(mb_step, state, perm.reshape(cfg.minibatches, mb_size))

        keys = jax.random.split(key, cfg.epochs)
        if cfg.loop == "scan":
            state, stats = lax.scan(epoch, state, keys)
        else:  # the same steps, unrolled in the graph (no while loop)
            steps = []
            for e in range(cfg.epochs):
                perm = jax.random.permutation(keys[e], samples)[:cfg.minibatches * mb_size]
                perm = perm.reshape(cfg.minibatches, mb_size)
                for j in range(cfg.minibatches):
                    state, st = mb_step(state, perm[j])
                    steps.append(st)
            stats = tmap(lambda *xs: jnp.stack(xs), *steps)
        stats = tmap(jnp.mean, stats)
        if cfg.rust_diagnostics:
            stats.update(ppo_metrics(state[0], obs, ro))
        return state, stats

    def update(state, key, env):
        k1, k2 = jax.random.split(key)
        return learn(state, k2, env[0], collect(state, k1, env))

    return Cfg(init=init, env_data=env_data, collect=collect, learn=learn, update=update,
               direction=direction, minibatch=minibatch, flatten_rollout=flatten_rollout,
               l_ind=l_ind, l_col=l_col, game_losses=game_losses, gae=gae, agents=agents,
               hvp_col=hvp_col, grad_col=grad_col, mb_size=mb_size)


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------

def time_fn(jax, fn, args, args_cli):
    t0 = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    compile_s = time.perf_counter() - t0
    per_call = None
    for _ in range(max(1, args_cli.warmup)):
        t0 = time.perf_counter()
        jax.block_until_ready(compiled(*args))
        per_call = time.perf_counter() - t0
    reps = args_cli.reps
    if reps is None:
        reps = max(args_cli.min_reps, math.ceil(args_cli.target_seconds / max(per_call, 1e-9)))
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        jax.block_until_ready(compiled(*args))
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "min_s": min(times),
            "mean_s": statistics.fmean(times), "reps": reps,
            "warmup": max(1, args_cli.warmup), "compile_s": compile_s}


def param_count(jax, tree, n):
    return sum(x.size for x in jax.tree_util.tree_leaves(tree)) // n


def run_timings(jax, jnp, args, base):
    results = []
    for preset in args.presets.split(","):
        envs, steps = PRESETS[preset] or (base.envs, base.steps)
        for policy in args.policy.split(","):
            loop = args.loop if args.loop != "auto" else ("unroll" if policy == "cnn" else "scan")
            cfg = base.replace(policy=policy, envs=envs, steps=steps, loop=loop)
            for rule in args.rules.split(","):
                for mode in args.agents.split(","):
                    learner = build(jax, jnp, cfg, rule, mode)
                    key = jax.random.PRNGKey(args.seed)
                    k_init, k_env, k_upd = jax.random.split(key, 3)
                    state = jax.jit(learner.init)(k_init)
                    env = jax.block_until_ready(jax.jit(learner.env_data)(k_env))
                    tag = f"{preset:9s} {policy} {rule:9s} {mode:8s} {loop:6s}"
                    log(f"{tag} compiling + timing the whole update "
                        f"(E={envs}, T={steps}, n={cfg.n}) ...")
                    whole = time_fn(jax, learner.update, (state, k_upd, env), args)
                    log(f"{tag} whole update: median {whole['median_s']:.4f} s "
                        f"({whole['reps']} reps, compile {whole['compile_s']:.1f} s)")
                    k_col, k_learn = jax.random.split(k_upd)
                    rollout = jax.block_until_ready(jax.jit(learner.collect)(state, k_col, env))
                    learn = time_fn(jax, learner.learn, (state, k_learn, env[0], rollout), args)
                    log(f"{tag} learn:        median {learn['median_s']:.4f} s "
                        f"({learn['reps']} reps, compile {learn['compile_s']:.1f} s)")
                    row = {"policy": policy, "rule": rule, "agents": mode, "preset": preset,
                           "n_agents": cfg.n, "envs": envs, "rollout_steps": steps,
                           "samples_per_agent": envs * steps, "epochs": cfg.epochs,
                           "minibatches": cfg.minibatches, "minibatch_size": learner.mb_size,
                           "obs_len": cfg.obs_len(), "actions": cfg.actions,
                           "conv_layout": cfg.conv_layout if policy == "cnn" else None,
                           "conv": cfg.conv if policy == "cnn" else None,
                           "loop": loop, "rust_diagnostics": cfg.rust_diagnostics,
                           "clip_value": cfg.clip_value,
                           "actor_params_per_agent": param_count(jax, state[0], cfg.n),
                           "critic_params_per_agent": param_count(jax, state[2], cfg.n),
                           "whole_update": whole, "learn": learn}
                    if args.time_collect:
                        row["collect"] = time_fn(jax, learner.collect, (state, k_col, env), args)
                        log(f"{tag} collect:      median {row['collect']['median_s']:.4f} s")
                    if args.stats:
                        _, stats = jax.jit(learner.update)(state, k_upd, env)
                        row["stats"] = {k: float(v) for k, v in stats.items()}
                    results.append(row)
                    del state, env, rollout
    return results


# --------------------------------------------------------------------------------------------
# Self-check
# --------------------------------------------------------------------------------------------

def rel_err(jnp, a, b):
    return float(jnp.linalg.norm(a - b) / jnp.maximum(jnp.linalg.norm(b), 1e-30))


def gae_reference(rewards, values, dones, last_value, gamma, lam):
    """aga-rl/src/gae.rs, transliterated (f64 accumulation)."""
    steps = len(rewards)
    adv = [0.0] * steps
    next_adv, next_value = 0.0, float(last_value)
    for t in reversed(range(steps)):
        live = 0.0 if dones[t] else 1.0
        value = float(values[t])
        delta = float(rewards[t]) + gamma * live * next_value - value
        next_adv = delta + gamma * lam * live * next_adv
        adv[t] = next_adv
        next_value = value
    return adv, [a + float(v) for a, v in zip(adv, values)]


def check_one(jax, jnp, cfg, tol):
    import numpy as np
    from jax.flatten_util import ravel_pytree
    out = {"policy": cfg.policy, "side": cfg.side, "hidden": cfg.hidden}
    key = jax.random.PRNGKey(cfg.seed)
    k_init, k_env, k_col, k_perm, k_upd = jax.random.split(key, 5)
    lv = build(jax, jnp, cfg, "aga", "vmap")
    lu = build(jax, jnp, cfg, "aga", "unrolled")
    sv = jax.jit(lv.init)(k_init)
    su = jax.jit(lu.init)(k_init)
    env = jax.jit(lv.env_data)(k_env)
    ro = jax.jit(lv.collect)(sv, k_col, env)
    ro_u = jax.jit(lu.collect)(su, k_col, env)
    for k in ("logp", "adv", "ret"):
        e = rel_err(jnp, ro_u[k], ro[k])
        assert e <= tol, f"{cfg.policy}: collect {k} differs between vmap and unrolled: {e:.2e}"
    assert bool(jnp.all(ro_u["actions"] == ro["actions"])), "actions differ vmap/unrolled"

    flat = lv.flatten_rollout(ro)
    idx = jax.random.permutation(k_perm, cfg.envs * cfg.steps)[:lv.mb_size]
    mb = jax.jit(lv.minibatch)(env[0], flat, idx)
    actors_v, actors_u = sv[0], su[0]
    d_v, stats = jax.jit(lv.direction)(actors_v, mb)
    d_u, _ = jax.jit(lu.direction)(actors_u, mb)

    # the dense route on the flat parameter vector
    w, unravel = ravel_pytree(actors_v)
    out["dim"] = int(w.size)

    def lc_flat(w):
        return lv.l_col(unravel(w), mb)

    def li_flat(w):
        return lv.game_losses(unravel(w), mb)[:, 0]

    xi_c = jax.jit(jax.grad(lc_flat))(w)
    jac = jax.jit(jax.jacrev(li_flat))(w)  # [n, d]: ∇_w l_i, all blocks
    per = w.size // cfg.n  # vmap's flat layout is tensor-major: find each agent's entries
    owner = ravel_pytree(jax.tree_util.tree_map(
        lambda x: jnp.broadcast_to(jnp.arange(cfg.n).reshape((cfg.n,) + (1,) * (x.ndim - 1)),
                                   x.shape).astype(jnp.float32), actors_v))[0].astype(int)
    assert per * cfg.n == w.size
    own = jnp.stack([jnp.where(owner == i, jac[i], 0.0) for i in range(cfg.n)])
    cross = float(jnp.max(jnp.abs(jac - own)))
    assert cross == 0.0, f"l_i depends on another agent's parameters ({cross})"
    xi = jnp.sum(own, axis=0)
    xi_jax = ravel_pytree(jax.jit(jax.grad(lv.l_ind))(actors_v, mb))[0]
    out["xi_rel_err"] = rel_err(jnp, xi_jax, xi)
    assert out["xi_rel_err"] <= tol, out

    hess = jax.jit(jax.hessian(lc_flat))(w)
    h_dense = hess @ xi_c
    h_jvp = ravel_pytree(jax.jit(lv.hvp_col)(actors_v, mb, unravel(xi_c)))[0]
    out["hvp_rel_err"] = rel_err(jnp, h_jvp, h_dense)
    sign = sign_rule(jnp, jnp.vdot(xi_c, h_dense),
                     jnp.vdot(xi, h_dense) + jnp.vdot(h_dense, h_dense))
    d_dense = xi_c + abs(cfg.lam) * sign * (xi + h_dense)
    d_flat = ravel_pytree(d_v)[0]
    out["aga_direction_rel_err"] = rel_err(jnp, d_flat, d_dense)
    out["lambda"] = float(stats["lambda"])
    out["hvp_norm_over_direction_norm"] = float(jnp.linalg.norm(h_dense) / jnp.linalg.norm(d_dense))
    assert float(sign) == out["lambda"] / abs(cfg.lam), "sign rule differs"
    assert out["aga_direction_rel_err"] <= tol, f"AgA direction jvp vs dense Hessian: {out}"
    assert out["hvp_rel_err"] <= 10 * tol, f"H_c ξ_c jvp vs dense Hessian: {out}"
    d_u_flat = ravel_pytree(lv.agents.pack(d_u))[0]
    out["vmap_vs_unrolled_direction_rel_err"] = rel_err(jnp, d_u_flat, d_flat)
    assert out["vmap_vs_unrolled_direction_rel_err"] <= tol, out

    # one whole update, vmap vs unrolled
    (pv, _, cv, _), _ = jax.jit(lv.update)(sv, k_upd, env)
    (pu, _, cu, _), _ = jax.jit(lu.update)(su, k_upd, env)
    moved = ravel_pytree(pv)[0] - w
    out["update_actor_rel_err"] = rel_err(jnp, ravel_pytree(lv.agents.pack(pu))[0] - w, moved)
    out["update_critic_rel_err"] = rel_err(jnp, ravel_pytree(lv.agents.pack(cu))[0],
                                           ravel_pytree(cv)[0])
    assert float(jnp.linalg.norm(moved)) > 0, "the update did not move the actors"
    assert out["update_actor_rel_err"] <= 1e-4, out
    assert out["update_critic_rel_err"] <= tol, out
    if cfg.policy == "mlp":  # the learn loop unrolled in the graph = lax.scan
        lx = build(jax, jnp, cfg.replace(loop="unroll"), "aga", "vmap")
        (px, _, _, _), _ = jax.jit(lx.update)(sv, k_upd, env)
        out["loop_unroll_vs_scan_rel_err"] = rel_err(jnp, ravel_pytree(px)[0] - w, moved)
        assert out["loop_unroll_vs_scan_rel_err"] <= 1e-4, out
    else:  # im2col convolutions = XLA's
        lx = build(jax, jnp, cfg.replace(conv="im2col"), "aga", "unrolled")
        d_x, _ = jax.jit(lx.direction)(actors_u, mb)
        out["im2col_vs_lax_direction_rel_err"] = rel_err(
            jnp, ravel_pytree(lv.agents.pack(d_x))[0], d_flat)
        assert out["im2col_vs_lax_direction_rel_err"] <= tol, out

    # GAE vs aga-rl/src/gae.rs, with episode ends
    rng = np.random.default_rng(cfg.seed)
    T, E, n = cfg.steps, cfg.envs, cfg.n
    values = rng.normal(size=(T + 1, E, n, 2)).astype(np.float32)
    rewards = rng.normal(size=(T, E, n)).astype(np.float32)
    dones = rng.random((T, E)) < 0.3
    adv, ret = jax.jit(lv.gae)(jnp.asarray(values), jnp.asarray(rewards), jnp.asarray(dones))
    worst = 0.0
    for e in range(E):
        for i in range(n):
            for head in range(2):
                r = rewards[:, e, i] if head == 0 else rewards[:, e, :].sum(axis=1)
                a_ref, r_ref = gae_reference(r, values[:T, e, i, head], dones[:, e],
                                             values[T, e, i, head], cfg.gamma, cfg.gae_lambda)
                worst = max(worst, float(np.max(np.abs(np.asarray(adv[:, e, i, head]) - a_ref))),
                            float(np.max(np.abs(np.asarray(ret[:, e, i, head]) - r_ref))))
    out["gae_max_abs_err"] = worst
    assert worst <= 1e-5, out
    return out


def run_check(jax, jnp, base):
    for first, second, want in [(0.0, -1.0, 1.0), (-1.0, 0.0, 1.0), (-1.0, 2.0, -1.0),
                                (-1.0, -2.0, 1.0), (3.0, 4.0, 1.0), (2.0, -1e-30, -1.0)]:
        got = float(sign_rule(jnp, jnp.float32(first), jnp.float32(second)))
        assert got == want, f"sign rule ({first}, {second}) gave {got}, want {want}"
    tiny = base.replace(n=2, envs=2, steps=4, epochs=1, minibatches=1, loop="scan", conv="lax",
                        conv_layout="nhwc")
    results = []
    for cfg in [tiny.replace(policy="mlp", side=3, hidden=16),
                tiny.replace(policy="cnn", side=9, hidden=8, channels=4)]:
        t0 = time.perf_counter()
        r = check_one(jax, jnp, cfg, 1e-5)
        r["seconds"] = time.perf_counter() - t0
        log(f"[check] {cfg.policy}: d = {r['dim']}, AgA direction jvp vs dense Hessian "
            f"rel err {r['aga_direction_rel_err']:.2e} (H_c ξ_c alone {r['hvp_rel_err']:.2e}), "
            f"vmap vs unrolled {r['vmap_vs_unrolled_direction_rel_err']:.2e}, "
            f"update {r['update_actor_rel_err']:.2e}/{r['update_critic_rel_err']:.2e}, "
            f"GAE {r['gae_max_abs_err']:.1e}: OK")
        results.append(r)
    return results


# --------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--policy", default=None, help="comma-separated mlp,cnn (default both; "
                                                   "--quick: mlp)")
    ap.add_argument("--rules", default=",".join(RULES), help="comma-separated simul-ind,aga")
    ap.add_argument("--agents", default=",".join(AGENTS), help="comma-separated vmap,unrolled")
    ap.add_argument("--presets", default="default", help="comma-separated default,socialjax")
    ap.add_argument("--n-agents", type=int, default=5)
    ap.add_argument("--envs", type=int, default=8, help="env copies E of the default preset")
    ap.add_argument("--rollout-steps", type=int, default=128, help="steps T of the default preset")
    ap.add_argument("--actions", type=int, default=8, help="8: Harvest")
    ap.add_argument("--view-side", type=int, default=15, help="side of the observation window")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--channels", type=int, default=32, help="channels of each convolution")
    ap.add_argument("--conv-layout", choices=["nhwc", "nchw"], default="nhwc")
    ap.add_argument("--conv", choices=["lax", "im2col"], default="lax",
                    help="lax.conv_general_dilated, or im2col: slices + one matmul (nhwc only)")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--minibatches", type=int, default=4)
    ap.add_argument("--clip", type=float, default=0.2)
    ap.add_argument("--entropy-coef", type=float, default=0.01)
    ap.add_argument("--value-coef", type=float, default=0.5)
    ap.add_argument("--max-grad-norm", type=float, default=0.5)
    ap.add_argument("--lr", type=float, default=2.5e-4)
    ap.add_argument("--adam-eps", type=float, default=1e-5)
    ap.add_argument("--gamma", type=float, default=0.99)
    ap.add_argument("--gae-lambda", type=float, default=0.95)
    ap.add_argument("--lambda", dest="lam", type=float, default=1.0, help="AgA's |λ|")
    ap.add_argument("--loop", choices=["auto", "scan", "unroll"], default="auto",
                    help="the epochs × minibatches loop: lax.scan, or unrolled in the graph "
                         "(auto: unroll for the CNN, scan for the MLP)")
    ap.add_argument("--rust-diagnostics", action="store_true",
                    help="also compute what our learner computes for its metrics: ξ_c "
                         "(simul-ind), ‖ξ‖, ‖ξ_c‖, cos at every step; KL, clip fraction, "
                         "entropy on the rollout after the epochs")
    ap.add_argument("--clip-value", action="store_true",
                    help="clipped value loss (CleanRL's clip_vloss, ε = --clip)")
    ap.add_argument("--reps", type=int, default=None,
                    help="timed calls (default: enough for --target-seconds)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed calls after compiling "
                                                             "(default 2, --quick 1)")
    ap.add_argument("--target-seconds", type=float, default=5.0)
    ap.add_argument("--min-reps", type=int, default=5)
    ap.add_argument("--time-collect", action="store_true", help="also time collect alone")
    ap.add_argument("--stats", action="store_true",
                    help="also record the update's mean losses and λ (one more untimed call)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="1 warm-up, 1 rep, MLP unless --policy")
    ap.add_argument("--check", action="store_true", help="only the self-check (tiny config)")
    ap.add_argument("--single-thread", action="store_true",
                    help=f"set XLA_FLAGS='{SINGLE_THREAD_FLAGS}' before importing jax")
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()

    if args.single_thread:
        flags = os.environ.get("XLA_FLAGS", "") + " " + SINGLE_THREAD_FLAGS
        os.environ["XLA_FLAGS"] = flags.strip()
    if args.policy is None:
        args.policy = "mlp" if args.quick else ",".join(POLICIES)
    if args.quick:
        args.reps = 1 if args.reps is None else args.reps
    if args.warmup is None:
        args.warmup = 1 if args.quick else 2
    for name, value, allowed in [("--policy", args.policy, POLICIES),
                                 ("--rules", args.rules, RULES),
                                 ("--agents", args.agents, AGENTS),
                                 ("--presets", args.presets, list(PRESETS))]:
        for v in value.split(","):
            if v not in allowed:
                ap.error(f"{name}: unknown {v!r} (expected some of {','.join(allowed)})")
    if args.conv == "im2col" and args.conv_layout != "nhwc":
        ap.error("--conv im2col needs --conv-layout nhwc")
    if args.minibatches > args.envs * args.rollout_steps:
        ap.error("more minibatches than samples")

    import jax
    import jaxlib
    import jax.numpy as jnp

    base = Cfg(policy="mlp", n=args.n_agents, envs=args.envs, steps=args.rollout_steps,
               actions=args.actions, side=args.view_side, hidden=args.hidden,
               channels=args.channels, conv_layout=args.conv_layout, conv=args.conv,
               epochs=args.epochs,
               minibatches=args.minibatches, clip=args.clip, entropy_coef=args.entropy_coef,
               value_coef=args.value_coef, max_grad_norm=args.max_grad_norm, lr=args.lr,
               adam_eps=args.adam_eps, beta1=0.9, beta2=0.999, gamma=args.gamma,
               gae_lambda=args.gae_lambda, lam=args.lam, rust_diagnostics=args.rust_diagnostics,
               seed=args.seed, loop="scan", clip_value=args.clip_value)

    report = {
        **machine_report(jax, jaxlib),
        "dtype": "float32",
    }
    if args.check:
        report["check"] = run_check(jax, jnp, base)
        report["check_passed"] = True
    else:
        report["config"] = {k: v for k, v in base.__dict__.items() if k != "policy"}
        report["timed"] = ("whole_update: collect (rollout forwards, sampling, critic values, "
                           "GAE; environment excluded, fed pre-generated data) + learn, one jit; "
                           "learn: the PPO epochs alone on a collected rollout, one jit")
        report["results"] = run_timings(jax, jnp, args, base)
    write_report(report, args.out)


if __name__ == "__main__":
    main()
