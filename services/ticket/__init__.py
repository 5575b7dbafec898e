"""ticket: the O&M process platform (service-request and operations windows, SLA, escalation)."""
