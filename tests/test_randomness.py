"""tunesmith.randomness.Stream draws what numpy.random.default_rng(seed) draws, bit for bit,
before and after it hands over to numpy, and keeps numpy unimported until then."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tunesmith.randomness import Stream, fresh_seed, stream_state

seeds = st.one_of(
    st.integers(min_value=0, max_value=2**200),
    st.lists(st.integers(min_value=0, max_value=2**70), max_size=9),
)


@given(seed=seeds, n_single=st.integers(0, 6), n_list=st.integers(0, 40))
@settings(max_examples=150, deadline=None)
def test_same_doubles_and_state_as_numpy(seed, n_single, n_list):
    stream, gen = Stream(seed), np.random.default_rng(seed)
    assert stream.state == gen.bit_generator.state
    drawn = [stream.random() for _ in range(n_single)] + stream.uniforms(n_list)
    assert drawn == gen.random(n_single + n_list).tolist()
    assert stream.state == gen.bit_generator.state
    assert repr(stream) == "Stream(python)"  # numpy was not needed


@given(seed=st.integers(0, 2**64), before=st.integers(0, 10))
@settings(max_examples=60, deadline=None)
def test_hands_over_to_numpy_in_the_state_reached(seed, before):
    stream, gen = Stream(seed), np.random.default_rng(seed)
    assert stream.uniforms(before) == gen.random(before).tolist()
    # any Generator method: numpy takes over from here, in the same state
    assert stream.integers(1000, size=7).tolist() == gen.integers(1000, size=7).tolist()
    assert repr(stream) == "Stream(numpy)"
    assert stream.random() == gen.random()
    assert stream.uniforms(3) == gen.random(3).tolist()
    assert stream.normal(size=2).tolist() == gen.normal(size=2).tolist()
    assert stream.state == gen.bit_generator.state == stream_state(stream)


def test_state_round_trip_and_pickling():
    stream = Stream(7)
    stream.uniforms(5)
    again = Stream.from_state(stream.state)
    assert again.uniforms(4) == copy.deepcopy(stream).uniforms(4) == stream.uniforms(4)
    assert pickle.loads(pickle.dumps(stream)).random() == stream.random()
    # a numpy state holding half of a 64-bit draw: numpy restores it, the draws agree
    gen = np.random.default_rng(3)
    gen.integers(10, dtype=np.uint32)  # leaves a 32-bit half in the buffer
    restored = Stream.from_state(gen.bit_generator.state)
    assert repr(restored) == "Stream(numpy)"
    assert restored.integers(10, size=4, dtype=np.uint32).tolist() == (
        gen.integers(10, size=4, dtype=np.uint32).tolist()
    )
    assert stream_state(gen) == gen.bit_generator.state


def test_bad_seed():
    with pytest.raises(ValueError, match="a seed must be >= 0, but got -1"):
        Stream(-1)


def test_fresh_seed_is_32_bits():
    seeds = {fresh_seed() for _ in range(20)}
    assert all(0 <= s < 2**32 for s in seeds) and len(seeds) > 1


def test_random_search_and_asha_do_not_import_numpy():
    code = (
        "import sys\n"
        "from tunesmith import RandomSearcher\n"
        "from tunesmith.space import *\n"
        "s = RandomSearcher({'x': uniform(0, 1), 'c': choice(['a', 'b']),"
        " 'l': loguniform(1e-3, 1), 'r': reverseloguniform(0.1, 0.99), 'i': randint(1, 9),"
        " 'j': lograndint(1, 999), 'o': ordinal([1, 2, 4]), 'f': finrange(0, 1, 5),"
        " 'g': logfinrange(1, 100, 3, cast_int=True), 'k': 'constant'},"
        " metric='m', random_seed=3)\n"
        "configs = [s.suggest() for _ in range(5)]\n"
        "s.load_state_dict(s.state_dict())\n"
        "assert all(c is not None for c in configs + [s.suggest()])\n"
        "from tunesmith import ASHA\n"
        "a = ASHA({'x': uniform(0, 1)}, metric='m', max_t=9, resource_attr='epoch')\n"
        "assert a.suggest(0).config is not None\n"
        "a.load_state_dict(a.state_dict())\n"
        "print('numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
