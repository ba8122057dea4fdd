"""What every screenshot tool does, written once: start Qt offscreen with throw-away settings, build (or copy) the
demo study, open it signed in with a demo account, wait for the work and the figures to finish, save a PNG.

The tools in this folder (``screenshot.py``, ``access_screenshots.py``, ``layout_screenshots.py``,
``screenshot_case.py``, ``screenshot_adjudication.py``, ``screenshot_dashboard.py``, ``screenshot_report.py``)
import it by name: Python puts the folder of the script it runs first on the path. The real user settings are
never touched (QSettings go to the scratch folder).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QWidget

    from hccreview.services.session import StudySession
    from hccreview.ui.panel_context import PanelContext
    from hccreview.ui.workers import Runner

REPO = Path(__file__).resolve().parents[1]
SHOTS = REPO / "docs" / "screenshots"
#: The demo accounts (docs/demo-study.md).
DEMO_PASSWORDS = {"reader1": "reader1-demo", "reader2": "reader2-demo", "adjudicator": "adjudicator-demo",
                  "admin": "admin-demo"}  # fmt: skip


def size(text: str) -> tuple[int, int]:
    """``"1366x768"`` → ``(1366, 768)``."""
    width, height = (int(v) for v in text.lower().split("x"))
    return width, height


def scratch(prefix: str) -> Path:
    """A new temporary folder for this run (the demo study, the settings)."""
    return Path(tempfile.mkdtemp(prefix=f"hccreview-{prefix}-"))


def start_qt(folder: Path) -> QApplication:
    """The QApplication (offscreen; the running one if any), its QSettings in ``folder``."""
    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName("hccreview-screenshot")
    QCoreApplication.setApplicationName("hccreview-screenshot")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    return app  # type: ignore[return-value]


def demo_study(given: Path | None, folder: Path, *, copy: bool = False) -> Path:
    """``given`` (copied into ``folder`` first when ``copy``: the tool writes to it), else the demo study built
    in ``folder``."""
    if given is None:
        from hccreview.services.demo_study import build_demo_study

        return build_demo_study(folder / "demo-study.db")
    if not copy:
        return given
    target = folder / given.name
    shutil.copyfile(given, target)
    return target


def open_signed_in(study: Path, user: str | None = "adjudicator", password: str | None = None) -> StudySession:
    """The study opened, ``user`` signed in (a demo account unless ``password`` is given; None: nobody)."""
    from hccreview.services import auth
    from hccreview.services.session import open_study

    session = open_study(study)
    if user is not None:
        auth.sign_in(session, user, password or DEMO_PASSWORDS[user])
    return session


def panel_context(session: StudySession) -> PanelContext:
    """What a panel shown on its own needs (its own bus, runner and undo stack)."""
    from hccreview.ui.panel_context import PanelContext

    return PanelContext.standalone(session)


def wait_until(
    app: QApplication, condition: Callable[[], object], what: str = "the window", timeout: float = 60.0
) -> None:
    """Process events until ``condition()`` holds; exits the tool after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshot: timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def settle(app: QApplication, root: QWidget, runner: Runner | None = None) -> None:
    """Wait until ``runner`` is idle, the visible plots have drawn after their quiet period, deferred layouts ran
    (half a second) and the figures are rendered (the render thread)."""
    from hccreview.ui.background_canvas import figures_settled
    from hccreview.ui.plots import FigureHost

    if runner is not None:
        wait_until(app, lambda: not runner.busy, "the background jobs")
    hosts = root.findChildren(FigureHost)
    wait_until(app, lambda: not any(h.pending for h in hosts if h.isVisible()), "the plots")
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    wait_until(app, lambda: figures_settled(root), "the figures")


def save(widget: QWidget, out: Path, note: str = "") -> None:
    """Grab ``widget`` into ``out`` (PNG) and say so; exits the tool when the file cannot be written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    image = widget.grab()
    if not image.save(str(out)):
        raise SystemExit(f"screenshot: could not write {out}")
    print(f"{out} ({image.width()}×{image.height()}{', ' + note if note else ''})")
