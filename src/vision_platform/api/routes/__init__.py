"""Thin route modules: each parses a request, calls a service and returns its model."""
