"""The decoder's JSON parse (orjson where it agrees) gives exactly what ``json.loads`` gives."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qfdesk.engine.decoder import FrameDecoder, _parse


def _outcome(parse: Any, text: str | bytes) -> tuple[str, str]:
    """The result as repr (exact for floats, tells int from float and -0.0 from 0.0), or the
    kind of error."""
    try:
        return "value", repr(parse(text))
    except RecursionError:
        return "error", "RecursionError"
    except ValueError:
        return "error", "ValueError"


def _capture_texts(capture: Path) -> list[str]:
    """Every JSON text of the real capture: entry lines, messages, text frames after their
    packet type, and attachments."""
    texts = []
    for line in capture.read_text().splitlines():
        texts.append(line)
        message = json.loads(line)["message"]
        texts.append(message)
        response = json.loads(message)["message"]["params"]["response"]
        data = response["payloadData"]
        if response["opcode"] == 2:
            texts.append(base64.b64decode(data).decode())
        elif data.startswith("42"):
            texts.append(data[2:])
        elif data.startswith("451-"):
            texts.append(data[4:])
    return texts


def test_every_json_text_of_the_real_capture_decodes_as_json_does(capture_path: Path) -> None:
    texts = _capture_texts(capture_path)
    assert len(texts) > 346 * 2
    floats = 0
    for text in texts:
        assert _outcome(_parse, text) == _outcome(json.loads, text)
        assert _outcome(_parse, text + "\n") == _outcome(json.loads, text + "\n")
        floats += repr(json.loads(text)).count(".")
    assert floats > 5_000, "the capture's prices and times were compared"


@pytest.mark.parametrize(
    "text",
    [
        "123456789012345678901234567890",  # orjson would make these floats
        "-9223372036854775809",
        '[1756866774, {"id": 98765432109876543210}]',
        "18446744073709551615",
        "NaN",
        "[1.5, Infinity, -Infinity]",
        "1e400",
        '"\\ud800"',
        "[" * 5000 + "]" * 5000,
        "\ufeff[1]",
        "[1,]",
        "01",
        "",
        " [1] \n",
        "1.00000000000000011102230246251565404236316680908203125",
        "2.2250738585072011e-308",
        "4.9e-324",
    ],
)
def test_texts_orjson_reads_otherwise_decode_as_json_does(text: str) -> None:
    assert _outcome(_parse, text) == _outcome(json.loads, text)
    raw = text.encode("utf-8", "surrogatepass")
    assert _outcome(_parse, raw) == _outcome(json.loads, raw)


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.integers(min_value=-(2**80), max_value=2**80)
        | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
        max_leaves=20,
    )
)
def test_any_json_value_decodes_as_json_does(value: object) -> None:
    text = json.dumps(value)
    assert _outcome(_parse, text) == _outcome(json.loads, text)


def test_lines_with_their_newline_decode_like_lines_without(capture_path: Path) -> None:
    lines = capture_path.read_text().splitlines()
    plain, with_newlines = FrameDecoder(), FrameDecoder()
    assert plain.feed_many(lines) == with_newlines.feed_many(line + "\n" for line in lines)
    assert plain.stats.events == with_newlines.stats.events
    assert sum(plain.stats.events.values()) > 100
