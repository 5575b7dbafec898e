from govkit.migrate import run_env
from ticket.adapters.tables import metadata

run_env(metadata)
