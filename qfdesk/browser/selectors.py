"""Page selectors as data: ordered fallbacks per element, overridable by the user.

``resources/selectors.json`` holds the chains; a ``selectors.json`` in the qfdesk config dir
replaces the chain (or flags) of the elements it names, so a trader can follow a markup change
of the platform without a new release. Its ``messages`` name the socket events qfdesk sends
on the page's socket (``{"stream_start": {"event": "subfor"}}``), overridable the same way.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from qfdesk.engine.keep_aside import keep_aside
from qfdesk.engine.paths import config_dir, resources_dir

log = logging.getLogger(__name__)

SearchRoot = WebDriver | WebElement  # a page, or an element for relative lookups
SELECTORS_FILE = "selectors.json"


def user_selectors_path() -> Path:
    return config_dir() / SELECTORS_FILE


@dataclass(frozen=True, slots=True)
class Selector:
    kind: str  # "css" or "xpath"
    value: str

    @property
    def by(self) -> str:
        return By.XPATH if self.kind == "xpath" else By.CSS_SELECTOR

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


@dataclass(frozen=True, slots=True)
class ElementSpec:
    name: str
    critical: bool
    description: str
    chain: tuple[Selector, ...]


@dataclass(frozen=True, slots=True)
class Match:
    """An element found, and which fallback of its chain found it (0 = the best)."""

    name: str
    element: WebElement
    selector: Selector
    index: int


@dataclass(frozen=True, slots=True)
class Resolution:
    name: str
    critical: bool
    selector: Selector | None
    index: int | None
    count: int

    @property
    def ok(self) -> bool:
        return self.selector is not None


class SelectorError(ValueError):
    pass


def _parse_chain(name: str, raw: object) -> tuple[Selector, ...]:
    if not isinstance(raw, list):
        raise SelectorError(
            f"{name}: 'selectors' must be a list of {{'css': ...}} or {{'xpath': ...}}"
        )
    chain = []
    for entry in raw:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise SelectorError(f"{name}: each selector must be {{'css': ...}} or {{'xpath': ...}}")
        ((kind, value),) = entry.items()
        if kind not in ("css", "xpath") or not isinstance(value, str) or not value:
            raise SelectorError(f"{name}: unknown selector {entry!r}; use 'css' or 'xpath'")
        chain.append(Selector(kind, value))
    if not chain:
        raise SelectorError(f"{name}: no selectors")
    return tuple(chain)


def _parse(data: object, base: dict[str, ElementSpec] | None = None) -> dict[str, ElementSpec]:
    """The elements of a selectors file merged over ``base``; SelectorError naming what is
    wrong when the file is not of the selectors layout."""
    if not isinstance(data, dict):
        raise SelectorError(f"the file holds a {type(data).__name__}, not a JSON object")
    elements = dict(base or {})
    raw = data.get("elements")
    if not isinstance(raw, dict):
        raise SelectorError("the file has no 'elements' object")
    for name, spec in raw.items():
        if not isinstance(spec, dict):
            raise SelectorError(f"{name}: expected an object")
        old = elements.get(name)
        chain = _parse_chain(name, spec["selectors"]) if "selectors" in spec else old and old.chain
        if not chain:
            raise SelectorError(f"{name}: no selectors")
        critical = spec.get("critical", old.critical if old else False)
        if not isinstance(critical, bool):
            raise SelectorError(f"{name}: 'critical' must be true or false, not {critical!r}")
        description = spec.get("description", old.description if old else "")
        if not isinstance(description, str):
            raise SelectorError(f"{name}: 'description' must be text, not {description!r}")
        elements[name] = ElementSpec(name, critical, description, chain)
    return elements


def _parse_messages(data: object, base: dict[str, str] | None = None) -> dict[str, str]:
    """The socket event names of a selectors file (its optional ``messages``) over ``base``."""
    messages = dict(base or {})
    raw = data.get("messages", {}) if isinstance(data, dict) else {}
    if not isinstance(raw, dict):
        raise SelectorError("'messages' must be an object")
    for name, spec in raw.items():
        event = spec.get("event") if isinstance(spec, dict) else None
        if not isinstance(event, str) or not event:
            raise SelectorError(f"{name}: 'event' must be the name of a socket event")
        messages[name] = event
    return messages


def _read(path: Path) -> object:
    """The JSON in ``path``; SelectorError saying why it cannot be read."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise SelectorError(f"it could not be read ({exc})") from None
    except UnicodeDecodeError:
        raise SelectorError("it is not text (it is not UTF-8)") from None
    except (ValueError, RecursionError) as exc:
        raise SelectorError(f"it is not valid JSON ({exc})") from None


def _merge_user_file(
    elements: dict[str, ElementSpec], messages: dict[str, str], user_path: Path
) -> tuple[dict[str, ElementSpec], dict[str, str], str | None]:
    """``elements`` and ``messages`` with the user's file merged in, or unchanged with the
    reason it was not."""
    try:
        data = _read(user_path)
        return _parse(data, elements), _parse_messages(data, messages), None
    except SelectorError as exc:
        reason = str(exc)
    backup = keep_aside(user_path, "unreadable")
    kept = f"a copy is kept as {backup}; " if backup is not None else ""
    problem = (
        f"the selectors file {user_path} is not used ({reason}); {kept}the built-in "
        "selectors are used. Fix the file (or delete it) and connect again."
    )
    log.warning("%s", problem)
    return elements, messages, problem


class Selectors:
    """The element chains, with lookups that try each fallback in order.

    ``problem`` says why the user's selectors file was not used (None when it was, or when
    there is none).
    """

    def __init__(
        self,
        elements: dict[str, ElementSpec],
        sources: tuple[Path, ...] = (),
        problem: str | None = None,
        messages: dict[str, str] | None = None,
    ) -> None:
        self.elements = elements
        self.sources = sources
        self.problem = problem
        self.messages = dict(messages or {})

    @classmethod
    def load(cls, path: Path | None = None, user_path: Path | None = None) -> Selectors:
        """The built-in file merged with the user's (``user_path`` default: the config dir).

        A user file that cannot be used is kept aside, logged and left out (see ``problem``):
        the built-in selectors still work. A broken built-in file raises SelectorError.
        """
        path = path or resources_dir() / SELECTORS_FILE
        data = _read(path)
        elements, messages = _parse(data), _parse_messages(data)
        sources = [path]
        problem = None
        user_path = user_selectors_path() if user_path is None else user_path
        if user_path.is_file():
            elements, messages, problem = _merge_user_file(elements, messages, user_path)
            if problem is None:
                sources.append(user_path)
        return cls(elements, tuple(sources), problem, messages)

    def spec(self, name: str) -> ElementSpec:
        try:
            return self.elements[name]
        except KeyError:
            raise SelectorError(f"no selectors for element {name!r}") from None

    def message(self, name: str) -> str:
        """The socket event sent for ``name`` (``stream_start`` -> ``subfor``)."""
        try:
            return self.messages[name]
        except KeyError:
            raise SelectorError(f"no socket event for message {name!r}") from None

    def critical(self) -> list[str]:
        return [name for name, spec in self.elements.items() if spec.critical]

    def _first_hit(
        self, root: SearchRoot, name: str
    ) -> tuple[int, Selector, list[WebElement]] | None:
        """The first fallback of ``name``'s chain matching anything under ``root`` (a driver or
        an element), with its index and every element it matched."""
        for index, selector in enumerate(self.spec(name).chain):
            try:
                found = root.find_elements(selector.by, selector.value)
            except WebDriverException as exc:
                log.debug("selector %s for %s failed: %s", selector, name, exc.msg)
                continue
            if found:
                return index, selector, found
        return None

    def find_all(self, root: SearchRoot, name: str) -> tuple[Selector | None, list[WebElement]]:
        """All elements matched by the first fallback that matches any; ``root`` is a driver
        or an element (relative lookups)."""
        hit = self._first_hit(root, name)
        return (hit[1], hit[2]) if hit is not None else (None, [])

    def find(self, root: SearchRoot, name: str) -> Match | None:
        hit = self._first_hit(root, name)
        return Match(name, hit[2][0], hit[1], hit[0]) if hit is not None else None

    def resolve(self, root: SearchRoot, names: list[str] | None = None) -> list[Resolution]:
        """Which fallback of each element matches on the page now (for ``qfdesk doctor``)."""
        report = []
        for name in names or list(self.elements):
            critical = self.spec(name).critical
            hit = self._first_hit(root, name)
            if hit is None:
                report.append(Resolution(name, critical, None, None, 0))
            else:
                index, selector, found = hit
                report.append(Resolution(name, critical, selector, index, len(found)))
        return report
