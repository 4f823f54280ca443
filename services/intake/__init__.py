"""Intake: takes reports in over HTTP and NATS, stores them, relays them to JetStream."""
