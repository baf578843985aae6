from tests.integration.fixtures import database_url, tiny_digits  # noqa: F401
