#!/usr/bin/env python3
"""JAX reference timings for the derivative quantities of docs/performance.md.

Times, in JAX (`jax.jit`, float32, CPU), the MLP benchmark game of MATH.md §5 and the quantities
that `benches/derivatives.rs` times for our engine, so that `scripts/compare_jax.py` can put the
two side by side. Also times the whole-process equivalent of the CLI headline run (2000 AgA
steps on the toy game, f64) and checks its final point against ours.

Usage (from the repository root; needs `pip install "jax[cpu]"`):

  python3 scripts/jax_reference.py --out results/jax_reference.json          # full timing
  python3 scripts/jax_reference.py --quick --out /tmp/jax_quick.json         # smoke run (~20 s)
  python3 scripts/jax_reference.py --configs 2x64,5x64 --no-toy              # some sizes only
  python3 scripts/jax_reference.py --toy-only                                # toy check + timing
  python3 scripts/jax_reference.py --single-thread ...                       # XLA on one thread
  python3 scripts/compare_jax.py results/jax_reference.json                  # the table

The JSON goes to stdout, and also to `--out FILE` when given; progress goes to stderr.

The game (MATH.md §5): `n` players, player `i` an MLP `32 → h → h → 1`,
`y_i = tanh(tanh(X W1 + b1) W2 + b2) W3 + b3`, weights N(0, 1/fan_in), zero biases,
`X ∈ R^{256×32}` standard normal (drawn with `jax.random`, not with our Rust seed: the values
do not change the cost); `ȳ = mean_j y_j`, `l_i = mean((y_i − ȳ)²) − mean(y_i ⊙ y_{(i+1) mod n})`,
`l_c = Σ_i l_i`. Parameters per player, in order: W1 [32,h], b1 [h], W2 [h,h], b2 [h], W3 [h,1],
b3 [1] (row-major), so `d = n (32h + h + h² + h + h + 1)`.

Layouts (`--layout`): `tree` (default) holds each tensor stacked over players (W1 [n,32,h], …)
and runs the n MLPs as batched matmuls — the natural JAX form; `flat` holds one f32 vector of
length `d` in exactly the layout above (player-major) and slices it inside the jitted function,
like our engine's flat `w`.

Quantities (each one `jax.jit`-ed function of the parameters; compiled and warmed up first, then
called `reps` times, each call timed separately with `jax.block_until_ready`; `median_s` is the
median; `reps` is chosen so that the measurement takes about `--target-seconds`, at least
`--min-reps`):

  gradient        ξ_c = ∇_w l_c (`jax.grad` of the collective loss).
  xi              ξ = (∇_{w_1} l_1, …, ∇_{w_n} l_n), one forward and one reverse pass:
                  `jax.grad` of the surrogate `Σ_i l_i(y_i, stop_gradient(y_{-i}))`, where the
                  stop-gradient is put on the other players' *outputs* `y_j = f_j(w_j)` (which
                  equals stopping `w_{-i}`, because `y_j` depends on `w_j` only). This uses the
                  game's structure (losses are functions of per-player outputs); it was the
                  fastest of the three variants below in our quick checks, and is what a JAX
                  user would write for this game.
  xi_masked       ξ the generic way, for any `losses(w)`: `jax.grad` of
                  `Σ_i l_i(w_i, stop_gradient(w_{-i}))`, evaluating the whole game once per
                  player (n forward passes, like our engine's per-loss pass; XLA may share work).
  xi_jacrev       ξ as the diagonal blocks of `jax.jacrev(losses)` (one forward, n reverse
                  passes, vmapped).
  hvp_collective  H_c v = `jax.jvp(jax.grad(l_c), (w,), (v,))` (forward-over-reverse), v = ξ_c(w)
                  (as in the Rust bench).
  aga_direction   MATH.md §4 in one jit: ξ (the `xi` variant), ξ_c, ∇ℋ_c = H_c ξ_c,
                  λ ← |λ| sgn(⟨ξ_c,∇ℋ_c⟩ (⟨ξ,∇ℋ_c⟩ + ‖∇ℋ_c‖²)) with sgn(0) = +1, λ = 1,
                  ξ̃ = ξ_c + λ (ξ + ∇ℋ_c). Inner products in f32.

Toy process (`toy_aga_2000_steps_process`): wall time of a fresh `python3 <this file>
--toy-child` process (import jax, enable x64, jit a `lax.fori_loop` of 2000 AgA steps with
lr 0.01, λ = 1, sign rule, start (0.5, 0.5) on the toy game of MATH.md §5, print the final point
as JSON), median over `--toy-reps` runs; the equivalent of Criterion's `cli/toy_aga_2000_steps`
(`aga run --game toy --method aga --lr 0.01 --steps 2000 --init 0.5,0.5 --json`). The final
point is checked against our f64 result (1.3249760916306899, 0.7551461586404911) to 1e-9.
`toy_aga_2000_steps_inprocess` is the same jitted loop timed inside this process (no start-up,
no compilation).

Threads: XLA on CPU uses all cores it is allowed (an Eigen thread pool for matmuls; `threads`
in the JSON is `os.cpu_count()`, `affinity` the cores this process may run on). To restrict it:
`taskset -c 0 python3 scripts/jax_reference.py …` (most reliable), and/or `--single-thread`,
which sets `XLA_FLAGS=--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1` before
jax is imported (and for the toy child process).
"""

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

TOY_REFERENCE = (1.3249760916306899, 0.7551461586404911)
TOY_TOLERANCE = 1e-9
SINGLE_THREAD_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
FULL_CONFIGS = "2x16,2x64,2x256,2x768,5x64,10x64"
QUICK_CONFIGS = "2x16"
ALL_QUANTITIES = ["gradient", "xi", "xi_masked", "xi_jacrev", "hvp_collective", "aga_direction"]
INPUT, BATCH = 32, 256


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_report(jax, jaxlib):
    """Versions, machine, threads, flags, date and command: the header of every timing JSON."""
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    return {
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "python": platform.python_version(),
        "cpu": cpu_model(),
        "threads": os.cpu_count(),
        "affinity": affinity,
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "devices": [str(d) for d in jax.devices()],
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
    }


def write_report(report, out):
    """The report as JSON on stdout, and in `out` when given."""
    text = json.dumps(report, indent=1)
    print(text)
    if out:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as f:
            f.write(text + "\n")
        log(f"wrote {out}")


def player_dim(h):
    return INPUT * h + h + h * h + h + h + 1


# --------------------------------------------------------------------------------------------
# The MLP benchmark game
# --------------------------------------------------------------------------------------------

def make_mlp_game(jax, jnp, n, h, layout, seed):
    """Parameters, X, and the jitted quantities for one (n, h)."""
    lax = jax.lax
    sg = lax.stop_gradient
    key = jax.random.PRNGKey(seed)
    kx, kw = jax.random.split(key)
    x = jax.random.normal(kx, (BATCH, INPUT), dtype=jnp.float32)
    k1, k2, k3 = jax.random.split(kw, 3)
    tree = {
        "W1": jax.random.normal(k1, (n, INPUT, h), jnp.float32) / math.sqrt(INPUT),
        "b1": jnp.zeros((n, h), jnp.float32),
        "W2": jax.random.normal(k2, (n, h, h), jnp.float32) / math.sqrt(h),
        "b2": jnp.zeros((n, h), jnp.float32),
        "W3": jax.random.normal(k3, (n, h, 1), jnp.float32) / math.sqrt(h),
        "b3": jnp.zeros((n, 1), jnp.float32),
    }
    names = ["W1", "b1", "W2", "b2", "W3", "b3"]
    shapes = {"W1": (INPUT, h), "b1": (h,), "W2": (h, h), "b2": (h,), "W3": (h, 1), "b3": (1,)}
    p_dim = player_dim(h)

    def flatten(t):
        # player-major: [W1 | b1 | W2 | b2 | W3 | b3] for player 0, then player 1, ...
        return jnp.concatenate([t[k].reshape(n, -1) for k in names], axis=1).reshape(-1)

    def unflatten(w):
        m = w.reshape(n, p_dim)
        out, o = {}, 0
        for k in names:
            size = math.prod(shapes[k])
            out[k] = m[:, o:o + size].reshape((n,) + shapes[k])
            o += size
        return out

    assert flatten(unflatten(jnp.arange(n * p_dim, dtype=jnp.float32))).shape == (n * p_dim,)

    if layout == "tree":
        params = tree
        as_tree = lambda p: p  # noqa: E731

        def own_block(p, i):
            # value unchanged; gradient flows only into player i's parameters
            def mask(a):
                m = (jnp.arange(n) == i).astype(a.dtype).reshape((n,) + (1,) * (a.ndim - 1))
                return sg(a) + m * (a - sg(a))
            return jax.tree_util.tree_map(mask, p)
    else:
        params = flatten(tree)
        as_tree = unflatten

        def own_block(w, i):
            m = ((jnp.arange(n) == i).astype(w.dtype)[:, None] * jnp.ones((1, p_dim), w.dtype))
            return sg(w) + m.reshape(-1) * (w - sg(w))

    def outputs(p):
        t = as_tree(p)
        h1 = jnp.tanh(jnp.einsum("bi,nih->nbh", x, t["W1"]) + t["b1"][:, None, :])
        h2 = jnp.tanh(jnp.einsum("nbh,nhk->nbk", h1, t["W2"]) + t["b2"][:, None, :])
        return jnp.einsum("nbh,nho->nbo", h2, t["W3"])[..., 0] + t["b3"]  # [n, batch]

    def losses_of_outputs(y, y_mean, y_next):
        return jnp.mean((y - y_mean) ** 2, axis=1) - jnp.mean(y * y_next, axis=1)

    def losses(p):
        y = outputs(p)
        return losses_of_outputs(y, jnp.mean(y, axis=0)[None, :], jnp.roll(y, -1, axis=0))

    def lc(p):
        return jnp.sum(losses(p))

    def xi_surrogate(p):
        # Σ_i l_i(y_i, stop_gradient(y_{-i})): ȳ seen by player i has gradient only via y_i.
        y = outputs(p)
        ys = sg(y)
        y_mean_i = jnp.mean(ys, axis=0)[None, :] + (y - ys) / n
        return jnp.sum(losses_of_outputs(y, y_mean_i, jnp.roll(ys, -1, axis=0)))

    def xi_masked_surrogate(p):
        return sum(losses(own_block(p, i))[i] for i in range(n))

    grad_lc = jax.grad(lc)
    xi_fn = jax.grad(xi_surrogate)

    def xi_jacrev(p):
        jac = jax.jacrev(losses)(p)
        if layout == "tree":
            idx = jnp.arange(n)
            return jax.tree_util.tree_map(lambda j: j[idx, idx], jac)
        j = jac.reshape(n, n, p_dim)
        return j[jnp.arange(n), jnp.arange(n)].reshape(-1)

    def hvp_c(p, v):
        return jax.jvp(grad_lc, (p,), (v,))[1]

    def dot(a, b):
        return sum(jnp.vdot(u, v) for u, v in
                   zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)))

    def aga_direction(p, lam=1.0):
        xi = xi_fn(p)
        xc = grad_lc(p)
        ghc = hvp_c(p, xc)
        product = dot(xc, ghc) * (dot(xi, ghc) + dot(ghc, ghc))
        lam = abs(lam) * jnp.where(product < 0, -1.0, 1.0).astype(jnp.float32)
        return jax.tree_util.tree_map(lambda c, s, g: c + lam * (s + g), xc, xi, ghc)

    fns = {
        "gradient": (jax.jit(grad_lc), False),
        "xi": (jax.jit(xi_fn), False),
        "xi_masked": (jax.jit(jax.grad(xi_masked_surrogate)), False),
        "xi_jacrev": (jax.jit(xi_jacrev), False),
        "hvp_collective": (jax.jit(hvp_c), True),
        "aga_direction": (jax.jit(aga_direction), False),
    }
    checks = dict(xi_surrogate=xi_fn, xi_masked=jax.grad(xi_masked_surrogate), xi_jacrev=xi_jacrev,
                  grad=grad_lc, hvp=hvp_c, losses=losses, dot=dot, flatten=flatten,
                  as_tree=as_tree)
    return params, fns, checks


def self_check(jax, jnp, n, h, layout, seed):
    """The ξ variants agree; ⟨u, H_c v⟩ = ⟨H_c u, v⟩; the flat layout matches the tree one."""
    params, _, c = make_mlp_game(jax, jnp, n, h, layout, seed)
    xs = [c["xi_surrogate"](params), c["xi_masked"](params), c["xi_jacrev"](params)]
    flat = [c["flatten"](c["as_tree"](x)) if layout == "tree" else x for x in xs]
    scale = float(jnp.max(jnp.abs(flat[0])))
    for name, f in zip(["xi_masked", "xi_jacrev"], flat[1:]):
        err = float(jnp.max(jnp.abs(f - flat[0])))
        assert err <= 1e-4 * max(scale, 1.0), f"{name} differs from xi by {err}"
    # ξ_c = Σ_i ∇ l_i, and ξ is block i of ∇l_i: check against per-loss full gradients
    full = [jax.grad(lambda p, i=i: c["losses"](p)[i])(params) for i in range(n)]
    full = [c["flatten"](c["as_tree"](g)) if layout == "tree" else g for g in full]
    pd = player_dim(h)
    ref = jnp.concatenate([full[i][i * pd:(i + 1) * pd] for i in range(n)])
    err = float(jnp.max(jnp.abs(ref - flat[0])))
    assert err <= 1e-4 * max(scale, 1.0), f"xi differs from per-loss gradients by {err}"
    g = c["grad"](params)
    u = jax.tree_util.tree_map(lambda a: jnp.cos(a), g)
    lhs = float(c["dot"](u, c["hvp"](params, g)))
    rhs = float(c["dot"](c["hvp"](params, u), g))
    assert abs(lhs - rhs) <= 1e-3 * max(abs(lhs), abs(rhs), 1e-6), f"H_c not symmetric {lhs} {rhs}"
    return {"xi_variants_max_abs_diff": max(float(jnp.max(jnp.abs(f - flat[0]))) for f in flat[1:]),
            "hvp_symmetry": [lhs, rhs]}


def time_call(jax, f, args, target_s, min_reps, max_reps=100_000):
    t0 = time.perf_counter()
    jax.block_until_ready(f(*args))  # compile + first run
    compile_s = time.perf_counter() - t0
    # warm up for ~10% of the target (at least 3 calls), estimating the cost of one call
    warm, t0 = 0, time.perf_counter()
    while warm < 3 or time.perf_counter() - t0 < 0.1 * target_s:
        jax.block_until_ready(f(*args))
        warm += 1
    per_call = (time.perf_counter() - t0) / warm
    reps = int(min(max_reps, max(min_reps, math.ceil(target_s / max(per_call, 1e-9)))))
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        jax.block_until_ready(f(*args))
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "min_s": min(times),
            "mean_s": statistics.fmean(times), "reps": reps, "compile_s": compile_s}


def run_mlp(jax, jnp, args):
    results = []
    for cfg in args.configs.split(","):
        n, h = (int(s) for s in cfg.lower().split("x"))
        d = n * player_dim(h)
        if args.check:
            info = self_check(jax, jnp, n, min(h, 32), args.layout, args.seed)
            log(f"[check] n={n} h={min(h, 32)}: {info}")
        params, fns, _ = make_mlp_game(jax, jnp, n, h, args.layout, args.seed)
        t0 = time.perf_counter()
        v = jax.block_until_ready(fns["gradient"][0](params))  # the direction of hvp_collective
        gradient_compile_s = time.perf_counter() - t0
        for q in args.quantities.split(","):
            f, needs_v = fns[q]
            call_args = (params, v) if needs_v else (params,)
            r = time_call(jax, f, call_args, args.target_seconds, args.min_reps)
            if q == "gradient":  # compiled above, when computing v
                r["compile_s"] = gradient_compile_s
            log(f"n={n:2d} h={h:4d} d={d:9,d} {q:15s} median {r['median_s'] * 1e3:10.4f} ms "
                f"({r['reps']} reps, compile {r['compile_s']:.2f} s)")
            results.append({"players": n, "hidden": h, "d": d, "quantity": q,
                            "layout": args.layout, "dtype": "float32", **r})
    return results


# --------------------------------------------------------------------------------------------
# Toy game (f64), whole-process timing
# --------------------------------------------------------------------------------------------

def make_toy_loop(jax, jnp, steps, lr, lam):
    def losses(w):
        a1, a2 = w[0], w[1]
        l1 = -jnp.sin(a1 * a2 + a2 ** 2)
        l2 = -jnp.cos(1 + a1 - (1 + a2) ** 2 + a1 * a2 ** 2)
        return jnp.stack([l1, l2])

    def lc(w):
        return jnp.sum(losses(w))

    grad_lc = jax.grad(lc)

    def step(_, w):
        xi = jnp.diagonal(jax.jacrev(losses)(w))  # (∂l_1/∂a_1, ∂l_2/∂a_2)
        xc, ghc = jax.jvp(grad_lc, (w,), (grad_lc(w),))
        product = jnp.vdot(xc, ghc) * (jnp.vdot(xi, ghc) + jnp.vdot(ghc, ghc))
        lam_s = abs(lam) * jnp.where(product < 0, -1.0, 1.0)
        return w - lr * (xc + lam_s * (xi + ghc))

    @jax.jit
    def run(w0):
        return jax.lax.fori_loop(0, steps, step, w0)

    return run


def toy_child():
    """Entry of the timed child process: 2000 AgA steps, prints the final point."""
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    run = make_toy_loop(jax, jnp, 2000, 0.01, 1.0)
    w = run(jnp.array([0.5, 0.5], dtype=jnp.float64))
    a1, a2 = (float(t) for t in w)
    print(json.dumps({"a1": a1, "a2": a2}))


def run_toy(jax, jnp, args):
    results = []
    # in-process: the jitted 2000-step loop, without start-up and compilation (f64)
    jax.config.update("jax_enable_x64", True)
    run = make_toy_loop(jax, jnp, 2000, 0.01, 1.0)
    w0 = jnp.array([0.5, 0.5], dtype=jnp.float64)
    r = time_call(jax, run, (w0,), args.target_seconds, args.min_reps)
    w = [float(t) for t in run(w0)]
    jax.config.update("jax_enable_x64", False)
    log(f"toy in-process (jitted fori_loop, 2000 steps): median {r['median_s'] * 1e6:.1f} µs")
    results.append({"players": 2, "hidden": None, "d": 2, "quantity": "toy_aga_2000_steps_inprocess",
                    "dtype": "float64", "a1": w[0], "a2": w[1], **r})

    cmd = [sys.executable, os.path.abspath(__file__), "--toy-child"]
    times, final = [], None
    for k in range(args.toy_reps + 1):  # the first run warms the file cache and is dropped
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
        dt = time.perf_counter() - t0
        if out.returncode != 0:
            raise SystemExit(f"toy child failed:\n{out.stderr}")
        final = json.loads(out.stdout.strip().splitlines()[-1])
        if k > 0:
            times.append(dt)
    err = max(abs(final["a1"] - TOY_REFERENCE[0]), abs(final["a2"] - TOY_REFERENCE[1]))
    ok = err <= TOY_TOLERANCE
    log(f"toy process: median {statistics.median(times):.3f} s over {len(times)} runs; final "
        f"({final['a1']!r}, {final['a2']!r}), max |Δ| vs ours {err:.3e} -> "
        f"{'MATCH' if ok else 'MISMATCH'} (tol {TOY_TOLERANCE:g})")
    results.append({"players": 2, "hidden": None, "d": 2, "quantity": "toy_aga_2000_steps_process",
                    "dtype": "float64", "median_s": statistics.median(times), "min_s": min(times),
                    "mean_s": statistics.fmean(times), "reps": len(times),
                    "a1": final["a1"], "a2": final["a2"], "reference": list(TOY_REFERENCE),
                    "max_abs_err": err, "matches_reference": ok, "tolerance": TOY_TOLERANCE})
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default=None,
                    help=f"comma-separated NxH (players x hidden); default {FULL_CONFIGS}, "
                         f"--quick: {QUICK_CONFIGS}")
    ap.add_argument("--quantities", default=",".join(ALL_QUANTITIES),
                    help="comma-separated subset of " + ",".join(ALL_QUANTITIES))
    ap.add_argument("--layout", choices=["tree", "flat"], default="tree")
    ap.add_argument("--target-seconds", type=float, default=None,
                    help="time spent measuring each quantity (default 2, --quick 0.1)")
    ap.add_argument("--min-reps", type=int, default=10)
    ap.add_argument("--toy-reps", type=int, default=None, help="toy processes (default 10, --quick 2)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="smoke run: n=2 h=16, short measurements")
    ap.add_argument("--no-toy", action="store_true", help="skip the toy game")
    ap.add_argument("--toy-only", action="store_true", help="only the toy game")
    ap.add_argument("--no-check", dest="check", action="store_false",
                    help="skip the correctness self-checks (ξ variants agree, H_c symmetric)")
    ap.add_argument("--single-thread", action="store_true",
                    help=f"set XLA_FLAGS='{SINGLE_THREAD_FLAGS}' before importing jax")
    ap.add_argument("--out", help="also write the JSON here")
    ap.add_argument("--toy-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.toy_child:
        toy_child()
        return
    if args.single_thread:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + SINGLE_THREAD_FLAGS).strip()
    if args.configs is None:
        args.configs = QUICK_CONFIGS if args.quick else FULL_CONFIGS
    if args.target_seconds is None:
        args.target_seconds = 0.1 if args.quick else 2.0
    if args.toy_reps is None:
        args.toy_reps = 2 if args.quick else 10
    for q in args.quantities.split(","):
        if q not in ALL_QUANTITIES:
            ap.error(f"unknown quantity {q!r}")

    import jax
    import jaxlib
    import jax.numpy as jnp

    results = []
    if not args.toy_only:
        results += run_mlp(jax, jnp, args)
    if not args.no_toy:
        results += run_toy(jax, jnp, args)

    report = {
        **machine_report(jax, jaxlib),
        "xi_method": "jax.grad of sum_i l_i(y_i, stop_gradient(y_{-i})) (stop-gradient on the "
                     "other players' outputs); xi_masked: sum_i l_i(w_i, stop_gradient(w_{-i})), "
                     "n game evaluations; xi_jacrev: diagonal blocks of jax.jacrev(losses)",
        "results": results,
    }
    write_report(report, args.out)


if __name__ == "__main__":
    main()
