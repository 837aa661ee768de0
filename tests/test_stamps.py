"""Timestamp text -> microseconds: the fast whole-second path agrees with pandas' ISO 8601
parser on every string, valid or not."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qfdesk.engine.stamps import NOT_A_TIME, iso8601_us, leading_stamps_us, timestamps_us


def two(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda n: f"{n:02d}")


STAMPS = st.one_of(
    st.builds(
        "{}-{}-{}{}{}:{}:{}{}".format,
        st.integers(0, 9999).map(lambda n: f"{n:04d}"),
        two(0, 13),
        two(0, 32),
        st.sampled_from(["T", " ", "t", "_"]),
        two(0, 25),
        two(0, 61),
        two(0, 61),
        st.sampled_from(
            ["Z", "", "z", "+02:00", ".5Z", ".962Z", ".96Z", ".9620Z", ".123456Z", "Z\x00", "Zx"]
        ),
    ),
    st.text(max_size=24),
    st.just(np.nan),
)


@settings(max_examples=120, deadline=None)
@given(st.lists(STAMPS, max_size=40), st.booleans())
def test_the_fast_path_agrees_with_pandas_on_any_text(
    values: list[object], ascii_only: bool
) -> None:
    if ascii_only:
        values = [
            v.encode("ascii", "replace").decode() if isinstance(v, str) else v for v in values
        ]
    array = np.array(values, dtype=object)
    nul_free = not any(isinstance(v, str) and "\x00" in v for v in values)
    expected = iso8601_us(array)
    assert timestamps_us(array).tolist() == expected.tolist()
    assert timestamps_us(array, nul_free).tolist() == expected.tolist()


def test_known_times_and_non_times() -> None:
    values = np.array(
        [
            "2025-10-23T01:44:00Z",
            "2025-10-23 01:44:00Z",
            "2024-02-29T23:59:59Z",
            "2025-02-29T00:00:00Z",
            "2025-10-23T01:44:00",
            "2025-10-23T01:44:00+02:00",
            "2025-09-03T02:32:54.962Z",
            np.nan,
        ],
        dtype=object,
    )
    assert timestamps_us(values).tolist() == [
        1761183840_000000,
        1761183840_000000,
        1709251199_000000,
        NOT_A_TIME,
        NOT_A_TIME,
        NOT_A_TIME,
        1756866774_962000,
        NOT_A_TIME,
    ]


def line_starts(body: bytes) -> np.ndarray:
    ends = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == ord("\n"))
    return np.concatenate(([0], ends[:-1] + 1))


@settings(max_examples=120, deadline=None)
@given(st.lists(STAMPS.filter(lambda v: isinstance(v, str)), min_size=1, max_size=40))
def test_from_the_lines_of_a_file_a_time_is_right_or_left_to_pandas(fields: list[str]) -> None:
    fields = [f.replace("\n", "").replace(",", "").replace("\r", "") for f in fields]
    body = "".join(f"{f},EURUSD_otc,1m\n" for f in fields).encode()
    got = leading_stamps_us(body, line_starts(body))
    expected = iso8601_us(np.array([f or np.nan for f in fields], dtype=object))
    assert all(g in (NOT_A_TIME, e) for g, e in zip(got.tolist(), expected.tolist(), strict=True))


def test_the_lines_of_candle_and_tick_files_are_read_without_pandas() -> None:
    body = (
        b"2025-10-23T01:44:00Z,EURUSD_otc,1m,1.1,1.2,1.0,1.15\n"
        b"2025-10-23 01:45:00Z,1.1,1.15,1.2,1.0\n"
        b"2025-09-03T02:32:54.962Z,EURUSD_otc,1.17353\n"
        b"2025-09-03T02:32:54.96Z,EURUSD_otc,1.17353\n"
        b"2025-10-23T01:44:00Z\n" + b"x" * 40 + b"\n"
    )
    assert leading_stamps_us(body, line_starts(body)).tolist() == [
        1761183840_000000,
        1761183900_000000,
        1756866774_962000,
        NOT_A_TIME,  # two fraction digits: pandas reads it
        1761183840_000000,
        NOT_A_TIME,
    ]
