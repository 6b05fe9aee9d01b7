#!/usr/bin/env python3
"""Golden replay of JaxMARL SMAX (raw `SMAX`, both teams scripted) for the Rust battle simulator.

Regenerate (from the repository root), with JaxMARL's source tree at commit c793d09 (identical
SMAX files to the PyPI wheel jaxmarl==0.2.0) on PYTHONPATH and a CPU-only jax:

    python3 -m venv /tmp/smaxenv
    /tmp/smaxenv/bin/pip install "jax[cpu]" flax chex jaxtyping gymnax matplotlib pillow safetensors
    # jaxmarl source: git checkout of FLAIROx/JaxMARL@c793d09 at /tmp/jaxmarl_src
    #   (or: pip install --no-deps jaxmarl==0.2.0 and drop PYTHONPATH)
    PYTHONPATH=/tmp/jaxmarl_src /tmp/smaxenv/bin/python aga-envs/tests/golden/smax_replay.py

Writes aga-envs/tests/golden/smax_replay.json next to this file.

What it does
- Scenario: 3 marines + 1 marauder vs 3 marines + 1 marauder (SMAX type indices [0,0,0,1]*2),
  default SMAX constants, 32x32 map, 8 world sub-steps of 1/16 per env step.
- Cooldown jitter is DISABLED: SMAX draws `jax.random.uniform(key, minval=-dt, maxval=2*dt)` in
  `SMAX._world_step.update_agent_health`; the module-global `jax` of smax_env is replaced by a proxy
  whose `random.uniform` returns zeros for exactly that call (minval == -dt and maxval == 2*dt) and
  delegates every other call. So after a valid attack the cooldown is set to
  `cd + (unit_type_weapon_cooldowns[type] - cd)` (float32), i.e. the base cooldown.
- Initial positions are set explicitly on the state returned by `reset` (units 0 and 1 overlap).
  The trajectory starts from these raw positions WITHOUT the push that `reset` applies; the push of
  the raw positions is recorded separately as `reset_push_positions` (a unit test of the push alone).
- Actions: numpy default_rng(0); per unit, among its available actions (get_avail_actions at the
  start of the env step): with p=0.7 a uniformly chosen available attack if any, else a uniformly
  chosen available movement/stop action (dead units: only stop=4 is available).
- Env steps are run with `SMAX.step_env` (no auto-reset). For the first 3 env steps the sub-steps are
  also recorded, with the state after each phase (world step = move+attack+cooldown; wall kill +
  death update; push), computed by calling SMAX's internal functions one by one, and checked
  against `step_env(..., get_state_sequence=True)`.
"""
import hashlib
import json
import os
import sys

import numpy as np
import jax
import jax.numpy as jnp

import jaxmarl
from jaxmarl.environments.smax import smax_env as smax_mod
from jaxmarl.environments.smax.smax_env import SMAX, Scenario

JAXMARL_COMMIT = "c793d095618c6d3edfb5632802348f57b70a4b94"
NUM_ENV_STEPS = 30
SUBSTEP_RECORD_STEPS = 3
ATTACK_BIAS = 0.7
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "smax_replay.json")

# ---------------------------------------------------------------- disable the cooldown jitter
TIME_PER_STEP = 1.0 / 16
JITTER_CALLS = {"patched": 0, "delegated": 0}


class _NoJitterRandom:
    def __getattr__(self, name):
        return getattr(jax.random, name)

    @staticmethod
    def uniform(key, shape=(), dtype=float, minval=0.0, maxval=1.0):
        if (
            isinstance(minval, float)
            and isinstance(maxval, float)
            and minval == -TIME_PER_STEP
            and maxval == 2 * TIME_PER_STEP
        ):
            JITTER_CALLS["patched"] += 1  # counted at trace time
            return jnp.zeros(shape, dtype=jnp.float32)
        JITTER_CALLS["delegated"] += 1
        return jax.random.uniform(key, shape=shape, dtype=dtype, minval=minval, maxval=maxval)


class _JaxProxy:
    random = _NoJitterRandom()

    def __getattr__(self, name):
        return getattr(jax, name)


smax_mod.jax = _JaxProxy()  # must happen before anything is traced

# ---------------------------------------------------------------- scenario
UNIT_TYPES = [0, 0, 0, 1, 0, 0, 0, 1]  # ally_0..3, enemy_0..3
scenario = Scenario(jnp.array(UNIT_TYPES, dtype=jnp.uint8), 4, 4, False, False)
env = SMAX(scenario=scenario)  # every other argument at SMAX's default
assert env.time_per_step == TIME_PER_STEP

# float32-exact coordinates. ally_0, ally_1 (marines) and ally_3 (marauder) overlap pairwise
# (0-1: 0.2795 < 0.75; 0-3: 0.5590 < 0.9375; 1-3: 0.7603 < 0.9375): a three-body push.
INITIAL_POSITIONS = [
    [14.0, 15.0],  # ally_0 marine
    [14.25, 15.125],  # ally_1 marine (overlaps ally_0)
    [13.5, 17.0],  # ally_2 marine
    [13.5, 15.25],  # ally_3 marauder (overlaps ally_0 and ally_1)
    [18.5, 15.5],  # enemy_0 marine
    [18.625, 16.75],  # enemy_1 marine
    [19.0, 14.5],  # enemy_2 marine
    [19.5, 16.25],  # enemy_3 marauder
]


def f(x):
    return float(x)


def fl(a):
    a = np.asarray(a)
    if a.ndim == 0:
        return float(a)
    return [fl(v) for v in a]


def snap(state):
    return {
        "pos": fl(state.unit_positions),
        "health": fl(state.unit_health),
        "cooldown": fl(state.unit_weapon_cooldowns),
        "alive": [bool(v) for v in np.asarray(state.unit_alive)],
    }


def max_diff(a, b):
    return max(
        float(np.max(np.abs(np.asarray(a.unit_positions) - np.asarray(b.unit_positions)))),
        float(np.max(np.abs(np.asarray(a.unit_health) - np.asarray(b.unit_health)))),
        float(
            np.max(np.abs(np.asarray(a.unit_weapon_cooldowns) - np.asarray(b.unit_weapon_cooldowns)))
        ),
    )


_world_step = jax.jit(lambda k, s, a: env._world_step(k, s, a))
_kill_walls = jax.jit(lambda s: env._kill_agents_touching_walls(s))
_update_dead = jax.jit(lambda s: env._update_dead_agents(s))
_push = jax.jit(lambda s: env._push_units_away(s))


def manual_substeps(key, state, actions):
    """Replicates SMAX.step_env -> step_env_no_decode's scan body phase by phase."""
    actions_arr = jnp.array([actions[a] for a in env.agents])
    key, action_key = jax.random.split(key)
    decoded = env._decode_actions(action_key, state, actions_arr)
    step_key = key
    out = []
    for _ in range(env.world_steps_per_env_step):
        step_key, world_step_key = jax.random.split(step_key)
        s1 = _world_step(world_step_key, state, decoded)
        s2 = _update_dead(_kill_walls(s1))
        s3 = _push(s2)
        s3 = s3.replace(prev_movement_actions=decoded[0], prev_attack_actions=decoded[1])
        out.append(
            {
                "after_move_attack": snap(s1),
                "after_deaths": snap(s2),
                "after_push": snap(s3),
            }
        )
        state = s3
    return out, state, decoded


def choose_actions(rng, avail):
    acts = {}
    for agent in env.agents:
        mask = np.asarray(avail[agent]).astype(bool)
        idx = np.nonzero(mask)[0]
        attacks = idx[idx >= env.num_movement_actions]
        moves = idx[idx < env.num_movement_actions]
        if len(attacks) > 0 and rng.random() < ATTACK_BIAS:
            a = int(rng.choice(attacks))
        else:
            a = int(rng.choice(moves))
        acts[agent] = a
    return acts


def main():
    key = jax.random.PRNGKey(0)
    key, reset_key = jax.random.split(key)
    _, state = env.reset(reset_key)
    state = state.replace(unit_positions=jnp.array(INITIAL_POSITIONS, dtype=jnp.float32))
    assert np.asarray(state.unit_positions).dtype == np.float32
    reset_push = env._push_units_away(state)
    initial_state = snap(state)

    rng = np.random.default_rng(0)
    traj = []
    substeps = []
    max_manual_vs_scan = 0.0
    for t in range(NUM_ENV_STEPS):
        avail = env.get_avail_actions(state)
        actions = choose_actions(rng, avail)
        key, step_key = jax.random.split(key)
        if t < SUBSTEP_RECORD_STEPS:
            phases, manual_final, decoded = manual_substeps(step_key, state, actions)
            seq = env.step_env(step_key, state, actions, True)
            for k in range(env.world_steps_per_env_step):
                sk = jax.tree.map(lambda x: x[k], seq)
                d = max(
                    max(abs(a - b) for a, b in zip(np.ravel(phases[k]["after_push"]["pos"]), np.ravel(sk.unit_positions))),
                    max(abs(a - b) for a, b in zip(phases[k]["after_push"]["health"], np.asarray(sk.unit_health))),
                    max(abs(a - b) for a, b in zip(phases[k]["after_push"]["cooldown"], np.asarray(sk.unit_weapon_cooldowns))),
                )
                max_manual_vs_scan = max(max_manual_vs_scan, float(d))
                phases[k]["scan_state"] = snap(sk)
            substeps.append(
                {
                    "env_step": t,
                    "decoded_movement": fl(decoded[0]),
                    "decoded_attack": [int(v) for v in np.asarray(decoded[1])],
                    "substeps": phases,
                }
            )
        obs, new_state, rewards, dones, _ = env.step_env(step_key, state, actions)
        if t < SUBSTEP_RECORD_STEPS:
            max_manual_vs_scan = max(max_manual_vs_scan, max_diff(manual_final, new_state))
        rec = {
            "t": t,
            "avail": {a: [int(v) for v in np.asarray(avail[a])] for a in env.agents},
            "actions": [actions[a] for a in env.agents],
            "rewards": [f(rewards[a]) for a in env.agents],
            "dones": [bool(dones[a]) for a in env.agents],
            "done_all": bool(dones["__all__"]),
            "step_counter": int(new_state.step),
            "state": snap(new_state),
        }
        traj.append(rec)
        state = new_state
        if rec["done_all"]:
            break

    src = os.path.join(os.path.dirname(smax_mod.__file__), "smax_env.py")
    with open(src, "rb") as fh:
        sha = hashlib.sha256(fh.read()).hexdigest()

    # decoded direction vectors (float32, as SMAX computes them on this backend)
    dirs = env._decode_discrete_actions(jnp.arange(env.num_ally_actions))
    names = env.unit_type_names
    out = {
        "generator": "aga-envs/tests/golden/smax_replay.py",
        "command": "PYTHONPATH=/tmp/jaxmarl_src /tmp/smaxenv/bin/python aga-envs/tests/golden/smax_replay.py",
        "argv": sys.argv,
        "jaxmarl_version": jaxmarl.__version__,
        "jaxmarl_commit": JAXMARL_COMMIT,
        "smax_env_py_sha256": sha,
        "jax_version": jax.__version__,
        "jax_backend": jax.default_backend(),
        "x64": bool(jax.config.jax_enable_x64),
        "cooldown_jitter": "disabled: jax.random.uniform(key, minval=-dt, maxval=2*dt) in "
        "SMAX._world_step replaced by 0.0 (proxy on smax_env.jax); traced calls patched=%d"
        % JITTER_CALLS["patched"],
        "trajectory_start": "state from reset() with unit_positions overwritten by initial_positions; "
        "NO reset push applied; actions via SMAX.step_env (no auto-reset)",
        "action_policy": "numpy default_rng(0); per agent in order ally_0..3, enemy_0..3: if any "
        "available attack and rng.random() < %.2f: rng.choice(available attacks) else "
        "rng.choice(available actions < 5)" % ATTACK_BIAS,
        "env": {
            "num_allies": env.num_allies,
            "num_enemies": env.num_enemies,
            "map_width": env.map_width,
            "map_height": env.map_height,
            "world_steps_per_env_step": env.world_steps_per_env_step,
            "time_per_step": env.time_per_step,
            "max_steps": env.max_steps,
            "won_battle_bonus": env.won_battle_bonus,
            "walls_cause_death": env.walls_cause_death,
            "use_self_play_reward": env.use_self_play_reward,
            "num_movement_actions": env.num_movement_actions,
            "agents": env.agents,
        },
        "unit_type_names": names,
        "unit_constants_f32": {
            "velocity": fl(env.unit_type_velocities),
            "attack": fl(env.unit_type_attacks),
            "attack_range": fl(env.unit_type_attack_ranges),
            "sight_range": fl(env.unit_type_sight_ranges),
            "radius": fl(env.unit_type_radiuses),
            "health": fl(env.unit_type_health),
            "weapon_cooldown": fl(env.unit_type_weapon_cooldowns),
        },
        "unit_types": UNIT_TYPES,
        "unit_type_names_per_unit": [names[u] for u in UNIT_TYPES],
        "decoded_direction_vectors_f32": fl(dirs[0]),
        "initial_positions": INITIAL_POSITIONS,
        "initial_state": initial_state,
        "reset_push_positions": fl(reset_push.unit_positions),
        "initial_health": fl(env.unit_type_health[jnp.array(UNIT_TYPES)]),
        "max_abs_diff_manual_phases_vs_step_env": max_manual_vs_scan,
        "trajectory": traj,
        "substeps_first_env_steps": substeps,
    }
    with open(OUT, "w") as fh:
        json.dump(out, fh, indent=None, separators=(",", ":"))
        fh.write("\n")

    # ------------------------------------------------------------ summary
    print("wrote", OUT, os.path.getsize(OUT), "bytes")
    print("jitter calls patched/delegated at trace:", JITTER_CALLS)
    print("max |manual phases - step_env|:", max_manual_vs_scan)
    h0 = np.asarray(env.unit_type_health[jnp.array(UNIT_TYPES)])
    for r in traj:
        s = r["state"]
        print(
            "t=%2d act=%s hp=%s alive=%s rew=(%.4f,%.4f) done=%s"
            % (
                r["t"],
                r["actions"],
                [round(x, 1) for x in s["health"]],
                "".join("1" if a else "0" for a in s["alive"]),
                r["rewards"][0],
                r["rewards"][-1],
                r["done_all"],
            )
        )
    print("total damage:", float(h0.sum() - np.sum(traj[-1]["state"]["health"])))


if __name__ == "__main__":
    main()
