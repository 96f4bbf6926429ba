"""Disclosure control: the one function every published number passes.

A published table is modelled as a *circulation network*: every number (a cell, a row or
column total, a subtotal, the grand total) is the flow on one arc, and every additive
relation between them ("a row total is the sum of its cells") is flow conservation at a
node. One-way tables with a total, nested (hierarchical) tables such as department ›
province or year › quarter › month, and two-way tables with all their margins are all
networks of this kind, and for networks the exact integer range an attacker can derive
for a hidden number is a max-flow computation. That lets us both *choose* complementary
suppressions (cheapest augmenting paths, the classical network heuristic for cell
suppression) and *prove* the result: `attacker_range` is the exact attack, and the
property-based tests run it against everything a table publishes.

Rules:
- a count in 1 … threshold-1 is a *primary* suppression, shown as "<5";
- zero is published (nobody is in the cell, so nobody can be identified);
- complementary suppressions ("*") are chosen so that, knowing every published number,
  that primary cells lie in 1 … threshold-1 and that "*" cells are at least the threshold,
  an attacker can still place every primary cell anywhere in 1 … threshold-1;
- if that goal cannot be met without touching a fixed arc (the grand total, shared by
  every table of a page), the whole table is *withheld*: every cell is shown as "*" and
  only the fixed numbers remain.
"""

from __future__ import annotations

import heapq
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings

# Keys and nodes are any hashable values (strings, codes, tuples of them).
Key = Any
Node = Any

_SOURCE = ("__source__",)
_SINK = ("__sink__",)
TOTAL: Key = ("__total__",)


def threshold_default() -> int:
    return int(getattr(settings, "SUPPRESSION_THRESHOLD", 5))


class Mark(StrEnum):
    PUBLISHED = "published"
    PRIMARY = "primary"  # a small count: shown as "<5"
    HIDDEN = "hidden"  # complementary suppression or withheld table: shown as "*"


@dataclass(frozen=True)
class Arc:
    key: Key
    tail: Node
    head: Node
    value: int


@dataclass
class Network:
    """Numbers of one table and the additive relations between them."""

    arcs: dict[Key, Arc] = field(default_factory=dict)

    def add(self, key: Key, tail: Node, head: Node, value: int) -> None:
        if key in self.arcs:
            raise ValueError(f"duplicate key {key!r}")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"counts must be non-negative integers, got {value!r} for {key!r}")
        self.arcs[key] = Arc(key, tail, head, value)

    @property
    def upper(self) -> int:
        """The largest number in the table: a bound the attacker may be assumed to know."""
        return max((a.value for a in self.arcs.values()), default=0)

    def check_balanced(self) -> None:
        balance: dict[Node, int] = defaultdict(int)
        for arc in self.arcs.values():
            balance[arc.tail] -= arc.value
            balance[arc.head] += arc.value
        bad = [node for node, b in balance.items() if b]
        if bad:
            raise ValueError(f"totals do not add up at {bad[:3]!r}")


# --- Builders ---------------------------------------------------------------------------


def one_way(cells: Mapping[Key, int], *, total: int | None = None) -> Network:
    """Cells that partition a total (each record in exactly one cell). Total key: TOTAL."""
    net = Network()
    grand = sum(cells.values()) if total is None else total
    net.add(TOTAL, _SINK, _SOURCE, grand)
    for key, value in cells.items():
        net.add(key, _SOURCE, _SINK, value)
    net.check_balanced()
    return net


def nested(values: Mapping[tuple, int]) -> Network:
    """A hierarchy: keys are paths, () is the grand total, ("15",) a department,
    ("15", "1501") one of its provinces. Every inner path equals the sum of its children."""
    if () not in values:
        raise ValueError("nested tables need the grand total under the key ()")
    children: dict[tuple, list[tuple]] = defaultdict(list)
    for path in values:
        if path:
            if path[:-1] not in values:
                raise ValueError(f"{path!r} has no parent")
            children[path[:-1]].append(path)
    net = Network()
    net.add((), _SINK, ("n", ()), values[()])
    for path, value in values.items():
        if not path:
            continue
        head = ("n", path) if children.get(path) else _SINK
        net.add(path, ("n", path[:-1]), head, value)
    if not children.get(()):
        # A hierarchy with no parts: the grand total closes on itself.
        net.arcs[()] = Arc((), _SINK, _SINK, values[()])
    net.check_balanced()
    return net


def two_way(cells: Mapping[tuple[Key, Key], int], *, rows: Iterable[Key] = (), cols: Iterable[Key] = ()) -> Network:
    """A rows × columns table with row totals ("row", r), column totals ("col", c) and TOTAL."""
    row_keys = list(dict.fromkeys([*rows, *(r for r, _ in cells)]))
    col_keys = list(dict.fromkeys([*cols, *(c for _, c in cells)]))
    net = Network()
    net.add(TOTAL, _SINK, _SOURCE, sum(cells.values()))
    for r in row_keys:
        net.add(("row", r), _SOURCE, ("r", r), sum(v for (rr, _), v in cells.items() if rr == r))
    for c in col_keys:
        net.add(("col", c), ("c", c), _SINK, sum(v for (_, cc), v in cells.items() if cc == c))
    for r in row_keys:
        for c in col_keys:
            net.add((r, c), ("r", r), ("c", c), cells.get((r, c), 0))
    net.check_balanced()
    return net


# --- The attacker -----------------------------------------------------------------------


def attacker_bounds(net: Network, marks: Mapping[Key, Mark], threshold: int) -> dict[Key, tuple[int, int]]:
    """What someone who reads the published table knows about each number."""
    bounds = {key: (arc.value, arc.value) for key, arc in net.arcs.items() if marks[key] is Mark.PUBLISHED}
    bounds.update(_hidden_bounds(net, marks, threshold))
    return bounds


def _hidden_bounds(net: Network, marks: Mapping[Key, Mark], threshold: int) -> dict[Key, tuple[int, int]]:
    """Bounds of the numbers that are not published (the only ones an attacker can move)."""
    upper = net.upper
    withheld = bool(getattr(marks, "withheld", False))
    private = getattr(marks, "private", ())
    bounds: dict[Key, tuple[int, int]] = {}
    for key, mark in marks.items():
        if mark is Mark.PUBLISHED:
            continue
        if withheld or key in private:
            bounds[key] = (0, upper)
        elif mark is Mark.PRIMARY:
            bounds[key] = (1, threshold - 1)
        else:
            bounds[key] = (threshold, max(upper, threshold))
    return bounds


Capacities = dict[Node, dict[Node, int]]


def _max_flow(arcs: Iterable[tuple[Node, Node, int]], source: Node, target: Node, limit: int) -> tuple[int, Capacities]:
    """Edmonds–Karp on a small residual graph, stopping once `limit` units are found.
    Returns the flow and the residual capacities left afterwards."""
    cap: Capacities = defaultdict(lambda: defaultdict(int))
    for u, v, c in arcs:
        if c > 0 and u != v:
            cap[u][v] += c
    flow = 0
    while flow < limit:
        parent: dict[Node, Node] = {source: source}
        queue = deque([source])
        while queue and target not in parent:
            u = queue.popleft()
            for v, c in cap[u].items():
                if c > 0 and v not in parent:
                    parent[v] = u
                    queue.append(v)
        if target not in parent:
            break
        path = []
        v = target
        while v != source:
            path.append((parent[v], v))
            v = parent[v]
        push = min(min(cap[u][v] for u, v in path), limit - flow)
        for u, v in path:
            cap[u][v] -= push
            cap[v][u] += push
        flow += push
    return flow, cap


def _residual(net: Network, bounds: Mapping[Key, tuple[int, int]], exclude: Key) -> list[tuple[Node, Node, int]]:
    out = []
    for key, (lo, hi) in bounds.items():
        if key == exclude or lo == hi:
            continue
        arc = net.arcs[key]
        out.append((arc.tail, arc.head, hi - arc.value))
        out.append((arc.head, arc.tail, arc.value - lo))
    return out


def _push(net: Network, bounds: Mapping[Key, tuple[int, int]], key: Key, direction: str) -> tuple[int, int, Capacities, Node, Node]:
    """How far one number can move in one direction: (wanted, found, residual, start, goal).
    `bounds` covers the hidden numbers; published ones cannot move."""
    arc = net.arcs[key]
    lo, hi = bounds.get(key, (arc.value, arc.value))
    if direction == "up":
        start, goal, want = arc.head, arc.tail, hi - arc.value
    else:
        start, goal, want = arc.tail, arc.head, arc.value - lo
    if want <= 0:
        return want, want, defaultdict(lambda: defaultdict(int)), start, goal
    if arc.tail == arc.head:
        # A stand-alone count takes part in no sum: nothing constrains it but its bounds.
        return want, want, defaultdict(lambda: defaultdict(int)), start, goal
    found, cap = _max_flow(_residual(net, bounds, key), start, goal, want)
    return want, found, cap, start, goal


def attacker_range(net: Network, marks: Mapping[Key, Mark], threshold: int, key: Key) -> tuple[int, int]:
    """The exact integer interval an attacker can derive for one number.

    Published numbers are fixed; hidden ones may move within their known bounds as long as
    every additive relation still holds, which for a network means pushing flow around
    cycles. Network matrices are totally unimodular, so these bounds are integral and tight.
    """
    bounds = _hidden_bounds(net, marks, threshold)
    value = net.arcs[key].value
    _, up, *_ = _push(net, bounds, key, "up")
    _, down, *_ = _push(net, bounds, key, "down")
    return value - down, value + up


# --- Protection -------------------------------------------------------------------------


class Marks(dict):
    withheld: bool = False
    # Numbers that take part in the sums but are shown nowhere (e.g. an organisation without a
    # public page inside the network): the attacker knows only that they are 0 or more.
    private: frozenset = frozenset()


@dataclass
class Protected:
    """A protected table: values for published numbers, marks for everything."""

    net: Network
    marks: Marks
    threshold: int

    @property
    def withheld(self) -> bool:
        return self.marks.withheld

    def value(self, key: Key) -> int | None:
        """The number if published, else None."""
        return self.net.arcs[key].value if self.marks[key] is Mark.PUBLISHED else None

    def display(self, key: Key) -> str:
        mark = self.marks[key]
        if mark is Mark.PUBLISHED:
            return str(self.net.arcs[key].value)
        if mark is Mark.PRIMARY and not self.withheld:
            return f"<{self.threshold}"
        return "*"

    def cell(self, key: Key) -> dict[str, Any]:
        """The JSON shape of one number: value (or null), display text and status."""
        mark = self.marks[key]
        status = "withheld" if self.withheld and mark is not Mark.PUBLISHED else mark.value
        return {"value": self.value(key), "display": self.display(key), "status": status}

    def __contains__(self, key: Key) -> bool:
        return key in self.net.arcs


def protect(
    net: Network,
    *,
    threshold: int | None = None,
    fixed: Iterable[Key] = (),
    force: Iterable[Key] = (),
    private: Iterable[Key] = (),
    private_totals: Iterable[Key] = (),
) -> Protected:
    """Primary and complementary suppression of one table.

    `fixed` numbers are never chosen as complements (the grand total shown on every table of
    a page must read the same everywhere); `force` hides more numbers (e.g. people affected
    where the incident count is hidden); `private` numbers are part of the sums but shown
    nowhere, and small ones among them are protected like shown ones, except
    `private_totals` (an organisation's overall count, which the published totals determine
    anyway and which describes no one).
    """
    t = threshold_default() if threshold is None else threshold
    if t < 2:
        raise ValueError("the suppression threshold must be at least 2")
    private_set = frozenset(private) & frozenset(net.arcs)
    fixed_set = (set(fixed) & set(net.arcs)) - private_set
    marks = Marks()
    marks.private = private_set
    for key, arc in net.arcs.items():
        if key in private_set:
            marks[key] = Mark.HIDDEN
        else:
            marks[key] = Mark.PRIMARY if 0 < arc.value < t else Mark.PUBLISHED
    forced = []
    for key in force:
        if key in marks and marks[key] is Mark.PUBLISHED and net.arcs[key].value > 0 and key not in fixed_set:
            marks[key] = Mark.HIDDEN
            forced.append(key)

    # Hiding more only widens what an attacker must allow, so a number that reached its goal
    # keeps it; only the ones that did not are checked again at the end.
    unmet: set[Key] = set()
    primaries = sorted((k for k, m in marks.items() if m is Mark.PRIMARY), key=repr)
    for key in primaries:
        if key in fixed_set:
            continue
        for direction in ("up", "down"):
            if not _protect_direction(net, marks, t, key, direction, fixed_set):
                unmet.add(key)
    # Small numbers shown nowhere must not be derivable either: the whole 1 … t-1 stays open.
    exempt = set(private_totals)
    private_small = sorted((k for k in private_set if 0 < net.arcs[k].value < t and k not in exempt), key=repr)
    for key in private_small:
        value = net.arcs[key].value
        if t - 1 - value > 0 and not _protect_direction(net, marks, t, key, "up", fixed_set, enough=t - 1 - value):
            unmet.add(key)
        if value - 1 > 0 and not _protect_direction(net, marks, t, key, "down", fixed_set, enough=value - 1):
            unmet.add(key)
    # A number hidden on purpose need not hide its whole range, but must not be solvable.
    unsolved = [
        key for key in forced
        if not _protect_direction(net, marks, t, key, "down", fixed_set, enough=1)
        and not _protect_direction(net, marks, t, key, "up", fixed_set, enough=1)
    ]

    if (
        any(_pinned(net, marks, t, key) for key in unmet)
        or any(_solvable(net, marks, t, key) for key in unsolved)
        or any(marks[k] is not Mark.PUBLISHED for k in fixed_set)
    ):
        marks = _withhold(net, fixed_set, t)
    return Protected(net=net, marks=marks, threshold=t)


def _pinned(net: Network, marks: Marks, t: int, key: Key) -> bool:
    lo, hi = attacker_range(net, marks, t, key)
    return lo == hi or lo > 1 or hi < t - 1


def _solvable(net: Network, marks: Marks, t: int, key: Key) -> bool:
    lo, hi = attacker_range(net, marks, t, key)
    return lo == hi


def _withhold(net: Network, fixed: set[Key], t: int) -> Marks:
    """Hide every number but the fixed ones (or all of them when a fixed one is small)."""
    marks = Marks()
    marks.withheld = True
    marks.private = frozenset()
    fixed_ok = all(not 0 < net.arcs[k].value < t for k in fixed)
    for key in net.arcs:
        marks[key] = Mark.PUBLISHED if key in fixed and fixed_ok else Mark.HIDDEN
    return marks


def _protect_direction(
    net: Network, marks: Marks, t: int, key: Key, direction: str, fixed: set[Key], enough: int | None = None
) -> bool:
    """Hide more numbers until `key` can move `enough` units (default: its whole range) in
    `direction`; returns whether that was reached."""
    for _ in range(len(net.arcs) + 1):
        bounds = _hidden_bounds(net, marks, t)
        want, found, cap, start, goal = _push(net, bounds, key, direction)
        if found >= (want if enough is None else min(want, enough)):
            return True
            return
        path = _cheapest_path(net, marks, t, key, cap, start, goal, fixed)
        if not path:
            return False
        for k in path:
            marks[k] = Mark.HIDDEN
    return False


def _cheapest_path(
    net: Network, marks: Marks, t: int, key: Key, cap: Capacities, start: Node, goal: Node, fixed: set[Key]
) -> list[Key]:
    """Dijkstra over what is left of the residual graph, where hidden numbers cost nothing and
    published numbers of at least the threshold cost their value (what hiding them takes
    from readers). Returns the published keys to hide, or [] when no path exists."""
    upper = net.upper
    adj: dict[Node, list[tuple[Node, int, Key | None]]] = defaultdict(list)
    for u, row in cap.items():
        for v, c in row.items():
            if c > 0:
                adj[u].append((v, 0, None))
    for k, a in net.arcs.items():
        if k == key or marks[k] is not Mark.PUBLISHED or k in fixed or a.value < t or a.tail == a.head:
            continue
        if upper - a.value > 0:
            adj[a.tail].append((a.head, a.value, k))
        if a.value - t > 0:
            adj[a.head].append((a.tail, a.value, k))
    dist: dict[Node, int] = {start: 0}
    prev: dict[Node, tuple[Node, Key | None]] = {}
    heap: list[tuple[int, int, Node]] = [(0, 0, start)]
    counter = 0
    while heap:
        d, _, u = heapq.heappop(heap)
        if u == goal:
            break
        if d > dist.get(u, d):
            continue
        for v, cost, tag in adj[u]:
            nd = d + cost
            if v not in dist or nd < dist[v]:
                dist[v] = nd
                prev[v] = (u, tag)
                counter += 1
                heapq.heappush(heap, (nd, counter, v))
    if goal not in prev:
        return []
    keys = []
    node = goal
    while node != start:
        node, tag = prev[node]
        if tag is not None:
            keys.append(tag)
    return keys


def glued(values_by_part: Mapping[Key, Mapping[tuple, int]]) -> Network:
    """Several parts (organisations) of one hierarchy and the whole (the network), as one table.

    Keys: ("part", p, path) for part p and ("whole", path) for the network; every path of every
    part is present (0 where absent). Organisation › region › province cells flow into the
    network's province, region and total, so publishing the network's page and each
    organisation's page cannot be differenced: it is one table, protected once.
    """
    paths = sorted({path for values in values_by_part.values() for path in values}, key=lambda p: (len(p), repr(p)))
    if () not in paths:
        raise ValueError("glued tables need the grand total under the key ()")
    has_children = {path[:-1] for path in paths if path}
    whole: dict[tuple, int] = {path: sum(v.get(path, 0) for v in values_by_part.values()) for path in paths}
    net = Network()
    for part, values in values_by_part.items():
        net.add(("part", part, ()), _SOURCE, ("o", part, ()), values.get((), 0))
        for path in paths:
            if not path:
                continue
            head = ("o", part, path) if path in has_children else ("w", path)
            net.add(("part", part, path), ("o", part, path[:-1]), head, values.get(path, 0))
    for path in paths:
        top: Node = ("w", path[:-1]) if path else _SOURCE
        net.add(("whole", path), ("w", path), top, whole[path])
    net.check_balanced()
    return net


def parts_of_counts(values_by_part: Mapping[Key, Mapping[Key, int]]) -> Network:
    """Stand-alone counts (one per category) of several parts and their sum per category.
    Keys: (category, part) and (category, WHOLE)."""
    net = Network()
    categories = sorted({c for values in values_by_part.values() for c in values}, key=repr)
    for c in categories:
        for part, values in values_by_part.items():
            net.add((c, part), ("a", c), ("b", c), values.get(c, 0))
        net.add((c, WHOLE), ("b", c), ("a", c), sum(v.get(c, 0) for v in values_by_part.values()))
    return net


WHOLE = ("__whole__",)


def protect_cells(values: Mapping[Key, int], *, threshold: int | None = None) -> Protected:
    """Counts that are not additive (an incident may have several violations): each number
    stands alone, so primary suppression is all that applies."""
    net = Network()
    for key, value in values.items():
        net.add(key, ("cell", key), ("cell", key), value)
    return protect(net, threshold=threshold)


def suppress_count(value: int, *, threshold: int | None = None) -> str:
    """Display one stand-alone count ("<5" when small)."""
    t = threshold_default() if threshold is None else threshold
    return f"<{t}" if 0 < value < t else str(value)
