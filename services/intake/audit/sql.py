"""Every statement the audit runs; literal text, the table names fixed."""

EVENTS_TABLE = "stored_events"
CHAIN_TABLE = "tinhhinh_audit_chain"

CREATE_CHAIN = (
    "CREATE TABLE IF NOT EXISTS tinhhinh_audit_chain "
    "(position INTEGER PRIMARY KEY, hash BLOB NOT NULL)"
)
HAS_TABLE = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"

# Events, with their position (the rowid, eventsourcing's notification id) first.
EVENTS_AFTER = (
    "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
    "WHERE rowid > ? ORDER BY rowid LIMIT ?"
)
# The hot path counts positions instead of reading them: a gap shifts every later
# position, so the hash at the gap already differs.
CONTENTS_UPTO = (
    "SELECT originator_id, originator_version, topic, state FROM stored_events "
    "WHERE rowid <= ? ORDER BY rowid"
)
EVENTS_BETWEEN = (
    "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
    "WHERE rowid > ? AND rowid <= ? ORDER BY rowid"
)
EVENT_AT = (
    "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
    "WHERE rowid = ?"
)
LAST_EVENT = "SELECT coalesce(max(rowid), 0) FROM stored_events"
COUNT_EVENTS_AFTER = "SELECT count(*) FROM stored_events WHERE rowid > ?"
COUNT_EVENTS_BETWEEN = "SELECT count(*) FROM stored_events WHERE rowid BETWEEN ? AND ?"

# The chain.
INSERT_SEAL = "INSERT INTO tinhhinh_audit_chain (position, hash) VALUES (?, ?)"
LAST_SEAL = "SELECT position, hash FROM tinhhinh_audit_chain ORDER BY position DESC LIMIT 1"
SEAL_STATS = "SELECT coalesce(max(position), 0), count(*) FROM tinhhinh_audit_chain"
SEAL_AT = "SELECT hash FROM tinhhinh_audit_chain WHERE position = ?"
HASHES = "SELECT hash FROM tinhhinh_audit_chain ORDER BY position"
SEALS_AFTER = "SELECT position, hash FROM tinhhinh_audit_chain WHERE position > ? ORDER BY position"
ANCHORS = (
    "SELECT position, hash FROM tinhhinh_audit_chain "
    "WHERE position <= ? AND (position % ? = 0 OR position = ?) ORDER BY position"
)
SEALS_BETWEEN = (
    "SELECT position, hash FROM tinhhinh_audit_chain "
    "WHERE position > ? AND position <= ? ORDER BY position"
)

# Block seals (docs/audit.md): one row per block of 1,024 positions; the last block's row
# is replaced as the block grows, a full block's never again.
BLOCKS_TABLE = "tinhhinh_audit_blocks"
CREATE_BLOCKS = (
    "CREATE TABLE IF NOT EXISTS tinhhinh_audit_blocks "
    "(block INTEGER PRIMARY KEY, last INTEGER NOT NULL, hash BLOB NOT NULL)"
)
UPSERT_BLOCK = "INSERT OR REPLACE INTO tinhhinh_audit_blocks (block, last, hash) VALUES (?, ?, ?)"
BLOCKS = "SELECT block, last, hash FROM tinhhinh_audit_blocks ORDER BY block"
BLOCK_AT = "SELECT last, hash FROM tinhhinh_audit_blocks WHERE block = ?"

# One block's bytes, built by SQLite in one statement: the hot path of `verify`. The header
# is `canonical.FAST_HEADER`'s. `plain` counts the rows with an integer version and a blob
# state: only those can be spelled alike by SQLite and Python when their content differs
# (a number's text reads as the same bytes); the id and the topic are text or blob by their
# column's affinity. Any other difference (a NULL drops the row, a negative version's hex)
# spells other bytes, and a block whose bytes do not seal is spelled again by Python.
BLOCK_EVENTS = (
    "SELECT count(*), coalesce(min(rowid), 0), coalesce(max(rowid), 0), "
    "coalesce(sum(typeof(originator_version) = 'integer' AND typeof(state) = 'blob'), 0), "
    "CAST(group_concat(printf('%d|b%d|i%x|b%d|b%d', rowid, length(CAST(originator_id AS BLOB)), "
    "originator_version, length(CAST(topic AS BLOB)), length(CAST(state AS BLOB))) "
    "|| char(10) || originator_id || topic || state, '') AS BLOB) "
    "FROM stored_events WHERE rowid > ? AND rowid <= ?"
)
# Both aggregate in the rowid order of the range scan, which SQLite does not promise: any
# other order spells other bytes, and the block is spelled again by Python, in ORDER BY.
BLOCK_HASHES = (
    "SELECT count(*), CAST(group_concat(hash, '') AS BLOB) FROM tinhhinh_audit_chain "
    "WHERE position > ? AND position <= ?"
)
