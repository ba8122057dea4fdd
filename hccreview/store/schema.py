"""Tables of the study file and their migrations, versioned by ``PRAGMA user_version``.

Each migration is an ordered list of SQL statements; ``MIGRATIONS[i]`` takes a file from version ``i``
to ``i + 1``. Never edit a released step: append a new one. The audit table is append-only, enforced
by SQLite triggers (21 CFR Part 11 §11.10(e): changes must not obscure previously recorded information).
"""

from __future__ import annotations

from hccreview.domain import record_kinds

# Version 0 -> 1: the record kinds of DESIGN §3 and the audit trail.
_V1 = [
    """CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE subjects (
        subject_id TEXT PRIMARY KEY,
        site TEXT NOT NULL DEFAULT '',
        sex TEXT NOT NULL DEFAULT '',
        age INTEGER,
        etiology TEXT NOT NULL DEFAULT '',
        bclc_stage TEXT NOT NULL DEFAULT '',
        ecog INTEGER,
        prior_sorafenib TEXT NOT NULL DEFAULT '',
        extrahepatic INTEGER,
        macrovascular_invasion INTEGER,
        afp_ng_ml REAL,
        arm TEXT NOT NULL DEFAULT '',
        birth_date TEXT,
        enrolment_date TEXT,
        randomisation_date TEXT,
        first_dose_date TEXT,
        screen_failure INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE child_pugh (
        subject_id TEXT PRIMARY KEY REFERENCES subjects(subject_id),
        bilirubin_mg_dl REAL CHECK (bilirubin_mg_dl IS NULL OR bilirubin_mg_dl >= 0),
        albumin_g_dl REAL CHECK (albumin_g_dl IS NULL OR albumin_g_dl >= 0),
        inr REAL CHECK (inr IS NULL OR inr > 0),
        ascites TEXT,
        encephalopathy TEXT
    )""",
    """CREATE TABLE cycles (
        id INTEGER PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
        number INTEGER NOT NULL,
        start_date TEXT NOT NULL,
        dose_mg REAL NOT NULL CHECK (dose_mg >= 0),
        days_dosed INTEGER,
        delay_days INTEGER NOT NULL DEFAULT 0,
        reduced INTEGER NOT NULL DEFAULT 0,
        reason TEXT NOT NULL DEFAULT '',
        drug TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX cycles_subject ON cycles(subject_id)",
    """CREATE TABLE adverse_events (
        id INTEGER PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
        seq INTEGER NOT NULL,
        term TEXT NOT NULL,
        soc TEXT NOT NULL DEFAULT '',
        grade INTEGER CHECK (grade IS NULL OR grade BETWEEN 1 AND 5),
        severity TEXT NOT NULL DEFAULT '',
        onset TEXT,
        resolution TEXT,
        attribution TEXT NOT NULL DEFAULT '',
        serious INTEGER NOT NULL DEFAULT 0,
        action TEXT NOT NULL DEFAULT '',
        outcome TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX adverse_events_subject ON adverse_events(subject_id)",
    """CREATE TABLE labs (
        id INTEGER PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
        test TEXT NOT NULL,
        value REAL NOT NULL,
        unit TEXT NOT NULL DEFAULT '',
        date TEXT,
        lln REAL,
        uln REAL
    )""",
    "CREATE INDEX labs_subject ON labs(subject_id)",
    """CREATE TABLE lesions (
        id INTEGER PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
        reader TEXT NOT NULL,
        lesion_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('target', 'non-target', 'new')),
        organ TEXT NOT NULL DEFAULT '',
        site TEXT NOT NULL DEFAULT '',
        is_node INTEGER NOT NULL DEFAULT 0,
        method TEXT NOT NULL DEFAULT '',
        UNIQUE (subject_id, reader, lesion_id)
    )""",
    """CREATE TABLE measurements (
        id INTEGER PRIMARY KEY,
        subject_id TEXT NOT NULL,
        reader TEXT NOT NULL,
        lesion_id TEXT NOT NULL,
        date TEXT NOT NULL,
        visit TEXT NOT NULL DEFAULT '',
        diameter_mm REAL CHECK (diameter_mm IS NULL OR diameter_mm >= 0),
        short_axis_mm REAL CHECK (short_axis_mm IS NULL OR short_axis_mm >= 0),
        viable_mm REAL CHECK (viable_mm IS NULL OR viable_mm >= 0),
        status TEXT NOT NULL DEFAULT 'present',
        method TEXT NOT NULL DEFAULT '',
        FOREIGN KEY (subject_id, reader, lesion_id) REFERENCES lesions(subject_id, reader, lesion_id)
    )""",
    "CREATE INDEX measurements_lesion ON measurements(subject_id, reader, lesion_id)",
    """CREATE TABLE reads (
        id INTEGER PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
        reader TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('investigator', 'reader', 'computed')),
        date TEXT NOT NULL,
        visit TEXT NOT NULL DEFAULT '',
        overall TEXT NOT NULL DEFAULT '',
        target TEXT NOT NULL DEFAULT '',
        non_target TEXT NOT NULL DEFAULT '',
        new_lesion INTEGER,
        date_imputed INTEGER NOT NULL DEFAULT 0,
        accepted INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX reads_subject ON reads(subject_id, reader)",
    """CREATE TABLE adjudications (
        id INTEGER PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
        chosen_reader TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
        adjudicator TEXT NOT NULL,
        decided_at TEXT,
        signed INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE follow_up (
        subject_id TEXT PRIMARY KEY REFERENCES subjects(subject_id),
        death_date TEXT,
        death_cause TEXT NOT NULL DEFAULT '',
        last_known_alive TEXT
    )""",
    """CREATE TABLE users (
        username TEXT PRIMARY KEY,
        full_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('reader', 'adjudicator', 'admin')),
        password_hash TEXT NOT NULL,
        salt TEXT NOT NULL,
        kdf TEXT NOT NULL,
        created_at TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1
    )""",
    """CREATE TABLE signatures (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL REFERENCES users(username),
        full_name TEXT NOT NULL,
        signed_at TEXT NOT NULL,
        meaning TEXT NOT NULL,
        record_table TEXT NOT NULL,
        record_id TEXT NOT NULL,
        record_hash TEXT NOT NULL
    )""",
    """CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at_utc TEXT NOT NULL,
        username TEXT NOT NULL,
        action TEXT NOT NULL,
        table_name TEXT NOT NULL,
        row_key TEXT NOT NULL,
        field TEXT,
        old_value TEXT,
        new_value TEXT,
        reason TEXT,
        prev_hash TEXT NOT NULL,
        entry_hash TEXT NOT NULL
    )""",
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END""",
]

# Version 1 -> 2: import findings (warnings kept with the study) and per-subject review state.
_V2 = [
    """CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        subject_id TEXT,
        kind TEXT NOT NULL,
        file TEXT NOT NULL DEFAULT '',
        row INTEGER,
        field TEXT NOT NULL DEFAULT '',
        value TEXT NOT NULL DEFAULT '',
        message TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX findings_subject ON findings(subject_id)",
    """CREATE TABLE review_status (
        subject_id TEXT PRIMARY KEY REFERENCES subjects(subject_id),
        state TEXT NOT NULL DEFAULT 'not started',
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
]

# Version 2 -> 3: adjudication workflow (issue 7). Reads record who entered them, the rules engine's response
# at entry and the reason for overriding it, and may be the adjudicator's own read (role 'adjudicator'; the
# role CHECK needs a table rebuild, ids kept so audit entries still point at their rows). Adjudications get
# a lifecycle (open -> signed -> reopened) linked to their e-signature (21 CFR Part 11 §11.70). Every new
# column has a default, so existing rows stay valid; a decision already marked signed becomes 'signed'.
_V3 = [
    """CREATE TABLE reads_v3 (
        id INTEGER PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
        reader TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('investigator', 'reader', 'computed', 'adjudicator')),
        date TEXT NOT NULL,
        visit TEXT NOT NULL DEFAULT '',
        overall TEXT NOT NULL DEFAULT '',
        target TEXT NOT NULL DEFAULT '',
        non_target TEXT NOT NULL DEFAULT '',
        new_lesion INTEGER,
        date_imputed INTEGER NOT NULL DEFAULT 0,
        accepted INTEGER NOT NULL DEFAULT 0,
        entered_by TEXT NOT NULL DEFAULT '',
        computed_overall TEXT NOT NULL DEFAULT '',
        override_reason TEXT NOT NULL DEFAULT ''
    )""",
    """INSERT INTO reads_v3 (id, subject_id, reader, role, date, visit, overall, target, non_target, new_lesion,
                            date_imputed, accepted)
       SELECT id, subject_id, reader, role, date, visit, overall, target, non_target, new_lesion,
              date_imputed, accepted FROM reads""",
    "DROP TABLE reads",
    "ALTER TABLE reads_v3 RENAME TO reads",
    "CREATE INDEX reads_subject ON reads(subject_id, reader)",
    """ALTER TABLE adjudications ADD COLUMN status TEXT NOT NULL DEFAULT 'open'
       CHECK (status IN ('open', 'signed', 'reopened'))""",
    "ALTER TABLE adjudications ADD COLUMN signature_id INTEGER REFERENCES signatures(id)",
    "ALTER TABLE adjudications ADD COLUMN reopened_reason TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE adjudications ADD COLUMN reopened_by TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE adjudications ADD COLUMN reopened_at TEXT",
    "UPDATE adjudications SET status = 'signed' WHERE signed = 1",
    "CREATE INDEX adjudications_subject ON adjudications(subject_id)",
    "CREATE INDEX signatures_record ON signatures(record_table, record_id)",
]

# Version 3 -> 4 (issues 11 and 12), assembled from one part per feature and released together. A new
# column on ``adjudications`` changes the signed content of every existing decision (``store.signatures``):
# put new decision data in its own table, or make ``canonical_json`` leave the new column out at its default.

# Offline reader exchange (issue 11): the study's identity, shared by its reader snapshots, and the reader
# packages merged into this study with the audit entries they carried (kept verbatim, chain re-verifiable).
# In a reader snapshot, ``snapshot_base`` keeps the reader's rows as they were when the snapshot was cut, so
# a package can say what changed since (a three-way merge at the adjudication site).
_V4_EXCHANGE = [
    """INSERT OR IGNORE INTO settings (key, value)
       SELECT 'study_uuid', json_quote(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3)
                                       || '-a' || substr(h, 18, 3) || '-' || substr(h, 21, 12))
       FROM (SELECT lower(hex(randomblob(16))) AS h)""",
    """CREATE TABLE reader_packages (
        id INTEGER PRIMARY KEY,
        package_sha256 TEXT NOT NULL UNIQUE,
        study_uuid TEXT NOT NULL,
        snapshot_id TEXT NOT NULL,
        username TEXT NOT NULL,
        exported_at TEXT NOT NULL,
        first_change TEXT,
        last_change TEXT,
        counts TEXT NOT NULL,
        file_name TEXT NOT NULL DEFAULT '',
        merged_at TEXT NOT NULL,
        merged_by TEXT NOT NULL
    )""",
    """CREATE TABLE snapshot_base (
        table_name TEXT NOT NULL,
        row_id INTEGER NOT NULL,
        content TEXT NOT NULL,
        PRIMARY KEY (table_name, row_id)
    )""",
    """CREATE TABLE reader_package_audit (
        package_id INTEGER NOT NULL REFERENCES reader_packages(id),
        seq INTEGER NOT NULL,
        entry TEXT NOT NULL,
        PRIMARY KEY (package_id, seq)
    )""",
]

# Data transfers and per-record-kind review status (issue 12 items 1-2). ``transfers``: one row per delivery
# imported (the first one included), with the SHA-256 of each source file and the counts per record kind.
# ``readjudication_flags``: a signed decision whose evidence a transfer removed or changed (kept out of
# ``adjudications`` so that signed content is unchanged); cleared when a new decision is signed.
# ``record_review``: who marked which record kind of a patient reviewed, and the audit sequence number at that
# moment (later audited changes of that kind make it "changed since review"). A patient already marked
# reviewed keeps that state: each of its kinds is marked reviewed as of the migration.
_V4_TRANSFERS: list[str] = [
    """CREATE TABLE transfers (
        id INTEGER PRIMARY KEY,
        at_utc TEXT NOT NULL,
        username TEXT NOT NULL,
        source TEXT NOT NULL,
        format TEXT NOT NULL,
        files TEXT NOT NULL DEFAULT '[]',
        counts TEXT NOT NULL DEFAULT '{}',
        subjects TEXT NOT NULL DEFAULT '{}',
        created_study INTEGER NOT NULL DEFAULT 0,
        backup TEXT NOT NULL DEFAULT ''
    )""",
    """CREATE TABLE readjudication_flags (
        id INTEGER PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
        adjudication_id INTEGER NOT NULL REFERENCES adjudications(id),
        transfer_id INTEGER REFERENCES transfers(id),
        reason TEXT NOT NULL,
        flagged_at TEXT NOT NULL,
        cleared_at TEXT,
        cleared_by TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX readjudication_flags_subject ON readjudication_flags(subject_id)",
    """CREATE TABLE record_review (
        id INTEGER PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
        kind TEXT NOT NULL CHECK (kind IN ('baseline', 'cycles', 'adverse_events', 'assessments')),
        reviewed_by TEXT NOT NULL,
        reviewed_at TEXT NOT NULL,
        reviewed_seq INTEGER NOT NULL DEFAULT 0,
        UNIQUE (subject_id, kind)
    )""",
    """INSERT INTO record_review (subject_id, kind, reviewed_by, reviewed_at, reviewed_seq)
       SELECT r.subject_id, k.kind, r.updated_by, r.updated_at, (SELECT coalesce(max(seq), 0) FROM audit_log)
       FROM review_status r
       CROSS JOIN (SELECT 'baseline' AS kind UNION ALL SELECT 'cycles' UNION ALL SELECT 'adverse_events'
                   UNION ALL SELECT 'assessments') k
       WHERE r.state = 'reviewed'""",
]

# Queries / comments and discordance reason codes (issue 12 items 3-4).
# A thread (query or comment) hangs on a patient or one of its records; ``target_reader`` names the reader who
# owns the record (lesions, measurements), so a blinded reader never sees threads on another reader's reads.
# A comment has no state (NULL); a query goes open -> answered -> closed (re-opened with a reason). Messages
# are never edited. Reason codes live beside ``adjudications`` keyed by its id (a new column there would
# change the signed content of existing decisions); once the decision is signed its code is frozen.
_V4_QUERIES: list[str] = [
    """CREATE TABLE queries (
        id INTEGER PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
        kind TEXT NOT NULL CHECK (kind IN ('query', 'comment')),
        state TEXT CHECK (state IN ('open', 'answered', 'closed')),
        target_kind TEXT NOT NULL
            CHECK (target_kind IN ('patient', 'visit', 'lesion', 'measurement', 'adverse_event')),
        target_ref TEXT NOT NULL DEFAULT '',
        target_label TEXT NOT NULL DEFAULT '',
        target_reader TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL CHECK (length(trim(title)) > 0),
        opened_by TEXT NOT NULL,
        opened_role TEXT NOT NULL DEFAULT '',
        opened_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        closed_by TEXT NOT NULL DEFAULT '',
        closed_at TEXT,
        CHECK ((kind = 'comment') = (state IS NULL))
    )""",
    "CREATE INDEX queries_subject ON queries(subject_id, state)",
    """CREATE TABLE query_messages (
        id INTEGER PRIMARY KEY,
        query_id INTEGER NOT NULL REFERENCES queries(id),
        action TEXT NOT NULL CHECK (action IN ('open', 'answer', 'close', 'reopen', 'reply')),
        author TEXT NOT NULL,
        author_role TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL,
        text TEXT NOT NULL CHECK (length(trim(text)) > 0)
    )""",
    "CREATE INDEX query_messages_query ON query_messages(query_id)",
    """CREATE TRIGGER query_messages_no_update BEFORE UPDATE ON query_messages
       BEGIN SELECT RAISE(ABORT, 'query messages are never edited: add a message instead'); END""",
    """CREATE TABLE adjudication_reason_codes (
        adjudication_id INTEGER PRIMARY KEY REFERENCES adjudications(id),
        code TEXT NOT NULL CHECK (length(trim(code)) > 0),
        other_text TEXT NOT NULL DEFAULT '',
        recorded_by TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    )""",
    """CREATE TRIGGER adjudication_reason_codes_signed_insert BEFORE INSERT ON adjudication_reason_codes
       WHEN (SELECT status FROM adjudications WHERE id = NEW.adjudication_id) = 'signed'
       BEGIN SELECT RAISE(ABORT, 'the decision is signed: its reason code is locked'); END""",
    """CREATE TRIGGER adjudication_reason_codes_signed_update BEFORE UPDATE ON adjudication_reason_codes
       WHEN (SELECT status FROM adjudications WHERE id = OLD.adjudication_id) = 'signed'
       BEGIN SELECT RAISE(ABORT, 'the decision is signed: its reason code is locked'); END""",
    """CREATE TRIGGER adjudication_reason_codes_signed_delete BEFORE DELETE ON adjudication_reason_codes
       WHEN (SELECT status FROM adjudications WHERE id = OLD.adjudication_id) = 'signed'
       BEGIN SELECT RAISE(ABORT, 'the decision is signed: its reason code is locked'); END""",
]

# Version 4 -> 5: one access policy (issue 17). Users may have the read-only ``viewer`` role (statistician, PI):
# the role CHECK needs a table rebuild (``Store._migrate`` turns foreign keys off around each step, as SQLite's
# table-rebuild procedure requires, and checks them after). A central reader *submits* a timepoint read (it is
# then read-only to them): ``submitted_at`` / ``submitted_by`` on the read. The signature of a re-opened decision
# is marked superseded in ``signature_supersessions`` (a signature row itself never changes), so ``verify``
# reports the history instead of a bare "matches".
_V5_ACCESS: list[str] = [
    """CREATE TABLE users_v5 (
        username TEXT PRIMARY KEY,
        full_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('reader', 'adjudicator', 'admin', 'viewer')),
        password_hash TEXT NOT NULL,
        salt TEXT NOT NULL,
        kdf TEXT NOT NULL,
        created_at TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1
    )""",
    """INSERT INTO users_v5 (username, full_name, role, password_hash, salt, kdf, created_at, active)
       SELECT username, full_name, role, password_hash, salt, kdf, created_at, active FROM users""",
    "DROP TABLE users",
    "ALTER TABLE users_v5 RENAME TO users",
    "ALTER TABLE reads ADD COLUMN submitted_at TEXT",
    "ALTER TABLE reads ADD COLUMN submitted_by TEXT NOT NULL DEFAULT ''",
    """CREATE TABLE signature_supersessions (
        signature_id INTEGER PRIMARY KEY REFERENCES signatures(id),
        superseded_at TEXT NOT NULL,
        superseded_by TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (length(trim(reason)) > 0)
    )""",
]

# Version 4 -> 5, review marks per user (issue 17 item 6): "reviewed" is each user's own — reader1 marking a
# patient reviewed does not mark it for reader2. ``record_review`` gets one mark per patient, kind and user
# (UNIQUE rebuilt; ids kept, so audit entries still point at their rows) and ``review_status`` one stored state
# per patient and user (primary key (subject_id, username)). Existing marks become the marks of the user who
# made them: a state row is its writer's, and a user with kind marks but no state row of their own (another user
# set the shared state later) gets the state their marks imply.
_V5_REVIEW: list[str] = [
    """CREATE TABLE record_review_v5 (
        id INTEGER PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
        kind TEXT NOT NULL CHECK (kind IN ('baseline', 'cycles', 'adverse_events', 'assessments')),
        reviewed_by TEXT NOT NULL,
        reviewed_at TEXT NOT NULL,
        reviewed_seq INTEGER NOT NULL DEFAULT 0,
        UNIQUE (subject_id, kind, reviewed_by)
    )""",
    """INSERT INTO record_review_v5 (id, subject_id, kind, reviewed_by, reviewed_at, reviewed_seq)
       SELECT id, subject_id, kind, reviewed_by, reviewed_at, reviewed_seq FROM record_review""",
    "DROP TABLE record_review",
    "ALTER TABLE record_review_v5 RENAME TO record_review",
    "CREATE INDEX record_review_user ON record_review(reviewed_by, subject_id)",
    """CREATE TABLE review_status_v5 (
        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
        username TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'not started',
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (subject_id, username)
    )""",
    """INSERT INTO review_status_v5 (subject_id, username, state, updated_by, updated_at)
       SELECT subject_id, updated_by, state, updated_by, updated_at FROM review_status""",
    """INSERT OR IGNORE INTO review_status_v5 (subject_id, username, state, updated_by, updated_at)
       SELECT subject_id, reviewed_by, CASE WHEN count(DISTINCT kind) = 4 THEN 'reviewed' ELSE 'in progress' END,
              reviewed_by, max(reviewed_at)
       FROM record_review GROUP BY subject_id, reviewed_by""",
    "DROP TABLE review_status",
    "ALTER TABLE review_status_v5 RENAME TO review_status",
    "CREATE INDEX review_status_user ON review_status(username)",
]

# Version 5 -> 6: images (issue 21). The study stores an index of its DICOM images, never the pixels: one row per
# series (matched to a subject and an assessment date / visit) and one per instance (path relative to the image
# root, the ``settings`` key ``image_root``; position along the slice normal; SHA-256 of the file, empty for demo
# images generated on first use). A lesion gets a tracking UID (DICOM SR TID 1500 Tracking Unique Identifier),
# kept once; a measurement keeps the caliper its values were measured with (JSON of ``domain.calipers.Caliper``:
# endpoints, SOP Instance UID, frame of reference), empty for a value typed without one ("not image-derived").
_V6_IMAGES: list[str] = [
    """CREATE TABLE image_series (
        series_uid TEXT PRIMARY KEY,
        study_uid TEXT NOT NULL,
        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
        date TEXT NOT NULL,
        visit TEXT NOT NULL DEFAULT '',
        study_date TEXT,
        timepoint_id TEXT NOT NULL DEFAULT '',
        modality TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        phase TEXT NOT NULL DEFAULT '',
        frame_of_reference_uid TEXT NOT NULL DEFAULT '',
        rows INTEGER NOT NULL CHECK (rows > 0),
        columns INTEGER NOT NULL CHECK (columns > 0),
        row_spacing REAL NOT NULL CHECK (row_spacing > 0),
        column_spacing REAL NOT NULL CHECK (column_spacing > 0),
        slice_thickness REAL,
        orientation TEXT NOT NULL DEFAULT '',
        acquisition_plane INTEGER NOT NULL DEFAULT 1,
        instances INTEGER NOT NULL,
        source TEXT NOT NULL DEFAULT 'import',
        registered_at TEXT NOT NULL,
        registered_by TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX image_series_subject ON image_series(subject_id, date)",
    """CREATE TABLE image_instances (
        sop_instance_uid TEXT PRIMARY KEY,
        series_uid TEXT NOT NULL REFERENCES image_series(series_uid),
        path TEXT NOT NULL,
        instance_number INTEGER,
        position TEXT NOT NULL DEFAULT '',
        slice_location REAL NOT NULL,
        transfer_syntax TEXT NOT NULL DEFAULT '',
        sha256 TEXT NOT NULL DEFAULT '',
        size INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX image_instances_series ON image_instances(series_uid, slice_location)",
    "ALTER TABLE lesions ADD COLUMN tracking_uid TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE measurements ADD COLUMN caliper TEXT NOT NULL DEFAULT ''",
]

# Version 6 -> 7: what a read leaves behind on the images (issue 22). ``key_images``: the images a reader marks
# as key images of their read at one timepoint, beside the caliper slices (which are key images by themselves,
# derived from the measurements, never stored twice). ``structured_reports``: the DICOM documents hccreview writes
# when a reader submits a timepoint read (a TID 1500 Comprehensive SR and a Key Object Selection), kept in the
# study file itself so they travel with it: the document's bytes, their SHA-256 (also in the audit entry, checked
# by ``verify``) and the document it amends. Both belong to one evaluator (``reader``), filtered and gated as the
# reader's lesions are; a document is immutable (no update, no delete: the triggers say so).
_V7_READ_DOCUMENTS: list[str] = [
    """CREATE TABLE key_images (
        id INTEGER PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
        reader TEXT NOT NULL,
        date TEXT NOT NULL,
        series_uid TEXT NOT NULL,
        sop_instance_uid TEXT NOT NULL,
        frame INTEGER NOT NULL DEFAULT 1,
        note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        UNIQUE (subject_id, reader, date, sop_instance_uid, frame)
    )""",
    "CREATE INDEX key_images_read ON key_images(subject_id, reader, date)",
    """CREATE TABLE structured_reports (
        sop_instance_uid TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('SR', 'KOS')),
        subject_id TEXT NOT NULL REFERENCES subjects(subject_id),
        reader TEXT NOT NULL,
        date TEXT NOT NULL,
        visit TEXT NOT NULL DEFAULT '',
        series_uid TEXT NOT NULL,
        predecessor_uid TEXT NOT NULL DEFAULT '',
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        document BLOB NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX structured_reports_read ON structured_reports(subject_id, reader, date, kind)",
    """CREATE TRIGGER structured_reports_immutable_update BEFORE UPDATE ON structured_reports
       BEGIN SELECT RAISE(ABORT, 'a DICOM document hccreview wrote is immutable: amend the read instead'); END""",
    """CREATE TRIGGER structured_reports_immutable_delete BEFORE DELETE ON structured_reports
       BEGIN SELECT RAISE(ABORT, 'a DICOM document hccreview wrote is immutable: amend the read instead'); END""",
]

MIGRATIONS: list[list[str]] = [
    _V1,
    _V2,
    _V3,
    _V4_EXCHANGE + _V4_TRANSFERS + _V4_QUERIES,
    _V5_ACCESS + _V5_REVIEW,
    _V6_IMAGES,
    _V7_READ_DOCUMENTS,
]
SCHEMA_VERSION = len(MIGRATIONS)

#: Tables holding the study's records, in the order a study is loaded (parents first): one per record kind.
DATA_TABLES: tuple[str, ...] = record_kinds.tables()
