"""``qfdesk install-desktop`` / ``uninstall-desktop``: the app in the Linux desktop's menu.

Writes ``qfdesk.desktop`` to the user's applications folder (``$XDG_DATA_HOME/applications``,
default ``~/.local/share/applications``) and the app's icon to the user's hicolor icon theme
(``$XDG_DATA_HOME/icons/hicolor/<size>/apps/qfdesk.png``). The entry starts the bundle's
program, the installed ``qfdesk`` script, or ``python -m qfdesk`` in a source checkout.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DESKTOP_FILE = "qfdesk.desktop"
ICON_NAME = "qfdesk"
ICON_SIZES = (256, 128, 64, 48)
# Characters that make the Desktop Entry spec quote an Exec argument.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-home",
        type=Path,
        default=None,
        help="the XDG data folder to use (default: $XDG_DATA_HOME or ~/.local/share)",
    )


def data_home(override: Path | None = None) -> Path:
    """``override``, else $XDG_DATA_HOME (if absolute), else ~/.local/share."""
    if override is not None:
        return override
    import platformdirs

    return platformdirs.user_data_path()


def entry_path(home: Path) -> Path:
    return home / "applications" / DESKTOP_FILE


def icon_paths(home: Path) -> list[tuple[int | None, Path]]:
    """(size, target) of every icon file we install; size None is the scalable SVG."""
    hicolor = home / "icons" / "hicolor"
    targets: list[tuple[int | None, Path]] = [
        (size, hicolor / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png") for size in ICON_SIZES
    ]
    targets.append((None, hicolor / "scalable" / "apps" / f"{ICON_NAME}.svg"))
    return targets


def quote_exec_arg(arg: str) -> str:
    """One Exec argument as the Desktop Entry spec wants it (quoted if needed, % doubled)."""
    arg = arg.replace("%", "%%")
    if not any(ch in _RESERVED for ch in arg):
        return arg
    inner = "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg)
    # The string-value escape rule applies on top: each backslash is written twice.
    return '"' + inner.replace("\\", "\\\\") + '"'


def desktop_entry(command: list[str], icon: Path, workdir: Path | None) -> str:
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.5",
        "Name=QuantumFlux Desk",
        "GenericName=Trading terminal",
        "Comment=Live charts, market data and trading for the PocketOption web platform",
        "Exec=" + " ".join(quote_exec_arg(arg) for arg in command),
        f"Icon={icon}",
        "Terminal=false",
        "Categories=Finance;Office;",
        "Keywords=trading;charts;candles;pocketoption;",
        "StartupNotify=true",
    ]
    if len(command) == 1:
        lines.append(f"TryExec={command[0]}")
    if workdir is not None:
        lines.append(f"Path={workdir}")
    return "\n".join(lines) + "\n"


def install(home: Path) -> list[Path]:
    """Write the icons and the entry; the files written."""
    from qfdesk.engine.paths import app_command, resource_path, source_root

    written: list[Path] = []
    for size, target in icon_paths(home):
        name = f"{ICON_NAME}-{size}.png" if size else f"{ICON_NAME}.svg"
        source = resource_path("icons", name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
        written.append(target)
    entry = entry_path(home)
    entry.parent.mkdir(parents=True, exist_ok=True)
    command = app_command()
    workdir = source_root() if command[1:] == ["-m", "qfdesk"] else None
    text = desktop_entry(command, icon_paths(home)[0][1], workdir)
    temporary = entry.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(entry)
    written.append(entry)
    return written


def uninstall(home: Path) -> list[Path]:
    """Remove the entry and the icons; the files that were there."""
    removed = []
    for path in [entry_path(home), *(target for _, target in icon_paths(home))]:
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed


def run(args: argparse.Namespace) -> int:
    if not sys.platform.startswith("linux"):
        print(
            "install-desktop is for Linux desktops. On Windows and macOS, see the README's "
            "'Installing the app' section.",
            file=sys.stderr,
        )
        return 1
    home = data_home(args.data_home)
    try:
        if args.command == "uninstall-desktop":
            removed = uninstall(home)
            for path in removed:
                print(f"removed {path}")
            if not removed:
                print(f"nothing to remove: no {entry_path(home)}")
            return 0
        written = install(home)
    except OSError as error:
        print(f"qfdesk {args.command}: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    print("QuantumFlux Desk is in the desktop's application menu (Finance / Office).")
    return 0
