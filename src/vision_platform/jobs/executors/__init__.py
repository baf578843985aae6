"""Executors start a job's trainer somewhere (a local process, a Kubernetes Job)."""

from vision_platform.jobs.executors.base import ExecutionRequest, ExecutionState, Executor

__all__ = ["ExecutionRequest", "ExecutionState", "Executor"]
