from tests.integration.fixtures import tiny_digits  # noqa: F401
