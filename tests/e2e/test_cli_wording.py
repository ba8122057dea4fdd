"""What the command line says, in the reviewer's words (issue 19): no issue numbers in any help text, the
provisional note said once by ``stats``, a median not reached said so, and ``verify`` naming its checks in words
rather than by their SQLite pragma."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from hccreview.cli import build_parser, run


def _helps(parser: argparse.ArgumentParser) -> dict[str, str]:
    """The ``--help`` text of the program and of every sub-command."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"hccreview": parser.format_help(), **{name: p.format_help() for name, p in sub.choices.items()}}


def test_no_help_text_names_an_issue() -> None:
    helps = _helps(build_parser())
    assert {"import", "report", "export", "demo", "bench", "stats", "verify"} <= set(helps)
    for name, text in helps.items():
        assert not re.search(r"\bissues?\b|#\d+", text, re.IGNORECASE), name
    assert "time the benchmark scenarios on generated demo studies" in helps["hccreview"]
    for name in ("import", "report", "export", "demo", "bench"):
        assert "--quiet" in helps[name] and "print no progress on standard error" in helps[name], name


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hccreview.services.demo_study import build_demo_study

    return build_demo_study(tmp_path_factory.mktemp("wording") / "demo.db")


def test_stats_says_provisional_once(demo_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["stats", str(demo_file)]) == 0
    out = capsys.readouterr().out
    assert "Provisional: 9 of 40 patients await adjudication (best response PENDING" in out.splitlines()[2]
    assert out.lower().count("provisional") == 1


def test_stats_says_a_median_is_not_reached(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hccreview.services.session import create_study

    with create_study(tmp_path / "empty.db", title="Empty"):
        pass
    assert run(["stats", str(tmp_path / "empty.db")]) == 0
    lines = {line.split(":")[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["PFS"].startswith("PFS: median not reached (95% CI NR–NR")
    assert "NR months" not in lines["OS"]


def test_verify_names_its_checks_in_words(demo_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["verify", str(demo_file)]) == 0
    out = capsys.readouterr().out
    names = [line[5:].split(":")[0] for line in out.splitlines()[:-1]]
    assert set(names) >= {"database integrity", "references between records", "audit trail is append-only",
                          "electronic signatures", "merged reader packages", "audit trail hash chain"}  # fmt: skip
    assert "_" not in " ".join(names)


def test_open_help_prints_the_usage_and_never_opens_a_window(capsys) -> None:  # type: ignore[no-untyped-def]
    """``hccreview open --help`` answers with the usage (it once tried to open a study named "--help")."""
    from hccreview.__main__ import main

    assert main(["open", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: hccreview open STUDY.db")
    assert main(["open", "--bogus"]) == 2 and "usage: hccreview open" in capsys.readouterr().err
    assert main(["open"]) == 2
