"""Tamper evidence: a hash chain over the global order of stored events, and checkpoints."""

from services.intake.audit.chain import Sealer
from services.intake.audit.checkpoint import Checkpoint, CheckpointError
from services.intake.audit.diagnose import Damage
from services.intake.audit.verify import VerifyResult, verify

__all__ = ["Checkpoint", "CheckpointError", "Damage", "Sealer", "VerifyResult", "verify"]
