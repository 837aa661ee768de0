"""The built-in simulated platform: a local trading page and Socket.IO-format sockets.

``SimulatedPlatform(host, port=0, assets=6, tick_rate=None, seed=None)`` runs the server on
its own thread. ``start()``/``stop()`` or ``with``; then:

- ``url`` (demo page ``/en/cabinet/demo-quick-high-low/``), ``real_url``, ``base_url``,
  ``port``, ``socket_url``, ``chat_socket_url``;
- ``sent_ticks()`` -> ``[SentTick(asset, time, price, sent_at)]`` in send order;
  ``sent_times()`` -> ``{(asset, platform time): sent_at}``;
- ``orders()`` -> ``[OrderRecord]`` (status pending/open/unconfirmed/rejected/closed, outcome,
  profit); ``received_events()`` -> what the page sent (auth without its session token);
- ``assets`` (catalogue dicts), ``favourites`` (symbols streamed to every page), ``state()``;
- ``control(action, **params)``, also ``POST /_sim/control`` with ``{"action": ..., **params}``:

  - ``drop_socket(socket="trading"|"chat"|"all", how="close"|"disconnect"|"abort")``
  - ``malformed(kind="bad_json"|"bad_attachment"|"header_without_attachment"|
    "attachment_without_header"|"unknown_packet", socket="trading")``
  - ``reject_next(error=...)``, ``delay_confirm(seconds=3)``, ``never_confirm()``: next order
  - ``place_other(amount=None, account=None|"demo"|"real")``: the next order is placed with
    that amount and/or on that account instead of what the page sent (its record shows what
    was placed)
  - ``force_outcome(outcome="win"|"loss"|"refund")``: the next deal to close
  - ``close_orders_now()``, ``set_balance(balance, demo=True)``, ``set_tick_rate(rate)``,
    ``pause_stream()``, ``resume_stream()``, ``set_asset_active(asset, active)``,
    ``set_payout(asset, payout)`` (a whole percent; the pages get the new asset table)
  - ``stream_shape(shape="list"|"flat")``: ``updateStream`` as ``[[asset, t, price]]`` or
    as one flat ``[asset, t, price]`` (the live page's shape reported in 2026)
  - ``account(kind="real"|"demo")``: the open pages navigate to that account's page
  - ``show_tutorial()``
  - ``rename_class(old, new)``: the platform changed its markup: elements of class ``old``
    have class ``new`` instead (the open pages and every page served after), e.g.
    ``btn-call`` and ``switch-state-block__item``: no built-in selector finds BUY any more
  - ``history_gap(asset, start, end)``: no history for ``asset`` in [start, end) before the
    simulator started (paging there returns empty pages, like a market's weekend)

A page socket streams its current asset, the favourites and what it subscribed to with
``42["subfor", symbol]`` (ended by ``unsubfor``): at most four subscriptions, the page's own
chart included; a ``subfor`` past that is dropped without an answer, as the platform caps live
subscriptions at about four.

History before the simulator started is the same for the same asset and time in every run
(``qfdesk.sim.deep_history``); ``loadHistoryPeriod`` pages it back to 2000, as candles or,
with ``"period": 0``, as ticks.
"""

from qfdesk.sim.deals import OrderRecord
from qfdesk.sim.platform import SimulatedPlatform
from qfdesk.sim.state import ReceivedEvent, SentTick

__all__ = ["OrderRecord", "ReceivedEvent", "SentTick", "SimulatedPlatform"]
