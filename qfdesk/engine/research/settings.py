"""How a sweep judges its combinations: the fallback payout, the folds, the PBO blocks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SweepSettings:
    payout: float
    folds: int = 5
    pbo_blocks: int = 16
    alpha: float = 0.05

    def check(self, candles: int) -> None:
        if self.folds < 1:
            raise ValueError(f"--folds must be at least 1, got {self.folds}")
        if self.pbo_blocks < 2 or self.pbo_blocks % 2:
            raise ValueError(f"--pbo-blocks must be an even number >= 2, got {self.pbo_blocks}")
        if self.pbo_blocks > 24:
            raise ValueError(f"--pbo-blocks {self.pbo_blocks} gives too many splits; at most 24")
        if candles < max(self.folds + 1, self.pbo_blocks) * 2:
            raise ValueError(
                f"{candles} candles are too few for {self.folds} folds and {self.pbo_blocks} "
                "blocks; load more history or lower --folds / --pbo-blocks"
            )
