"""Small hand-built studies for tests: every record kind, a few patients, known answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from hccreview.domain.records import (
    AdverseEvent,
    ChildPughComponents,
    Cycle,
    FollowUp,
    Lesion,
    LesionKind,
    Measurement,
    Read,
    ReadRole,
    StudySettings,
    Subject,
)
from hccreview.store import Store
from hccreview.store.study_data import write_records

START = date(2024, 1, 8)


def _tumour(sid: str, reader: str, sums: list[tuple[float, float]]) -> tuple[list[Lesion], list[Measurement]]:
    """Two liver targets measured at baseline and every 8 weeks with the given diameters."""
    lesions = [
        Lesion(sid, reader, "T01", LesionKind.TARGET, organ="LIVER", method="CT"),
        Lesion(sid, reader, "T02", LesionKind.TARGET, organ="LUNG", method="CT"),
    ]
    ms = []
    for k, (a, b) in enumerate(sums):
        when = START - timedelta(days=7) if k == 0 else START + timedelta(days=56 * k)
        visit = "BASELINE" if k == 0 else f"WEEK {8 * k}"
        ms.append(Measurement(sid, reader, "T01", when, visit, diameter_mm=a, viable_mm=a))
        ms.append(Measurement(sid, reader, "T02", when, visit, diameter_mm=b, viable_mm=b))
    return lesions, ms


def small_study(path: Path, *, user: str = "tester") -> Store:
    """Two patients: P01 a confirmed partial response (investigator), P02 progression at week 16."""
    store = Store.create(path, StudySettings(title="Small study"), user=user)
    subjects = [
        Subject(
            "P01",
            site="01",
            sex="M",
            age=64,
            etiology="HBV",
            bclc_stage="C",
            ecog=1,
            extrahepatic=True,
            first_dose_date=START,
        ),
        Subject(
            "P02",
            site="01",
            sex="F",
            age=58,
            etiology="HCV",
            bclc_stage="B",
            ecog=0,
            extrahepatic=False,
            first_dose_date=START,
        ),
    ]
    l1, m1 = _tumour("P01", "investigator", [(40, 30), (30, 18), (25, 15), (24, 14)])
    l2, m2 = _tumour("P02", "investigator", [(30, 20), (31, 20), (42, 22)])
    reads = [
        Read("P01", "investigator", ReadRole.INVESTIGATOR, START + timedelta(days=56 * k), f"WEEK {8 * k}", overall=o)
        for k, o in ((1, "PR"), (2, "PR"), (3, "PR"))
    ] + [
        Read("P02", "investigator", ReadRole.INVESTIGATOR, START + timedelta(days=56 * k), f"WEEK {8 * k}", overall=o)
        for k, o in ((1, "SD"), (2, "PD"))
    ]
    records = {
        "subjects": subjects,
        "child_pugh": [
            ChildPughComponents("P01", 1.1, 3.8, 1.1, "none", "none"),
            ChildPughComponents("P02", 2.4, 3.1, 1.5, "mild", "none"),
        ],
        "cycles": [Cycle("P01", n, START + timedelta(days=28 * (n - 1)), 25.0, 21) for n in range(1, 7)]
        + [
            Cycle("P02", n, START + timedelta(days=28 * (n - 1)), 25.0 if n < 3 else 20.0, 21, reduced=n == 3)
            for n in range(1, 5)
        ],
        "adverse_events": [
            AdverseEvent(
                "P01",
                1,
                "Fatigue",
                "General disorders and administration site conditions",
                3,
                onset=START + timedelta(days=20),
                attribution="possible",
            ),
            AdverseEvent(
                "P02",
                1,
                "Rash maculo-papular",
                "Skin and subcutaneous tissue disorders",
                2,
                onset=START + timedelta(days=30),
                attribution="probable",
            ),
        ],
        "lesions": l1 + l2,
        "measurements": m1 + m2,
        "reads": reads,
        "follow_up": [
            FollowUp("P01", last_known_alive=START + timedelta(days=300)),
            FollowUp("P02", death_date=START + timedelta(days=200), death_cause="disease progression"),
        ],
    }
    write_records(store, records, note="test factory")
    return store


# --- acting as a user of a study (the access policy applies; no password: the tests know who they are) ------
@contextmanager
def signed_as(store: Store, username: str) -> Iterator[Store]:
    """Let ``store`` read and write as the account ``username`` (its role from the users table), then go back."""
    from hccreview.domain.records import Role

    role = Role(store.conn.execute("SELECT role FROM users WHERE username = ?", [username]).fetchone()[0])
    before = (store.access.username, store.access.role, store.user)
    store.sign_as(username, role)
    try:
        yield store
    finally:
        store.sign_as(before[0], before[1])
        store.user = before[2]


@contextmanager
def source_transfer(store: Store, admin: str = "admin") -> Iterator[Store]:
    """Change source records the only way the policy allows: as an admin's data transfer (write_gate.TRANSFER)."""
    from hccreview.store.write_gate import TRANSFER

    with signed_as(store, admin), store.scope(TRANSFER):
        yield store
