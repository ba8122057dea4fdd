"""The dashboard use case (no Qt): its figures are ``stats --json``'s, its tables come from the records, and the
partial reload after an edit gives exactly what a full load gives."""

from __future__ import annotations

import json
import shutil
import statistics
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from hccreview import cli
from hccreview.domain import recist
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.cohort import compute_cohort_stats
from hccreview.domain.endpoints import MONTH_DAYS
from hccreview.domain.records import Adjudication, StudyData
from hccreview.domain.sources import available_sources
from hccreview.services.dashboard import (
    Cancelled,
    affects_dashboard,
    complete_dashboard,
    compute_dashboard,
    load_dashboard_input,
)
from hccreview.services.dashboard_tables import source_summary
from hccreview.services.demo_study import build_demo_study
from hccreview.services.review import update_measurement, update_read
from hccreview.services.session import StudySession, open_study
from hccreview.store.rows import to_row
from hccreview.store.study_data import load_study
from tests.factories import signed_as


@pytest.fixture(scope="module")
def _demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_study(tmp_path_factory.mktemp("demo") / "demo.db")


@pytest.fixture
def demo_path(_demo: Path, tmp_path: Path) -> Path:
    target = tmp_path / "demo.db"
    shutil.copyfile(_demo, target)
    return target


@pytest.fixture
def session(demo_path: Path) -> Iterator[StudySession]:
    with open_study(demo_path, user="tester") as s:
        yield s


@pytest.fixture
def data(session: StudySession) -> StudyData:
    return load_dashboard_input(session)


def test_dashboard_figures_are_stats_json(session: StudySession, data: StudyData, capsys) -> None:  # type: ignore[no-untyped-def]
    dash = compute_dashboard(data)
    assert cli.run(["stats", str(session.path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    # the adjudication counts are the dashboard's progress line's (one definition: domain.adjudication_status)
    assert dash.adjudication is not None
    assert printed.pop("adjudication") == {"counts": dash.adjudication.counts.to_dict()}
    # the per-arm block (issue 23): the demo has one arm, so no comparison and no per-arm panel
    arms = {key: printed.pop(key) for key in ("arms", "by_arm", "comparisons")}
    assert len(arms["arms"]["names"]) == 1 and arms["comparisons"] == [] and dash.by_arm is None
    assert dash.stats.to_dict() == printed
    assert dash.complete and set(dash.summaries) == set(available_sources(data))
    orr = printed["response"]["orr"]
    row = dash.response_table.set_index("Best overall response")
    assert row.loc["ORR (CR + PR)", dash.source] == f"{orr['n']} ({100 * orr['rate']:.1f}%)"
    assert row.loc["Patients analysed", dash.source] == str(printed["n_enrolled"])


@pytest.mark.parametrize("source", ["adjudicated", "investigator", "computed", "reader:reader1", "reader:reader2"])
def test_every_source_column_equals_its_cohort_stats(data: StudyData, source: str) -> None:
    stats = compute_cohort_stats(data, source)
    summary = source_summary(data, source)
    assert summary.bor_counts == stats.bor_counts
    assert (summary.orr, summary.dcr, summary.n) == (stats.orr, stats.dcr, stats.n_enrolled)
    assert summary.bor_by_subject == {o.subject_id: o.bor for o in stats.subjects}
    dash = compute_dashboard(data, source, details=False)
    assert dash.stats.to_dict() == stats.to_dict() and not dash.complete
    assert list(dash.response_table.columns) == ["Best overall response", source]


def test_response_table_marks_how_many_patients_differ(data: StudyData) -> None:
    dash = compute_dashboard(data)
    row = dash.response_table.set_index("Best overall response").loc["BOR differs from Adjudicated"]
    base = dash.summaries["adjudicated"].bor_by_subject
    for src, summary in dash.summaries.items():
        assert int(row[src]) == sum(base[sid] != bor for sid, bor in summary.bor_by_subject.items())
    assert int(row["adjudicated"]) == 0 and int(row["investigator"]) > 0  # the demo's pending patients


def test_baseline_table_counts_the_records(data: StudyData) -> None:
    dash = compute_dashboard(data, details=False)
    table = dash.baseline_table
    analysed = {o.subject_id for o in dash.stats.subjects}
    people = [s for s in data.subjects if s.subject_id in analysed]

    def counts(name: str) -> dict[str, int]:
        part = table[table["Characteristic"] == name]
        return dict(zip(part["Category"], (int(x) for x in part["n"]), strict=True))

    assert counts("Child-Pugh class") == {k: v for k, v in dash.stats.baseline["child_pugh"].items() if v}
    assert counts("Sex") == dict(Counter(s.sex for s in people))
    assert counts("Extrahepatic disease")["Yes"] == dash.stats.baseline["extrahepatic"]
    assert counts("Prior sorafenib") == dict(Counter(s.prior_sorafenib for s in people))
    assert counts("ECOG") == {str(k): v for k, v in Counter(s.ecog for s in people).items()}
    ages = [s.age for s in people]
    age = table[table["Characteristic"] == "Age, years"].iloc[0]
    assert age["Category"] == f"median {statistics.median(ages):g} (range {min(ages)}–{max(ages)})"
    pct = table[table["Characteristic"] == "Sex"]["%"].tolist()
    assert sum(pct) == pytest.approx(100.0, abs=0.2)


@pytest.mark.parametrize("source", ["adjudicated", "computed"])
def test_waterfall_is_the_best_change_of_the_sources_reader(data: StudyData, source: str) -> None:
    dash = compute_dashboard(data, source, details=False)
    outcomes = {o.subject_id: o for o in dash.stats.subjects}
    assert len(dash.waterfall) + len(dash.waterfall_excluded) == dash.stats.n_enrolled
    assert len(dash.waterfall) > 20
    for sid, pct, bor in dash.waterfall:
        reader = dash.waterfall_readers[sid]
        lesions = [x for x in data.lesions if x.subject_id == sid and x.reader == reader]
        meas = [m for m in data.measurements if m.subject_id == sid and m.reader == reader]
        changes = [tp.pct_from_baseline for tp in recist.timepoint_responses(lesions, meas, data.settings.criteria)]
        assert pct == min(c for c in changes if c is not None)
        assert bor == outcomes[sid].bor
    if source == "computed":
        assert set(dash.waterfall_readers.values()) == {"investigator"}
    else:
        pending = {sid for sid, why in dash.waterfall_excluded.items() if why == "pending adjudication"}
        assert pending == set(dash.stats.pending)


def test_swimmer_lanes_follow_cycles_and_endpoints(data: StudyData) -> None:
    dash = compute_dashboard(data, details=False)
    assert [lane.subject_id for lane in dash.swimmer] == [o.subject_id for o in dash.stats.subjects]
    outcomes = {o.subject_id: o for o in dash.stats.subjects}
    for lane in dash.swimmer:
        o = outcomes[lane.subject_id]
        cycles = sorted((c for c in data.cycles if c.subject_id == lane.subject_id), key=lambda c: c.number)
        last = cycles[-1]
        end = last.start_date.toordinal() + (last.days_dosed or 1) - o.origin.toordinal()
        assert lane.treatment_end == pytest.approx(end / MONTH_DAYS)
        assert lane.follow_up_end == pytest.approx(o.os.days / MONTH_DAYS)
        assert lane.ongoing == (not o.os.event and not o.pfs.event)
        assert (lane.death is not None) == o.os.event
        assert (lane.response is not None) == (o.bor in ("CR", "PR"))


def test_child_pugh_curves_match_the_subgroup_summary(data: StudyData) -> None:
    dash = compute_dashboard(data)
    classes = dash.stats.subgroups["child_pugh"]
    for cls, km in dash.pfs_by_child_pugh.items():
        block = classes[cls]["pfs"]  # the PFS population of the class: its patients less those pending adjudication
        assert (km.n, km.median_months, list(km.ci95_months)) == (
            block["n"], block["median_months"], block["ci95_months"])  # fmt: skip
        assert km.n == classes[cls]["n"] - classes[cls]["pending"] == block["events"] + block["censored"]
        assert dash.os_by_child_pugh[cls].median_months == classes[cls]["os"]["median_months"]
    assert dash.logrank_p("pfs") == dash.stats.subgroups["logrank"]["pfs"]["p_value"]
    censored = dash.censor_months("pfs", by_child_pugh=True)
    assert {k: len(censored.get(k, [])) for k in dash.pfs_by_child_pugh} == {
        k: km.censored for k, km in dash.pfs_by_child_pugh.items()}  # fmt: skip
    # one population everywhere: the class curves add up to the overall PFS curve, with no mark at month 0
    assert sum(km.n for km in dash.pfs_by_child_pugh.values()) == dash.stats.pfs.n
    assert 0.0 not in dash.censor_months("pfs")["PFS"]


def test_toxicity_and_agreement_tables(data: StudyData) -> None:
    dash = compute_dashboard(data, details=False)
    tox = dash.toxicity_table
    assert tox["Term"].tolist() == [r["term"] for r in dash.stats.toxicity]
    assert tox["Grade 4"].tolist() == [r["grade4"] for r in dash.stats.toxicity]
    agreement = dash.agreement_table.iloc[0]
    assert agreement["Cohen's κ"] == dash.stats.reader_agreement["kappa"]
    assert agreement["Discordant"] == dash.stats.reader_agreement["n_discordant"]


def _ids(session: StudySession, table: str, where: str, params: list) -> list[int]:
    return [int(r["id"]) for r in session.store.rows(table, where, params)]


def test_partial_reload_equals_a_full_load(session: StudySession, data: StudyData) -> None:
    sid = data.measurements[7].subject_id
    mid = _ids(session, "measurements", "subject_id = ? AND reader = 'reader2'", [sid])[3]
    rid = _ids(session, "reads", "subject_id = ? AND reader = 'reader2'", [data.subjects[3].subject_id])[0]
    with signed_as(session.store, "reader2"):  # a reader changes their own measurement and read
        edits = [update_measurement(session, measurement_id=mid, values={"diameter_mm": 77.0}, reason="re-measured")]
        edits.append(update_read(session, read_id=rid, values={"overall": "PD"}, reason="re-read"))
    assert {e.changes.kinds for e in edits} == {frozenset({ChangeKind.MEASUREMENTS}), frozenset({ChangeKind.READS})}
    again = load_dashboard_input(session)  # the session's cache re-reads the two subjects the writes touched
    assert again == load_study(session.store) and again != data
    pending = compute_cohort_stats(again).pending[0]
    with signed_as(session.store, "adjudicator"):  # straight to the store, no Changes: the cache asks the file
        session.store.insert("adjudications", to_row(Adjudication(pending, "reader1", "agree with reader 1",
                                                                  "adjudicator")))  # fmt: skip
    adjudicated = load_dashboard_input(session)
    assert adjudicated == load_study(session.store) and adjudicated != again


def test_adjudication_progress_counts_pending_and_decisions(session: StudySession, data: StudyData) -> None:
    before = compute_dashboard(data).adjudication
    stats = compute_cohort_stats(data)
    assert before is not None and before.pending == len(stats.pending) > 0 and before.adjudicated == 0
    pending = stats.pending[0]
    decision = Adjudication(pending, "reader1", "reads agree", "adjudicator", signed=True)
    with signed_as(session.store, "adjudicator"):
        session.store.insert("adjudications", to_row(decision))
    after = compute_dashboard(load_dashboard_input(session)).adjudication
    assert (after.pending, after.adjudicated, after.signed) == (before.pending - 1, 1, 1)  # type: ignore[union-attr]
    assert "pending" in after.text  # type: ignore[union-attr]
    early = compute_dashboard(data, "investigator", details=False).adjudication
    assert early is not None and early.pending is None  # known once the sources are compared
    assert complete_dashboard(compute_dashboard(data, "investigator", details=False), data).adjudication == before


def test_cancelled_progress_stops_the_computation(data: StudyData) -> None:
    class Stop:
        cancelled = True

        def report(self, fraction: float, text: str = "") -> None:
            raise AssertionError("must not report once cancelled")

    with pytest.raises(Cancelled):
        compute_dashboard(data, progress=Stop())
    with pytest.raises(ValueError, match="unknown source"):
        compute_dashboard(data, "nonsense")


def test_which_changes_affect_the_dashboard() -> None:
    assert not affects_dashboard(Changes.of("P1", kinds={ChangeKind.REVIEW_STATUS}))
    assert not affects_dashboard(Changes.of(kinds={ChangeKind.USERS}))  # an account added or (de)activated
    assert affects_dashboard(Changes.of("P1", kinds={ChangeKind.READS}))
    assert affects_dashboard(Changes(study=True))


def test_a_query_or_a_review_mark_does_not_recompute_the_cohort() -> None:
    from hccreview.domain.changes import Changes
    from hccreview.services.dashboard import affects_dashboard

    assert not affects_dashboard(Changes.of("HCC-001", kinds={ChangeKind.QUERIES}))
    assert not affects_dashboard(Changes.of("HCC-001", kinds={ChangeKind.REVIEW_STATUS}))
    assert affects_dashboard(Changes.of("HCC-001", kinds={ChangeKind.QUERIES, ChangeKind.ADJUDICATIONS}))
    assert affects_dashboard(Changes.of("HCC-001", kinds={ChangeKind.READS}))
