-- Current resources, every version, the token search index and the
-- materializer's consumer offsets. Everything lives in the tributary schema.
-- Keys use the C collation: byte order, cheaper to compare, and the same on
-- every server, which keeps search cursors (ordered by id) stable.

-- One row per resource: its current version. content is the resource as the
-- source sent it, without meta.versionId and meta.lastUpdated (the columns
-- hold them); it is NULL while the resource is deleted.
CREATE TABLE tributary.resources (
    resource_type text        COLLATE "C" NOT NULL,
    id            text        COLLATE "C" NOT NULL,
    version_id    bigint      NOT NULL CHECK (version_id > 0),
    last_updated  timestamptz NOT NULL,
    source_time   timestamptz, -- latest applied source time; NULL = unknown
    deleted       boolean     NOT NULL,
    content       jsonb,
    content_hash  bytea,       -- sha256 of the canonical content, to skip unchanged upserts
    -- The search_token keys of the current version, so that they can be
    -- deleted by primary key and kept when unchanged: a JSON array of
    -- [param, system, code], '' when none. Only the store reads it.
    index_tokens  text        NOT NULL,
    envelope_id   text        NOT NULL,
    PRIMARY KEY (resource_type, id),
    CHECK (deleted = (content IS NULL)),
    CHECK (deleted = (content_hash IS NULL))
);

-- Every version, deletes included (content NULL). Read by vread and history.
CREATE TABLE tributary.resource_history (
    resource_type text        COLLATE "C" NOT NULL,
    id            text        COLLATE "C" NOT NULL,
    version_id    bigint      NOT NULL,
    last_updated  timestamptz NOT NULL,
    source_time   timestamptz, -- of this version; NULL = unknown
    deleted       boolean     NOT NULL,
    content       jsonb,
    envelope_id   text        NOT NULL,
    PRIMARY KEY (resource_type, id, version_id),
    CHECK (deleted = (content IS NULL))
);

-- Token index of current, non-deleted resources (identifier, and later
-- code, status, ...). system is '' when the value has none. The rows of a
-- resource change only when its index values do (resources.index_tokens
-- lists them). The primary key is the only index, in search order: code
-- (any system), system|code and |code use its prefix; system| scans the
-- parameter's entries.
CREATE TABLE tributary.search_token (
    resource_type text COLLATE "C" NOT NULL,
    param         text COLLATE "C" NOT NULL,
    code          text COLLATE "C" NOT NULL,
    system        text COLLATE "C" NOT NULL,
    resource_id   text COLLATE "C" NOT NULL,
    PRIMARY KEY (resource_type, param, code, system, resource_id)
);

-- The next offset to consume, per consumer group and partition, written in
-- the transaction that applies the records before it: an exactly-once sink.
CREATE TABLE tributary.consumer_offsets (
    group_id    text        NOT NULL,
    topic       text        NOT NULL,
    partition   integer     NOT NULL,
    next_offset bigint      NOT NULL CHECK (next_offset >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, topic, partition)
);
