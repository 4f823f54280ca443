"""The tinhhinh domain: pure rules of the reporting network, no I/O."""
