package cdc

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// PartitionKey returns the raw.cdc.v1 partition key of a row:
// "<table>/<digest>", where digest is the first 26 characters (130 bits)
// of the lower-case base32hex SHA-256 of the record key's canonical JSON
// (the payload of a schema-wrapped key, white space removed, members
// sorted). Keys that are not JSON are hashed as they are. Without a key,
// the partition key is the table alone, which keeps a keyless table's
// changes in one partition, in order.
//
// Why a digest: the primary key of a member or claim table is an
// identifier of a person, and Kafka keys show in tools, logs and broker
// metrics that are not cleared for patient data. Equal keys still give
// equal digests, so one row's changes share a partition and keep their
// order; the key itself is in the payload (the row images) for whoever
// may read it.
func PartitionKey(table string, key []byte) string {
	if len(key) == 0 {
		return table
	}
	canon := key
	if root, err := parseJSON(key); err == nil {
		payload, _, _ := unwrap(root)
		canon = appendCanonical(nil, payload)
	}
	return table + "/" + digest(canon)
}

var b32 = base32.HexEncoding.WithPadding(base32.NoPadding)

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return strings.ToLower(b32.EncodeToString(sum[:]))[:26]
}
