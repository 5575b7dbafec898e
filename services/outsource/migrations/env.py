from govkit.migrate import run_env
from outsource.adapters.tables import metadata

run_env(metadata)
