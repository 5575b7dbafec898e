from govkit.migrate import run_env
from org.adapters.tables import metadata

run_env(metadata)
