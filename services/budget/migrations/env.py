from budget.adapters.tables import metadata
from govkit.migrate import run_env

run_env(metadata)
