"""budget: configuration base, O&M fee composition, quota standard, compilation and execution."""
