"""Training jobs: the service (queries, transactions, state machine), scheduler and executors."""
