"""notify: the right people hear about their tickets, breaches and escalations (docs/notify.md)."""
