"""Notifier: reminders, overdue flags, hot-spot alerts and escalation up the rollup line."""
