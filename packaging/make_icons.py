"""Render resources/icons/qfdesk.svg to the PNG sizes the desktop and the bundle use.

Run from the repository root after changing the SVG: ``python packaging/make_icons.py``.
Writes ``qfdesk-<size>.png`` (256, 128, 64, 48) and ``qfdesk.ico`` (Windows) next to it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtGui, QtSvg

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZES = (256, 128, 64, 48)


def render(renderer: QtSvg.QSvgRenderer, size: int) -> QtGui.QImage:
    image = QtGui.QImage(size, size, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    _app = QtGui.QGuiApplication(sys.argv[:1])
    renderer = QtSvg.QSvgRenderer(str(ICONS / "qfdesk.svg"))
    if not renderer.isValid():
        print(f"cannot read {ICONS / 'qfdesk.svg'}", file=sys.stderr)
        return 1
    for size in SIZES:
        target = ICONS / f"qfdesk-{size}.png"
        if not render(renderer, size).save(str(target)):
            print(f"could not write {target}", file=sys.stderr)
            return 1
        print(target)
    ico = ICONS / "qfdesk.ico"
    if render(renderer, 256).save(str(ico), "ICO"):
        print(ico)
    else:
        print("no ICO writer in this Qt; the Windows build uses the 256 px PNG", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
