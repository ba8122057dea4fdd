"""Export → import into an empty study gives the same ``stats --json`` for every source (issue 12 item 5).

Run on the demo study, on the demo study after adjudication decisions (RSACPTFL), and on both pharmaverse
deliveries. The one documented difference (docs/sdtm-export.md): under ``adjudicated``, a subject whose choice
was an adjudication decision comes back with the choice as the source's accepted-read flags, so its
``source_rule`` text says so; every other field of every source is compared exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from hccreview.domain.reason_codes import codes
from hccreview.domain.sources import available_sources
from hccreview.services import adjudication as adj
from hccreview.services.auth import sign_in
from hccreview.services.demo_study import build_demo_study
from hccreview.services.exporting import BlindingError, export_data
from hccreview.services.importing import import_into
from hccreview.services.session import open_study
from hccreview.services.stats import cohort_stats_from_data

ACCEPTED_RULE = "accepted reads (source adjudication flags)"


def _stats(path: Path) -> dict[str, dict]:
    """``stats --json`` of every source the study answers, as the command prints it (then parsed)."""
    with open_study(path) as session:
        data = session.data()
        return {
            s: json.loads(json.dumps(cohort_stats_from_data(data, source=s).to_dict())) for s in available_sources(data)
        }


def _round_trip(study: Path, tmp_path: Path, *, warnings: set[tuple[str, str]] = frozenset()) -> tuple[Path, Path]:
    """Export ``study`` and import it into a new file; the import may warn only of ``warnings`` (field, reason)."""
    out = tmp_path / "sdtm"
    with open_study(study) as session:
        result = export_data(session, out, fmt="sdtm")
    assert (out / "dm.csv") in result.files and (out / "adrs_hccreview.csv") in result.files
    back = tmp_path / "back.db"
    imported = import_into(back, fmt="sdtm", source=out)
    assert imported.created and {_warning(w) for w in imported.warnings} <= set(warnings)
    return out, back


def _warning(w: object) -> tuple[str, str]:
    """(field, reason) of a finding; the CTCAE term summary without its example rows (export reorders rows)."""
    return w.field, w.reason.split(", e.g. ")[0]  # type: ignore[attr-defined]


def _same(before: dict[str, dict], after: dict[str, dict], adjudicated: set[str] = frozenset()) -> None:
    assert list(after) == list(before)
    for source, a in before.items():
        b = after[source]
        if source == "adjudicated":
            for x, y in zip(a["subjects"], b["subjects"], strict=True):
                if x["id"] in adjudicated:  # the documented difference, asserted rather than skipped
                    assert x["source_rule"].startswith("adjudicated (") and y["source_rule"] == ACCEPTED_RULE
                    y["source_rule"] = x["source_rule"]
        assert b == a, source


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return build_demo_study(tmp_path / "demo.db")


def test_demo_study_round_trip_gives_the_same_statistics_for_every_source(demo: Path, tmp_path: Path) -> None:
    before = _stats(demo)
    assert list(before) == ["adjudicated", "investigator", "computed", "reader:reader1", "reader:reader2"]
    _out, back = _round_trip(demo, tmp_path)
    _same(before, _stats(back))
    with open_study(demo) as a, open_study(back) as b:
        da, db = a.data(), b.data()
        for table in ("subjects", "child_pugh", "adverse_events", "labs", "lesions", "measurements", "reads"):
            assert set(getattr(db, table)) == set(getattr(da, table)), table
        assert a.settings() == b.settings()


def test_adjudicated_choices_travel_as_rsacptfl(demo: Path, tmp_path: Path) -> None:
    chosen: dict[str, str] = {}
    with open_study(demo) as session:
        sign_in(session, "adjudicator", "adjudicator-demo")
        queue = adj.discordance_queue(session)
        for k, item in enumerate(queue[:4]):
            chosen[item.subject_id] = item.readers[k % 2]
            adj.adjudicate(session, subject_id=item.subject_id, chosen_reader=chosen[item.subject_id],
                           reason="measurement of the liver target", reason_code=codes()[0])  # fmt: skip
        adj.sign_adjudication(session, subject_id=queue[0].subject_id, password="adjudicator-demo")
        pending_before = cohort_stats_from_data(session.data(), source="adjudicated").to_dict()["pending"]
    before = _stats(demo)
    out, back = _round_trip(demo, tmp_path)
    rs = pd.read_csv(out / "rs.csv", dtype=str, keep_default_na=False)
    over = rs[rs.RSTESTCD.eq("OVRLRESP") & rs.USUBJID.isin(list(chosen))]
    flagged = set(zip(over[over.RSACPTFL.eq("Y")].USUBJID, over[over.RSACPTFL.eq("Y")].RSEVALID, strict=True))
    assert flagged == set(chosen.items())
    assert over[over.RSEVALID.isin(["reader1", "reader2"])].RSEVAL.eq("INDEPENDENT ASSESSOR").all()
    assert set(rs[rs.RSEVAL.eq("INVESTIGATOR")].RSEVALID) == {""}
    after = _stats(back)
    _same(before, after, adjudicated=set(chosen))
    assert after["adjudicated"]["pending"] == pending_before == 9 - len(chosen)


def test_a_reader_may_not_export_but_an_adjudicator_may(demo: Path, tmp_path: Path) -> None:
    with open_study(demo) as session:
        sign_in(session, "reader1", "reader1-demo")
        for fmt in ("sdtm", "csv"):
            with pytest.raises(BlindingError, match="reader1 \\(reader\\) may not export"):
                export_data(session, tmp_path / fmt, fmt=fmt)
            assert not (tmp_path / fmt).exists()
        sign_in(session, "adjudicator", "adjudicator-demo")
        result = export_data(session, tmp_path / "csv", fmt="csv")
        assert result.rows["subjects.csv"] == 40


@pytest.mark.parametrize("delivery", ["recist", "onco"])
def test_pharmaverse_round_trip(delivery: str, sdtm_root: Path, tmp_path: Path) -> None:
    original = tmp_path / "original.db"
    first = import_into(original, fmt="sdtm", source=sdtm_root / delivery)
    before = _stats(original)
    assert "reader:radiologist-1" in before and "reader:radiologist-2" in before
    # no warning the delivery itself did not give (imputed read dates go out partial again, "CHECK" stays)
    out, back = _round_trip(original, tmp_path / "rt", warnings={_warning(w) for w in first.warnings})
    _same(before, _stats(back))
    with open_study(original) as a, open_study(back) as b:
        da, db = a.data(), b.data()
        for table in ("subjects", "child_pugh", "cycles", "adverse_events", "labs", "lesions", "measurements",
                      "reads", "follow_up"):  # fmt: skip
            assert set(getattr(db, table)) == set(getattr(da, table)), table
    rs = pd.read_csv(out / "rs.csv", dtype=str, keep_default_na=False)
    assert set(rs.RSEVALID) == {"", "RADIOLOGIST 1", "RADIOLOGIST 2"} and rs.RSACPTFL.eq("Y").any()


def test_progress_is_reported_and_a_cancel_writes_nothing(demo: Path, tmp_path: Path) -> None:
    from hccreview.services.exporting import ExportCancelled

    seen: list[tuple[float, str]] = []
    with open_study(demo) as session:
        export_data(session, tmp_path / "ok", fmt="sdtm", progress=lambda f, m: seen.append((f, m)))
        assert seen[0] == (0.0, "reading the study") and seen[-1] == (1.0, "exported")
        assert [f for f, _ in seen] == sorted(f for f, _ in seen)
        with pytest.raises(ExportCancelled):
            export_data(session, tmp_path / "cancelled", fmt="sdtm", cancel=lambda: True)
        assert not (tmp_path / "cancelled").exists()
        with pytest.raises(ValueError, match="unknown export format 'pdf'"):
            export_data(session, tmp_path / "x", fmt="pdf")
