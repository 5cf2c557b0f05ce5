-- The last source position applied per resource and source record (a CDC
-- table row), so that a change replayed after a restart (an equal
-- position) or delivered late (an older one) is skipped, whenever it
-- arrives. source names the record and the scope its positions compare
-- in (connector, server); position is an order-preserving encoding that
-- compares as bytes (C collation). Rows are written in the transaction
-- that applies the change, and kept when the resource is deleted: a late
-- create must not bring a deleted resource back.
CREATE TABLE tributary.source_positions (
    resource_type text COLLATE "C" NOT NULL,
    id            text COLLATE "C" NOT NULL,
    source        text COLLATE "C" NOT NULL,
    position      text COLLATE "C" NOT NULL,
    PRIMARY KEY (resource_type, id, source)
);
