#!/usr/bin/env python3
"""Golden outputs of the SOS reference implementation (scripts/sos_reference/reference.py).

Runs Alistair Letcher's reference update rules (aletcher/stable-opponent-shaping @ be1eae0,
notebook cells 3-4, copied verbatim into reference.py) in float64 and writes

  tests/golden/sos_reference_ipd.json     IPD (gamma 0.96, lr = alpha = 1, N(0, 1) starts):
                                          3 trajectories per method + the 50-run summary
  tests/golden/sos_reference_mp.json      matching pennies (alpha = 1, N(0, 1) starts)
  tests/golden/sos_reference_tandem.json  tandem (alpha = 0.1, N(0, 0.1^2) starts)

Run from the repository root with a Python that has torch and numpy:

  python3 scripts/sos_reference/make_golden.py            # everything
  python3 scripts/sos_reference/make_golden.py --check    # only the mapping self-checks

Everything is deterministic (fixed torch seeds; the starts are stored in the files anyway).
"""

import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import torch

# The reference never names a dtype: all its tensors follow the default dtype, so this one line
# runs it entirely in float64 (the notebook itself ran in float32, torch's default).
torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference as ref  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
OUT_DIR = os.path.join(ROOT, "tests", "golden")

REF_REPO = "aletcher/stable-opponent-shaping"
REF_COMMIT = "be1eae07e44b4e4ed431c120a337d1864f966c81"

# Our method name -> the reference's `algo` string (anything unknown is naive learning there;
# the notebook uses 'nl').
ALGOS = {
    "naive": "nl",
    "la": "la",
    "lola": "lola",
    "sos": "sos",
    "sga": "sga",
    "co": "co",
    "eg": "eg",
    "cgd": "cgd",
    "lss": "lss",
}
MAIN_METHODS = ["naive", "la", "lola", "sos", "sga", "co"]
EXTRA_METHODS = ["eg", "cgd", "lss"]

# update_th's keyword defaults (reference.py, cell 4): never overridden by the notebook.
DEFAULTS = dict(a=0.5, b=0.1, gam=1, ep=0.1, lss_lam=0.1)


def method_constants(method, alpha, dims):
    """Every constant the reference uses for `method` (documentation for the JSON files)."""
    d = sum(dims)
    common = {
        "algo": ALGOS[method],
        "lr": alpha,
        "update": "th[i] -= alpha * grads[i]  (the same alpha is the learning rate)",
    }
    per = {
        "naive": {"grads": "xi = (dL_i/dth_i)_i"},
        "la": {"lookahead_alpha": alpha,
               "grads": "xi - alpha * H_o xi  (LA: opponent gradient detached)"},
        "lola": {"lookahead_alpha": alpha,
                 "grads": "xi - alpha * H_o xi - alpha * chi  (chi_i = grad_th_i sum_{j!=i} <stop(dL_i/dth_j), dL_j/dth_j>)"},
        "sos": {"lookahead_alpha": alpha, "a": DEFAULTS["a"], "b": DEFAULTS["b"],
                "grads": "xi_0 - p * alpha * chi, xi_0 = xi - alpha H_o xi; "
                         "p1 = 1 if <-alpha chi, xi_0> >= 0 else min(1, -a |xi_0|^2 / <-alpha chi, xi_0>); "
                         "p2 = |xi|^2 if |xi| < b else 1 (xi = plain simultaneous gradient); p = min(p1, p2)"},
        "sga": {"epsilon": DEFAULTS["ep"], "divisor_d": d, "lambda_magnitude": 1,
                "grads": "xi + lam * A^T xi, A^T xi = (H^T xi - H xi)/2, "
                         "lam = sign(<xi, H^T xi> * <A^T xi, H^T xi> / d + ep), d = total number of parameters"},
        "co": {"gamma": DEFAULTS["gam"],
               "grads": "xi + gam * H^T xi  (H^T xi = gradient of (1/2)|xi|^2)"},
        "eg": {"extrapolation_step": alpha,
               "grads": "xi evaluated at th - alpha * xi(th)"},
        "cgd": {"eta": alpha, "grads": "(I + alpha H_o)^{-1} xi"},
        "lss": {"lss_lam": DEFAULTS["lss_lam"],
                "grads": "(I + H^T H^{-1}) xi / 2  (H^{-1} -> (H^T H + lss_lam I)^{-1} H^T if det H == 0)"},
    }[method]
    return {**common, **per}


def tensors(values, dims):
    """A reference parameter list (one leaf tensor per player) from a flat list of floats."""
    th, k = [], 0
    for n in dims:
        th.append(torch.tensor(values[k:k + n], dtype=torch.float64, requires_grad=True))
        k += n
    return th


def flat(th):
    return [float(v) for t in th for v in t.detach().reshape(-1).tolist()]


def losses_at(Ls, th):
    return [float(l.detach().reshape(-1)[0]) for l in Ls(th)]


def xi_norm(Ls, th):
    """|xi| for the plain simultaneous gradient xi = (dL_i/dth_i)_i (a diagnostic)."""
    losses = Ls(th)
    g = [torch.autograd.grad(losses[i], th[i], retain_graph=True)[0] for i in range(len(th))]
    return float(torch.norm(torch.cat(g)))


def draw_start(dims, std, seed):
    torch.manual_seed(seed)
    return flat(ref.init_th(dims, std))


def run(Ls, dims, start, alpha, algo, record_steps):
    """Runs update_th from `start`; records params, losses and |xi| at each of record_steps."""
    th = tensors(start, dims)
    last = max(record_steps)
    rec = {}
    for k in range(last + 1):
        if k in record_steps:
            rec[k] = {"step": k, "params": flat(th), "losses": losses_at(Ls, th),
                      "xi_norm": xi_norm(Ls, th)}
        if k < last:
            th, _ = ref.update_th(th, Ls, alpha, algo)
    return [rec[k] for k in sorted(rec)]


def perturbation_spread(Ls, dims, start, alpha, algo, record_steps, eps=1e-12, seed=12345):
    """max |params| difference at each recorded step after perturbing the start by +-eps."""
    rng = np.random.default_rng(seed)
    pert = list(np.asarray(start) + eps * rng.choice([-1.0, 1.0], size=len(start)))
    a = run(Ls, dims, start, alpha, algo, record_steps)
    b = run(Ls, dims, pert, alpha, algo, record_steps)
    return [float(np.max(np.abs(np.array(x["params"]) - np.array(y["params"])))) for x, y in zip(a, b)]


# --------------------------------------------------------------------------------------------
# Our games (aga-games/src/{ipd,matrix,tandem}.rs) ported to numpy, to check the mappings.

IPD_REWARDS_OURS = np.array([[-1.0, -3.0, 0.0, -2.0], [-1.0, 0.0, -3.0, -2.0]])


def ours_ipd_losses(theta, gamma=0.96):
    """A line-by-line numpy port of `impl Game for Ipd` in aga-games/src/ipd.rs."""
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))
    c1, c2 = sig(np.asarray(theta[0:5])), sig(np.asarray(theta[5:10]))
    out = lambda a, b: [a * b, a * (1 - b), (1 - a) * b, (1 - a) * (1 - b)]
    start = np.array(out(c1[0], c2[0]))
    own = c1[1:5]
    other = np.array([c2[1], c2[3], c2[2], c2[4]])  # player 2 sees CD as DC and vice versa
    P = np.stack(out(own, other), axis=1)  # [4, 4], column j = next outcome j
    rewards = IPD_REWARDS_OURS.T  # [4, 2]
    values = np.linalg.solve(np.eye(4) - gamma * P, rewards)
    return list(-(1 - gamma) * (start @ values))


IPD_PERMUTATION = [0, 1, 2, 3, 4, 5, 6, 8, 7, 9]  # ours[k] = reference[IPD_PERMUTATION[k]]


def check_ipd_mapping(gamma=0.96, trials=20, seed=7):
    dims, Ls = ref.ipd(gamma)
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(trials):
        theta_ref = list(rng.normal(0.0, 2.0, size=10))
        l_ref = losses_at(Ls, tensors(theta_ref, dims))
        theta_ours = [theta_ref[i] for i in IPD_PERMUTATION]
        l_ours = ours_ipd_losses(theta_ours, gamma)
        for r, o in zip(l_ref, l_ours):
            worst = max(worst, abs(o - (1 - gamma) * r))
    # Without the swap the check must fail (shows the permutation is needed).
    theta_ref = list(rng.normal(0.0, 2.0, size=10))
    l_ref = losses_at(Ls, tensors(theta_ref, dims))
    l_unswapped = ours_ipd_losses(theta_ref, gamma)
    unswapped = max(abs(o - (1 - gamma) * r) for r, o in zip(l_ref, l_unswapped))
    return {"trials": trials, "max_abs_diff_with_permutation": worst,
            "max_abs_diff_without_permutation": unswapped}


def check_mp_mapping(trials=20, seed=8):
    dims, Ls = ref.matching_pennies()
    rng = np.random.default_rng(seed)
    l1 = np.array([[1.0, -1.0], [-1.0, 1.0]])  # aga-games MatrixGame::matching_pennies
    l2 = -l1
    worst = 0.0
    for _ in range(trials):
        th = list(rng.normal(0.0, 2.0, size=2))
        p, q = 1 / (1 + np.exp(-th[0])), 1 / (1 + np.exp(-th[1]))
        x, y = np.array([p, 1 - p]), np.array([q, 1 - q])
        ours = [x @ l1 @ y, x @ l2 @ y]
        worst = max(worst, max(abs(a - b) for a, b in zip(ours, losses_at(Ls, tensors(th, dims)))))
    return {"trials": trials, "max_abs_diff_identity_mapping": worst}


def check_tandem_mapping(trials=20, seed=9):
    dims, Ls = ref.tandem()
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(trials):
        x, y = rng.normal(0.0, 2.0, size=2)
        s = (x + y) ** 2
        ours = [s - 2 * x, s - 2 * y]  # aga-games Tandem::losses_f64
        worst = max(worst, max(abs(a - b) for a, b in zip(ours, losses_at(Ls, tensors([x, y], dims)))))
    return {"trials": trials, "max_abs_diff_identity_mapping": worst}


# --------------------------------------------------------------------------------------------


def meta(game, command):
    return {
        "reference": {"repo": REF_REPO, "commit": REF_COMMIT, "file": "stable_opponent_shaping.ipynb",
                      "cells": [3, 4], "copy": "scripts/sos_reference/reference.py", "licence": "MIT"},
        "command": command,
        "generated_by": "scripts/sos_reference/make_golden.py",
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "dtype": "float64 (torch.set_default_dtype(torch.float64); the notebook ran in float32, "
                 "the code is unchanged)",
        "game": game,
    }


def trajectories(Ls, dims, alpha, std, seeds, steps, methods):
    starts = [{"seed": s, "params": draw_start(dims, std, s)} for s in seeds]
    out = {}
    for m in methods:
        runs = []
        for st in starts:
            recs = run(Ls, dims, st["params"], alpha, ALGOS[m], steps)
            spread = perturbation_spread(Ls, dims, st["params"], alpha, ALGOS[m], steps)
            for r, s in zip(recs, spread):
                r["perturbation_spread"] = s
            runs.append({"seed": st["seed"], "start": st["params"], "records": recs})
        out[m] = {"constants": method_constants(m, alpha, dims), "runs": runs}
    return starts, out


def ipd_summary(Ls, dims, gamma, alpha, std, seed, num_runs, methods, at_steps):
    """The notebook's cell-6 protocol: num_runs N(0, std^2) starts, alpha = 1.

    Cell 6 records (1 - gamma) * L_1 at th_k before update k, for k < num_epochs = 100, and
    plots the mean and np.std (ddof 0) over runs. Here: torch.manual_seed(seed) once per method,
    then init_th for each run in turn (so every method sees the same 50 starts), and the
    normalised losses (1 - gamma) * L_i at th_k for each k in at_steps.
    """
    torch.manual_seed(seed)
    starts = [flat(ref.init_th(dims, std)) for _ in range(num_runs)]
    res = {}
    for m in methods:
        t0 = time.time()
        last = max(at_steps)
        vals = {k: [] for k in at_steps}
        for st in starts:
            th = tensors(st, dims)
            for k in range(last + 1):
                if k in at_steps:
                    vals[k].append([(1 - gamma) * l for l in losses_at(Ls, th)])
                if k < last:
                    th, _ = ref.update_th(th, Ls, alpha, ALGOS[m])
        per = {}
        for k in at_steps:
            v = np.array(vals[k])  # [runs, 2]
            avg = v.mean(axis=1)
            per[str(k)] = {
                "player1_mean": float(v[:, 0].mean()), "player1_std": float(v[:, 0].std()),
                "player2_mean": float(v[:, 1].mean()), "player2_std": float(v[:, 1].std()),
                "both_mean": float(avg.mean()), "both_std": float(avg.std()),
            }
        res[m] = {"at_step": per}
        print(f"  summary {m}: step {last}: player1 {per[str(last)]['player1_mean']:.3f} +- "
              f"{per[str(last)]['player1_std']:.3f}, both {per[str(last)]['both_mean']:.3f} +- "
              f"{per[str(last)]['both_std']:.3f} ({time.time() - t0:.1f} s)", flush=True)
    return {
        "protocol": "notebook cell 6: init_th(dims, std=1) per run, update_th(th, Ls, alpha=1, algo) "
                    "repeatedly; value = (1 - gamma) * L_i(th_k) (cell 6 plots player 1's only); "
                    "mean and np.std (ddof=0) over runs. The notebook runs 100 epochs and its last "
                    "point is th_99 (losses are returned before each update); steps 99, 100 and 200 "
                    "are given here. The notebook draws starts without a seed and one after another "
                    "across methods; here torch.manual_seed(seed) is set once and the same "
                    "num_runs starts are used for every method.",
        "seed": seed, "num_runs": num_runs, "std": std, "alpha": alpha, "gamma": gamma,
        "starts": starts,
        "methods": res,
    }


def write(name, obj):
    path = os.path.join(OUT_DIR, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="only run the mapping self-checks")
    ap.add_argument("--no-summary", action="store_true", help="skip the 50-run IPD summary")
    args = ap.parse_args()
    command = "python3 scripts/sos_reference/make_golden.py" + "".join(" " + a for a in sys.argv[1:])

    checks = {"ipd": check_ipd_mapping(), "mp": check_mp_mapping(), "tandem": check_tandem_mapping()}
    print(json.dumps(checks, indent=1), flush=True)
    assert checks["ipd"]["max_abs_diff_with_permutation"] < 1e-12
    assert checks["ipd"]["max_abs_diff_without_permutation"] > 1e-6
    assert checks["mp"]["max_abs_diff_identity_mapping"] < 1e-14
    assert checks["tandem"]["max_abs_diff_identity_mapping"] < 1e-12
    if args.check:
        return
    os.makedirs(OUT_DIR, exist_ok=True)
    methods = MAIN_METHODS + EXTRA_METHODS

    # ---- IPD -------------------------------------------------------------------------------
    gamma, alpha, std = 0.96, 1, 1
    dims, Ls = ref.ipd(gamma)
    steps = [0, 1, 2, 5, 10, 50, 200]
    starts, traj = trajectories(Ls, dims, alpha, std, [0, 1, 2], steps, methods)
    doc = meta({
        "name": "ipd", "constructor": "reference.ipd(gamma=0.96)", "gamma": gamma, "dims": dims,
        "alpha": alpha, "init_std": std,
        "params_layout": "[th1_start, th1_CC, th1_CD, th1_DC, th1_DD, th2_start, th2_CC, th2_CD, "
                         "th2_DC, th2_DD]: logits of P(cooperate); both players' states are "
                         "(player 1's action, player 2's action)",
        "losses": "L_i = -p0^T (I - gamma P)^{-1} r_i, r_1 = [-1, -3, 0, -2], r_2 = [-1, 0, -3, -2] "
                  "(unnormalised: mutual defection 50, mutual cooperation 25)",
        "to_aga": {"param_permutation": IPD_PERMUTATION,
                   "rule": "ours[k] = reference[param_permutation[k]] (swap player 2's CD and DC)",
                   "loss_scale": 1 - gamma, "loss_rule": "ours = (1 - gamma) * reference",
                   "check": checks["ipd"]},
    }, command)
    doc["steps"] = steps
    doc["starts"] = starts
    doc["record_fields"] = {
        "params": "th_k (reference layout) after k updates",
        "losses": "[L_1(th_k), L_2(th_k)] as the reference computes them (unnormalised)",
        "xi_norm": "|xi(th_k)|, plain simultaneous gradient (diagnostic)",
        "perturbation_spread": "max_j |th_k - th~_k| where th~ starts from start +- 1e-12 "
                               "(how much agreement to expect at step k)",
    }
    doc["methods"] = traj
    if not args.no_summary:
        doc["summary"] = ipd_summary(Ls, dims, gamma, alpha, std, seed=2019, num_runs=50,
                                     methods=methods, at_steps=[99, 100, 200])
        # The same protocol with other seeds (main methods, step 200 only): how much the
        # 50-run statistics move with the draw of the starts.
        doc["summary_other_seeds"] = {}
        for seed in [0, 1, 2, 3]:
            s = ipd_summary(Ls, dims, gamma, alpha, std, seed=seed, num_runs=50,
                            methods=MAIN_METHODS, at_steps=[200])
            doc["summary_other_seeds"][str(seed)] = {
                m: v["at_step"]["200"] for m, v in s["methods"].items()}
    write("sos_reference_ipd.json", doc)

    # ---- matching pennies ------------------------------------------------------------------
    alpha, std = 1, 1  # notebook cell 5 (its only matching-pennies run)
    dims, Ls = ref.matching_pennies()
    steps = [0, 1, 2, 5, 10, 50, 100]
    starts, traj = trajectories(Ls, dims, alpha, std, [0, 1, 2], steps, methods)
    doc = meta({
        "name": "matching_pennies", "constructor": "reference.matching_pennies()", "dims": dims,
        "alpha": alpha, "init_std": std,
        "params_layout": "[th1, th2], P(action 1) = sigmoid(th_i)",
        "losses": "L_1 = x^T [[1, -1], [-1, 1]] y = -L_2, x = (p1, 1 - p1), y = (p2, 1 - p2)",
        "to_aga": {"param_permutation": [0, 1], "loss_scale": 1.0,
                   "rule": "identical to MatrixGame::matching_pennies()", "check": checks["mp"]},
    }, command)
    doc["steps"] = steps
    doc["starts"] = starts
    doc["methods"] = traj
    write("sos_reference_mp.json", doc)

    # ---- tandem ----------------------------------------------------------------------------
    alpha, std = 0.1, 0.1  # notebook cell 7
    dims, Ls = ref.tandem()
    steps = [0, 1, 2, 5, 10, 30, 50, 100]
    starts, traj = trajectories(Ls, dims, alpha, std, [0, 1, 2], steps, methods)
    doc = meta({
        "name": "tandem", "constructor": "reference.tandem()", "dims": dims,
        "alpha": alpha, "init_std": std,
        "params_layout": "[x, y]",
        "losses": "L_1 = (x + y)^2 - 2x, L_2 = (x + y)^2 - 2y",
        "to_aga": {"param_permutation": [0, 1], "loss_scale": 1.0,
                   "rule": "identical to Tandem", "check": checks["tandem"]},
    }, command)
    doc["steps"] = steps
    doc["starts"] = starts
    doc["methods"] = traj
    write("sos_reference_tandem.json", doc)


if __name__ == "__main__":
    main()
