"""Tamper evidence: a hash chain over the global order of stored events, and checkpoints.

The parts are imported from their own modules (`chain.Sealer`, `verify.verify`,
`checkpoint.Checkpoint`, ...): this file imports none of them, so that none of them, in
importing a sibling, runs a package that imports it back."""
