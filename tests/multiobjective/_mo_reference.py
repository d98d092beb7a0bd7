"""Brute-force references for the multi-objective indicators, written from the definitions and
sharing no code with tunesmith.multiobjective: slow, small n only."""

from __future__ import annotations

import itertools
import math

import numpy as np


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a <= b) and np.any(a < b))


def hypervolume_grid(points: np.ndarray, ref: np.ndarray) -> float:
    """Volume of the union of the boxes [p, ref]: cut space at every coordinate of the points
    and the reference point; a cell counts when some point is <= its lower corner."""
    points = np.asarray(points, dtype=float).reshape(-1, len(ref))
    points = points[np.all(points < ref, axis=1)]
    if not len(points):
        return 0.0
    cuts = [np.unique(np.r_[points[:, i], ref[i]]) for i in range(len(ref))]
    lows = np.stack(np.meshgrid(*[c[:-1] for c in cuts], indexing="ij"), axis=-1)
    sizes = np.stack(np.meshgrid(*[np.diff(c) for c in cuts], indexing="ij"), axis=-1)
    lows, sizes = lows.reshape(-1, len(ref)), sizes.reshape(-1, len(ref))
    covered = np.zeros(len(lows), dtype=bool)
    for p in points:
        covered |= np.all(p <= lows, axis=1)
    return float(np.prod(sizes[covered], axis=1).sum())


def hypervolume_inclusion_exclusion(points: np.ndarray, ref: np.ndarray) -> float:
    """Inclusion-exclusion over every non-empty subset: the boxes' intersection is the box of
    the subset's coordinate-wise maximum. 2^n terms."""
    points = [p for p in np.asarray(points, dtype=float) if np.all(p < ref)]
    total = 0.0
    for k in range(1, len(points) + 1):
        for subset in itertools.combinations(points, k):
            corner = np.max(subset, axis=0)
            total += (-1) ** (k + 1) * float(np.prod(np.maximum(ref - corner, 0.0)))
    return total


def front_ranks(points: np.ndarray) -> np.ndarray:
    """Peel the fronts: rank k is the points no remaining point dominates, after ranks < k."""
    n = len(points)
    ranks = np.full(n, -1)
    remaining = set(range(n))
    k = 0
    while remaining:
        front = {
            i for i in remaining if not any(dominates(points[j], points[i]) for j in remaining)
        }
        for i in front:
            ranks[i] = k
        remaining -= front
        k += 1
    return ranks


def crowding(points: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Deb et al. 2002, crowding-distance-assignment, applied to each front; a constant
    objective adds 0 to the interior points."""
    distance = np.zeros(len(points))
    for front in np.unique(ranks):
        members = [i for i in range(len(points)) if ranks[i] == front]
        for m in range(points.shape[1]):
            ordered = sorted(members, key=lambda i: (points[i, m], i))
            lo, hi = points[ordered[0], m], points[ordered[-1], m]
            distance[ordered[0]] = distance[ordered[-1]] = math.inf
            for pos in range(1, len(ordered) - 1):
                if hi > lo:
                    gap = points[ordered[pos + 1], m] - points[ordered[pos - 1], m]
                    distance[ordered[pos]] += gap / (hi - lo)
    return distance


def epsilon_net(points: np.ndarray, start: int) -> list[int]:
    """Greedy farthest-point order, recomputing every distance each step: the first point has
    the least objective ``start``; then the one whose nearest chosen point is farthest
    (Euclidean), ties to the lowest index."""
    n = len(points)
    order = [int(np.argmin(points[:, start]))]
    while len(order) < n:
        best, best_distance = None, -1.0
        for i in range(n):
            if i in order:
                continue
            nearest = min(math.dist(points[i], points[j]) for j in order)
            if nearest > best_distance:
                best, best_distance = i, nearest
        order.append(best)
    return order
