"""org: org units of many departments, roles, positions, staff, rosters, identity and permissions."""
