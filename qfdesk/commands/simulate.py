"""``qfdesk simulate``: serve the simulated platform in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import math

DEFAULT_PORT = 8765
STATUS_EVERY = 30.0


def _positive_rate(text: str) -> float:
    value = float(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError("the tick rate must be a finite number above 0")
    return value


def _asset_count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("at least one asset is needed")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any)"
    )
    parser.add_argument(
        "--assets", type=_asset_count, default=6, help="tradable assets (one closed is added)"
    )
    parser.add_argument(
        "--tick-rate",
        type=_positive_rate,
        default=None,
        help="total ticks per second across streamed assets (default: 2 per asset)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed for the prices")


def run(args: argparse.Namespace) -> int:
    import signal
    import threading

    from qfdesk.sim import SimulatedPlatform

    platform = SimulatedPlatform(
        host=args.host,
        port=args.port,
        assets=args.assets,
        tick_rate=args.tick_rate,
        seed=args.seed,
    )
    try:
        platform.start()
    except RuntimeError as exc:
        print(f"{exc}. Choose a free port with --port (0 picks one).")
        return 1
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    print(f"Simulated platform (demo account): {platform.url}", flush=True)
    print(f"REAL-looking account page:         {platform.real_url}")
    print(f'Control: POST {platform.base_url}/_sim/control  JSON {{"action": ...}}')
    print("Ctrl-C stops it.", flush=True)
    try:
        while not stop.wait(STATUS_EVERY):
            state = platform.state()
            print(
                f"pages {state['trading_sockets']}, streaming {', '.join(state['streamed']) or '-'}"
                f", ticks sent {state['ticks_sent']}, orders {state['orders']}",
                flush=True,
            )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        platform.stop()
    print(f"Stopped; {len(platform.sent_ticks())} ticks and {len(platform.orders())} orders.")
    return 0
