"""Integrity checks of a study file: SQLite's own checks and the audit chain."""

from __future__ import annotations

from dataclasses import dataclass

from hccreview.store.audit import verify_chain
from hccreview.store.database import Store


@dataclass(frozen=True)
class Check:
    """One named check and what it found."""

    name: str
    ok: bool
    detail: str


def run_checks(store: Store) -> list[Check]:
    """``PRAGMA integrity_check``, ``PRAGMA foreign_key_check``, append-only triggers present, audit chain."""
    checks: list[Check] = []
    result = [r[0] for r in store.conn.execute("PRAGMA integrity_check")]
    checks.append(Check("integrity_check", result == ["ok"], "; ".join(result[:5])))
    fk = store.conn.execute("PRAGMA foreign_key_check").fetchall()
    detail = "no violations" if not fk else "; ".join(f"{t} row {rid} -> {parent}" for t, rid, parent, _ in fk[:5])
    checks.append(Check("foreign_key_check", not fk, f"{len(fk)} violation(s): {detail}" if fk else detail))
    triggers = {
        r[0]
        for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")
    }
    missing = {"audit_log_no_update", "audit_log_no_delete"} - triggers
    checks.append(
        Check(
            "audit_append_only",
            not missing,
            "append-only triggers present" if not missing else f"missing triggers: {', '.join(sorted(missing))}",
        )
    )
    from hccreview.store.signatures import signature_history, verify_signatures

    broken = verify_signatures(store)
    history = signature_history(store) if "signature_supersessions" in _tables(store) else []
    held = f"{store.count('signatures')} signature(s) match their records"
    if history:
        held += f"; {len(history)} superseded by re-opening: " + "; ".join(history)
    checks.append(Check("signatures", not broken, held if not broken else "; ".join(broken[:3])))
    from hccreview.store.exchange import verify_package_chains

    if "reader_packages" in _tables(store):
        bad = verify_package_chains(store)
        n = store.count("reader_packages")
        checks.append(Check("reader_packages", not bad, f"{n} merged package trail(s) intact" if not bad else bad[0]))
    chain = verify_chain(store.conn)
    checks.append(
        Check(
            "audit_chain",
            chain.ok,
            f"{chain.entries} entries, chain intact"
            if chain.ok
            else f"first bad entry: seq {chain.first_bad_seq} — {chain.problem}",
        )
    )
    return checks


def _tables(store: Store) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
