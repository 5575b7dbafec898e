from govkit.migrate import run_env
from govkit.uow import OUTBOX

# Only the kit's tables so far; the domain tables arrive with the service's own issue.
run_env(OUTBOX.metadata)
