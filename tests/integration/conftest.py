from tests.integration.fixtures import database_url, s3_endpoint, tiny_digits  # noqa: F401
