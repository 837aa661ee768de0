"""CandleSeries: O(1) append/update in place, views without copies, ordered inserts, memory."""

from __future__ import annotations

import numpy as np
import pytest

from qfdesk.engine.series import CandleSeries


def _address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


def _filled(n: int, capacity: int = 256) -> CandleSeries:
    s = CandleSeries("EURUSD_otc", 60, capacity=capacity)
    for i in range(n):
        s.append(i * 60, 1.0 + i, 2.0 + i, 0.5 + i, 1.5 + i)
    return s


def test_append_and_columns() -> None:
    s = _filled(3)
    assert len(s) == 3
    assert s.start.tolist() == [0, 60, 120]
    assert s.open.tolist() == [1.0, 2.0, 3.0]
    assert s.high.tolist() == [2.0, 3.0, 4.0]
    assert s.low.tolist() == [0.5, 1.5, 2.5]
    assert s.close.tolist() == [1.5, 2.5, 3.5]
    assert s.last_start == 120


def test_append_must_be_later() -> None:
    s = _filled(2)
    with pytest.raises(ValueError):
        s.append(60, 1, 1, 1, 1)


def test_append_takes_numpy_and_float_values() -> None:
    s = CandleSeries("A", 60)
    s.append(np.int64(60), np.float32(1.5), 2, np.float64(1.0), 1.25)
    s.append(120.0, 1, 1, 1, 1)
    assert s.start.tolist() == [60, 120]
    assert (s.open[0], s.high[0], s.low[0], s.close[0]) == (1.5, 2.0, 1.0, 1.25)


def test_update_last_is_in_place_and_seen_by_existing_views() -> None:
    s = _filled(5)
    buffers_before = [_address(b) for b in s.buffers()]
    close_view = s.close
    window = s.close[2:5]
    s.update_last(9.0, 0.1, 7.0)
    assert [_address(b) for b in s.buffers()] == buffers_before
    assert close_view[-1] == 7.0
    assert window[-1] == 7.0
    assert s.high[-1] == 9.0 and s.low[-1] == 0.1 and s.open[-1] == 5.0


def test_views_share_memory_and_slices_do_not_copy() -> None:
    s = _filled(10)
    _, o, h, lo, c = s.buffers()
    for view, buffer in ((s.open, o), (s.high, h), (s.low, lo), (s.close, c)):
        assert np.shares_memory(view, buffer)
        assert np.shares_memory(view[3:7], buffer)
        assert view.base is not None


def test_growth_doubles_and_keeps_data() -> None:
    s = _filled(256, capacity=256)
    assert s.buffers()[0].shape[0] == 256
    s.append(256 * 60, 1, 1, 1, 1)
    assert s.buffers()[0].shape[0] == 512
    assert s.start[-2] == 255 * 60 and s.open[100] == 101.0


def test_append_without_growth_does_not_reallocate() -> None:
    s = _filled(10)
    before = [_address(b) for b in s.buffers()]
    for i in range(10, 200):
        s.append(i * 60, 1, 1, 1, 1)
    assert [_address(b) for b in s.buffers()] == before


def test_find_and_index_range() -> None:
    s = _filled(5)
    assert s.find(120) == 2
    assert s.find(130) == -1
    assert s.find(10_000) == -1
    assert s.index_range(60, 180) == (1, 3)
    assert s.index_range(-100, 100_000) == (0, 5)


def test_insert_many_prepends_and_fills_gaps_in_order() -> None:
    s = CandleSeries("A", 60)
    s.append(600, 6, 6, 6, 6)
    s.append(900, 9, 9, 9, 9)
    s.insert_many(np.array([0, 60, 660, 720]), np.array([[0, 1, 11, 12]] * 4, dtype=float))
    assert s.start.tolist() == [0, 60, 600, 660, 720, 900]
    assert s.close.tolist() == [0, 1, 6, 11, 12, 9]
    s.insert_many(np.array([960, 1020]), np.array([[16, 17]] * 4, dtype=float))
    assert s.start.tolist()[-2:] == [960, 1020]


def test_insert_many_grows_and_rejects_bad_input() -> None:
    s = _filled(200, capacity=256)
    older = np.arange(-400, 0) * 60
    s.insert_many(older, np.ones((4, 400)))
    assert len(s) == 600
    assert bool(np.all(np.diff(s.start) == 60))
    with pytest.raises(ValueError):
        s.insert_many(np.array([60]), np.ones((4, 1)))
    with pytest.raises(ValueError):
        s.insert_many(np.array([10_000_000, 9_000_000]), np.ones((4, 2)))
    assert len(s) == 600


def test_pop_last() -> None:
    s = _filled(3)
    s.pop_last()
    assert s.start.tolist() == [0, 60]
    s.append(120, 5, 5, 5, 5)
    assert s.close[-1] == 5.0
    with pytest.raises(IndexError):
        CandleSeries("A", 60).pop_last()


def test_one_million_candles_under_100_mb() -> None:
    s = CandleSeries("EURUSD_otc", 60)
    append = s.append
    for i in range(1_000_000):
        append(i * 60, 1.0, 1.0, 1.0, 1.0)
    assert len(s) == 1_000_000
    assert s.nbytes < 100 * 1024 * 1024
    assert s.start[-1] == 999_999 * 60
