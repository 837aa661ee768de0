"""The simulated page in real headless Chromium: selectors, clicks, and the performance log."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import CHROMEDRIVER, CHROMIUM, needs_browser

from qfdesk.sim import SimulatedPlatform

pytestmark = [pytest.mark.browser, needs_browser]

ROOT = Path(__file__).resolve().parents[1]
BUY = "#put-call-buttons-chart-1 .action-high-low.button-call-wrap a.btn.btn-call"
SELL = "#put-call-buttons-chart-1 .action-high-low.button-put-wrap a.btn.btn-put"
AMOUNT = '#put-call-buttons-chart-1 input[type="text"]'

# The first (best) selector of every element in platform-dom.md that exists without a click.
PAGE_SELECTORS = [
    BUY,
    SELL,
    AMOUNT,
    ".block--expiration-inputs .value__val",
    ".block--expiration-inputs .control__value",
    ".block--payout .value__val-start",
    ".current-symbol",
    ".pair-number-wrap",
    "#js-assets-favorites-slider",
    ".assets-favorites-item",
    ".assets-favorites-item .assets-favorites-item__label",
    ".assets-favorites-item .payout__number",
    ".balance-info-block__balance",
    ".js-balance-demo",
    ".balance-info-block__label",
    ".is-chart-demo",
    ".js-right-block",
    "a.items__link--chart-type",
    ".tutorial-v1__close-icon",
    # fallbacks
    "#put-call-buttons-chart-1 .btn-call",
    "#put-call-buttons-chart-1 .switch-state-block__item:first-child",
    "#put-call-buttons-chart-1 .switch-state-block__item:last-child",
]


@pytest.fixture
def sim() -> Iterator[SimulatedPlatform]:
    """A platform of its own for each test: a fresh balance, no orders, the demo account."""
    with SimulatedPlatform(seed=3, assets=6, ping_interval=0.8, ping_timeout=3.0) as platform:
        yield platform


def new_driver() -> Any:
    """Headless Chromium with the performance log on."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--window-size=1280,900",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    chrome = new_driver()
    try:
        yield chrome
    finally:
        chrome.quit()


def wait_until(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except Exception:  # noqa: BLE001 - the page may be mid-render
            result = None
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def css(driver: Any, selector: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def css_all(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


class PerfLog:
    """Frames from chromedriver's performance log, header and attachment paired per socket."""

    def __init__(self) -> None:
        self.created: dict[str, str] = {}
        self.sent: list[tuple[str, str]] = []
        self.received: list[tuple[str, int, str]] = []
        self.events: list[tuple[str, str, Any]] = []  # request id, event, payload
        self._pending: dict[str, str] = {}

    def drain(self, driver: Any) -> PerfLog:
        return self.drain_entries(driver.get_log("performance"))

    def drain_entries(self, entries: list[dict[str, Any]]) -> PerfLog:
        for entry in entries:
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            method = message.get("method")
            if method == "Network.webSocketCreated":
                self.created[params["requestId"]] = params["url"]
            elif method == "Network.webSocketFrameSent":
                self.sent.append((params["requestId"], params["response"]["payloadData"]))
            elif method == "Network.webSocketFrameReceived":
                self._received(params["requestId"], params["response"])
        return self

    def _received(self, rid: str, response: dict[str, Any]) -> None:
        opcode, data = response["opcode"], response["payloadData"]
        self.received.append((rid, opcode, data))
        if opcode == 1 and data.startswith("451-"):
            self._pending[rid] = json.loads(data[4:])[0]
        elif opcode == 2 and rid in self._pending:
            payload = json.loads(base64.b64decode(data))
            self.events.append((rid, self._pending.pop(rid), payload))

    def sent_events(self, name: str) -> list[Any]:
        out = []
        for _, data in self.sent:
            if data.startswith("42"):
                packet = json.loads(data[2:])
                if packet[0] == name:
                    out.append(packet[1] if len(packet) > 1 else None)
        return out

    def received_events(self, name: str) -> list[Any]:
        return [payload for _, event, payload in self.events if event == name]


def interleaved_headers(frames: list[tuple[str, int, str]]) -> int:
    """How many binary-event headers had another socket's frame before their attachment."""
    count = 0
    for index, (rid, opcode, data) in enumerate(frames):
        if opcode != 1 or not data.startswith("451-"):
            continue
        for later_rid, _, _ in frames[index + 1 :]:
            if later_rid == rid:
                break
            count += 1
            break
    return count


@pytest.fixture
def page(driver: Any, sim: SimulatedPlatform) -> PerfLog:
    """The test's simulator freshly loaded, with a log of its own frames only: the tab leaves
    the page an earlier test changed, and what that page logged is dropped."""
    driver.get("about:blank")
    driver.get_log("performance")
    driver.get(sim.url)
    wait_until(lambda: css(driver, ".current-symbol").text.strip(), what="the current asset")
    wait_until(lambda: css_all(driver, ".assets-favorites-item"), what="the favourites")
    return PerfLog().drain(driver)


def test_every_selector_of_the_dom_reference_resolves(driver: Any, page: PerfLog) -> None:
    from selenium.webdriver.common.by import By

    missing = [s for s in PAGE_SELECTORS if not css_all(driver, s)]
    assert missing == []
    amount_xpath = "//*[contains(normalize-space(.),'Amount')]/following::input[1]"
    assert driver.find_element(By.XPATH, amount_xpath) == css(driver, AMOUNT)
    assert css(driver, ".current-symbol").text == "EUR/USD OTC"
    assert css(driver, ".block--payout .value__val-start").text == "+92%"
    assert css(driver, ".block--expiration-inputs .value__val").text == "00:01:00"
    assert css(driver, ".balance-info-block__label").text == "QT Demo"
    assert css(driver, ".js-balance-demo").text == "50,000.00"
    labels = [e.text for e in css_all(driver, ".assets-favorites-item__label")]
    assert labels == ["EUR/USD OTC", "AUD/CAD OTC", "EUR/GBP OTC"]
    assert css(driver, ".assets-favorites-item .payout__number").text == "+92"


def test_the_page_answers_pings_and_keeps_its_sockets(driver: Any, page: PerfLog) -> None:
    page.drain(driver)
    sockets, pongs = len(page.created), sum(1 for _, data in page.sent if data == "3")
    time.sleep(2.5)
    page.drain(driver)
    assert sum(1 for _, data in page.sent if data == "3") - pongs >= 4  # both sockets
    assert len(page.created) == sockets
    pings = [rid for rid, opcode, data in page.received if opcode == 1 and data == "2"]
    assert len(set(pings)) == 2


def test_picker_menus_and_tutorial(driver: Any, sim: SimulatedPlatform, page: PerfLog) -> None:
    css(driver, ".pair-number-wrap").click()
    search = wait_until(
        lambda: (
            css(driver, "input.search__field").is_displayed() and css(driver, "input.search__field")
        )
    )
    rows = css_all(driver, ".alist__item")
    assert len(rows) == 7
    assert css(driver, ".alist__item .alist__link .alist__label").text == "EUR/USD OTC"
    assert css(driver, ".alist__item .alist__payout").text == "+92%"
    search.send_keys("gbp/usd")
    wait_until(lambda: len(css_all(driver, ".alist__item")) == 1, what="the search filter")
    css(driver, ".modal-overlay").click()
    wait_until(lambda: not css(driver, ".modal-overlay").is_displayed(), what="picker closed")

    css(driver, ".block--expiration-inputs .control__value").click()
    items = {e.text: e for e in css_all(driver, ".dops__timeframes-item")}
    assert {"S30", "M1", "M3", "M5"} <= set(items)
    items["S30"].click()
    assert css(driver, ".block--expiration-inputs .value__val").text == "00:00:30"
    css(driver, ".block--expiration-inputs .control__value").click()
    {e.text: e for e in css_all(driver, ".dops__timeframes-item")}["M1"].click()
    assert css(driver, ".block--expiration-inputs .value__val").text == "00:01:00"

    css(driver, "a.items__link--chart-type").click()
    options = {e.text: e for e in css_all(driver, ".items__list .item")}
    assert {"S30", "M1", "M5", "H1"} <= set(options)
    options["M5"].click()
    wanted = {"asset": "EURUSD_otc", "period": 300}
    wait_until(
        lambda: any(e.payload == wanted for e in sim.received_events()),
        what="changeSymbol with period 300",
    )
    css(driver, "a.items__link--chart-type").click()
    {e.text: e for e in css_all(driver, ".items__list .item")}["M1"].click()

    css(driver, ".tutorial-v1__close-icon").click()
    assert not css(driver, ".tutorial-v1").is_displayed()


def test_buy_and_sell_reach_the_socket_and_the_perf_log(
    driver: Any, sim: SimulatedPlatform, page: PerfLog
) -> None:
    page.drain(driver)
    before = len(sim.orders())
    css(driver, BUY).click()
    wait_until(lambda: css_all(driver, ".deals-noty-streamer"), what="the trade toast")
    css(driver, SELL).click()
    wait_until(lambda: len(sim.orders()) == before + 2, what="two orders")
    wait_until(lambda: page.drain(driver).received_events("successopenOrder")[1:], what="confirms")
    sent = page.sent_events("openOrder")
    assert [o["action"] for o in sent[-2:]] == ["call", "put"]
    assert sent[-1]["asset"] == "EURUSD_otc" and sent[-1]["isDemo"] == 1
    assert sent[-1]["optionType"] == 100 and sent[-1]["time"] == 60
    assert sent[-1]["amount"] == 10 and isinstance(sent[-1]["requestId"], int)
    deals = page.received_events("successopenOrder")
    assert [d["command"] for d in deals[-2:]] == [0, 1]
    assert [o.deal_id for o in sim.orders()[-2:]] == [d["id"] for d in deals[-2:]]
    # the wire: every binary frame follows a 451- header of its own socket
    headers = [r for r in page.received if r[1] == 1 and r[2].startswith("451-")]
    assert any('"successopenOrder"' in r[2] for r in headers)
    # both sockets: the chat socket's binary frames come every second or so, not at once
    wait_until(
        lambda: len({rid for rid, opcode, _ in page.drain(driver).received if opcode == 2}) == 2,
        what="binary frames on both sockets",
    )
    assert page.created and any("/chat/" in url for url in page.created.values())
    wait_until(lambda: len(css_all(driver, ".js-right-block .deals-list__item")) >= 2)
    auth = page.sent_events("auth")[0]
    assert set(auth) == {"session", "isDemo", "uid", "platform"} and auth["isDemo"] == 1


def test_every_element_of_the_selectors_file_resolves_by_its_first_selector(
    driver: Any, sim: SimulatedPlatform, page: PerfLog
) -> None:
    """The selectors data file the browser layer uses, against this page."""
    from selenium.webdriver.common.by import By

    elements = json.loads((ROOT / "resources" / "selectors.json").read_text())["elements"]
    css(driver, BUY).click()
    wait_until(lambda: css_all(driver, ".deals-noty-streamer"), what="the trade toast")
    css(driver, ".pair-number-wrap").click()
    wait_until(lambda: css_all(driver, ".alist__item"), what="the picker rows")
    missing = []
    for name, element in elements.items():
        first = element["selectors"][0]
        by, value = (
            (By.CSS_SELECTOR, first["css"]) if "css" in first else (By.XPATH, first["xpath"])
        )
        if not driver.find_elements(by, value):
            missing.append(name)
    css(driver, ".modal-overlay").click()
    assert missing == []


def test_the_amount_input_behaves_like_a_controlled_field(
    driver: Any, sim: SimulatedPlatform, page: PerfLog
) -> None:
    from selenium.webdriver.common.keys import Keys

    field = css(driver, AMOUNT)
    driver.execute_script("arguments[0].value = '77';", field)
    wait_until(lambda: field.get_attribute("value") == "10", what="the bare value to revert")
    driver.execute_script(
        "const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;"
        "setter.call(arguments[0], '25');"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
        field,
    )
    time.sleep(0.4)
    assert field.get_attribute("value") == "25"
    # like on a React page, clear() alone does not empty the field; select-all and type does
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("12")
    css(driver, ".block--payout").click()
    assert field.get_attribute("value") == "12"
    before = len(sim.orders())
    css(driver, BUY).click()
    wait_until(lambda: len(sim.orders()) == before + 1)
    assert sim.orders()[-1].amount == 12


def test_choosing_a_favourite_changes_symbol(
    driver: Any, sim: SimulatedPlatform, page: PerfLog
) -> None:
    css_all(driver, ".assets-favorites-item")[2].click()
    wait_until(lambda: css(driver, ".current-symbol").text == "EUR/GBP OTC")
    wait_until(
        lambda: (
            page.drain(driver).received_events("updateHistoryNewFast")[-1]["asset"] == "EURGBP_otc"
        ),
        what="EUR/GBP history",
    )
    assert page.sent_events("changeSymbol")[-1] == {"asset": "EURGBP_otc", "period": 60}
    assert page.sent_events("subfor")[-1] == "EURGBP_otc"
    assert css(driver, ".block--payout .value__val-start").text == "+86%"


def test_scrolling_the_chart_back_pages_history(
    driver: Any, sim: SimulatedPlatform, page: PerfLog
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.wheel_input import ScrollOrigin

    page.drain(driver)
    canvas = css(driver, "#sim-chart")
    ActionChains(driver).scroll_from_origin(ScrollOrigin.from_element(canvas), 0, -300).perform()
    batch = wait_until(
        lambda: page.drain(driver).received_events("loadHistoryPeriodFast"), what="a history page"
    )[-1]
    request = page.sent_events("loadHistoryPeriod")[-1]
    assert set(request) == {"asset", "index", "time", "offset", "period"}
    assert batch["asset"] == request["asset"] and batch["index"] == request["index"]
    assert len(batch["data"]) == 150
    assert batch["data"][-1]["time"] + request["period"] == request["time"]


def test_the_page_reconnects_after_a_drop(
    driver: Any, sim: SimulatedPlatform, page: PerfLog
) -> None:
    page.drain(driver)
    sockets_before = len(page.created)
    sim.control("drop_socket", socket="trading")
    wait_until(lambda: len(page.drain(driver).created) > sockets_before, what="a new socket")
    wait_until(lambda: len(page.drain(driver).sent_events("auth")) >= 2, what="a second auth")
    wait_until(lambda: sim.state()["trading_sockets"] == 1, what="one trading socket")
    wait_until(lambda: css(driver, "#sim-socket-state").text == "connected")


def test_switching_to_a_real_looking_account(
    driver: Any, sim: SimulatedPlatform, page: PerfLog
) -> None:
    sim.control("account", kind="real")
    wait_until(lambda: "/en/cabinet/quick-high-low/" in driver.current_url, what="the REAL page")
    wait_until(lambda: css(driver, ".js-balance-real-USD").text == "1,000.00", what="balance")
    assert "demo" not in driver.current_url
    assert css_all(driver, ".is-chart-demo") == []
    assert css_all(driver, ".js-balance-demo") == []
    assert "Demo" not in css(driver, ".balance-info-block__label").text
    page.drain(driver)
    wait_until(lambda: page.drain(driver).sent_events("auth")[-1]["isDemo"] == 0)
    sim.control("account", kind="demo")
    wait_until(lambda: "demo-quick-high-low" in driver.current_url, what="back to demo")
    wait_until(lambda: css_all(driver, ".is-chart-demo"))


def test_the_decoder_gets_every_tick_sent_through_chromium() -> None:
    """The whole data path offline: simulator -> Chromium's perf log -> engine decoder."""
    from qfdesk.engine.decoder import FrameDecoder
    from qfdesk.engine.events import Tick

    with SimulatedPlatform(seed=9, assets=3, tick_rate=60) as sim:
        chrome = new_driver()
        try:
            chrome.get(sim.url)
            wait_until(lambda: len(sim.sent_ticks()) > 150, what="ticks")
            sim.control("pause_stream")
            time.sleep(0.5)
            entries = chrome.get_log("performance")
        finally:
            chrome.quit()
        sent = [(t.asset, t.time, t.price) for t in sim.sent_ticks()]
    received = PerfLog()
    received.drain_entries(entries)
    assert interleaved_headers(received.received) > 0
    decoder = FrameDecoder()
    events = decoder.feed_many(entries)
    decoder.flush()
    ticks = [(e.asset, e.time, e.price) for e in events if isinstance(e, Tick)]
    assert ticks == sent
    assert decoder.stats.malformed_total == 0
