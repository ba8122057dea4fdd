"""Progress of the long commands on standard error (issue 19 item 4): ``import``, ``report``, ``export``, ``demo``
and ``bench`` print a line per step on a terminal, nothing with ``--quiet`` or when standard error is not a
terminal, and their standard output is the same either way.

The commands run in this process (``hccreview.cli.run``) so that standard error can pretend to be a terminal:
``sys.stderr.isatty`` is patched on pytest's capture stream.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from hccreview.cli import run
from hccreview.cli.progress import CommandProgress

SECONDS = re.compile(r"\d+\.\d s\b")  # the wall time a summary states differs between two runs


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard error (pytest's capture stream) says it is a terminal."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)


def _steps(err: str, command: str) -> list[str]:
    """The step texts of the progress lines, in order (a rewritten line counts as its own step)."""
    return re.findall(rf"hccreview {command} \[ *\d+%\] ([^\r\n\x1b]+)", err)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hccreview.services.demo_study import build_demo_study

    return build_demo_study(tmp_path_factory.mktemp("progress") / "demo.db")


def test_report_shows_its_steps_on_a_terminal_and_nothing_with_quiet(
    demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _terminal(monkeypatch)
    code, out, err = _run(capsys, "report", str(demo_file), "--out", str(tmp_path / "a.pdf"))
    assert code == 0, err
    steps = _steps(err, "report")
    assert steps[:5] == ["reading the study", "cohort statistics", "response by read source", "figures",
                         "adjudication summary"]  # fmt: skip
    pages = int(re.search(r"(\d+) pages", out).group(1))
    assert [s for s in steps if s.startswith("page ")] == [f"page {i} of {pages}" for i in range(1, pages + 1)]
    assert steps[-2:] == ["saving", "done"]
    assert "\r\x1b[Khccreview report [" in err  # "page 2 of N" overwrites "page 1 of N" instead of scrolling
    assert err.endswith("done\n")  # the last line is ended before the command prints
    assert out.startswith(f"wrote {tmp_path / 'a.pdf'}: cohort summary, {pages} pages in ")

    code, quiet_out, quiet_err = _run(capsys, "report", str(demo_file), "--out", str(tmp_path / "a.pdf"), "--quiet")
    assert code == 0 and quiet_err == ""
    assert SECONDS.sub("#", quiet_out) == SECONDS.sub("#", out)


def test_report_is_silent_when_stderr_is_not_a_terminal(
    demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not sys.stderr.isatty()
    code, out, err = _run(capsys, "report", str(demo_file), "--out", str(tmp_path / "p.pdf"), "--cases", "HCC-001")
    assert (code, err) == (0, "")
    assert out.startswith(f"wrote {tmp_path / 'p.pdf'}: case packet (1 cases), ")


def test_demo_export_and_import_show_their_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = {}
    for tty in (False, True):
        if tty:
            _terminal(monkeypatch)
        folder = tmp_path / ("tty" if tty else "plain")
        results = {
            "demo": _run(capsys, "demo", str(folder / "demo.db"), "--patients", "12"),
            "export": _run(capsys, "export", str(folder / "demo.db"), "--format", "csv", str(folder / "bundle")),
            "import": _run(capsys, "import", str(folder / "copy.db"), "--format", "csv", str(folder / "bundle")),
        }
        for command, (code, out, err) in results.items():
            assert code == 0, err
            out = SECONDS.sub("#", out.replace(str(folder), "FOLDER"))
            if not tty:
                assert err == "", command  # standard error is no terminal: no progress
                plain[command] = out
                continue
            assert out == plain[command], command  # standard output is the same with progress shown
            steps = _steps(err, command)
            demo = [
                "simulating 12 patients (seed 1)",
                "writing the records",
                "registering the demo images (generated on first use)",
                "creating the demo accounts",
                "done",
            ]
            export = ["reading the study", "writing the CSV bundle", "exported"]
            expected = {"demo": demo, "export": export}.get(command)
            if expected:
                assert steps == expected, command
            else:
                assert steps[0] == "reading bundle" and steps[-3:] == ["checking against the study", "writing",
                                                                       "imported"]  # fmt: skip
    assert plain["demo"] == "created demo study FOLDER/demo.db (seed 1, 12 patients)\n"


def test_quiet_on_a_terminal_prints_nothing_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _terminal(monkeypatch)
    code, out, err = _run(capsys, "demo", str(tmp_path / "d.db"), "--patients", "5", "--quiet")
    assert (code, err) == (0, "") and out.startswith("created demo study")


def test_bench_shows_each_scenario_and_keeps_its_results_on_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("bench", "--patients", "12", "--runs", "1", "--scenarios", "stats", "--json", str(tmp_path / "b.json"))
    code, quiet_out, quiet_err = _run(capsys, *args)
    assert (code, quiet_err) == (0, "")
    _terminal(monkeypatch)
    code, out, err = _run(capsys, *args)
    assert code == 0, err
    assert _steps(err, "bench") == ["building a 12-patient demo study", "stats on 12 patients", "done"]
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines] == [line.split()[:2] for line in quiet_out.splitlines()]
    assert lines[0].startswith("stats") and lines[-1] == f"wrote {tmp_path / 'b.json'}"
    assert "building" not in out  # progress, not a result


def test_repeated_steps_overwrite_one_line_and_others_scroll() -> None:
    import io

    stream = io.StringIO()
    progress = CommandProgress("report", enabled=True, stream=stream)
    with progress:
        for fraction, text in ((0.0, "reading the study"), (0.4, "page 1 of 3"), (0.6, "page 2 of 3"),
                               (0.6, "page 2 of 3"), (1.0, "done")):  # fmt: skip
            progress(fraction, text)
    assert stream.getvalue() == (
        "hccreview report [  0%] reading the study\n"
        "hccreview report [ 40%] page 1 of 3\r\x1b[Khccreview report [ 60%] page 2 of 3\n"
        "hccreview report [100%] done\n"
    )
    silent = io.StringIO()
    with CommandProgress("report", enabled=False, stream=silent) as off:
        off(0.5, "anything")
    assert silent.getvalue() == ""
