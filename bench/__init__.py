"""GovOps benchmarks: `make bench` (or `python -m bench [--quick]`).

Raw baselines (PostgreSQL commits, RabbitMQ confirmed publishes, empty gRPC calls) and the GovOps
figures (CreateTicket throughput, event→KPI latency) measured in the same run on the same machine,
printed as one table. See docs/benchmarks.md for what each figure means.
"""
