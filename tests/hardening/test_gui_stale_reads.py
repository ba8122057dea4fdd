"""The Reads tab on a stale view (issue 10): the same reader in two app instances on one study file.

Instance B (another process in real life; a second session here) changes reader1's read of a timepoint while the
panel of instance A still shows the old one. A's Record is refused with a message naming the response shown and
the one stored and who changed it; A reloads and shows B's read; B's read is not overwritten and A wrote nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtGui import QUndoStack

from hccreview.services import auth, reading
from hccreview.services.session import open_study
from hccreview.ui.bus import ChangeBus
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.read_entry import ReadEntryPanel
from hccreview.ui.workers import Runner
from tests.ui.adjudication_support import DEMO_PASSWORDS
from tests.ui.case_support import _case_template  # noqa: F401

TIMEOUT = 20000
SUBJECT = "HCC-002"  # the demo's reader1 measured and read every timepoint (PR, PR, PR, PR, PD)


def test_record_on_a_stale_read_is_refused_and_reloaded(
    qtbot,
    tmp_path: Path,
    _case_template,  # noqa: F811
    private_settings,
) -> None:  # type: ignore[no-untyped-def]
    template, *_rest, origin = _case_template
    assert origin == "demo"
    path = tmp_path / "shared.db"
    shutil.copyfile(template, path)
    a, b = open_study(path), open_study(path)
    runner, bus, stack = Runner(), ChangeBus(), QUndoStack()
    try:
        auth.sign_in(a, "reader1", DEMO_PASSWORDS["reader1"])
        auth.sign_in(b, "reader1", DEMO_PASSWORDS["reader1"])
        panel = ReadEntryPanel(PanelContext(a, bus, runner, stack))
        qtbot.addWidget(panel)
        panel.show()
        with qtbot.waitSignal(panel.loaded, timeout=TIMEOUT):
            panel.show_subject(SUBJECT)
        row = panel.rows[0]
        assert (row.data.recorded, row.computed.text(), row.overall.currentText()) == ("PR", "PR", "PR")
        day = row.data.day

        reading.record_read(b, SUBJECT, day, row.data.visit, overall="SD", target="SD",
                            override_reason="second look: -25 %", expected={"overall": "PR"})  # fmt: skip
        runner.wait()
        entries_before = a.store.count("audit_log")

        panel.record(0)  # A still shows PR: recording PR again must not overwrite B's SD
        qtbot.waitUntil(lambda: panel.message.isVisible() and "Not recorded" in panel.message.text(), timeout=TIMEOUT)
        text = panel.message.text()
        assert "response was PR on your screen and is now SD" in text and "by reader1" in text, text
        assert "nothing was overwritten" in text
        qtbot.waitUntil(lambda: bool(panel.rows) and panel.rows[0].data.recorded == "SD", timeout=TIMEOUT)
        runner.wait()
        assert stack.count() == 0
        stored = next(e for e in reading.get_reads(a, SUBJECT, "reader1").entries if e.read.date == day)
        assert (stored.read.overall, stored.override_reason) == ("SD", "second look: -25 %")
        assert a.store.count("audit_log") == entries_before, "A wrote nothing"
    finally:
        runner.wait()
        stack.clear()
        a.close()
        b.close()
