"""What every service shares: settings, the event store, the wire, streams, RPC contracts and
clients."""
