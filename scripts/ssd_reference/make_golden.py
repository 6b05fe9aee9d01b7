#!/usr/bin/env python3
"""Golden outputs of the SSD reference Harvest and Cleanup for deterministic scripted scenarios.

The reference is eugenevinitsky/sequential_social_dilemma_games (Vinitsky et al.), whose
environment files are copied verbatim under scripts/ssd_reference/reference/ (MIT licence,
LICENSE.md there). It imports ray, gym, matplotlib and cv2 at module level but uses none of them
for stepping; this script replaces those modules by empty stand-ins (unless they are installed),
so numpy is the only dependency.

Run from the repository root:

  python3 -m venv /tmp/ssdvenv && /tmp/ssdvenv/bin/pip install "numpy<2"
  /tmp/ssdvenv/bin/python scripts/ssd_reference/make_golden.py

It writes aga-envs/tests/golden/ssd_reference.json. Every scenario is converted to our
conventions (see CONVENTIONS below) and checked to be deterministic: it is run under several
numpy seeds and must give identical results, except the steps marked `agents_any_of`, whose
outcome depends on the reference's random move priority (all outcomes seen are listed there).
"""

import argparse
import itertools
import json
import os
import platform
import re
import sys
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REF_DIR = os.path.join(HERE, "reference")
OUT = os.path.join(ROOT, "aga-envs", "tests", "golden", "ssd_reference.json")
CONFIG_RS = os.path.join(ROOT, "aga-envs", "src", "config.rs")

REF_REPO = "eugenevinitsky/sequential_social_dilemma_games"
REF_COMMIT = "020782121dbadc3bb231e0655bc26963bc31acbe"
REF_FILES = [
    "social_dilemmas/envs/map_env.py",
    "social_dilemmas/envs/agent.py",
    "social_dilemmas/envs/harvest.py",
    "social_dilemmas/envs/cleanup.py",
    "social_dilemmas/envs/gym/discrete_with_dtype.py",
    "social_dilemmas/maps.py",
    "utility_funcs.py",
]


def _stub(name, **attrs):
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return module


def _install_stubs():
    """Empty stand-ins for the modules the env files import but never use while stepping."""

    class _Space:  # gym.spaces.Box / Dict / Discrete: only built by observation/action_space
        def __init__(self, *args, **kwargs):
            pass

    try:
        import gym.spaces  # noqa: F401
    except ImportError:
        _stub("gym")
        _stub("gym.spaces", Box=_Space, Dict=_Space, Discrete=_Space)
    try:
        from ray.rllib.env import MultiAgentEnv  # noqa: F401
        from ray.rllib.agents.callbacks import DefaultCallbacks  # noqa: F401
    except ImportError:
        for name in ["ray", "ray.rllib", "ray.rllib.agents"]:
            _stub(name)
        _stub("ray.rllib.agents.callbacks", DefaultCallbacks=object)
        _stub("ray.rllib.env", MultiAgentEnv=object)
    try:
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        _stub("matplotlib")
        _stub("matplotlib.pyplot")
    try:
        import cv2  # noqa: F401
    except ImportError:
        _stub("cv2")


_install_stubs()
sys.path.insert(0, REF_DIR)
from social_dilemmas.envs import cleanup as ref_cleanup  # noqa: E402
from social_dilemmas.envs import harvest as ref_harvest  # noqa: E402
from social_dilemmas.envs.cleanup import CleanupEnv  # noqa: E402
from social_dilemmas.envs.harvest import HarvestEnv  # noqa: E402
from social_dilemmas.maps import CLEANUP_MAP, HARVEST_MAP  # noqa: E402

CONVENTIONS = (
    "Cells are [row, col], row 0 at the top. Facings: up = towards row 0, right = towards the "
    "last column, down = towards the last row, left = towards column 0 (the reference's "
    "orientation strings UP/RIGHT/DOWN/LEFT, same meaning). Actions are our indices, which are "
    "the reference's indices with the same meaning (checked by this script): 0 move left, "
    "1 move right, 2 forward, 3 back (relative to the facing), 4 stay, 5 turn clockwise, "
    "6 turn anticlockwise, 7 fire, 8 clean. Cell strings: '@' wall, 'A' apple, 'W' waste, "
    "'~' river or stream (clean), ' ' anything else (empty, spawn, apple cell without apple). "
    "obs: the observer's RGB window after the step, (2*7+1) rows x 15 columns x 3, flattened "
    "row-major, in OUR layout: row 0 is ahead of the agent, column 0 its left; the reference's "
    "own array equals it for facings up/down and is it rotated by 180 degrees for facings "
    "left/right (obs_reference_rot180). The reference draws no beams in observations (beams "
    "lists them separately) and draws agents over everything."
)

FACING = {"UP": "up", "RIGHT": "right", "DOWN": "down", "LEFT": "left"}
REF_FACING = {v: k for k, v in FACING.items()}
FORWARD = {"UP": (-1, 0), "RIGHT": (0, 1), "DOWN": (1, 0), "LEFT": (0, -1)}
RIGHTWARD = {"UP": (0, 1), "RIGHT": (1, 0), "DOWN": (0, -1), "LEFT": (-1, 0)}
CW = {"UP": "RIGHT", "RIGHT": "DOWN", "DOWN": "LEFT", "LEFT": "UP"}
CELL_CHAR = {b"@": "@", b"A": "A", b"H": "W", b"R": "~", b"S": "~"}
BEAM_KIND = {b"F": "fire", b"C": "clean"}


# --------------------------------------------------------------------------------------------
# Self-checks: the reference's maps and action semantics are ours.


def check_maps():
    src = open(CONFIG_RS, encoding="utf-8").read()
    for name, ref_map in [("HARVEST_MAP", HARVEST_MAP), ("CLEANUP_MAP", CLEANUP_MAP)]:
        m = re.search(name + r': &str = "\\\n(.*?)";', src, re.S)
        assert m, f"{name} not found in {CONFIG_RS}"
        ours = m.group(1).split("\n")
        assert ours == list(ref_map), f"{name} differs from the reference's"


def check_actions():
    """Our action i under each facing = the reference's action i (moves, turns)."""
    env = HarvestEnv(num_agents=1)
    names = {0: "MOVE_LEFT", 1: "MOVE_RIGHT", 2: "MOVE_UP", 3: "MOVE_DOWN", 4: "STAY"}
    from social_dilemmas.envs.agent import CLEANUP_ACTIONS

    for i, name in names.items():
        assert CLEANUP_ACTIONS[i] == name
    assert CLEANUP_ACTIONS[5] == "TURN_CLOCKWISE" and CLEANUP_ACTIONS[6] == "TURN_COUNTERCLOCKWISE"
    assert CLEANUP_ACTIONS[7] == "FIRE" and CLEANUP_ACTIONS[8] == "CLEAN"
    for o in FORWARD:
        f, r = FORWARD[o], RIGHTWARD[o]
        ours = {0: (-r[0], -r[1]), 1: r, 2: f, 3: (-f[0], -f[1]), 4: (0, 0)}
        for i, name in names.items():
            ref = tuple(env.rotate_action(np.array(env.all_actions[name]), o).tolist())
            assert ref == ours[i], (o, name, ref, ours[i])
        assert env.update_rotation("TURN_CLOCKWISE", o) == CW[o]
        assert CW[env.update_rotation("TURN_COUNTERCLOCKWISE", o)] == o


# --------------------------------------------------------------------------------------------
# Running a scenario in the reference.


def ours_layout_view(env, agent):
    """The observer's window sampled in our layout from the reference's padded colour map."""
    r, pad = env.view_len, env.map_padding
    f, g = FORWARD[agent.orientation], RIGHTWARD[agent.orientation]
    side = 2 * r + 1
    out = np.zeros((side, side, 3), dtype=np.uint8)
    for i in range(side):
        for j in range(side):
            di, dj = i - r, j - r
            row = agent.pos[0] - di * f[0] + dj * g[0]
            col = agent.pos[1] - di * f[1] + dj * g[1]
            out[i, j] = env.world_map_color[row + pad, col + pad]
    return out


def cells_of(env):
    rows = []
    for row in env.world_map:
        rows.append("".join(CELL_CHAR.get(bytes(c), " ") for c in row))
    return rows


def agent_state(agent):
    return {"row": int(agent.pos[0]), "col": int(agent.pos[1]), "facing": FACING[agent.orientation]}


def run(scn, seed):
    """Run scenario `scn` in the reference under numpy seed `seed`; returns (initial, steps)."""
    saved = (
        list(ref_harvest.SPAWN_PROB),
        ref_cleanup.appleRespawnProbability,
        ref_cleanup.wasteSpawnProbability,
    )
    try:
        cfg = scn["config"]
        if cfg["kind"] == "harvest":
            rates = cfg.get("regrowth", {}).get("rates", saved[0])
            assert len(rates) == 4, "the reference indexes SPAWN_PROB[min(k, 3)]"
            ref_harvest.SPAWN_PROB = list(rates)
        else:
            ref_cleanup.appleRespawnProbability = cfg.get("apple_rate", saved[1])
            ref_cleanup.wasteSpawnProbability = cfg.get("waste_rate", saved[2])
        np.random.seed(seed)
        n = cfg["agents"]
        env = (HarvestEnv if cfg["kind"] == "harvest" else CleanupEnv)(num_agents=n)
        env.reset()
        for row, col, char in scn.get("edits", []):
            env.single_update_map(row, col, char)
        for k, (row, col, facing) in enumerate(scn["agents"]):
            agent = env.agents[f"agent-{k}"]
            agent.pos = np.array([row, col])
            agent.orientation = REF_FACING[facing]
            assert env.world_map[row, col] != b"@"
        grid = env.get_map_with_agents()
        for agent in env.agents.values():
            agent.full_map = grid
        assert len({tuple(a.pos) for a in env.agents.values()}) == n
        initial = {
            "agents": [agent_state(env.agents[f"agent-{k}"]) for k in range(n)],
            "cells": cells_of(env),
        }
        steps = []
        observer = scn.get("observer")
        for actions in scn["actions"]:
            assert len(actions) == n
            obs, rew, _, _ = env.step({f"agent-{k}": a for k, a in enumerate(actions)})
            rec = {
                "actions": list(actions),
                "agents": [agent_state(env.agents[f"agent-{k}"]) for k in range(n)],
                "rewards": [float(rew[f"agent-{k}"]) for k in range(n)],
                "apples": [[int(r), int(c)] for r, c in np.argwhere(env.world_map == b"A")],
                "waste": [[int(r), int(c)] for r, c in np.argwhere(env.world_map == b"H")],
                "beams": sorted(
                    {(int(r), int(c), BEAM_KIND[bytes(ch)]) for r, c, ch in env.beam_pos}
                ),
            }
            rec["beams"] = [list(b) for b in rec["beams"]]
            if observer is not None:
                agent = env.agents[f"agent-{observer}"]
                raw = obs[f"agent-{observer}"]["curr_obs"]
                ours = ours_layout_view(env, agent)
                rot180 = agent.orientation in ("LEFT", "RIGHT")
                expected_raw = ours[::-1, ::-1] if rot180 else ours
                assert (raw == expected_raw).all(), "the reference's view is not ours (rot180)"
                rec["obs"] = [int(v) for v in ours.reshape(-1)]
                rec["obs_reference_rot180"] = rot180
            steps.append(rec)
        return initial, steps
    finally:
        ref_harvest.SPAWN_PROB = saved[0]
        ref_cleanup.appleRespawnProbability = saved[1]
        ref_cleanup.wasteSpawnProbability = saved[2]


# --------------------------------------------------------------------------------------------
# The scenarios. Agents: (row, col, facing) in our conventions; actions: our indices.

L, R, F, B, STAY, CW_, CCW, FIRE, CLEAN = range(9)
HARVEST_NO_REGROWTH = {"radius_sq": 2, "rates": [0.0, 0.0, 0.0, 0.0]}


def harvest_cfg(agents, rates=(0.0, 0.0, 0.0, 0.0)):
    return {"kind": "harvest", "agents": agents, "regrowth": {"radius_sq": 2, "rates": list(rates)}}


def scenarios():
    out = []

    h_apples = [(r, c) for r, row in enumerate(HARVEST_MAP) for c, ch in enumerate(row) if ch == "A"]

    # 1. Every move under every facing, both turns, walls, eating, padding outside the map.
    moves = [
        F, L, B, R,          # facing up at (1,1): forward and left into walls, back, right
        CW_, F, L, R, B,     # facing right
        CW_, F, L, R, B,     # facing down
        CW_, F, L, R, B,     # facing left
        CCW, CCW, CCW, CCW,  # down, right, up, left
        L, L, L, B, STAY,    # facing left (left = south): eats (4,2), (5,2); back (east): (5,3)
    ]
    out.append({
        "name": "harvest_moves_turns_eat",
        "description": "one agent near the top-left corner: forward/left into walls, every "
                       "egocentric move under each facing, clockwise and anticlockwise turns, "
                       "then eating three apples; no regrowth; the apples of columns >= 13 "
                       "(never in view) are removed to keep the file small",
        "config": harvest_cfg(1),
        "edits": [(r, c, b" ") for r, c in h_apples if c >= 13],
        "agents": [(1, 1, "up")],
        "actions": [[a] for a in moves],
        "observer": 0,
    })

    # 2. Penalty beams: hits in the centre and side rays, absorption, walls, mutual fire.
    out.append({
        "name": "harvest_fire",
        "description": "agent 0 at (1,14) facing right fires: centre ray hits agent 1 at (1,17) "
                       "(agent 2 behind it at (1,19) is shielded), the side ray on its left is "
                       "the wall row, the right side ray passes the apple (2,14) and hits agent "
                       "3 at (2,16). Step 2: agents 0 and 1 fire at each other, agent 1's side "
                       "ray also hits agent 3. Steps 3-4: agent 0 turns to face the wall and "
                       "fires (rays cut by the wall). Step 5: beams are gone.",
        "config": harvest_cfg(4),
        "agents": [(1, 14, "right"), (1, 17, "left"), (1, 19, "up"), (2, 16, "down")],
        "actions": [
            [FIRE, STAY, STAY, STAY],
            [FIRE, FIRE, STAY, STAY],
            [CCW, STAY, STAY, STAY],
            [FIRE, STAY, STAY, STAY],
            [STAY, STAY, STAY, STAY],
        ],
        "observer": 0,
    })

    # 3. Deterministic conflicts.
    out.append({
        "name": "harvest_conflicts",
        "description": "swap (agents 0,1: both stay); chain (2 follows 3 into a free cell: both "
                       "move); into a staying agent (4 stays behind 5); chain whose head turns "
                       "(6 stays behind 7)",
        "config": harvest_cfg(8),
        "agents": [
            (14, 20, "right"), (14, 21, "left"),
            (13, 20, "right"), (13, 21, "right"),
            (14, 26, "right"), (14, 27, "up"),
            (13, 24, "right"), (13, 25, "right"),
        ],
        "actions": [
            [F, F, F, F, F, STAY, F, CW_],
            [STAY, STAY, F, F, STAY, STAY, F, F],
        ],
        "observer": None,
    })
    out.append({
        "name": "harvest_cycles_and_chains",
        "description": "a 4-cycle in a 2x2 block (agents 0-3 all move); a chain of three "
                       "following each other into a free cell (4-6 all move)",
        "config": harvest_cfg(7),
        "agents": [
            (13, 29, "right"), (13, 30, "down"), (14, 30, "left"), (14, 29, "up"),
            (14, 16, "right"), (14, 17, "right"), (14, 18, "right"),
        ],
        "actions": [[F, F, F, F, F, F, F]],
        "observer": None,
    })
    out.append({
        "name": "harvest_contest_occupied",
        "description": "agents 0 and 1 both step into the cell of agent 2, which stays (step 1) "
                       "or turns (step 2): nobody moves",
        "config": harvest_cfg(3),
        "agents": [(14, 32, "right"), (14, 34, "left"), (14, 33, "up")],
        "actions": [[F, F, STAY], [F, F, CW_]],
        "observer": None,
    })
    out.append({
        "name": "harvest_contest_free_cell",
        "description": "agents 0 and 1 both step into the free cell (14,21): one of them (random "
                       "priority) gets it",
        "config": harvest_cfg(2),
        "agents": [(14, 20, "right"), (14, 22, "left")],
        "actions": [[F, F]],
        "observer": None,
        "random_priority": True,
    })
    out.append({
        "name": "harvest_contest_vacated_cell",
        "description": "agent 2 leaves (13,26) downwards while agents 0 and 1 both step into it: "
                       "agent 2 moves and one of 0, 1 (random priority) gets (13,26)",
        "config": harvest_cfg(3),
        "agents": [(13, 25, "right"), (13, 27, "left"), (13, 26, "down")],
        "actions": [[F, F, F]],
        "observer": None,
        "random_priority": True,
    })

    # 4. Regrowth with rates [0, 0, 1, 1]: a cell grows iff it has >= 2 apples among its 8
    # neighbours, counted on the grid before this step's growth.
    cleared = [(r, c) for r, c in h_apples if 4 <= r <= 9]
    out.append({
        "name": "harvest_regrowth",
        "description": "apples of rows 4-9 removed, regrowth rates [0, 0, 1, 1] (grow iff >= 2 "
                       "apples in the 3x3 neighbourhood); agent 0 stands on the empty apple cell "
                       "(9,5) for 3 steps (no growth under it), then steps away (right, facing "
                       "up: to (9,6)) and stays",
        "config": harvest_cfg(1, (0.0, 0.0, 1.0, 1.0)),
        "edits": [(r, c, b" ") for r, c in cleared],
        "agents": [(9, 5, "up")],
        "actions": [[STAY], [STAY], [STAY], [R], [STAY]],
        "observer": None,
    })

    # 5. Cleanup: cleaning, clean beam on an agent standing on waste, fire over waste.
    out.append({
        "name": "cleanup_clean_fire",
        "description": "agent 0 at (2,9) facing left cleans twice ((2,6) then (2,5); side rays "
                       "over river do not stop), then fires over waste (not stopped, waste "
                       "stays). Agent 2 at (6,9) facing left cleans: its centre ray reaches "
                       "agent 1 standing on waste (6,5), cleans that cell and stops there "
                       "(no penalty); at step 4 agent 1 has left and agent 2 cleans (6,4). "
                       "Default rates: the waste density stays >= 0.4, so nothing spawns.",
        "config": {"kind": "cleanup", "agents": 3},
        "agents": [(2, 9, "left"), (6, 5, "up"), (6, 9, "left")],
        "actions": [
            [CLEAN, STAY, CLEAN],
            [CLEAN, STAY, STAY],
            [FIRE, STAY, STAY],
            [STAY, F, CLEAN],
            [STAY, STAY, STAY],
        ],
        "observer": 0,
    })

    # 6. Cleanup apple growth at zero waste (rate patched to 1) and eating.
    c_waste = [(r, c) for r, row in enumerate(CLEANUP_MAP) for c, ch in enumerate(row) if ch == "H"]
    out.append({
        "name": "cleanup_apples",
        "description": "all waste removed (density 0), apple_rate 1, waste_rate 0: every empty "
                       "orchard cell not under an agent grows an apple each step; agent 0 steps "
                       "forward onto an apple (eats) and back (eats); the cell it left regrows",
        "config": {"kind": "cleanup", "agents": 1, "apple_rate": 1.0, "waste_rate": 0.0},
        "edits": [(r, c, b"R") for r, c in c_waste],
        "agents": [(4, 13, "right")],
        "actions": [[STAY], [F], [B], [STAY]],
        "observer": 0,
    })

    # 7. Cleanup threshold: 48 waste cells (density 0.403 >= 0.4): nothing spawns even at
    # rates 1.
    drop = [(r, c) for r, c in c_waste if r in (19, 23)]
    assert len(c_waste) - len(drop) == 48
    out.append({
        "name": "cleanup_threshold",
        "description": "48 waste cells (H of rows 19 and 23 cleaned): density 48/119 >= 0.4, so "
                       "no apple and no waste spawns although apple_rate = waste_rate = 1",
        "config": {"kind": "cleanup", "agents": 1, "apple_rate": 1.0, "waste_rate": 1.0},
        "edits": [(r, c, b"R") for r, c in drop],
        "agents": [(4, 13, "right")],
        "actions": [[STAY], [STAY]],
        "observer": None,
    })
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=OUT)
    parser.add_argument("--seeds", type=int, default=6, help="seeds for the determinism check")
    args = parser.parse_args()

    check_maps()
    check_actions()
    result = []
    for scn in scenarios():
        initial, steps = run(scn, 0)
        if scn.get("random_priority"):
            outcomes = []
            for seed in range(64):
                _, s = run(scn, seed)
                assert len(s) == 1, "random-priority scenarios have one step"
                if s[0]["agents"] not in outcomes:
                    outcomes.append(s[0]["agents"])
            assert len(outcomes) > 1, f"{scn['name']}: only one outcome seen"
            steps[0]["agents_any_of"] = sorted(outcomes, key=json.dumps)
        else:
            for seed in range(1, args.seeds):
                _, s = run(scn, seed)
                assert s == steps, f"{scn['name']} depends on the seed ({seed})"
        ref_map = HARVEST_MAP if scn["config"]["kind"] == "harvest" else CLEANUP_MAP
        result.append({
            "name": scn["name"],
            "description": scn["description"],
            "config": scn["config"],
            "map": list(ref_map),
            "observer": scn["observer"],
            "initial": initial,
            "steps": steps,
        })

    doc = {
        "reference": {
            "repo": REF_REPO,
            "commit": REF_COMMIT,
            "files": REF_FILES,
            "copy": "scripts/ssd_reference/reference/",
        },
        "generated_by": "python scripts/ssd_reference/make_golden.py (from the repository root)",
        "versions": {"python": platform.python_version(), "numpy": np.__version__},
        "conventions": CONVENTIONS,
        "view_radius": 7,
        "scenarios": result,
    }
    text = json.dumps(doc, separators=(",", ":"))
    # One scenario field per line keeps diffs readable without growing the file much.
    text = text.replace(',"steps":[', ',"steps":[\n').replace('},{"actions"', '},\n{"actions"')
    text = text.replace('},{"name"', '},\n{"name"')
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(f"wrote {args.out}: {len(result)} scenarios, "
          f"{sum(len(s['steps']) for s in result)} steps, {len(text) // 1024} KiB")


if __name__ == "__main__":
    main()
