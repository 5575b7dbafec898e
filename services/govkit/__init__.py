"""govkit: the one shared kit every GovOps service uses.

Config, logging, unit of work with transactional outbox, inbox, event envelope, outbox relay,
gRPC server bootstrap with interceptors, token verification, metrics and process runners.
Nothing here knows a service's domain.
"""

import warnings

# nameko 2.x needs eventlet, which warns on import that it is in bugfix-only mode. We know, and
# keep eventlet confined to the worker processes (docs/architecture.md); the warning would
# otherwise open every command's output.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
