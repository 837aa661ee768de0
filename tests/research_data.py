"""Candle files the research tests make: a random walk (no edge) and a planted trend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

START = 1_700_000_040  # a whole minute


def ar1_closes(n: int, phi: float, seed: int) -> np.ndarray:
    """Closes whose one-minute returns follow r[t] = phi * r[t-1] + noise: phi = 0 is a
    random walk (no strategy can beat the payout on it); phi > 0 is momentum that a
    trend-following strategy can exploit."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, 1e-4, n)
    returns = np.empty(n)
    returns[0] = noise[0]
    for i in range(1, n):
        returns[i] = phi * returns[i - 1] + noise[i]
    return 1.1 + np.cumsum(returns)


def write_candles(path: Path, closes: np.ndarray) -> Path:
    """A QuantumFlux-style 1m candle CSV (timestamp,open,close,high,low)."""
    opens = np.concatenate(([closes[0]], closes[:-1]))
    times = pd.to_datetime(START + 60 * np.arange(closes.size), unit="s", utc=True)
    frame = pd.DataFrame(
        {
            "timestamp": times.strftime("%Y-%m-%d %H:%M:%SZ"),
            "open": opens,
            "close": closes,
            "high": np.maximum(opens, closes) + 1e-5,
            "low": np.minimum(opens, closes) - 1e-5,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path
