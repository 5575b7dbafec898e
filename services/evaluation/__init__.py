"""evaluation: live layered KPIs from events, the nine-grid evaluation system, rectification and accountability."""
