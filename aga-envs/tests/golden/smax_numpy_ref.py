#!/usr/bin/env python3
"""Plain numpy float32 re-implementation of SMAX's env step, written from docs/envs/smax_semantics.md.

Replays aga-envs/tests/golden/smax_replay.json (made by smax_replay.py from JaxMARL's own code) and
checks, bit for bit, every env step's avail masks, positions, health, cooldowns, alive flags and
rewards, every recorded sub-step, and the reset push. Needs only numpy:

    python3 aga-envs/tests/golden/smax_numpy_ref.py [aga-envs/tests/golden/smax_replay.json]

It is the executable form of the notes: a Rust port that mirrors these loops in f32 (same
operation order) reproduces the golden file exactly.
"""
import json
import os
import sys

import numpy as np

f32 = np.float32
PATH = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "smax_replay.json")
d = json.load(open(PATH))
C = {k: np.array(v, dtype=f32) for k, v in d["unit_constants_f32"].items()}
TYPES = np.array(d["unit_types"])
N = len(TYPES)
NA = d["env"]["num_allies"]
NE = N - NA
W, H = f32(d["env"]["map_width"]), f32(d["env"]["map_height"])
DT = f32(d["env"]["time_per_step"])
SUB = d["env"]["world_steps_per_env_step"]
ONE = f32(0.99999994)  # |decoded move vector| = 2 * f32(1/sqrt2)^2 = 1 - 2**-24
DIRS = {0: (f32(0), ONE), 1: (ONE, f32(0)), 2: (f32(0), -ONE), 3: (-ONE, f32(0))}  # N E S W


def norm(v):
    return f32(np.sqrt(f32(f32(v[0] * v[0]) + f32(v[1] * v[1]))))


def target(i, a):  # attack action a >= 5 of unit i -> unit index
    if a < 5:
        return i
    return a - 5 + NA if i < NA else NA - 1 - (a - 5)


def avail(pos, alive):
    out = []
    for i in range(N):
        m = [0] * ((NE if i < NA else NA) + 5)
        m[4] = 1  # stop: always, even when dead
        if alive[i]:
            m[0:4] = [1, 1, 1, 1]
            for a in range(5, len(m)):
                j = target(i, a)
                m[a] = int(bool(norm(pos[i] - pos[j]) < C["attack_range"][TYPES[i]] and alive[j]))
        out.append(m)
    return out


def push(pos, alive):
    r = C["radius"][TYPES]
    new = pos.copy()
    for i in range(N):
        if not alive[i]:
            continue
        acc = np.zeros(2, dtype=f32)
        for j in range(N):
            dd = (pos[i] - pos[j]).astype(f32)
            dist = f32(f32(norm(dd) + f32(1.0 if i == j else 0.0)) + f32(1e-6))
            ov = f32(max(f32(f32(r[i] + r[j]) / dist) - f32(1), f32(0))) if alive[j] else f32(0)
            acc = (acc + dd * ov).astype(f32)
        new[i] = (pos[i] + (f32(1.0) * acc) / f32(2)).astype(f32)
    return new


def substep(pos, hp, cd, alive, acts):
    """Returns (after_move_attack, after_deaths, after_push) as (pos, hp, cd, alive) tuples."""
    newpos, dhp, newcd = pos.copy(), np.zeros(N, dtype=f32), cd.copy()
    for i in range(N):
        a, t = acts[i], TYPES[i]
        if a < 4 and alive[i]:
            p = (pos[i] + (np.array(DIRS[a], dtype=f32) * C["velocity"][t]) * DT).astype(f32)
            newpos[i] = np.maximum(np.minimum(p, np.array([W, H], dtype=f32)), f32(0))
        j = target(i, a)
        valid = (
            norm(pos[i] - pos[j]) < C["attack_range"][t]  # OLD positions, strict, centre to centre
            and alive[i] and alive[j] and i != j and cd[i] <= 0
        )
        if valid:
            dhp[j] = f32(dhp[j] - C["attack"][t])
            newcd[i] = f32(cd[i] + f32(C["weapon_cooldown"][t] - cd[i]))  # jitter disabled
        else:
            newcd[i] = f32(cd[i] - DT)
    hp = np.maximum((hp + dhp).astype(f32), f32(0))
    s1 = (newpos, hp, newcd, alive)
    wall = np.any(newpos <= 0, axis=1) | np.any(newpos >= np.array([W, H], dtype=f32), axis=1)
    hp = np.where(wall, f32(0), hp).astype(f32)
    alive = hp > 0
    s2 = (newpos, hp, newcd, alive)
    return s1, s2, (push(newpos, alive), hp, newcd, alive)


def load(s):
    return (np.array(s["pos"], dtype=f32), np.array(s["health"], dtype=f32),
            np.array(s["cooldown"], dtype=f32), np.array(s["alive"]))


def same(mine, ref, what):
    for name, a, b in zip(("pos", "health", "cooldown", "alive"), mine, load(ref)):
        if not np.array_equal(a, b):
            raise SystemExit(f"MISMATCH {what} {name}: max diff {np.max(np.abs(a.astype(float) - b))}")


def team_reward(team, hp0, hp, alive):
    lo, hi = (NA, N) if team == 0 else (0, NA)
    own = alive[:NA] if team == 0 else alive[NA:]
    dec = np.sum(((hp - hp0) / C["health"][TYPES])[lo:hi].astype(f32), dtype=f32)
    won = not alive[lo:hi].any()
    return f32(f32(abs(dec) / f32(hi - lo)) + (f32(1) if won and own.any() else f32(0)))


def main():
    state = load(d["initial_state"])
    pushed = push(state[0], state[3])
    assert np.array_equal(pushed, np.array(d["reset_push_positions"], dtype=f32)), "reset push"
    subs = {s["env_step"]: s["substeps"] for s in d["substeps_first_env_steps"]}
    for rec in d["trajectory"]:
        t = rec["t"]
        assert avail(state[0], state[3]) == [rec["avail"][a] for a in d["env"]["agents"]], f"avail t={t}"
        hp0 = state[1]
        for k in range(SUB):
            s1, s2, s3 = substep(*state, rec["actions"])
            if t in subs:
                for ph, s in zip(("after_move_attack", "after_deaths", "after_push"), (s1, s2, s3)):
                    same(s, subs[t][k][ph], f"t={t} sub={k} {ph}")
            state = s3
        same(state, rec["state"], f"t={t}")
        rew = [float(team_reward(0, hp0, state[1], state[3]))] * NA + [
            float(team_reward(1, hp0, state[1], state[3]))] * NE
        assert rew == rec["rewards"], f"rewards t={t}: {rew} vs {rec['rewards']}"
        assert [not a for a in state[3]] == rec["dones"], f"dones t={t}"
        done = (not state[3][:NA].any()) or (not state[3][NA:].any()) or t >= d["env"]["max_steps"]
        assert done == rec["done_all"] and rec["step_counter"] == t + 1, f"done t={t}"
    print(f"{len(d['trajectory'])} env steps, {len(subs)} with sub-steps: all bit-exact")


if __name__ == "__main__":
    main()
