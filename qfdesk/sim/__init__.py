"""The built-in simulated platform: a local trading page and Socket.IO-format sockets.

``SimulatedPlatform(...).start()`` serves the page at ``.url``; ``control(action, **params)``
(or POST ``/_sim/control`` with ``{"action": ..., **params}``) makes it misbehave:

- ``drop_socket(socket="trading"|"chat"|"all", how="close"|"disconnect")``
- ``malformed(kind="bad_json"|"bad_attachment"|"header_without_attachment"|
  "attachment_without_header"|"unknown_packet", socket="trading")``
- ``reject_next(error=...)``, ``delay_confirm(seconds=3)``, ``never_confirm()``: the next order
- ``force_outcome(outcome="win"|"loss"|"refund")``: the next deal to close
- ``close_orders_now()``, ``set_balance(balance, demo=True)``, ``set_tick_rate(rate)``,
  ``pause_stream()``, ``resume_stream()``, ``set_asset_active(asset, active)``
- ``account(kind="real"|"demo")``: the open pages navigate to that account's page
- ``show_tutorial()``
"""

from qfdesk.sim.deals import OrderRecord
from qfdesk.sim.platform import SimulatedPlatform
from qfdesk.sim.state import ReceivedEvent, SentTick

__all__ = ["OrderRecord", "ReceivedEvent", "SentTick", "SimulatedPlatform"]
