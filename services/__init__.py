"""tinhhinh services: intake, aggregator, notifier and the NATS plumbing they share."""
