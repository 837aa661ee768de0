"""Technical indicators: ``batch`` over whole arrays, ``incremental`` one closed candle at a time."""
