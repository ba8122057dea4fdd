"""A small study with two blinded central readers, an investigator and the four kinds of user (issue 7).

Patients (first dose :data:`START`, scans every 8 weeks, baseline a week before the first dose):

- ``C01`` (Child-Pugh A): reader1 reads a confirmed PR (sums 70 → 43 → 41 → 40 mm), reader2 stable disease
  (70 → 56 → 54 → 53 mm, −20 to −24 %): **discordant best response** (PR vs SD). Investigator: PR.
- ``C02`` (Child-Pugh B): both readers SD at week 8 and PD at week 16 (50 → 51 → 64 mm): **agree**
  (BOR SD, PD on the same date). Investigator: PD at week 8 (earlier than central review).
- ``C03`` (Child-Pugh A): reader1 PD at week 8 (50 → 62 mm), reader2 NE at week 8 (a target not assessed)
  and PD at week 16: both BOR PD, **progression dates 56 days apart** (discordant). Investigator: PD at
  week 16.

Users (passwords are :data:`PASSWORDS`): ``admin`` (admin), ``adj`` (adjudicator), ``reader1`` and
``reader2`` (readers, named as their reads are).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from hccreview.domain.records import (
    ChildPughComponents,
    FollowUp,
    Lesion,
    LesionKind,
    LesionStatus,
    Measurement,
    Read,
    ReadRole,
    Role,
    StudySettings,
    Subject,
)
from hccreview.services.session import StudySession
from hccreview.store import Store
from hccreview.store.study_data import write_records
from hccreview.store.users import create_user
from hccreview.store.write_gate import BUILD

START = date(2024, 1, 8)
R1, R2, INV = "reader1", "reader2", "investigator"
PASSWORDS = {"admin": "admin-secret-1", "adj": "adjudicator-secret", R1: "reader1-secret", R2: "reader2-secret"}
ROLES = {"admin": Role.ADMIN, "adj": Role.ADJUDICATOR, R1: Role.READER, R2: Role.READER}


def day(k: int) -> date:
    """Date of scan ``k`` (0 = baseline, a week before the first dose)."""
    return START - timedelta(days=7) if k == 0 else START + timedelta(days=56 * k)


def _tumour(
    sid: str, reader: str, sizes: list[tuple[float | None, float | None]], offset: int = 0
) -> tuple[list[Lesion], list[Measurement]]:
    """Two targets (liver, lung) per scan; None = not assessed at that scan; ``offset``: days after the
    scheduled date on which this reader read every post-baseline scan."""
    lesions = [
        Lesion(sid, reader, "T01", LesionKind.TARGET, organ="LIVER", method="CT"),
        Lesion(sid, reader, "T02", LesionKind.TARGET, organ="LUNG", method="CT"),
    ]
    ms = []
    for k, pair in enumerate(sizes):
        visit = "BASELINE" if k == 0 else f"WEEK {8 * k}"
        for lid, size in zip(("T01", "T02"), pair, strict=True):
            status = LesionStatus.NOT_ASSESSED if size is None else LesionStatus.PRESENT
            when = day(k) + timedelta(days=offset if k else 0)
            ms.append(Measurement(sid, reader, lid, when, visit, diameter_mm=size, viable_mm=size, status=status))
    return lesions, ms


def _reads(sid: str, reader: str, role: ReadRole, codes: list[str], offset: int = 0) -> list[Read]:
    return [
        Read(sid, reader, role, day(k) + timedelta(days=offset), f"WEEK {8 * k}", overall=c)
        for k, c in enumerate(codes, start=1)
    ]


#: Per patient and reader: target diameters per scan and the stated responses per post-baseline scan.
TUMOURS = {
    ("C01", R1): ([(40, 30), (25, 18), (24, 17), (24, 16)], ["PR", "PR", "PR"]),
    ("C01", R2): ([(40, 30), (32, 24), (31, 23), (30, 23)], ["SD", "SD", "SD"]),
    ("C02", R1): ([(30, 20), (31, 20), (42, 22)], ["SD", "PD"]),
    ("C02", R2): ([(30, 20), (31, 20), (42, 22)], ["SD", "PD"]),
    ("C03", R1): ([(30, 20), (40, 22)], ["PD"]),
    ("C03", R2): ([(30, 20), (31, None), (42, 22)], ["NE", "PD"]),
}
INVESTIGATOR_READS = {"C01": ["PR", "PR", "PR"], "C02": ["PD"], "C03": ["SD", "PD"]}


def central_study(path: Path, *, user: str = "tester", reader2_offset_days: int = 0) -> Store:
    """Create the study of the module docstring at ``path`` (with its users) and return its store.
    ``reader2_offset_days``: reader2 read every post-baseline scan that many days after reader1 (same visits)."""
    store = Store.create(path, StudySettings(title="Central review study"), user=user)
    subjects = [
        Subject(sid, site="01", sex="F", age=60 + i, extrahepatic=i == 0, first_dose_date=START)
        for i, sid in enumerate(("C01", "C02", "C03"))
    ]
    lesions, measurements, reads = [], [], []
    for (sid, reader), (sizes, codes) in TUMOURS.items():
        offset = reader2_offset_days if reader == R2 else 0
        les, ms = _tumour(sid, reader, sizes, offset)
        lesions += les
        measurements += ms
        reads += _reads(sid, reader, ReadRole.READER, codes, offset)
    for sid, codes in INVESTIGATOR_READS.items():
        reads += _reads(sid, INV, ReadRole.INVESTIGATOR, codes)
    records = {
        "subjects": subjects,
        "child_pugh": [
            ChildPughComponents("C01", 1.0, 3.9, 1.1, "none", "none"),  # A
            ChildPughComponents("C02", 2.5, 3.0, 1.8, "mild", "none"),  # B
            ChildPughComponents("C03", 1.2, 3.6, 1.2, "none", "none"),  # A
        ],
        "lesions": lesions,
        "measurements": measurements,
        "reads": reads,
        "follow_up": [
            FollowUp("C01", last_known_alive=START + timedelta(days=400)),
            FollowUp("C02", death_date=START + timedelta(days=250), death_cause="disease progression"),
            FollowUp("C03", death_date=START + timedelta(days=180), death_cause="disease progression"),
        ],
    }
    with store.scope(BUILD):  # a new study written whole before it has accounts
        write_records(store, records, note="central review test factory")
        for name, role in ROLES.items():
            create_user(store, username=name, full_name=f"Dr {name.title()}", role=role, password=PASSWORDS[name])
    return store


def open_as(path: Path, username: str | None) -> StudySession:
    """A session on the study at ``path``, signed in as ``username`` (None: the unsigned system context)."""
    from hccreview.services.auth import sign_in
    from hccreview.services.session import open_study

    session = open_study(path)
    if username is not None:
        sign_in(session, username, PASSWORDS[username])
    return session
