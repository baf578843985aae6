"""The HTTP API: FastAPI app factory, routes, auth, error mapping and live events."""
