"""numpy's default random stream, without importing numpy until it is needed.

``numpy.random.default_rng(seed)`` is a ``Generator`` on a PCG64 bit generator whose 128-bit
state and increment are derived from ``seed`` by a ``SeedSequence``. Importing numpy costs 50 to
100 ms, a third of a short study's whole run, and a random search only ever asks its stream for
uniform doubles. :class:`Stream` computes that same stream in plain Python: the same seeding,
the same PCG64 steps (128-bit LCG, XSL-RR output) and the same doubles (the top 53 bits of a
64-bit output), so a config drawn through it is the one numpy would have drawn, bit for bit
(``tests/test_randomness.py`` checks this against numpy). The first time anything but
:meth:`Stream.random` (no ``size``) or :meth:`Stream.uniforms` is asked for, the stream imports
numpy, makes a real ``Generator`` in the state reached so far and hands every later call to
it, so code written for a numpy ``Generator`` works on a ``Stream`` unchanged.

The seeding follows numpy's documented ``SeedSequence`` (a hash-mixing pool of four 32-bit
words, O'Neill's ``seed_seq_fe`` design) and PCG64's seeding (``state = 0``, ``inc = 2 *
seq + 1``, a step, ``state += seed``, a step), written here from their definitions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["Stream", "fresh_seed", "stream_state"]

_M32 = 0xFFFFFFFF
_M64 = (1 << 64) - 1
_M128 = (1 << 128) - 1
# SeedSequence's hash constants and its pool of four 32-bit words
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_POOL = 4
# PCG64's 128-bit multiplier
_MULT_128 = (2549297995355413924 << 64) | 4865540595714422341
_TO_DOUBLE = 1.0 / 9007199254740992.0  # 2**-53


def fresh_seed() -> int:
    """A seed of 32 bits from the OS's entropy (what a searcher keeps when given none)."""
    return int.from_bytes(os.urandom(4), "little")


def _words(entropy: Any) -> list[int]:
    """``entropy`` (an int >= 0 or a sequence of them) as SeedSequence's 32-bit words: an int
    is split into words, least significant first (0 is one word)."""
    if isinstance(entropy, Sequence) and not isinstance(entropy, str | bytes):
        return [w for value in entropy for w in _words(value)]
    n = int(entropy)
    if n < 0:
        raise ValueError(f"a seed must be >= 0, but got {entropy!r}")
    words = [n & _M32]
    n >>= 32
    while n:
        words.append(n & _M32)
        n >>= 32
    return words


def _pool(entropy: Any) -> list[int]:
    """SeedSequence's pool of four words for ``entropy`` (no spawn key)."""
    words = _words(entropy)
    const = _INIT_A

    def hashed(value: int) -> int:
        nonlocal const
        value ^= const
        const = (const * _MULT_A) & _M32
        value = (value * const) & _M32
        return value ^ (value >> 16)

    def mixed(x: int, y: int) -> int:
        r = (_MIX_L * x - _MIX_R * y) & _M32
        return r ^ (r >> 16)

    pool = [hashed(words[i] if i < len(words) else 0) for i in range(_POOL)]
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = mixed(pool[dst], hashed(pool[src]))
    for word in words[_POOL:]:
        for dst in range(_POOL):
            pool[dst] = mixed(pool[dst], hashed(word))
    return pool


def _generate_words(pool: list[int], n: int) -> list[int]:
    """SeedSequence's ``generate_state(n, uint32)``."""
    const = _INIT_B
    out = []
    for i in range(n):
        value = pool[i % _POOL] ^ const
        const = (const * _MULT_B) & _M32
        value = (value * const) & _M32
        out.append(value ^ (value >> 16))
    return out


def _pcg64_seeded(entropy: Any) -> tuple[int, int]:
    """(state, inc) of ``PCG64(SeedSequence(entropy))``: four 64-bit words (seed high, seed
    low, sequence high, sequence low), each made of two 32-bit words, low word first."""
    w = _generate_words(_pool(entropy), 8)
    seed_hi, seed_lo, seq_hi, seq_lo = (w[2 * i] | (w[2 * i + 1] << 32) for i in range(4))
    inc = ((((seq_hi << 64) | seq_lo) << 1) | 1) & _M128
    state = inc  # 0 * multiplier + inc: the first step from state 0
    state = (state + ((seed_hi << 64) | seed_lo)) & _M128
    state = (state * _MULT_128 + inc) & _M128
    return state, inc


def _numpy_generator(state: Mapping[str, Any]) -> Any:
    """A ``numpy.random.Generator`` in ``state`` (a bit generator's ``state`` dict)."""
    import numpy as np

    gen = np.random.default_rng(0)
    gen.bit_generator.state = dict(state)
    return gen


class Stream:
    """The random stream of ``numpy.random.default_rng(seed)``, numpy imported only when a
    method other than :meth:`random` (one draw) or :meth:`uniforms` is used; from then on, a
    real ``numpy.random.Generator`` (:attr:`generator`) answers everything."""

    __slots__ = ("_inc", "_numpy", "_state")

    def __init__(self, seed: Any) -> None:
        self._state, self._inc = _pcg64_seeded(seed)
        self._numpy: Any = None

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Stream:
        """The stream in ``state``, a numpy bit generator's ``state`` dict (as
        :func:`stream_state` and ``Generator.bit_generator.state`` give)."""
        stream = cls.__new__(cls)
        stream._numpy = None
        inner = state.get("state") if state.get("bit_generator") == "PCG64" else None
        if isinstance(inner, Mapping) and not state.get("has_uint32"):
            stream._state, stream._inc = int(inner["state"]), int(inner["inc"])
        else:  # another generator, or half of a 64-bit draw kept: numpy restores it
            stream._state = stream._inc = 0
            stream._numpy = _numpy_generator(state)
        return stream

    def _next_double(self) -> float:
        s = (self._state * _MULT_128 + self._inc) & _M128
        self._state = s
        rot = s >> 122
        x = ((s >> 64) ^ s) & _M64
        out = ((x >> rot) | (x << (64 - rot))) & _M64
        return (out >> 11) * _TO_DOUBLE

    def random(self, size: Any = None, *args: Any, **kwargs: Any) -> Any:
        """As ``Generator.random``: one float in [0, 1) when called without arguments."""
        if self._numpy is None and size is None and not args and not kwargs:
            return self._next_double()
        return self.generator.random(size, *args, **kwargs)

    def uniforms(self, n: int) -> list[float]:
        """``n`` floats in [0, 1): ``Generator.random(n).tolist()``."""
        if self._numpy is not None:
            return self._numpy.random(n).tolist()
        return [self._next_double() for _ in range(n)]

    @property
    def generator(self) -> Any:
        """The ``numpy.random.Generator`` in this stream's state (made, and numpy imported, on
        first use; the stream draws through it from then on)."""
        if self._numpy is None:
            self._numpy = _numpy_generator(self.state)
        return self._numpy

    @property
    def state(self) -> dict[str, Any]:
        """The state as numpy's PCG64 writes it (``Generator.bit_generator.state``)."""
        if self._numpy is not None:
            return self._numpy.bit_generator.state
        return {
            "bit_generator": "PCG64",
            "state": {"state": self._state, "inc": self._inc},
            "has_uint32": 0,
            "uinteger": 0,
        }

    def __getattr__(self, name: str) -> Any:
        # anything else a Generator has: integers, choice, normal, bit_generator, ...
        if name.startswith("__") or name in Stream.__slots__:  # not set yet: unpickling
            raise AttributeError(name)
        return getattr(self.generator, name)

    def __getstate__(self) -> dict[str, Any]:
        return {"state": self.state}

    def __setstate__(self, data: dict[str, Any]) -> None:
        other = Stream.from_state(data["state"])
        self._state, self._inc, self._numpy = other._state, other._inc, other._numpy

    def __repr__(self) -> str:
        return f"Stream({'numpy' if self._numpy is not None else 'python'})"


def stream_state(rng: Any) -> dict[str, Any]:
    """The state dict of a :class:`Stream` or of a numpy ``Generator``."""
    if isinstance(rng, Stream):
        return rng.state
    return rng.bit_generator.state
