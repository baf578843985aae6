"""Training runs: the runner, checkpoints, stop requests and progress reporting."""
