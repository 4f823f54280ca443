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
