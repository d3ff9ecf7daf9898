"""Page flow for the Defra Forms importer: from engine V1's `next` links to the condition under which
each page is reached, and an order of pages the native journey can follow.

Defra's V1 engine goes from a page to the first link whose condition holds, else to its link without a
condition. The native journey instead walks its pages in order and skips those whose condition does
not hold. So each page gets the condition "some path from the start reaches it": the `any` of its
incoming links, each the source page's own condition `all` the link's. These are kept short by treating
each link condition as an unknown true/false and minimising (Quine-McCluskey): a page every branch
comes back to needs no condition at all.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations, product
from typing import Any

# A formula: ("const", bool) | ("atom", key) | ("not", f) | ("and", (f, ...)) | ("or", (f, ...)).
Formula = tuple[Any, ...]
TRUE: Formula = ("const", True)
FALSE: Formula = ("const", False)
#: Above this many distinct atoms a formula is kept as built rather than minimised.
MAX_ATOMS = 8


def atom(condition: Mapping[str, Any]) -> Formula:
    """A native condition as an unknown of a formula."""
    return ("atom", json.dumps(condition, sort_keys=True))


def negate(formula: Formula) -> Formula:
    if formula[0] == "const":
        return ("const", not formula[1])
    if formula[0] == "not":
        inner: Formula = formula[1]
        return inner
    return ("not", formula)


def _join(kind: str, parts: Iterable[Formula]) -> Formula:
    unit, absorbing = (TRUE, FALSE) if kind == "and" else (FALSE, TRUE)
    flat: list[Formula] = []
    for part in parts:
        if part == absorbing:
            return absorbing
        if part == unit:
            continue
        for inner in part[1] if part[0] == kind else (part,):
            if inner not in flat:
                flat.append(inner)
    if not flat:
        return unit
    return flat[0] if len(flat) == 1 else (kind, tuple(flat))


def conjoin(*parts: Formula) -> Formula:
    return _join("and", parts)


def disjoin(*parts: Formula) -> Formula:
    return _join("or", parts)


def atoms_of(formula: Formula, found: list[str] | None = None) -> list[str]:
    """The atoms of a formula in order of first appearance."""
    found = [] if found is None else found
    kind = formula[0]
    if kind == "atom" and formula[1] not in found:
        found.append(formula[1])
    elif kind == "not":
        atoms_of(formula[1], found)
    elif kind in ("and", "or"):
        for part in formula[1]:
            atoms_of(part, found)
    return found


def evaluate(formula: Formula, values: Mapping[str, bool]) -> bool:
    kind = formula[0]
    if kind == "const":
        return bool(formula[1])
    if kind == "atom":
        return values[formula[1]]
    if kind == "not":
        return not evaluate(formula[1], values)
    if kind == "and":
        return all(evaluate(p, values) for p in formula[1])
    return any(evaluate(p, values) for p in formula[1])


Implicant = tuple[int | None, ...]  # per atom: 1 true, 0 false, None either


def _prime_implicants(size: int, minterms: set[tuple[int, ...]]) -> set[Implicant]:
    current: set[Implicant] = set(minterms)
    primes: set[Implicant] = set()
    while current:
        merged: set[Implicant] = set()
        used: set[Implicant] = set()
        for a, b in combinations(sorted(current, key=_order_key), 2):
            differ = [i for i in range(size) if a[i] != b[i]]
            if len(differ) == 1 and a[differ[0]] is not None and b[differ[0]] is not None:
                joined = list(a)
                joined[differ[0]] = None
                merged.add(tuple(joined))
                used.update((a, b))
        primes |= current - used
        current = merged
    return primes


def _order_key(implicant: Implicant) -> tuple[int, ...]:
    return tuple(2 if v is None else v for v in implicant)


def _covers(implicant: Implicant, minterm: tuple[int, ...]) -> bool:
    return all(v is None or v == bit for v, bit in zip(implicant, minterm, strict=True))


def _literals(implicant: Implicant) -> int:
    return sum(v is not None for v in implicant)


def _minimal_cover(size: int, minterms: set[tuple[int, ...]]) -> list[Implicant]:
    """A small sum of products covering exactly `minterms` (greedy over the prime implicants)."""
    primes = sorted(_prime_implicants(size, minterms), key=lambda p: (_literals(p), _order_key(p)))
    uncovered = set(minterms)
    chosen: list[Implicant] = []
    while uncovered:
        best = max(primes, key=lambda p: (len({m for m in uncovered if _covers(p, m)}), -_literals(p)))
        chosen.append(best)
        uncovered = {m for m in uncovered if not _covers(best, m)}
    return sorted(chosen, key=lambda p: [(0 if v is not None else 1, i) for i, v in enumerate(p)])


def _cover_formula(atoms: Sequence[str], cover: list[Implicant]) -> Formula:
    terms = []
    for implicant in cover:
        literals = []
        for key, value in zip(atoms, implicant, strict=True):
            if value is not None:
                literals.append(("atom", key) if value else ("not", ("atom", key)))
        terms.append(conjoin(*literals))
    return disjoin(*terms)


def _size(formula: Formula) -> int:
    kind = formula[0]
    if kind in ("const", "atom"):
        return 1
    if kind == "not":
        return _size(formula[1])
    return sum(_size(p) for p in formula[1])


def minimise(formula: Formula) -> Formula:
    """An equivalent formula (reading each atom as an independent unknown) that is as short as the
    minimised sum of products of it or of its negation; TRUE or FALSE when it always or never holds."""
    atoms = atoms_of(formula)
    if formula[0] == "const" or len(atoms) > MAX_ATOMS:
        return formula
    true_rows: set[tuple[int, ...]] = set()
    false_rows: set[tuple[int, ...]] = set()
    for row in product((0, 1), repeat=len(atoms)):
        holds = evaluate(formula, dict(zip(atoms, (bool(v) for v in row), strict=True)))
        (true_rows if holds else false_rows).add(row)
    if not false_rows:
        return TRUE
    if not true_rows:
        return FALSE
    positive = _cover_formula(atoms, _minimal_cover(len(atoms), true_rows))
    negative = negate(_cover_formula(atoms, _minimal_cover(len(atoms), false_rows)))
    return negative if _size(negative) < _size(positive) else positive


def to_condition(formula: Formula) -> dict[str, Any]:
    """A (non-constant) formula as a native condition."""
    kind = formula[0]
    if kind == "atom":
        condition: dict[str, Any] = json.loads(formula[1])
        return condition
    if kind == "not":
        return {"not": to_condition(formula[1])}
    if kind in ("and", "or"):
        return {"all" if kind == "and" else "any": [to_condition(p) for p in formula[1]]}
    raise ValueError("a constant formula is not a condition")


# -- the page graph ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A way from one page to the next; `target` None is the end of the questions (check answers).
    `condition` is when the link is taken, Defra's first-match rule already applied."""

    source: str
    target: str | None
    condition: Formula


@dataclass
class Flow:
    #: Pages reachable from the start, each with the (minimised) condition under which it is reached.
    reach: dict[str, Formula] = field(default_factory=dict)
    #: Links that lead back to a page already on the way (loops): the native journey cannot go back.
    back_links: list[Link] = field(default_factory=list)
    #: Links kept, between reachable pages, in a graph without loops.
    links: list[Link] = field(default_factory=list)


def link_conditions(conditions: Sequence[Formula | None]) -> list[Formula]:
    """When each of a page's links is taken, given each link's own condition (None: no condition).
    The first link whose condition holds wins; otherwise the last link without a condition."""
    taken = []
    earlier: list[Formula] = []
    defaults = [i for i, c in enumerate(conditions) if c is None]
    for index, condition in enumerate(conditions):
        if condition is None:
            if index == defaults[-1]:
                taken.append(negate(disjoin(*[c for c in conditions if c is not None])))
            else:
                taken.append(FALSE)
        else:
            taken.append(conjoin(*[negate(c) for c in earlier], condition))
            earlier.append(condition)
    return taken


def reach_conditions(start: str, order: Sequence[str], links: Mapping[str, Sequence[Link]]) -> Flow:
    """The condition under which each page is reached from `start`. `order` (the source's page order)
    breaks ties when sorting the pages."""
    flow = Flow()
    position = {key: i for i, key in enumerate(order)}
    state: dict[str, int] = {}  # 1 on the way, 2 done
    stack: list[tuple[str, int]] = [(start, 0)]
    state[start] = 1
    while stack:
        node, index = stack.pop()
        outgoing = [link for link in links.get(node, ()) if link.condition != FALSE]
        if index < len(outgoing):
            stack.append((node, index + 1))
            link = outgoing[index]
            if link.target is None:
                flow.links.append(link)
            elif state.get(link.target) == 1:
                flow.back_links.append(link)
            else:
                flow.links.append(link)
                if link.target not in state:
                    state[link.target] = 1
                    stack.append((link.target, 0))
        else:
            state[node] = 2
    incoming: dict[str, list[Link]] = {}
    for link in flow.links:
        if link.target is not None:
            incoming.setdefault(link.target, []).append(link)
    for key in topological_order(list(state), flow.links, position):
        if key == start:
            flow.reach[key] = TRUE
            continue
        ways = [conjoin(flow.reach[link.source], link.condition) for link in incoming.get(key, [])]
        flow.reach[key] = minimise(disjoin(*ways))
    return flow


def topological_order(
    keys: Sequence[str], links: Iterable[Link | tuple[str, str]], position: Mapping[str, int]
) -> list[str]:
    """`keys` sorted so that every link's source comes before its target, ties broken by `position`.
    Raises ValueError on a cycle."""
    wanted = set(keys)
    after: dict[str, set[str]] = {key: set() for key in keys}
    needs: dict[str, int] = dict.fromkeys(keys, 0)
    for link in links:
        source, target = (link.source, link.target) if isinstance(link, Link) else link
        if source in wanted and target in wanted and source != target and target not in after[source]:
            after[source].add(target)
            needs[target] += 1
    ready = [(position.get(key, len(position)), key) for key in keys if needs[key] == 0]
    heapq.heapify(ready)
    ordered = []
    while ready:
        _, key = heapq.heappop(ready)
        ordered.append(key)
        for target in after[key]:
            needs[target] -= 1
            if needs[target] == 0:
                heapq.heappush(ready, (position.get(target, len(position)), target))
    if len(ordered) != len(keys):
        raise ValueError("the pages' order has a cycle")
    return ordered
