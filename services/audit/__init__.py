"""Tamper evidence: a hash chain over the global order of stored events, and checkpoints."""

from services.audit.chain import Sealer
from services.audit.checkpoint import Checkpoint, CheckpointError
from services.audit.diagnose import Damage
from services.audit.verify import VerifyResult, verify

__all__ = ["Checkpoint", "CheckpointError", "Damage", "Sealer", "VerifyResult", "verify"]
