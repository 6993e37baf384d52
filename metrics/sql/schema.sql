-- Every table of the store. Each data row remembers the import that brought it, so an import can be undone.
-- A name in double braces is metrics.vocabulary's value of that name as SQL, written in by store.query: every value
-- list is declared there once.
CREATE SEQUENCE IF NOT EXISTS import_id_seq START 1;

CREATE TABLE IF NOT EXISTS imports (
    import_id     INTEGER PRIMARY KEY,
    kind          VARCHAR NOT NULL,
    file_name     VARCHAR NOT NULL,
    file_hash     VARCHAR NOT NULL,
    layout        VARCHAR NOT NULL,
    rows_read     INTEGER NOT NULL,
    rows_imported INTEGER NOT NULL,
    rows_unchanged INTEGER NOT NULL,
    rows_skipped  INTEGER NOT NULL,
    skipped_rows  VARCHAR,          -- JSON list of {row, column, value, reason}
    dropped_columns VARCHAR,        -- JSON list of column names not stored (personal data, unmapped)
    imported_at   TIMESTAMP NOT NULL,
    imported_by   VARCHAR NOT NULL,
    undone_at     TIMESTAMP
);

CREATE TABLE IF NOT EXISTS survey_items (
    item_id        VARCHAR PRIMARY KEY,
    dimension      VARCHAR NOT NULL,
    text           VARCHAR NOT NULL,
    scale          VARCHAR NOT NULL CHECK (scale IN ({{SCALES}})),
    reverse_scored BOOLEAN NOT NULL,
    import_id      INTEGER
);

-- One row per response, and one SMALLINT column per catalogue item (metrics/answers.py adds them when items
-- are imported): the survey's wide layout as DESIGN.md has it. No index: response_id is unique by
-- construction (a file with a repeated id is refused, stored ids are matched before anything is written, and
-- imports run one at a time), and an index over a million ids costs more at import than it ever saves.
CREATE TABLE IF NOT EXISTS survey_responses (
    response_id   VARCHAR NOT NULL,
    submitted_at  TIMESTAMP NOT NULL,
    wave          VARCHAR NOT NULL,     -- YYYY-MM: the month of submitted_at unless the import set it
    business_unit VARCHAR NOT NULL,
    department    VARCHAR NOT NULL CHECK (department IN ({{DEPARTMENTS}})),
    role          VARCHAR NOT NULL CHECK (role IN ({{RESPONDENT_ROLES}})),
    comment       VARCHAR,
    import_id     INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS headcount (
    business_unit VARCHAR NOT NULL,
    department    VARCHAR NOT NULL CHECK (department IN ({{DEPARTMENTS}})),
    month         VARCHAR NOT NULL,
    headcount     INTEGER NOT NULL CHECK (headcount >= 0),
    import_id     INTEGER NOT NULL,
    PRIMARY KEY (business_unit, department, month)
);

CREATE TABLE IF NOT EXISTS meetings (
    meeting_id    VARCHAR PRIMARY KEY,
    business_unit VARCHAR NOT NULL,
    date          DATE NOT NULL,
    meeting_type  VARCHAR NOT NULL CHECK (meeting_type IN ({{MEETING_TYPES}})),
    status        VARCHAR NOT NULL CHECK (status IN ({{MEETING_STATUSES}})),
    import_id     INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS attendance (
    meeting_id VARCHAR NOT NULL,
    person_id  VARCHAR NOT NULL,
    department VARCHAR NOT NULL CHECK (department IN ({{DEPARTMENTS}})),
    role       VARCHAR NOT NULL CHECK (role IN ({{RESPONDENT_ROLES}})),
    attended   BOOLEAN NOT NULL,
    import_id  INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, person_id)
);

CREATE TABLE IF NOT EXISTS joint_projects (
    project_id        VARCHAR PRIMARY KEY,
    business_unit     VARCHAR NOT NULL,
    name              VARCHAR NOT NULL,
    lead_function     VARCHAR NOT NULL CHECK (lead_function IN ({{LEAD_FUNCTIONS}})),
    stage             VARCHAR NOT NULL CHECK (stage IN ({{PROJECT_STAGES}})),
    parent_project_id VARCHAR,
    start_date        DATE NOT NULL,
    planned_end       DATE NOT NULL,
    actual_end        DATE,
    budget            DOUBLE NOT NULL CHECK (budget >= 0),
    spend             DOUBLE CHECK (spend >= 0),
    status            VARCHAR NOT NULL CHECK (status IN ({{PROJECT_STATUSES}})),
    outcome           VARCHAR CHECK (outcome IN ({{PROJECT_OUTCOMES}})),
    roi_pct           DOUBLE,
    import_id         INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS kpis (
    business_unit VARCHAR NOT NULL,
    month         VARCHAR NOT NULL,
    kpi           VARCHAR NOT NULL,
    value         DOUBLE NOT NULL,
    import_id     INTEGER NOT NULL,
    PRIMARY KEY (business_unit, month, kpi)
);

-- The monthly review's record (DESIGN.md, "The monthly review"). An empty business_unit is the company. Every row
-- remembers the import (a file, or an edit saved on the Review page) that brought it; what an edit replaced is kept
-- in replaced_<table>, so nothing is overwritten without a trace.
CREATE TABLE IF NOT EXISTS commentary (
    month       VARCHAR NOT NULL,
    side        VARCHAR NOT NULL CHECK (side IN ({{SIDES}})),
    text        VARCHAR NOT NULL CHECK (length(text) <= {{NOTE_MAX}}),
    written_by  VARCHAR NOT NULL,
    written_at  TIMESTAMP NOT NULL,
    import_id   INTEGER NOT NULL,
    PRIMARY KEY (month, side)
);

CREATE TABLE IF NOT EXISTS decision_rights (
    area_id     VARCHAR PRIMARY KEY,
    area        VARCHAR NOT NULL,
    accountable VARCHAR CHECK (accountable IN ({{DECIDERS}})),
    consulted   VARCHAR,
    informed    VARCHAR,
    agreed_on   DATE,
    import_id   INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS decisions (
    decision_id   VARCHAR PRIMARY KEY,
    month         VARCHAR NOT NULL,
    business_unit VARCHAR,
    area_id       VARCHAR,
    text          VARCHAR NOT NULL,
    decided_by    VARCHAR NOT NULL CHECK (decided_by IN ({{DECIDERS}})),
    due           DATE,
    status        VARCHAR NOT NULL CHECK (status IN ({{DECISION_STATUSES}})),
    import_id     INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS actions (
    action_id     VARCHAR PRIMARY KEY,
    business_unit VARCHAR,
    title         VARCHAR NOT NULL,
    owner         VARCHAR,
    target        VARCHAR NOT NULL,
    start_month   VARCHAR NOT NULL,
    due           DATE,
    status        VARCHAR NOT NULL CHECK (status IN ({{ACTION_STATUSES}})),
    effect_window INTEGER NOT NULL DEFAULT {{DEFAULT_EFFECT_WINDOW}} CHECK (effect_window BETWEEN {{EFFECT_WINDOW_MIN}} AND {{EFFECT_WINDOW_MAX}}),
    import_id     INTEGER NOT NULL
);

-- Measured collaboration between marketing and IT (issue 19: Viva Insights' group-to-group query, or the native
-- template): per unit, month and direction, the from side's hours, meetings and e-mails with the to side, and the
-- from side's people (the hours are spread over them). Added to older stores by migration step 5.
CREATE TABLE IF NOT EXISTS collaboration (
    business_unit VARCHAR NOT NULL,
    month         VARCHAR NOT NULL,
    from_side     VARCHAR NOT NULL CHECK (from_side IN ({{SIDES}})),
    to_side       VARCHAR NOT NULL CHECK (to_side IN ({{SIDES}})),
    hours         DOUBLE NOT NULL CHECK (hours >= 0),
    meetings      DOUBLE CHECK (meetings >= 0),
    emails        DOUBLE CHECK (emails >= 0),
    people        INTEGER NOT NULL CHECK (people BETWEEN 1 AND {{COLLABORATION_PEOPLE_MAX}}),
    import_id     INTEGER NOT NULL,
    PRIMARY KEY (business_unit, month, from_side, to_side)
);

-- Column mappings an analyst confirmed, remembered per layout and question set.
CREATE TABLE IF NOT EXISTS saved_mappings (
    layout       VARCHAR NOT NULL,
    signature    VARCHAR NOT NULL,     -- hash of the file's question columns
    mapping      VARCHAR NOT NULL,     -- JSON {source column: target}
    saved_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (layout, signature)
);

-- Settings the analysis reads; the anonymity threshold lives here so every query and view uses one value.
CREATE TABLE IF NOT EXISTS settings (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
INSERT OR IGNORE INTO settings VALUES ('anonymity_threshold', '5');
-- This store's identity, for caches that outlive a connection (metrics.store.cache_key).
INSERT OR IGNORE INTO settings VALUES ('store_id', uuid()::VARCHAR);
INSERT OR IGNORE INTO settings VALUES ('max_upload_mb', '200');
-- Free-text comments are shown only from groups (business unit, department, month) at least this large.
INSERT OR IGNORE INTO settings VALUES ('comment_threshold', '10');

-- Sign-in: when each address last signed out (epoch seconds). A sign-in from before it no longer opens anything,
-- whichever browser or copied cookie presents it (metrics.sign_outs, ui.auth).
CREATE TABLE IF NOT EXISTS sign_outs (
    email          VARCHAR PRIMARY KEY,
    signed_out_at  DOUBLE NOT NULL
);

-- Rows an import replaced on purpose (--replace), kept so that undoing that import brings them back.
CREATE TABLE IF NOT EXISTS replaced_survey_items AS SELECT *, NULL::INTEGER AS replaced_by FROM survey_items LIMIT 0;
CREATE TABLE IF NOT EXISTS replaced_survey_responses AS SELECT *, NULL::INTEGER AS replaced_by FROM survey_responses LIMIT 0;
CREATE TABLE IF NOT EXISTS replaced_headcount AS SELECT *, NULL::INTEGER AS replaced_by FROM headcount LIMIT 0;
CREATE TABLE IF NOT EXISTS replaced_meetings AS SELECT *, NULL::INTEGER AS replaced_by FROM meetings LIMIT 0;
CREATE TABLE IF NOT EXISTS replaced_attendance AS SELECT *, NULL::INTEGER AS replaced_by FROM attendance LIMIT 0;
CREATE TABLE IF NOT EXISTS replaced_joint_projects AS SELECT *, NULL::INTEGER AS replaced_by FROM joint_projects LIMIT 0;
CREATE TABLE IF NOT EXISTS replaced_kpis AS SELECT *, NULL::INTEGER AS replaced_by FROM kpis LIMIT 0;
CREATE TABLE IF NOT EXISTS replaced_commentary AS SELECT *, NULL::INTEGER AS replaced_by FROM commentary LIMIT 0;
CREATE TABLE IF NOT EXISTS replaced_decision_rights AS SELECT *, NULL::INTEGER AS replaced_by FROM decision_rights LIMIT 0;
CREATE TABLE IF NOT EXISTS replaced_decisions AS SELECT *, NULL::INTEGER AS replaced_by FROM decisions LIMIT 0;
CREATE TABLE IF NOT EXISTS replaced_actions AS SELECT *, NULL::INTEGER AS replaced_by FROM actions LIMIT 0;
CREATE TABLE IF NOT EXISTS replaced_collaboration AS SELECT *, NULL::INTEGER AS replaced_by FROM collaboration LIMIT 0;

-- Survey changes held back (metrics/answers.py hold_back): the difference between the responses stored and the
-- responses the figures are made of. 'added': a stored row not counted yet; 'removed': a row no longer stored (an
-- undo, or the old version of a replaced response) that the figures still count. A group's figures change only
-- when its held changes reach the anonymity threshold, so no one person's answers show by difference.
CREATE TABLE IF NOT EXISTS survey_pending AS SELECT *, NULL::VARCHAR AS pending FROM survey_responses LIMIT 0;
-- Each group's responses as its figures were shown before a held change was counted (version 1, 2, ...): a new
-- change must differ from every one of them by none or at least the threshold.
CREATE TABLE IF NOT EXISTS survey_versions AS SELECT *, NULL::INTEGER AS version FROM survey_responses LIMIT 0;
-- Figures hidden at a state shown before (business_unit NULL: the company); they stay hidden until their group
-- changes, a company figure for good, so two states cannot be combined.
CREATE TABLE IF NOT EXISTS survey_hidden_figures (
    month         VARCHAR NOT NULL,
    business_unit VARCHAR,
    department    VARCHAR NOT NULL,
    measure       VARCHAR NOT NULL
);

-- survey_group_measures_live is stored per month by every import and undo that touches the month, in
-- survey_group_figures (a row per month, unit and department, a value and an n column per measure; for an NPS,
-- the department's promoters, detractors and n, which the view adds up over marketing and IT) and read long
-- through the view survey_group_stats; metrics/answers.py adds the columns per measure and builds the view.
CREATE TABLE IF NOT EXISTS survey_group_figures (
    month         VARCHAR NOT NULL,
    business_unit VARCHAR NOT NULL,
    department    VARCHAR NOT NULL
);
