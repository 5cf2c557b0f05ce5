-- The master patient index (package identity) and the views that group a
-- person's Patients: person_link, which Patients each Person resource
-- names, and resources.compartment, the Patient each resource is about.

-- One row per Patient the index has seen: its identity.Record (JSON, as
-- encoding/json writes the Go struct) and the person it belongs to.
CREATE TABLE tributary.mpi_patient (
    patient_id text             COLLATE "C" PRIMARY KEY,
    person_id  text             COLLATE "C" NOT NULL,
    record     jsonb            NOT NULL,
    method     text             NOT NULL,
    score      double precision NOT NULL DEFAULT 0,
    generation integer          NOT NULL,
    hash       text             NOT NULL,
    updated    timestamptz      -- NULL = never
);
CREATE INDEX mpi_patient_person ON tributary.mpi_patient (person_id);

-- The blocking and identifier keys of each Patient (identity.Matcher.Keys);
-- a Put replaces a Patient's rows.
CREATE TABLE tributary.mpi_key (
    key        text COLLATE "C" NOT NULL,
    patient_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (key, patient_id)
);
CREATE INDEX mpi_key_patient ON tributary.mpi_key (patient_id);

-- Pairs of Patients a reviewer said are different people, stored ordered.
CREATE TABLE tributary.mpi_distinct (
    a text COLLATE "C" NOT NULL,
    b text COLLATE "C" NOT NULL,
    PRIMARY KEY (a, b),
    CHECK (a < b)
);

-- Review items: is patient_id the same person as candidate_id? At most one
-- item per unordered pair is open.
CREATE TABLE tributary.mpi_review (
    id           bigserial        PRIMARY KEY,
    patient_id   text             COLLATE "C" NOT NULL,
    candidate_id text             COLLATE "C" NOT NULL,
    score        double precision NOT NULL,
    fields       jsonb            NOT NULL,
    status       text             NOT NULL CHECK (status IN ('open', 'linked', 'distinct')),
    created      timestamptz      NOT NULL,
    decided      timestamptz      -- NULL while open
);
CREATE UNIQUE INDEX mpi_review_open ON tributary.mpi_review
    (least(patient_id, candidate_id), greatest(patient_id, candidate_id)) WHERE status = 'open';

-- Which Patients form which person, as the current Person resources of
-- fhir.v1 say (Person.link.target): written by Apply in the transaction
-- that applies the Person, so it can be rebuilt by replaying the topic.
CREATE TABLE tributary.person_link (
    patient_id text COLLATE "C" PRIMARY KEY,
    person_id  text COLLATE "C" NOT NULL
);
CREATE INDEX person_link_person ON tributary.person_link (person_id);

-- Person resources stored before this migration: a Patient named by
-- several takes the most recently updated one.
INSERT INTO tributary.person_link (patient_id, person_id)
SELECT DISTINCT ON (patient_id) patient_id, person_id
FROM (
    SELECT substr(l.link -> 'target' ->> 'reference', 9) AS patient_id, r.id AS person_id, r.last_updated
    FROM tributary.resources r
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(r.content -> 'link') = 'array' THEN r.content -> 'link' ELSE '[]'::jsonb END) AS l(link)
    WHERE r.resource_type = 'Person' AND NOT r.deleted
        AND l.link -> 'target' ->> 'reference' LIKE 'Patient/%'
) p
WHERE patient_id ~ '^[A-Za-z0-9.-]{1,64}$'
ORDER BY patient_id, last_updated DESC, person_id;

-- The id of the Patient whose compartment the resource is in (the fhir.v1
-- header "patient"); NULL for resources of no patient, and for deleted
-- resources.
ALTER TABLE tributary.resources ADD COLUMN compartment text COLLATE "C";
CREATE INDEX resources_compartment ON tributary.resources (compartment) WHERE compartment IS NOT NULL;
