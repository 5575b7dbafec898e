"""govkit: the one shared kit every GovOps service uses.

Config, logging, unit of work with transactional outbox, inbox, event envelope, outbox relay,
gRPC server bootstrap with interceptors, token verification, metrics and process runners.
Nothing here knows a service's domain.
"""
