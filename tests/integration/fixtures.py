"""Fixtures of the platform tests: databases (SQLite and PostgreSQL), an S3 server (moto, on
loopback) and a tiny data set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

POSTGRES_URL = os.environ.get(
    "VP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_schema_url(schema: str) -> str:
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


def _admin_execute(sql: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def postgres_database() -> Iterator[str]:
    """The URL of a fresh PostgreSQL schema, dropped afterwards (skips without a server)."""
    schema = f"vp_test_{uuid.uuid4().hex[:12]}"
    try:
        _admin_execute(f'CREATE SCHEMA "{schema}"')
    except Exception as e:  # no server on this machine
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {e}")
    try:
        yield _postgres_schema_url(schema)
    finally:
        _admin_execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'vp.db'}"
        return
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def tiny_digits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smallest real data set that trains: 2 digit classes, 8 images each, 32 px."""
    from vision_platform.datasets.digits import make_digits

    root = tmp_path_factory.mktemp("data")
    return make_digits(root / "digits", num_classes=2, per_class=8, size=32)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free loopback port, for the whole session."""
    from moto.server import ThreadedMotoServer

    from tests.integration.platform_server import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_storage_env(
    endpoint: str, storage_uri: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The settings (VP_* and test credentials) of storage at `storage_uri` on the S3 server,
    set in this process's environment too; the bucket is made when missing."""
    from vision_platform.storage import ArtifactStore

    env = {
        "AWS_ACCESS_KEY_ID": "test-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "VP_S3_ENDPOINT_URL": endpoint,
        "VP_STORAGE_URI": storage_uri,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    bucket = storage_uri.removeprefix("s3://").split("/")[0]
    store = ArtifactStore(f"s3://{bucket}", endpoint_url=endpoint)
    if not store.fs.exists(bucket):
        store.fs.mkdir(bucket)
    return env
