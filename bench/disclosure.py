"""Information loss of the public statistics pages: what small-cell protection costs readers.

    python bench/disclosure.py                 # the demo (temporary SQLite) and networks of 2, 6 and 15
    python bench/disclosure.py --no-demo       # generated networks only (no database)
    python bench/disclosure.py --sizes 2:2000,15:100000

For every public page (each organisation's and the network's) and every table on it, it prints the
nonzero cells that are published, hidden ("<5" or "*", or provinces not shown) and withheld (a
whole table hidden), and the share of the table's records that the published cells carry, both as
the page is published (protected together with the network) and as the same page would be if it
were protected alone. Hidden numbers of the network page that are shown as the range its
organisations' pages already imply ("1203–1206", "≥4031") are counted under "ranges", and "known"
adds their lower ends to the share. "kept" is the page's published nonzero cells as a share of what it would
publish alone (issue 12 asks at least 90% for every organisation's page).

Generated networks have realistic skew: one large urban organisation (Lima, many provinces) and
several small ones in remote regions, each with quiet months and a later start. Each network
prints how long protecting all its pages took ("protection") — the work a refresh redoes after new
data. The demo is loaded into a temporary SQLite database with `amparo demo`.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 15)

TABLES = ("months", "quarters", "years", "departments", "provinces", "place_types", "state_agent", "violations", "perpetrators", "right_groups")


# --- Reading a summary document --------------------------------------------------------------------


def cells_of(doc: dict[str, Any]) -> dict[str, dict[Any, dict[str, Any]]]:
    """Every cell of a summary, by table and key."""
    out: dict[str, dict[Any, dict[str, Any]]] = {t: {} for t in TABLES}
    for table in ("months", "quarters", "years"):
        for row in doc.get(table, []):
            out[table][row["key"]] = row["cell"]
    for d in doc.get("departments", []):
        out["departments"][d["code"]] = d["cell"]
        for p in d.get("provinces", []):
            out["provinces"][(d["code"], p["code"])] = p["cell"]
    for table in ("place_types", "violations", "perpetrators", "right_groups"):
        for row in doc.get(table, []):
            out[table][row["code"]] = row["cell"]
    sa = doc.get("state_agent")
    if sa:
        out["state_agent"] = {"yes": sa["yes"], "no": sa["no"]}
    return out


def loss(raw: dict[str, Any], shown: dict[str, Any]) -> dict[str, tuple[int, int, int, int, float, int, float]]:
    """Per table: (nonzero, published, hidden, withheld, share of records carried by published
    cells, hidden cells shown as a range, share known for sure counting the ranges' lower ends)."""
    raw_cells, shown_cells = cells_of(raw), cells_of(shown)
    out = {}
    for table in TABLES:
        nonzero = {k: c["value"] for k, c in raw_cells[table].items() if c["value"]}
        if not nonzero:
            continue
        pub = hid = wh = ranged = 0
        carried = known = 0
        for key, value in nonzero.items():
            cell = shown_cells[table].get(key)
            status = cell["status"] if cell else "hidden"  # a province not drilled into is not shown
            if status == "published" and cell and cell["value"] is not None:
                pub += 1
                carried += value
            elif status == "withheld" or shown.get("withheld"):
                wh += 1
            else:
                hid += 1
                if cell and cell.get("low"):
                    ranged += 1
                    known += cell["low"]
        total = sum(nonzero.values())
        out[table] = (len(nonzero), pub, hid, wh, carried / total, ranged, (carried + known) / total)
    return out


def page_report(title: str, raw: dict[str, Any], joint: dict[str, Any], alone: dict[str, Any]) -> float:
    """Print one page; return its published nonzero cells as a share of what it publishes alone."""
    a, b = loss(raw, joint), loss(raw, alone)
    total = raw["total"]["value"]
    print(f"\n  {title} ({total:,} incidents)")
    print(f"    {'table':<13} {'nonzero':>7} | {'published':>9} {'hidden':>6} {'withheld':>8} {'share':>6} {'ranges':>6} {'known':>6} | alone: {'pub':>4} {'hid':>4} {'wh':>4} {'share':>6}")
    sum_joint = sum_alone = 0
    for table in TABLES:
        if table not in a:
            continue
        n, p, h, w, s, r, k = a[table]
        _, p2, h2, w2, s2, _r2, _k2 = b[table]
        sum_joint += p
        sum_alone += p2
        print(f"    {table:<13} {n:>7} | {p:>9} {h:>6} {w:>8} {s:>6.0%} {r:>6} {k:>6.0%} | {'':>6} {p2:>4} {h2:>4} {w2:>4} {s2:>6.0%}")
    kept = sum_joint / sum_alone if sum_alone else 1.0
    print(f"    published nonzero cells: {sum_joint} (alone {sum_alone}): kept {kept:.0%}")
    return kept


def network_report(label: str, facts_by_org: dict[int, Any], shown: set[int], names: dict[int, str]) -> tuple[float, float]:
    """Protect the network and its public pages as the refresh does, and compare each page with
    the same page protected alone. Returns (seconds to protect everything, worst 'kept')."""
    from amparo.insights.summary import build_joint, build_summary, merge_facts

    t = 5
    kept_facts = {o: f for o, f in facts_by_org.items() if sum(c.incidents for c in f.cells) >= t}
    t0 = time.perf_counter()
    network, orgs = build_joint(facts_by_org, shown=shown, milestones_by_org={}, network_milestones=[], today=TODAY)
    seconds = time.perf_counter() - t0
    print(f"\n== {label}: {len(facts_by_org)} organisations, {sum(sum(c.incidents for c in f.cells) for f in facts_by_org.values()):,} incidents; protection {seconds:.2f} s ==")
    worst = 1.0
    for o in sorted(orgs, key=lambda o: -sum(c.incidents for c in facts_by_org[o].cells)):
        raw = build_summary(facts_by_org[o], protected=False, today=TODAY)
        alone = build_summary(facts_by_org[o], protected=True, today=TODAY)
        worst = min(worst, page_report(f"page of {names[o]}", raw, orgs[o], alone))
    merged = merge_facts(kept_facts.values())
    raw = build_summary(merged, protected=False, today=TODAY)
    alone = build_summary(merged, protected=True, today=TODAY)
    page_report("network page", raw, network, alone)
    return seconds, worst


# --- Generated networks --------------------------------------------------------------------------


def run_generated(sizes: list[tuple[int, int]]) -> list[tuple[str, float, float]]:
    from amparo.insights.lib.synthetic import generated_network

    results = []
    for n_orgs, incidents in sizes:
        facts = generated_network(n_orgs, incidents)
        # Every organisation publishes a page except, in bigger networks, the last one, which shares
        # aggregates with the network but keeps no page of its own.
        shown = set(facts) if n_orgs < 6 else set(facts) - {n_orgs - 1}
        names = {o: ("Lima (urban)" if o == 0 else f"remote #{o}") for o in facts}
        seconds, worst = network_report(f"generated network of {n_orgs}", facts, shown, names)
        results.append((f"{n_orgs} organisations, {incidents:,} incidents", seconds, worst))
    return results


# --- The demo ------------------------------------------------------------------------------------


def demo_environment() -> None:
    """A throwaway SQLite database and master key (set before Django starts)."""
    data_dir = tempfile.mkdtemp(prefix="amparo-disclosure-bench-")
    os.environ["AMPARO_DATA_DIR"] = data_dir
    os.environ["AMPARO_DATABASE_URL"] = f"sqlite:///{data_dir}/bench.sqlite3"
    os.environ["AMPARO_HUEY_IMMEDIATE"] = "0"
    os.environ["AMPARO_MASTER_KEY"] = "mk-bench:" + base64.b64encode(secrets.token_bytes(32)).decode()


def run_demo() -> tuple[str, float, float]:
    from django.core.management import call_command

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("demo", verbosity=0)
    print(f"demo loaded in {time.perf_counter() - t0:.1f} s", flush=True)
    from amparo.accounts.models import Organisation
    from amparo.insights import services
    from amparo.insights.selectors import facts_from_aggregates, network_organisations

    network_ids = list(network_organisations().values_list("pk", flat=True))
    public = set(Organisation.objects.filter(sharing__public_page=True).values_list("pk", flat=True))
    facts = {o: facts_from_aggregates([o]) for o in network_ids}
    names = dict(Organisation.objects.values_list("pk", "slug"))
    seconds, worst = network_report("demo", facts, public & set(network_ids), names)
    t0 = time.perf_counter()
    services.summaries_publish()
    print(f"\n  refresh of every published summary from the aggregates (database included): {time.perf_counter() - t0:.2f} s")
    return "demo", seconds, worst


def run_refresh(incidents: int, organisations: int) -> float:
    """The refresh a new incident triggers, in the database: seed a network (raw bulk inserts, as
    bench/insights.py does), build every aggregate once, then record one more incident and time
    `aggregates_refresh` of its organisation, which rebuilds that organisation's aggregates and
    protects and stores every published page."""
    import importlib.util

    from django.db import connection

    from amparo.insights import services

    spec = importlib.util.spec_from_file_location("bench_insights", ROOT / "bench" / "insights.py")
    assert spec and spec.loader
    seeding = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(seeding)
    seeding.ORGS = organisations  # type: ignore[attr-defined]
    from django.db.models import Max

    from amparo.insights.models import SharingAgreement
    from amparo.records.models import Incident

    # The demo, if loaded, steps out of the network: this network is the generated one alone.
    SharingAgreement.objects.update(level="none", public_page=False)
    t0 = time.perf_counter()
    world = seeding._world()  # type: ignore[attr-defined]
    world["next_id"] = (Incident.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    seeding._seed(world, 0, incidents)  # type: ignore[attr-defined]
    for org in world["orgs"]:
        services.aggregates_refresh(organisation_id=org.pk, publish=False)
    services.summaries_publish()
    print(f"\n== refresh in the database ({connection.vendor}): {organisations} organisations, {incidents:,} incidents "
          f"(seeded and built in {time.perf_counter() - t0:.1f} s) ==")
    seeding._seed(world, incidents, 1)  # type: ignore[attr-defined]
    org = world["orgs"][incidents % organisations]
    t0 = time.perf_counter()
    services.aggregates_refresh(organisation_id=org.pk)
    seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    services.summaries_publish()
    publish = time.perf_counter() - t0
    print(f"  one organisation's aggregates rebuilt and every page protected and stored: {seconds:.2f} s "
          f"(of which protecting and storing every page: {publish:.2f} s)")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument("--sizes", default="2:2000,6:6000,15:20000,15:100000", help="organisations:incidents, comma-separated")
    parser.add_argument("--refresh", default="15:100000", help="organisations:incidents for the database refresh ('' to skip)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    demo_environment()
    results = []
    import django

    django.setup()
    if not args.no_demo:
        results.append(run_demo())
    sizes = [tuple(int(x) for x in s.split(":")) for s in args.sizes.split(",") if s]
    results += run_generated(sizes)  # type: ignore[arg-type]
    refresh = None
    if args.refresh:
        organisations, incidents = (int(x) for x in args.refresh.split(":"))
        if args.no_demo:
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
        refresh = (f"{organisations} organisations, {incidents:,} incidents", run_refresh(incidents, organisations))
    print("\n== summary ==")
    print(f"  {'network':<40} {'protection':>10} {'worst organisation page kept':>30}")
    for label, seconds, worst in results:
        print(f"  {label:<40} {seconds:>9.2f}s {worst:>30.0%}")
    if refresh:
        print(f"  refresh after a new incident, in the database, {refresh[0]}: {refresh[1]:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
