#!/usr/bin/env python3
"""Golden files from SMAClite's own Python code (uoe-agents/smaclite @ 0d6abbe).

Writes, next to this script:
  smaclite_heal.json       - a Medivac healing a Marine tick by tick (Unit.game_step -> heal)
  smaclite_targeting.json  - which ally each MMM2 enemy attack-move unit picks in one world tick

Nothing here re-implements SMAClite's rules: heal cases drive real `Unit` objects through the
same per-tick call sequence as `SMACliteEnv.__world_step` (clean_up_target, prepare_velocity,
velocity, game_step); targeting cases set up a real `SMACliteEnv` on MMM2, place units, and run
one real `__world_step`, observing `unit.target` right after each unit's `prepare_velocity`
(where AttackMoveCommand picks) and again at the end of the tick.

Setup (no GPU / StarCraft needed):
  git -C <smaclite bare repo> archive 0d6abbea1334011984ae4704a0ef7a33c36057d6 | tar -x -C /tmp/smaclite
  python3 -m venv /tmp/smacenv && /tmp/smacenv/bin/pip install numpy scikit-learn gymnasium rtree
Run (PYTHONHASHSEED fixes the iteration order of SMAClite's `ALL_PLANES` set, which only
matters for exact distance ties):
  PYTHONHASHSEED=0 PYTHONPATH=/tmp/smaclite /tmp/smacenv/bin/python aga-envs/tests/golden/smaclite_golden.py
"""
import json
import os
import sys

import numpy as np

from smaclite.env.maps.map import MapPreset
from smaclite.env.smaclite import SMACliteEnv
from smaclite.env.units import unit as unit_mod
from smaclite.env.units.unit import Unit
from smaclite.env.units.unit_command import AttackUnitCommand, StopCommand
from smaclite.env.units.unit_type import StandardUnit
from smaclite.env.util.faction import Faction

SMACLITE_COMMIT = "0d6abbea1334011984ae4704a0ef7a33c36057d6"
COMMAND = ("PYTHONHASHSEED=0 PYTHONPATH=/tmp/smaclite /tmp/smacenv/bin/python "
           "aga-envs/tests/golden/smaclite_golden.py")
HERE = os.path.dirname(os.path.abspath(__file__))


def r(x):
    return float(round(float(x), 9))


# --------------------------------------------------------------------------------------------
# Heal
# --------------------------------------------------------------------------------------------

def tick(units):
    """One world tick for loose units, in the order SMACliteEnv.__world_step uses:
    clean_up_target for all, prepare_velocity for all, (velocity updater), game_step for all.
    The velocity updater is replaced by next_velocity = pref_velocity (units are static in
    range, so pref_velocity is zero)."""
    for u in units:
        u.clean_up_target()
    for u in units:
        u.prepare_velocity()
    for u in units:
        u.next_velocity = np.array(u.pref_velocity, dtype=np.float32)
    for u in units:
        u.game_step()


def heal_case(name, description, energy, marine_hp, ticks, events=(), n_marines=1,
              marine_hps=None):
    med = Unit(StandardUnit.MEDIVAC, Faction.ALLY, 10.0, 16.0, 0, 0)
    marines = [Unit(StandardUnit.MARINE, Faction.ALLY, 11.0 + 0.5 * i, 16.0, 1 + i, 1 + i)
               for i in range(n_marines)]
    hps = marine_hps or [marine_hp] * n_marines
    for m, hp in zip(marines, hps):
        m.hp = hp
        m.command = StopCommand()
    med.energy = energy
    med.command = AttackUnitCommand(marines[0])
    events = dict(events)
    rows = []
    rows.append({"tick": 0, "marine_hp": [r(m.hp) for m in marines], "energy": r(med.energy),
                 "healing_available": r(med.healing_available),
                 "has_target": med.target is not None,
                 "target": None if med.target is None else med.target.id_in_faction,
                 "command_target": med.command.target.id_in_faction})
    for t in range(1, ticks + 1):
        if t in events:
            kind, arg = events[t]
            if kind == "command":
                med.command = AttackUnitCommand(marines[arg])
            elif kind == "damage":
                idx, amount = arg
                marines[idx].hp = max(0.0, marines[idx].hp - amount)
        tick([med] + marines)
        rows.append({"tick": t, "marine_hp": [r(m.hp) for m in marines],
                     "energy": r(med.energy),
                     "healing_available": r(med.healing_available),
                     "has_target": med.target is not None,
                     "target": None if med.target is None else med.target.id_in_faction,
                     "command_target": med.command.target.id_in_faction})
    return {"name": name, "description": description, "start_energy": energy,
            "marine_start_hp": hps, "marine_max_hp": marines[0].max_hp,
            "events": {str(k): list(v) for k, v in events.items()}, "ticks": rows}


def make_heal():
    cases = [
        heal_case("energy50_marine10", "Medivac (50 energy) heals a 10/45 Marine, 40 ticks",
                  50, 10.0, 40),
        heal_case("energy4_new_target",
                  "Medivac with 4 energy is ordered to heal a 10/45 Marine: a new target with "
                  "energy < 5 is dropped every tick until regen reaches 5, then healing starts",
                  4, 10.0, 60),
        heal_case("energy6_ongoing_drops_below_5",
                  "Ongoing heal from 6 energy continues below 5 energy down to 0; at tick 40 "
                  "the order switches to Marine 1 (a new target) while energy < 5 -> dropped",
                  6, 1.0, 80, events=[(40, ("command", 1))], n_marines=2,
                  marine_hps=[1.0, 20.0]),
        heal_case("cap_at_max_hp",
                  "Marine at 44/45: healed to exactly 45, then the target is dropped (hp == "
                  "max); at tick 20 the Marine takes 10 damage and the same order resumes",
                  50, 44.0, 40, events=[(20, ("damage", (0, 10.0)))]),
        heal_case("cap_resume_low_energy",
                  "From 5.5 energy, Marine 43/45: healed to 45 (energy now < 5), target "
                  "dropped at full HP; at tick 6 the Marine takes 10 damage: re-acquiring with "
                  "energy < 5 is refused every tick until regen reaches 5, then it heals on",
                  5.5, 43.0, 40, events=[(6, ("damage", (0, 10.0)))]),
    ]
    # Energy cap: a Medivac with a Stop order regenerating near max.
    med = Unit(StandardUnit.MEDIVAC, Faction.ALLY, 10.0, 16.0, 0, 0)
    med.command = StopCommand()
    med.energy = 199.95
    cap_rows = []
    for t in range(1, 4):
        tick([med])
        cap_rows.append({"tick": t, "energy": r(med.energy)})
    return {
        "source": "SMAClite (uoe-agents/smaclite) smaclite/env/units/unit.py Unit.heal / "
                  "Unit.game_step, unit_command.AttackUnitCommand",
        "smaclite_commit": SMACLITE_COMMIT,
        "command": COMMAND,
        "constants": {"TICKS_PER_SECOND": unit_mod.TICKS_PER_SECOND,
                      "HEAL_PER_SECOND": unit_mod.HEAL_PER_SECOND,
                      "HEAL_PER_ENERGY": unit_mod.HEAL_PER_ENERGY,
                      "ENERGY_PER_SECOND": unit_mod.ENERGY_PER_SECOND,
                      "medivac_starting_energy": StandardUnit.MEDIVAC.stats.starting_energy,
                      "medivac_max_energy": StandardUnit.MEDIVAC.stats.energy,
                      "medivac_attack_range": StandardUnit.MEDIVAC.stats.attack_range,
                      "medivac_cooldown": StandardUnit.MEDIVAC.stats.cooldown},
        "notes": [
            "Per tick (game_step): energy += 0.5625/16 if energy < max (capped at 200), "
            "BEFORE the command executes.",
            "heal: if (prev_target != target and energy < 5) or target.hp == max_hp: "
            "target = None, no heal. prev_target is the target at the start of the tick "
            "(clean_up_target).",
            "desired = min(missing, 9/16); if healing_available < desired: spend min(1, energy) "
            "energy, healing_available += spent*3; heal = min(desired, healing_available).",
            "Rows are recorded after each tick; tick 0 is the initial state. marine_hp[i] is "
            "marine i (target index i in 'command'/'target' is id_in_faction-1).",
            "'target'/'command_target' are id_in_faction (marines are 1..n, medivac 0).",
        ],
        "cases": cases,
        "energy_cap": {"start_energy": 199.95, "ticks": cap_rows},
    }


# --------------------------------------------------------------------------------------------
# Targeting
# --------------------------------------------------------------------------------------------

def setup_env(seed=0):
    env = SMACliteEnv(map_info=MapPreset.MAP_MMM2.map_info, seed=seed)
    env.reset()
    return env


def apply_config(env, cfg):
    """cfg: allies/enemies: {idx: {"pos": [x, y], "hp": h, ...}}; units not listed are killed
    (unless cfg['keep_all']). ally 'action' uses SMAClite's own __get_command; enemy 'target'
    presets an ally target (as if kept from the previous tick); enemy 'energy' sets energy."""
    allies, enemies = cfg["allies"], cfg["enemies"]
    for i, a in list(env.agents.items()):
        if not cfg.get("keep_all") and i not in allies:
            a.hp = 0
    for i, e in list(env.enemies.items()):
        if not cfg.get("keep_all") and i not in enemies:
            e.hp = 0
    env._SMACliteEnv__update_deaths()
    for i, spec in allies.items():
        a = env.agents[i]
        if "pos" in spec:
            a.pos[:] = np.array(spec["pos"], dtype=np.float32)
        if "hp" in spec:
            a.hp = float(spec["hp"])
    for i, spec in enemies.items():
        e = env.enemies[i]
        if "pos" in spec:
            e.pos[:] = np.array(spec["pos"], dtype=np.float32)
        if "hp" in spec:
            e.hp = float(spec["hp"])
        if "energy" in spec:
            e.energy = float(spec["energy"])
    for f in (env.neighbour_finder_all, env.neighbour_finder_ally, env.neighbour_finder_enemy):
        f.update()
    # Ally orders through SMAClite's own action -> command mapping (action 1 = stop).
    for i, a in env.agents.items():
        action = allies.get(i, {}).get("action", 1)
        a.command = env._SMACliteEnv__get_command(a, action)
    # Preset enemy targets (state left from a previous tick).
    for i, spec in enemies.items():
        if "target" in spec:
            env.enemies[i].target = env.agents[spec["target"]]
    # Kill units after the presets (a target that died), via SMAClite's own bookkeeping.
    if cfg.get("kill_after_setup"):
        for i in cfg["kill_after_setup"]:
            env.agents[i].hp = 0
        env._SMACliteEnv__update_deaths()
        for f in (env.neighbour_finder_all, env.neighbour_finder_ally,
                  env.neighbour_finder_enemy):
            f.update()


def run_targeting_case(cfg):
    env = setup_env(cfg.get("seed", 0))
    apply_config(env, cfg)
    picked = {}
    candidates = {}
    orig = Unit.prepare_velocity

    def wrapped(self):
        orig(self)
        if self.faction == Faction.ENEMY:
            picked[self.id_in_faction] = (None if self.target is None
                                          else self.target.id_in_faction)
            candidates[self.id_in_faction] = sorted(
                [[u.id_in_faction, r(d)] for u, d in self.potential_targets],
                key=lambda p: (p[1], p[0]))

    snapshot = {
        "allies": {i: {"type": a.type.name, "pos": [r(a.pos[0]), r(a.pos[1])], "hp": r(a.hp),
                       "command": type(a.command).__name__,
                       "command_target": getattr(getattr(a.command, "target", None),
                                                 "id_in_faction", None)}
                   for i, a in env.agents.items()},
        "enemies": {i: {"type": e.type.name, "pos": [r(e.pos[0]), r(e.pos[1])], "hp": r(e.hp),
                        "energy": r(e.energy),
                        "preset_target": None if e.target is None else e.target.id_in_faction}
                    for i, e in env.enemies.items()},
    }
    enemy_objs = dict(env.enemies)
    Unit.prepare_velocity = wrapped
    try:
        env._SMACliteEnv__world_step()
    finally:
        Unit.prepare_velocity = orig
    after = {i: (None if e.target is None else e.target.id_in_faction)
             for i, e in enemy_objs.items()}
    return {
        "name": cfg["name"],
        "description": cfg["description"],
        "allies": {str(k): v for k, v in snapshot["allies"].items()},
        "enemies": {str(k): v for k, v in snapshot["enemies"].items()},
        "expected": {str(i): {"type": enemy_objs[i].type.name,
                              "picked_target": picked.get(i),
                              "target_after_tick": after[i],
                              "potential_targets": candidates.get(i, [])}
                     for i in enemy_objs},
        "implementation_defined_tie": cfg.get("tie", False),
    }


def targeting_configs():
    # MMM2 indices. Allies: 0 medivac, 1-7 marines, 8-9 marauders.
    # Enemies: 0 medivac, 1-8 marines, 9-11 marauders.
    # Radii: marine 0.375, marauder 0.5625, medivac 0.75. Scan: d < 5 + target radius.
    cfgs = []
    cfgs.append({"name": "spawn", "keep_all": True, "allies": {}, "enemies": {},
                 "description": "MMM2 spawn layout, all allies stop: nobody in scan range, "
                                "everyone keeps walking to attack_point (9,16)"})
    cfgs.append({
        "name": "nearest_in_scan",
        "description": "Enemy marine 1 at (20,12): ally marine 1 at d=4.5, ally marine 2 at "
                       "d=5.0, ally marauder 8 at d=3.8 -> nearest (marauder 8). Enemy marauder "
                       "9 at (6,20): ally marine 3 at d=5.3 and ally marine 4 at d=5.36 (both "
                       "< 5.375) -> marine 3",
        "allies": {1: {"pos": [15.5, 12.0]}, 2: {"pos": [20.0, 17.0]},
                   8: {"pos": [23.8, 12.0]}, 3: {"pos": [6.0, 14.7]},
                   4: {"pos": [11.36, 20.0]}},
        "enemies": {1: {"pos": [20.0, 12.0]}, 9: {"pos": [6.0, 20.0]}},
    })
    cfgs.append({
        "name": "scan_boundaries",
        "description": "One enemy marine per column, each with a single ally candidate at "
                       "the scan boundary d < 5 + r(target): vs marine at 5.36 (in) and 5.39 "
                       "(out), vs marauder at 5.55 (in) and 5.58 (out), vs medivac at 5.74 (in)",
        "allies": {1: {"pos": [3.0, 15.36]}, 2: {"pos": [10.0, 15.39]},
                   8: {"pos": [17.0, 15.55]}, 9: {"pos": [24.0, 15.58]},
                   0: {"pos": [31.0, 15.74]}},
        "enemies": {1: {"pos": [3.0, 10.0]}, 2: {"pos": [10.0, 10.0]},
                    3: {"pos": [17.0, 10.0]}, 4: {"pos": [24.0, 10.0]},
                    5: {"pos": [31.0, 10.0]}},
    })
    cfgs.append({
        "name": "medivac_priority",
        "description": "Ally medivac at (6,15). Enemy marine 1 at (6,10): ally marine 1 at "
                       "d=2.24 and the medivac at d=5 -> picks the medivac (healers first). "
                       "Enemy marauder 9 at (6,20): ally marine 2 at d=2.24, medivac at d=5 -> "
                       "cannot hit air, picks marine 2",
        "allies": {0: {"pos": [6.0, 15.0]}, 1: {"pos": [8.0, 11.0]},
                   2: {"pos": [8.0, 19.0]}},
        "enemies": {1: {"pos": [6.0, 10.0]}, 9: {"pos": [6.0, 20.0]}},
    })
    cfgs.append({
        "name": "medivac_only",
        "description": "Only the ally medivac near: enemy marine 1 (d=3) picks it, enemy "
                       "marauder 9 (d=3) picks nothing and walks on",
        "allies": {0: {"pos": [10.0, 16.0]}, 1: {"pos": [30.0, 23.0]}},
        "enemies": {1: {"pos": [13.0, 16.0]}, 9: {"pos": [10.0, 13.0]}},
    })
    cfgs.append({
        "name": "retaliation",
        "description": "No ally within scan range; ally marine 1 at d=5.9 attacks enemy "
                       "marine 1 -> it targets marine 1 (u.target == unit, any distance). "
                       "Ally marine 2 at d=5.9 from enemy marauder 9 does not attack -> none. "
                       "Enemy marine 2 attacked by ally marines 3 (d=5.95) and 4 (d=5.8): both "
                       "entries have distance 2e9 -> first in agents order (3)",
        "allies": {1: {"pos": [4.0, 15.9], "action": 6 + 1},
                   2: {"pos": [16.0, 15.9]},
                   3: {"pos": [28.0, 15.95], "action": 6 + 2},
                   4: {"pos": [22.2, 10.0], "action": 6 + 2}},
        "enemies": {1: {"pos": [4.0, 10.0]}, 9: {"pos": [16.0, 10.0]},
                    2: {"pos": [28.0, 10.0]}},
    })
    cfgs.append({
        "name": "keep_target_attacking_you_medivac_alive",
        "description": "Enemy marine 1 has target ally marine 1 at d=7 which attacks it "
                       "(kept despite range). Ally medivac alive (far) -> priority re-pick: "
                       "ally marine 2 at d=4 is in scan -> switch to marine 2. Enemy marine 2 "
                       "same but nobody in scan -> keeps its attacker",
        "allies": {0: {"pos": [30.0, 23.0]},
                   1: {"pos": [5.0, 17.0], "action": 6 + 1},
                   2: {"pos": [9.0, 10.0]},
                   3: {"pos": [22.0, 17.0], "action": 6 + 2}},
        "enemies": {1: {"pos": [5.0, 10.0], "target": 1},
                    2: {"pos": [22.0, 10.0], "target": 3}},
    })
    cfgs.append({
        "name": "keep_target_attacking_you_no_medivac",
        "description": "Same as above but the ally medivac is dead: no priority re-pick, "
                       "enemy marine 1 keeps ally marine 1 (attacking it, d=7) although "
                       "ally marine 2 is at d=4",
        "allies": {1: {"pos": [5.0, 17.0], "action": 6 + 1},
                   2: {"pos": [9.0, 10.0]}},
        "enemies": {1: {"pos": [5.0, 10.0], "target": 1}},
    })
    cfgs.append({
        "name": "keep_target_in_attack_range",
        "description": "Enemy marine 1's target ally marine 1 (not attacking it) is at d=5.7 "
                       "<= 5+0.375+0.375 -> kept (no medivac alive, so no re-pick) although "
                       "ally marine 2 is nearer (d=3). Enemy marauder 9's target ally marauder "
                       "8 at d=6.9 <= 6+0.5625*2=7.125 -> kept",
        "allies": {1: {"pos": [5.0, 15.7]}, 2: {"pos": [8.0, 10.0]},
                   8: {"pos": [20.0, 16.9]}, 3: {"pos": [30.0, 23.0]}},
        "enemies": {1: {"pos": [5.0, 10.0], "target": 1},
                    9: {"pos": [20.0, 10.0], "target": 8}},
    })
    cfgs.append({
        "name": "drop_out_of_range",
        "description": "Enemy marine 1's target ally marine 1 (not attacking it) at d=5.8 > "
                       "5.75 -> dropped; re-pick among scan candidates: ally marine 2 at d=5.2",
        "allies": {1: {"pos": [5.0, 15.8]}, 2: {"pos": [10.2, 10.0]}},
        "enemies": {1: {"pos": [5.0, 10.0], "target": 1}},
    })
    cfgs.append({
        "name": "enemy_medivac_lowest_hp",
        "description": "Enemy medivac 0 at (16,16): enemy marine 1 30/45 at d=3, enemy "
                       "marauder 9 60/125 at d=2, enemy marine 2 full HP no target at d=1 -> "
                       "picks marine 1 (lowest absolute HP among damaged-or-engaged ground "
                       "friends with d < 5 + r)",
        "allies": {1: {"pos": [30.0, 23.0]}},
        "enemies": {0: {"pos": [16.0, 16.0]}, 1: {"pos": [19.0, 16.0], "hp": 30},
                    9: {"pos": [16.0, 14.0], "hp": 60}, 2: {"pos": [15.0, 16.0]}},
    })
    cfgs.append({
        "name": "enemy_medivac_engaged_full_hp",
        "description": "Enemy medivac 0: enemy marine 2 at full HP (45) but engaged (target "
                       "= ally marine 1, in its attack range) vs enemy marauder 9 at 100/125 "
                       "-> marine 2 (45 < 100). Enemy marine 3 damaged 20/45 but at d=5.4 "
                       "(>= 5.375) -> out. The pick is made in prepare_velocity; heal() then drops "
                       "it in the same tick because the marine is at max HP",
        "allies": {1: {"pos": [14.0, 21.0]}},
        "enemies": {0: {"pos": [16.0, 16.0]}, 2: {"pos": [15.0, 17.0], "target": 1},
                    9: {"pos": [16.0, 14.0], "hp": 100}, 3: {"pos": [10.6, 16.0], "hp": 20}},
    })
    cfgs.append({
        "name": "enemy_medivac_low_energy",
        "description": "Enemy medivac 0 with 3 energy picks enemy marine 1 (20/45) in "
                       "prepare_velocity, but heal() drops the new target (energy < 5) "
                       "during the tick -> target_after_tick null",
        "allies": {1: {"pos": [30.0, 23.0]}},
        "enemies": {0: {"pos": [16.0, 16.0], "energy": 3.0},
                    1: {"pos": [17.0, 16.0], "hp": 20}},
    })
    cfgs.append({
        "name": "enemy_medivac_nothing_to_heal",
        "description": "Enemy medivac 0 with only full-HP, unengaged friends -> none",
        "allies": {1: {"pos": [30.0, 23.0]}},
        "enemies": {0: {"pos": [16.0, 16.0]}, 1: {"pos": [17.0, 16.0]},
                    9: {"pos": [16.0, 14.0]}},
    })
    cfgs.append({
        "name": "dead_target_dropped",
        "description": "Enemy marine 1's previous target (ally marine 1) died: dropped, "
                       "re-pick ally marine 2 at d=4",
        "allies": {2: {"pos": [9.0, 10.0]}, 1: {"pos": [6.0, 10.0]}},
        "enemies": {1: {"pos": [5.0, 10.0], "target": 1}},
        "kill_after_setup": [1],
    })
    cfgs.append({
        "name": "exact_tie",
        "description": "Two ally marines at exactly d=4 (symmetric): the pick is the first "
                       "in SMAClite's neighbour-list order (KDTree order) - implementation "
                       "defined, recorded for information only",
        "allies": {1: {"pos": [16.0, 20.0]}, 2: {"pos": [16.0, 12.0]}},
        "enemies": {1: {"pos": [16.0, 16.0]}},
        "tie": True,
    })
    return cfgs


def make_targeting():
    cases = []
    for cfg in targeting_configs():
        cases.append(run_targeting_case(cfg))
        if "kill_after_setup" in cfg:
            cases[-1]["killed_before_tick"] = cfg["kill_after_setup"]
    return {
        "source": "SMAClite (uoe-agents/smaclite) smaclite/env/smaclite.py "
                  "SMACliteEnv.__world_step + unit_command.AttackMoveCommand "
                  "(__pick_target_damage / __pick_target_healing / clean_up_target)",
        "smaclite_commit": SMACLITE_COMMIT,
        "command": COMMAND,
        "map": "MMM2 (MapPreset.MAP_MMM2), env seed 0",
        "indices": {"allies": "id_in_faction: 0 MEDIVAC, 1-7 MARINE, 8-9 MARAUDER",
                    "enemies": "id_in_faction: 0 MEDIVAC, 1-8 MARINE, 9-11 MARAUDER"},
        "notes": [
            "Units not listed in a case are dead (removed) unless the case is 'spawn'.",
            "Ally 'command' comes from SMACliteEnv.__get_command(action); action 1 = stop, "
            "6+j = attack enemy j. Enemy 'preset_target' is the target left from the "
            "previous tick.",
            "picked_target: enemy.target right after its prepare_velocity in the tick "
            "(AttackMoveCommand's choice). target_after_tick: after game_step (heal() may drop "
            "a healer's target). null = no target (walks to attack_point (9,16)).",
            "potential_targets: [ally id, distance] candidates given to the unit this tick "
            "(query radius 5 + max_unit_radius 0.75 on planes the unit can hit, plus "
            "[attacker, 2e9] for allies whose target is this unit); empty when the unit "
            "already had a target (then only priority_targets are used).",
            "Medivac candidates are enemy-faction (its own team) ground units.",
        ],
        "cases": cases,
    }


def main():
    heal = make_heal()
    with open(os.path.join(HERE, "smaclite_heal.json"), "w") as f:
        json.dump(heal, f, indent=1)
    targeting = make_targeting()
    with open(os.path.join(HERE, "smaclite_targeting.json"), "w") as f:
        json.dump(targeting, f, indent=1)
    for c in targeting["cases"]:
        print(c["name"], {k: (v["picked_target"], v["target_after_tick"])
                          for k, v in c["expected"].items()}, file=sys.stderr)


if __name__ == "__main__":
    main()
