"""The benchmark behind ``hccreview bench`` (issue 10; DESIGN §2 and §7). Qt-free.

Each scenario runs on demo studies generated in a temporary folder (:func:`build_demo_study`), once as a
warm-up and then ``runs`` times, and is set against the **reference cost** of the same work done bare (lifelines'
KM fit on the same arrays, a plain ``SELECT``, ``pandas.read_csv``, one matplotlib PDF …), so that the overhead
is a ratio. GUI scenarios run in a fresh process (``python -m hccreview.ui.bench_gui``, which prints JSON): the
command line may not import the ``ui`` package, and a cold start needs a fresh process anyway.

Scenarios: ``cold_start``, ``next_patient``, ``dashboard_after_change``, ``stats``, ``import_sdtm``, ``report``,
``peak_memory`` (see ``docs/performance.md``), and the image viewer's ``image_scroll``, ``image_first`` and
``image_memory`` (issue 21), run once on synthetic CT series of :data:`IMAGE_SLICES` 512² slices written into the
temporary folder (``services.bench_images``), not per study size (their ``patients`` is 0).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

SCENARIOS = (
    "cold_start", "next_patient", "dashboard_after_change", "stats", "import_sdtm", "report", "peak_memory",
    "image_scroll", "image_first", "image_memory",
)  # fmt: skip
IMAGE_SCENARIOS = ("image_scroll", "image_first", "image_memory")
IMAGE_SLICES = 300  # two series of 300 slices of 512²: 157 MB each as int16 (IMAGING.md)
DEFAULT_PATIENTS = (40, 500, 5000)
#: The shared SDTM delivery (DESIGN §6), relative to the project checkout (…/main/../shared/data/…).
SDTM_ONCO = Path(__file__).resolve().parents[3] / "shared" / "data" / "pharmaversesdtm" / "onco"
REPORT_LARGE = 1000  # the report scenario's large study (issue 9); 5000 only when asked for explicitly
Log = Callable[[str], None]


@dataclass
class Result:
    """One scenario at one study size (the JSON ``results`` entries; keys are stable, add freely)."""

    scenario: str
    patients: int
    runs: int
    median_ms: float
    min_ms: float
    max_ms: float
    reference_median_ms: float | None
    ratio: float | None
    target_ms: float | None
    met: bool | None
    unit: str = "ms"
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def target_ms(scenario: str, patients: int) -> float | None:
    """The issue-10 target for ``scenario`` at ``patients`` (None: no target stated)."""
    if scenario == "cold_start":
        return 1500.0
    if scenario == "next_patient":
        return 50.0
    if scenario == "dashboard_after_change":
        return 150.0 if patients <= 40 else 1500.0 if patients >= 5000 else None
    if scenario == "stats":
        return 2000.0 if patients >= 5000 else None
    if scenario == "report":
        return 5000.0 if patients <= 40 else 60000.0 if patients >= 1000 else None
    if scenario == "peak_memory":
        return 400.0 if patients >= 5000 else None  # MB
    # issue 21: a frame while scrolling (95th percentile), open → first slice, MB over the window without images
    return {"image_scroll": 16.0, "image_first": 300.0, "image_memory": 400.0}.get(scenario)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine()}  # fmt: skip


def _ms(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return 1000.0 * (time.perf_counter() - start)


def _timed(fn: Callable[[], Any], runs: int) -> list[float]:
    """A warm-up call, then ``runs`` timed calls (milliseconds)."""
    fn()
    return [_ms(fn) for _ in range(runs)]


def summarise(
    scenario: str, patients: int, times: list[float], reference: list[float] | None, *, unit: str = "ms",
    note: str = "", extra: dict[str, Any] | None = None,
) -> Result:  # fmt: skip
    """Median and range of ``times`` against the reference median and the target."""
    med = statistics.median(times)
    ref = statistics.median(reference) if reference else None
    target = target_ms(scenario, patients)
    return Result(
        scenario=scenario, patients=patients, runs=len(times), median_ms=round(med, 2),
        min_ms=round(min(times), 2), max_ms=round(max(times), 2),
        reference_median_ms=round(ref, 2) if ref is not None else None,
        ratio=round(med / ref, 2) if ref else None, target_ms=target,
        met=None if target is None else med <= target, unit=unit, note=note, extra=extra or {},
    )  # fmt: skip


# ---------------------------------------------------------------------- in-process scenarios
def bench_stats(study: Path, patients: int, runs: int) -> Result:
    """``cohort_stats`` on the whole study (read + derive) vs. lifelines KM on the PFS arrays + a plain SELECT.

    Each run opens the study afresh and forgets the per-subject memos, as ``hccreview stats`` in a new process
    does (a session's study cache would otherwise serve the records from memory); ``extra.warm_median_ms``
    is the same call repeated on one open session (study cache and per-subject memos warm)."""
    from lifelines import KaplanMeierFitter

    from hccreview.domain import cohort_memo
    from hccreview.services.session import open_study
    from hccreview.services.stats import cohort_stats

    def cold() -> None:
        cohort_memo.clear_all()
        with open_study(study) as fresh:
            cohort_stats(fresh)

    times = _timed(cold, runs)
    with open_study(study) as session:
        warm = _timed(lambda: cohort_stats(session), runs)
        subjects = cohort_stats(session).to_dict()["subjects"]
        analysed = [s for s in subjects if s["pfs_status"] != "pending"]  # pending adjudication: no PFS yet
        durations = [s["pfs_days"] for s in analysed]
        events = [s["pfs_event"] for s in analysed]
        conn = session.store.db.conn

        def bare() -> None:
            KaplanMeierFitter().fit(durations, events)
            conn.execute("SELECT * FROM measurements").fetchall()

        reference = _timed(bare, runs)
    return summarise("stats", patients, times, reference,
                     extra={"warm_median_ms": round(statistics.median(warm), 1)})  # fmt: skip


def bench_import(runs: int, work: Path) -> Result | None:
    """``import_into`` of the shared SDTM ``onco`` delivery into a new file vs. ``pandas.read_csv`` of tr + lb."""
    import pandas as pd

    from hccreview.services.importing import import_into

    if not (SDTM_ONCO / "dm.csv").exists():
        return None
    count = [0]

    def run() -> None:
        count[0] += 1
        import_into(work / f"import{count[0]}.db", fmt="sdtm", source=SDTM_ONCO)

    times = _timed(run, runs)
    reference = _timed(lambda: (pd.read_csv(SDTM_ONCO / "tr.csv"), pd.read_csv(SDTM_ONCO / "lb.csv")), runs)
    n = len(pd.read_csv(SDTM_ONCO / "dm.csv", usecols=["USUBJID"]))
    return summarise("import_sdtm", n, times, reference, note=f"shared SDTM onco ({n} subjects)")


def bench_report(study: Path, patients: int, runs: int, work: Path, cases: str | None = None) -> Result:
    """``render_report`` of the cohort summary (or of the case packet of ``cases``) vs. one matplotlib PDF."""
    from hccreview.services.reporting import render_report
    from hccreview.services.session import open_study

    def bare() -> None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(8.27, 11.69))
        fig.add_subplot().plot(range(100), range(100))
        fig.savefig(work / "bare.pdf")

    pages: list[int] = []
    with open_study(study) as session:
        times = _timed(lambda: pages.append(render_report(session, work / f"r{patients}.pdf", cases=cases).pages), runs)
    reference = _timed(bare, runs)
    what = f"case packet {cases}, " if cases else ""
    return summarise("report", patients, times, reference, note=f"{what}{pages[-1]} pages")


def peak_rss_kib() -> int:
    """This process's peak resident set size in KiB: ``VmHWM`` where /proc has it, else ``ru_maxrss``.

    On Linux ``ru_maxrss`` survives ``fork`` + ``exec``, so a child of a big parent (this benchmark) would report
    the parent's peak; ``VmHWM`` is the high-water mark of the process's own address space.
    """
    import resource

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def peak_memory_probe(study: str) -> int:
    """In this process: open ``study``, compute the cohort statistics, load one case; returns peak RSS in KiB."""

    from hccreview.services.case import load_case
    from hccreview.services.session import open_study
    from hccreview.services.stats import cohort_stats

    with open_study(study) as session:
        stats = cohort_stats(session)
        load_case(session, stats.to_dict()["subjects"][0]["id"])
    return peak_rss_kib()


def bench_peak_memory(study: Path, patients: int, runs: int) -> Result:
    """Peak RSS (MB) of a fresh process doing :func:`peak_memory_probe` vs. one importing pandas + lifelines."""
    code = "import pandas, lifelines; from hccreview.services.bench import peak_rss_kib; print(peak_rss_kib())"
    probe = [sys.executable, "-m", "hccreview.services.bench", "--peak-memory", str(study)]
    mb = [int(_run(probe).strip().splitlines()[-1]) / 1024 for _ in range(max(1, min(runs, 3)))]
    ref = [int(_run([sys.executable, "-c", code]).strip()) / 1024]
    return summarise("peak_memory", patients, mb, ref, unit="MB", note="peak RSS (VmHWM); the *_ms fields hold MB")


# ---------------------------------------------------------------------- GUI scenarios (fresh processes)
#: The child processes' settings folder (set by :func:`run_bench` inside its temporary folder).
_config_home: Path | None = None


def _env() -> dict[str, str]:
    """The child processes' environment: offscreen Qt, a throw-away settings folder (the user's stay untouched)."""
    global _config_home
    if _config_home is None:
        _config_home = Path(tempfile.gettempdir()) / "hccreview-bench-config"
    _config_home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.setdefault("XDG_CONFIG_HOME", str(_config_home))
    return env


def _run(cmd: list[str], timeout: float = 1800, *, fresh_settings: bool = False) -> str:
    env = _env()
    if fresh_settings:  # no remembered layout: e.g. a dashboard tab left open by another scenario
        env["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="settings-", dir=env["XDG_CONFIG_HOME"])
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} … failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def _gui(scenario: str, study: Path, runs: int) -> dict[str, Any]:
    out = _run([sys.executable, "-m", "hccreview.ui.bench_gui", scenario, str(study), "--runs", str(runs)])
    return dict(json.loads(out.strip().splitlines()[-1]))


def bench_cold_start(study: Path, patients: int, runs: int) -> Result:
    """Process start → first patient painted (fresh process and settings each run: the default layout, the case
    tab in front) vs. ``python -c "import PySide6.QtWidgets"``."""
    cmd = [sys.executable, "-m", "hccreview.ui.bench_gui", "cold_start", str(study)]

    def once() -> float:
        start = time.time()
        out = _run(cmd, fresh_settings=True)
        return 1000.0 * (float(json.loads(out.strip().splitlines()[-1])["painted_at"]) - start)

    once()  # warm-up (disk cache)
    times = [once() for _ in range(runs)]
    bare = [sys.executable, "-c", "import PySide6.QtWidgets"]
    reference = _timed(lambda: _run(bare), runs)
    return summarise("cold_start", patients, times, reference)


def bench_next_patient(study: Path, patients: int, runs: int) -> Result:
    """Next patient (J) → ``CaseView.loaded`` + repaint vs. ``services.case.load_case``."""
    got = _gui("next_patient", study, runs)
    return summarise("next_patient", patients, got["times_ms"][1:], got["reference_ms"][1:])


def bench_dashboard(study: Path, patients: int, runs: int) -> Result:
    """Adjudication change → ``DashboardPanel.updated`` vs. ``compute_cohort_stats``; with event-loop lateness."""
    got = _gui("dashboard_after_change", study, runs)
    extra = {"max_event_loop_lateness_ms": round(got["max_lateness_ms"], 1),
             "panel_recompute_median_ms": round(statistics.median(got["panel_ms"][1:]), 1)}  # fmt: skip
    return summarise("dashboard_after_change", patients, got["times_ms"][1:], got["reference_ms"][1:], extra=extra)


def write_image_series(work: Path) -> Path:
    """Two synthetic 512² CT series of :data:`IMAGE_SLICES` slices in ``work``; returns their manifest."""
    from hccreview.services.bench_images import write_ct_series, write_manifest

    series = [write_ct_series(work / f"series{k}", slices=IMAGE_SLICES, size=512, seed=k) for k in (1, 2)]
    write_manifest(work / "series.json", series)
    return work / "series.json"


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def bench_image_scroll(manifest: Path, runs: int) -> Result:
    """A frame while scrolling a decoded series (1024² viewport, six calipers) vs. the same frames smoothed;
    the target is on the 95th percentile."""
    got = _gui("image_scroll", manifest, runs)
    frames, smooth = got["frame_ms"], got["smooth_frame_ms"]
    p95 = percentile(frames, 0.95)
    extra = {"p95_ms": round(p95, 2), "smooth_median_ms": round(statistics.median(smooth), 2),
             "smooth_p95_ms": round(percentile(smooth, 0.95), 2), "frames": len(frames)}  # fmt: skip
    note = f"{got['slices']} slices 512² in 1024², {got['overlays_per_slice']} calipers a slice; target on p95"
    result = summarise("image_scroll", 0, frames, None, note=note, extra=extra)
    return replace(result, met=p95 <= (result.target_ms or 0.0))


def bench_image_first(manifest: Path, runs: int) -> Result:
    """Open a series → its first slice painted vs. decoding that one file bare."""
    got = _gui("image_first", manifest, runs)
    return summarise("image_first", 0, got["times_ms"][1:], got["reference_ms"][1:],
                     note=f"{IMAGE_SLICES} slices 512², uncompressed, files in the OS cache")  # fmt: skip


def bench_image_memory(manifest: Path, runs: int) -> Result:
    """Peak RSS over a window with two empty viewer panes, once two series are decoded and shown (MB)."""
    over, extra = [], {}
    for _ in range(max(1, min(runs, 3))):
        got = _gui("image_memory", manifest, 0)
        over.append((got["peak_kib"] - got["baseline_kib"]) / 1024)
        extra = {"baseline_mb": round(got["baseline_kib"] / 1024, 1), "peak_mb": round(got["peak_kib"] / 1024, 1),
                 "pixels_mb": round(got["volume_bytes"] / 2**20, 1)}  # fmt: skip
    note = f"two {IMAGE_SLICES}-slice 512² series; the *_ms fields hold MB; reference: their int16 pixels"
    return summarise("image_memory", 0, over, [extra["pixels_mb"]], unit="MB", extra=extra, note=note)


# ---------------------------------------------------------------------- the command
def format_result(r: Result) -> str:
    """One line of the printed table."""
    unit = r.unit
    ref = f"{r.reference_median_ms:.1f}" if r.reference_median_ms is not None else "—"
    ratio = f"×{r.ratio:.1f}" if r.ratio is not None else ""
    target = f"{r.target_ms:.0f} {unit}" if r.target_ms is not None else "—"
    met = {True: "met", False: "MISSED", None: ""}[r.met]
    parts = ([r.note] if r.note else []) + [f"{k} {v}" for k, v in r.extra.items()]
    note = f"  ({'; '.join(parts)})" if parts else ""
    return (f"{r.scenario:<24}{r.patients:>6}  {r.median_ms:>9.1f} {unit:<2} [{r.min_ms:.1f}–{r.max_ms:.1f}]  "
            f"ref {ref} {ratio:<7} target {target:<9} {met}{note}")  # fmt: skip


def run_bench(
    patients: Iterable[int] = DEFAULT_PATIENTS,
    *,
    runs: int | None = None,
    scenarios: Iterable[str] = SCENARIOS,
    json_path: str | Path | None = None,
    report_sizes: Iterable[int] | None = None,
    report_cases: str | None = None,
    log: Log = print,
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, Any]:
    """Run ``scenarios`` on demo studies of ``patients``; print a line per result; optionally write JSON.

    ``progress(fraction, text)``, when given, is told each step (the scenario about to run, a demo study being
    built — without it that note goes to ``log``); the fraction counts the scenarios run at each size.

    ``runs`` None: 5 (10 for ``dashboard_after_change``, 3 for reports of 1,000+ patients and peak memory).
    ``report_sizes`` None: 40 and 1,000 (only the sizes asked for when all are ≤ 1,000); ``report_cases``: time
    the case packet of these patients (``discordant``, ``all``, ``ID,ID``) instead of the cohort summary.
    """
    from hccreview.services.demo_study import build_demo_study

    sizes = sorted(set(patients))
    wanted = [s for s in scenarios if s]
    unknown = sorted(set(wanted) - set(SCENARIOS))
    if unknown:
        raise ValueError(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    if report_sizes is None:
        small = [n for n in sizes if n <= REPORT_LARGE]
        report_sizes = small + ([REPORT_LARGE] if max(sizes) > REPORT_LARGE and REPORT_LARGE not in small else [])
    results: list[Result] = []
    skipped: list[str] = []

    def write() -> dict[str, Any]:
        doc = {"machine": machine(), "results": [asdict(r) for r in results], "skipped": skipped}
        if json_path is not None:  # after every result: a long run that is stopped keeps what it measured
            Path(json_path).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        return doc

    def add(result: Result | None) -> None:
        if result is not None:
            results.append(result)
            log(format_result(result))
            write()

    global _config_home
    with tempfile.TemporaryDirectory(prefix="hccreview-bench-") as tmp:
        work = Path(tmp)
        _config_home = work / "config"
        studies: dict[int, Path] = {}

        per_size = ("cold_start", "next_patient", "dashboard_after_change", "stats")
        planned = [(name, n) for n in sizes for name in per_size if name in wanted]
        planned += [("report", n) for n in sorted(set(report_sizes)) if "report" in wanted]
        planned += [(name, max(sizes)) for name in ("import_sdtm", "peak_memory") if name in wanted]
        planned += [(name, 0) for name in IMAGE_SCENARIOS if name in wanted]
        done = [0]

        def step(name: str, n: int) -> None:
            if progress is not None:
                size = "the SDTM onco delivery" if name == "import_sdtm" else f"{n} patients"
                size = f"synthetic {IMAGE_SLICES}-slice series" if name in IMAGE_SCENARIOS else size
                progress(done[0] / max(len(planned), 1), f"{name} on {size}")
            done[0] += 1

        def begin(name: str, n: int) -> Path:
            """The study of ``n`` patients (built first when new), then the step's progress line."""
            path = study(n)
            step(name, n)
            return path

        def study(n: int) -> Path:
            if n not in studies:
                note = f"building a {n}-patient demo study"
                if progress is not None:
                    progress(done[0] / max(len(planned), 1), note)
                else:
                    log(f"… {note}")
                studies[n] = build_demo_study(work / f"demo{n}.db", patients=n)
            return studies[n]

        k = runs or 5
        for n in sizes:
            if "cold_start" in wanted:
                add(bench_cold_start(begin("cold_start", n), n, k))
            if "next_patient" in wanted:
                add(bench_next_patient(begin("next_patient", n), n, k))
            if "dashboard_after_change" in wanted:
                add(bench_dashboard(begin("dashboard_after_change", n), n, runs or 10))
            if "stats" in wanted:
                add(bench_stats(begin("stats", n), n, k))
        if "report" in wanted:
            for n in sorted(set(report_sizes)):
                add(bench_report(begin("report", n), n, runs or (3 if n >= REPORT_LARGE else 5), work, report_cases))
        if "import_sdtm" in wanted:
            step("import_sdtm", max(sizes))
            got = bench_import(runs or 3, work)
            if got is None:
                skipped.append(f"import_sdtm: {SDTM_ONCO} is absent")
                log(f"import_sdtm skipped: {SDTM_ONCO} is absent")
            add(got)
        if "peak_memory" in wanted:
            n = max(sizes)
            add(bench_peak_memory(begin("peak_memory", n), n, runs or 3))
        images = [name for name in IMAGE_SCENARIOS if name in wanted]
        if images:
            note = f"writing two {IMAGE_SLICES}-slice synthetic CT series"
            if progress is not None:
                progress(done[0] / max(len(planned), 1), note)
            else:
                log(f"… {note}")
            manifest = write_image_series(work / "images")
            for name, bench in (("image_scroll", bench_image_scroll), ("image_first", bench_image_first),
                                ("image_memory", bench_image_memory)):  # fmt: skip
                if name in images:
                    step(name, 0)
                    add(bench(manifest, runs or 5))
    if progress is not None:
        progress(1.0, "done")
    return write()


if __name__ == "__main__":  # the peak-memory probe's fresh process
    if len(sys.argv) == 3 and sys.argv[1] == "--peak-memory":
        print(peak_memory_probe(sys.argv[2]))
        sys.exit(0)
    sys.exit("usage: python -m hccreview.services.bench --peak-memory STUDY.db")
