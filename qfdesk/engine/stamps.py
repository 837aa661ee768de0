"""Timestamp text from the CSV files -> int64 microseconds since the epoch, read as UTC.

Taken: ``2025-10-23T01:44:00Z``, with a space for the ``T``, and with up to 6 fraction
digits (``2025-09-03T02:32:54.962Z``). Only the ``Z`` form is taken: an offset would shift
the platform's time, and a time without a zone says nothing of it.

The whole-second and the millisecond forms, nearly every row (candles and ticks), are read
straight from their digits (from the strings, or from the lines of a file without making
strings); whatever that path does not vouch for (any other form, a date it is unsure of)
goes to pandas' ISO 8601 parser, which is the reference: both give the same answer for
every string.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NOT_A_TIME = -1

_SHORT = len("2025-10-23T01:44:00Z")
_MILLIS = len("2025-09-03T02:32:54.962Z")
_WIDTH = _MILLIS + 1  # bytes looked at: the longer form and the byte after it
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
_US_PER_S = 1_000_000
_BLOCK = 1 << 16


def timestamps_us(values: np.ndarray, nul_free: bool = False) -> np.ndarray:
    """Microseconds per string of ``values`` (an object array, NaN where empty);
    NOT_A_TIME where it is not a time of the forms above. ``nul_free``: the caller knows no
    string holds a NUL character (numpy's byte strings drop trailing ones, so otherwise each
    string's length is counted)."""
    micros = np.full(len(values), NOT_A_TIME, dtype=np.int64)
    try:
        fixed = values.astype(f"S{_WIDTH}")
    except (UnicodeEncodeError, TypeError, ValueError):
        fixed = None
    rest = np.ones(len(values), dtype=bool)
    if fixed is not None:
        raw = np.frombuffer(fixed.tobytes(), dtype=np.uint8).reshape(len(fixed), _WIDTH)
        fast, length = _fixed_us(raw, (0,))
        sure = length > 0
        if not nul_free:
            rows = np.flatnonzero(sure)
            sure[rows] = np.fromiter(map(len, values[rows]), np.int64, len(rows)) == length[rows]
        micros[sure] = fast[sure]
        rest = ~sure
    if rest.any():
        micros[rest] = iso8601_us(values[rest])
    return micros


def leading_stamps_us(body: bytes, starts: np.ndarray) -> np.ndarray:
    """Microseconds of the first field of each line of ``body`` (the lines start at
    ``starts``; fields end at a comma or a line break) where that field is in the
    whole-second or millisecond form with a date the fast path vouches for; NOT_A_TIME
    elsewhere, for the caller to read those fields as text. No text is made for the others."""
    micros = np.full(len(starts), NOT_A_TIME, dtype=np.int64)
    room = np.flatnonzero(starts + 4 * 8 <= len(body))
    if not len(room):
        return micros
    words = np.ndarray((len(body) - 7,), dtype=np.uint64, buffer=body, strides=(1,))
    for first in range(0, len(room), _BLOCK):  # small temporaries: no fresh memory pages
        rows = room[first : first + _BLOCK]
        at = starts[rows]
        raw = np.stack([words[at + k] for k in (0, 8, 16, 24)], axis=1).view(np.uint8)
        fast, length = _fixed_us(raw, (ord(","), ord("\n")))
        sure = length > 0
        micros[rows[sure]] = fast[sure]
    return micros


def _fixed_us(raw: np.ndarray, ends: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds for the rows of ``raw`` (the first bytes of each string, a row each)
    that are exactly ``YYYY-MM-DD[T ]hh:mm:ssZ`` or ``YYYY-MM-DD[T ]hh:mm:ss.fffZ`` followed
    by one of the ``ends`` bytes, with a valid date and time between 1970 and 2199, and the
    length of each such string (0 for the other rows). The date is worked out only where it
    differs from the row before (rows of a file share their dates)."""
    byte = np.ascontiguousarray(raw[:, :_WIDTH].T)  # byte[k]: every string's k-th
    digit = byte - np.uint8(ord("0"))  # wraps: a non-digit becomes > 9
    changed = np.ones(len(raw), dtype=bool)
    changed[1:] = np.any(byte[:10, 1:] != byte[:10, :-1], axis=0)
    firsts = np.flatnonzero(changed)
    date_seconds, date_sure = _date_seconds(digit[:10, firsts], byte[:10, firsts])
    date_row = np.cumsum(changed) - 1
    sure = date_sure[date_row]
    sure &= (byte[10] == ord("T")) | (byte[10] == ord(" "))
    sure &= (byte[13] == ord(":")) & (byte[16] == ord(":"))
    for k in (11, 12, 14, 15, 17, 18):
        sure &= digit[k] <= 9
    whole = (byte[_SHORT - 1] == ord("Z")) & np.isin(byte[_SHORT], ends)
    millis = (byte[19] == ord(".")) & (digit[20] <= 9) & (digit[21] <= 9) & (digit[22] <= 9)
    millis &= (byte[_MILLIS - 1] == ord("Z")) & np.isin(byte[_MILLIS], ends)
    hour = digit[11].astype(np.int32) * 10 + digit[12]
    minute = digit[14].astype(np.int32) * 10 + digit[15]
    second = digit[17].astype(np.int32) * 10 + digit[18]
    sure &= (hour < 24) & (minute < 60) & (second < 60) & (whole | millis)
    seconds = date_seconds[date_row] + (hour * 3600 + minute * 60 + second)
    micros = seconds * _US_PER_S
    if millis.any():
        fraction = (digit[20].astype(np.int64) * 100 + digit[21] * 10 + digit[22]) * 1000
        micros += np.where(millis, fraction, 0)
    length = np.where(sure, np.where(millis, _MILLIS, _SHORT), 0)
    return micros, length


def _date_seconds(digit: np.ndarray, byte: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds at midnight of ``YYYY-MM-DD`` dates (characters by position, one column a
    date), and a mask of those that are valid dates from 1970 to 2199."""
    sure = np.all(digit[[0, 1, 2, 3, 5, 6, 8, 9]] <= 9, axis=0)
    sure &= (byte[4] == ord("-")) & (byte[7] == ord("-"))
    number = digit.astype(np.int64)
    year = number[0] * 1000 + number[1] * 100 + number[2] * 10 + number[3]
    month = number[5] * 10 + number[6]
    day = number[8] * 10 + number[9]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _DAYS_IN_MONTH[np.minimum(month, 12)] + (leap & (month == 2))
    sure &= (year >= 1970) & (year < 2200) & (month >= 1) & (month <= 12)
    sure &= (day >= 1) & (day <= month_days)
    return _days_since_epoch(year, month, day) * 86400, sure


def _days_since_epoch(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days from 1970-01-01 to a date from 1970 on (H. Hinnant's days_from_civil, whose
    era is always 4 or 5 here)."""
    march = month <= 2
    y = year - march
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * (month + np.where(march, 9, -3)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days: np.ndarray = era * 146097 + day_of_era - 719468
    return days


def iso8601_us(values: np.ndarray) -> np.ndarray:
    text = values.astype(np.dtypes.StringDType(na_object=""))
    length = np.strings.str_len(text)
    shaped = np.strings.endswith(text, "Z") & ((length == 20) | ((length >= 22) & (length <= 27)))
    parsed = pd.to_datetime(
        np.where(shaped, values, np.nan), format="ISO8601", utc=True, errors="coerce"
    )
    stamps = np.asarray(parsed.tz_convert(None), dtype="datetime64[us]")
    micros = stamps.view(np.int64).copy()
    micros[np.isnat(stamps)] = NOT_A_TIME
    return micros
