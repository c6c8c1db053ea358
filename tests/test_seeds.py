import numpy as np

from vppsim.seeds import Stream, stream_rng


def test_same_key_same_draws_and_keys_differ():
    a = stream_rng(42, Stream.LOAD, 17).random(5)
    assert np.array_equal(a, stream_rng(42, Stream.LOAD, 17).random(5))
    assert not np.array_equal(a, stream_rng(42, Stream.LOAD, 18).random(5))
    assert not np.array_equal(a, stream_rng(43, Stream.LOAD, 17).random(5))
    assert not np.array_equal(
        stream_rng(42, Stream.WEATHER).random(5), stream_rng(42, Stream.MARKET).random(5)
    )


def test_home_stream_does_not_depend_on_other_draws():
    # Drawing for other homes first must not shift home 17's stream.
    for home in range(17):
        stream_rng(42, Stream.LOAD, home).random(1000)
    assert np.array_equal(
        stream_rng(42, Stream.LOAD, 17).random(3), stream_rng(42, Stream.LOAD, 17).random(3)
    )
