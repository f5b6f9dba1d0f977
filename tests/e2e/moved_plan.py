"""Checks a `plan --json` of tiers renamed with `moved:` (the moved_tier tests).

Usage: moved_plan.py PLAN_JSON OLD=NEW[,OLD=NEW...] ADDRESS...

Every move renames one of the OLD tiers to its NEW name with the rest of the
address kept, each ADDRESS is among the moves, nothing is created,
destroyed, replaced or adopted, and every change is a no-op on an address
outside the OLD tiers. Prints the number of moves.
"""
import json
import sys

p = json.load(open(sys.argv[1]))
renamed = dict(pair.split("=", 1) for pair in sys.argv[2].split(","))
s = p["summary"]
assert s["create"] == 0 and s["destroy"] == 0 and s["replace"] == 0 and s["adopt"] == 0, s
moved = {m["from"]: m["to"] for m in p["moved"]}
assert s["moved"] == len(moved) > 0, (s, moved)
for f, t in moved.items():
    tier, rest = f.split(".", 1)
    assert t == renamed[tier] + "." + rest, (f, t)
for a in sys.argv[3:]:
    assert a in moved, (a, sorted(moved))
for c in p["changes"]:
    assert c["address"].split(".")[0] not in renamed, c["address"]
    assert c["action"] == "no-op", (c["address"], c["action"], c["reason"])
print("moved: %d addresses" % len(moved))
