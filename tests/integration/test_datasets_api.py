"""Data sets through the HTTP API on SQLite and PostgreSQL, with local and S3 (moto) storage:
upload → report → samples, identical re-upload → the same version, registering a folder or a
bucket prefix, and every kind of bad input answered with a 4xx that leaves nothing behind."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.archives import (
    tar_folder,
    tar_special,
    zip_bomb,
    zip_entries,
    zip_folder,
    zip_symlink,
)
from tests.integration.fixtures import s3_storage_env
from vision_platform.api.app import create_app
from vision_platform.settings import Settings
from vision_platform.storage import ArtifactStore

BUCKET = "vp-datasets"
BOUNDARY = "vp-test-boundary"
MAX_DATASET_MB = 2


@dataclass
class Platform:
    client: TestClient
    settings: Settings
    data: Path  # the data root

    def upload(self, archive: Path, name: str = "digits", **fields: str) -> Response:
        with open(archive, "rb") as f:
            return self.client.post(
                "/api/v1/datasets",
                data={"name": name, **fields},
                files={"file": (archive.name, f, "application/octet-stream")},
            )

    def stored_keys(self) -> list[str]:
        """Every file under the storage root's datasets/ (nothing there: empty)."""
        store = ArtifactStore(
            self.settings.artifact_root, endpoint_url=self.settings.s3_endpoint_url
        )
        if not store.exists("datasets"):
            return []
        return [row["key"] for row in store.listing("datasets")]


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Settings for local artifact storage, or a fresh prefix of a bucket on moto's server."""
    if request.param == "local":
        return {}
    endpoint: str = request.getfixturevalue("s3_endpoint")
    prefix = f"s3://{BUCKET}/{uuid.uuid4().hex[:8]}"
    s3_storage_env(endpoint, prefix, monkeypatch)
    return {"storage_uri": prefix, "s3_endpoint_url": endpoint}


@pytest.fixture
def platform(
    database_url: str, storage: dict[str, Any], tiny_digits: Path, tmp_path: Path
) -> Iterator[Platform]:
    data = tiny_digits.parent
    settings = Settings(
        home=tmp_path / ".vp",
        database_url=database_url,
        data_roots=str(data),
        max_dataset_mb=MAX_DATASET_MB,
        **storage,
    )
    with TestClient(create_app(settings, run_scheduler=False)) as client:
        yield Platform(client, settings, data)


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from vision_platform.datasets.shapes import make_shapes

    out = make_shapes(tmp_path_factory.mktemp("shapes") / "shapes", num_train=6, num_val=3)
    return out.parent if out.is_file() else out


def test_upload_report_samples_and_the_same_version_again(
    platform: Platform, tiny_digits: Path, tmp_path: Path
) -> None:
    created = platform.upload(zip_folder(tiny_digits, tmp_path / "digits.zip"), description="2")
    assert created.status_code == 201, created.text
    version = created.json()["version"]
    ref = f"digits@{version}"
    assert created.json()["ref"] == ref and created.json()["created"] is True
    uri = created.json()["uri"]
    assert uri == f"{platform.settings.artifact_root}/datasets/digits/{version}" or (
        Path(uri) == (Path(platform.settings.artifact_root) / "datasets/digits" / version).resolve()
    )

    report = platform.client.get(f"/api/v1/datasets/digits/versions/{version}").json()["report"]
    assert (report["format"], report["task_type"]) == ("imagefolder", "classification")
    assert [c["name"] for c in report["classes"]] == ["0", "1"]
    images = list(tiny_digits.rglob("*.png"))
    assert sum(report["splits"].values()) == len(images)
    assert sum(sum(c["images"].values()) for c in report["classes"]) == len(images)
    assert report["image_sizes"]["max_width"] == 32 and report["problems"] == []
    stored = platform.stored_keys()
    assert f"digits/{version}/.vp/report.json" in stored
    assert sum(k.endswith(".png") for k in stored) == len(images)

    again = platform.upload(tar_folder(tiny_digits, tmp_path / "digits.tar.gz"))
    assert again.status_code == 200, again.text
    assert (again.json()["version"], again.json()["created"]) == (version, False)
    listed = platform.client.get("/api/v1/datasets").json()["items"]
    assert [(d["name"], d["versions"], d["latest"]["ref"]) for d in listed] == [("digits", 1, ref)]
    assert "report" not in listed[0]["latest"] or listed[0]["latest"]["report"] is None

    page = platform.client.get(
        f"/api/v1/datasets/digits/versions/{version}/samples",
        params={"split": "train", "class": "1", "limit": 3},
    ).json()
    assert len(page["items"]) == 3 and page["total"] >= 3
    assert all(s["class_names"] == ["1"] and s["split"] == "train" for s in page["items"])
    thumbnail = platform.client.get(page["items"][0]["thumbnail_url"], params={"size": 64})
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"
    assert thumbnail.content[:2] == b"\xff\xd8"


def test_a_yolo_upload_reports_boxes_and_a_new_content_is_a_new_version(
    platform: Platform, shapes: Path, tmp_path: Path
) -> None:
    first = platform.upload(zip_folder(shapes, tmp_path / "a.zip"), name="shapes")
    assert first.status_code == 201, first.text
    changed = shutil.copytree(shapes, tmp_path / "changed" / "shapes")
    label = sorted((changed / "labels" / "train").glob("*.txt"))[0]
    label.write_text(label.read_text() + "0 0.5 0.5 0.1 0.1\n")
    second = platform.upload(zip_folder(changed, tmp_path / "b.zip"), name="shapes")
    assert second.status_code == 201, second.text
    assert second.json()["version"] != first.json()["version"]
    versions = platform.client.get("/api/v1/datasets/shapes").json()["versions"]
    assert [v["version"] for v in versions] == [second.json()["version"], first.json()["version"]]
    v = second.json()["version"]
    report = second.json()["report"]
    assert (report["format"], report["layout"], report["task_type"]) == (
        "yolo",
        "yolo",
        "detection",
    )
    samples = platform.client.get(f"/api/v1/datasets/shapes/versions/{v}/samples").json()
    boxes = [o["bbox"] for s in samples["items"] for o in s["objects"]]
    assert boxes and all(0 <= x <= 1 for box in boxes for x in box)

    assert platform.client.delete(f"/api/v1/datasets/shapes/versions/{v}").status_code == 204
    assert platform.client.get(f"/api/v1/datasets/shapes/versions/{v}").status_code == 404
    assert not [k for k in platform.stored_keys() if k.startswith(f"shapes/{v}/")]


def test_registering_a_folder_or_a_bucket_prefix(
    platform: Platform, tiny_digits: Path, tmp_path: Path
) -> None:
    folder = platform.client.post(
        "/api/v1/datasets", json={"name": "digits", "source": str(tiny_digits)}
    )
    assert folder.status_code == 201, folder.text
    uploaded = platform.upload(zip_folder(tiny_digits, tmp_path / "digits.zip"))
    assert (uploaded.status_code, uploaded.json()["version"]) == (200, folder.json()["version"])

    outside = platform.client.post(
        "/api/v1/datasets", json={"name": "digits", "source": str(tmp_path)}
    )
    assert outside.status_code == 403 and "source" in outside.json()["detail"]
    if not platform.settings.storage_uri:
        return
    root = platform.settings.storage_uri
    store = ArtifactStore(root, endpoint_url=platform.settings.s3_endpoint_url)
    for path in sorted(tiny_digits.rglob("*.png")):
        store.put_file(path, f"incoming/digits/{path.relative_to(tiny_digits)}")
    remote = platform.client.post(
        "/api/v1/datasets", json={"name": "digits", "source": f"{root}/incoming/digits/"}
    )
    assert (remote.status_code, remote.json()["version"]) == (200, folder.json()["version"])
    elsewhere = platform.client.post(
        "/api/v1/datasets", json={"name": "digits", "source": "s3://other-bucket/digits"}
    )
    assert elsewhere.status_code == 403


# --- bad input -------------------------------------------------------------------------------


def _spoiled_digits(tiny_digits: Path, tmp_path: Path) -> Path:
    broken = shutil.copytree(tiny_digits, tmp_path / "broken" / "digits")
    sorted((broken / "train").rglob("*.png"))[0].write_bytes(b"no image here")
    return zip_folder(broken, tmp_path / "broken.zip")


def _bad_label(line: str) -> Callable[[Path, Path, Path], Path]:
    def make(digits: Path, shapes: Path, tmp_path: Path) -> Path:
        spoiled = shutil.copytree(shapes, tmp_path / "bad" / "shapes")
        label = spoiled / "labels" / "train" / "000000.txt"
        label.write_text(label.read_text() + line + "\n")
        return zip_folder(spoiled, tmp_path / "bad.zip")

    return make


# name → (archive maker (digits, shapes, tmp_path), HTTP status, text the answer must hold)
BAD_ARCHIVES: dict[str, tuple[Callable[[Path, Path, Path], Path], int, str]] = {
    "dot-dot": (
        lambda d, s, t: zip_entries(t / "x.zip", {"d/a.txt": b"a", "d/../../evil.txt": b"e"}),
        422,
        "'d/../../evil.txt': '..' in a path",
    ),
    "absolute": (
        lambda d, s, t: zip_entries(t / "x.zip", {"/etc/evil.txt": b"e"}),
        422,
        "'/etc/evil.txt': absolute paths",
    ),
    "symlink": (
        lambda d, s, t: zip_symlink(t / "x.zip", "ok/passwd", "/etc/passwd"),
        422,
        "'ok/passwd': symbolic links",
    ),
    "hard link": (lambda d, s, t: tar_special(t / "x.tar.gz", "hardlink"), 422, "hard links"),
    "device": (lambda d, s, t: tar_special(t / "x.tar.gz", "chr"), 422, "'data/evil': device"),
    "zip bomb": (lambda d, s, t: zip_bomb(t / "x.zip", 20), 413, "'data/zeros.bin': the archive"),
    "empty": (lambda d, s, t: zip_entries(t / "x.zip", {"d/": b""}), 422, "holds no files"),
    "not an archive": (
        lambda d, s, t: (t / "x.zip").write_bytes(b"hello") and t / "x.zip",
        422,
        "not a .zip, .tar or .tar.gz archive",
    ),
    "no format": (
        lambda d, s, t: zip_entries(t / "x.zip", {"d/notes.txt": b"hi", "d/more.txt": b"x"}),
        422,
        "no recognisable data set format",
    ),
    "corrupt image": (lambda d, s, t: _spoiled_digits(d, t), 422, "corrupt image(s)"),
    "bad class id": (
        _bad_label("9 0.5 0.5 0.1 0.1"),
        422,
        "labels/train/000000.txt:",
    ),
    "bad coordinates": (
        _bad_label("0 1.7 0.5 0.1 0.1"),
        422,
        "coordinates outside [0, 1]",
    ),
    "too large": (
        lambda d, s, t: zip_entries(t / "x.zip", {"d/noise.bin": os.urandom(3 << 20)}),
        413,
        "VP_MAX_DATASET_MB",
    ),
}


def _multipart(name: str, data: bytes | None) -> bytes:
    body = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\n{name}\r\n'
    if data is not None:
        body += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="d.zip"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        )
    end = f"\r\n--{BOUNDARY}--\r\n" if data is not None else f"--{BOUNDARY}--\r\n"
    return body.encode() + (data or b"") + end.encode()


def _post_raw(platform: Platform, body: bytes) -> Response:
    return platform.client.post(
        "/api/v1/datasets",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


def _only_ref(platform: Platform) -> str:
    (item,) = platform.client.get("/api/v1/datasets").json()["items"]
    return f"{item['name']}/versions/{item['latest']['version']}"


def _assert_nothing_left(platform: Platform, case: str) -> None:
    assert platform.client.get("/api/v1/datasets").json()["items"] == [], case
    assert platform.stored_keys() == [], case
    tmp = platform.settings.home / "tmp"
    assert not tmp.exists() or list(tmp.iterdir()) == [], case


def test_every_bad_input_is_a_4xx_naming_it_and_leaves_nothing(
    platform: Platform, tiny_digits: Path, shapes: Path, tmp_path: Path
) -> None:
    for case, (make, status, text) in BAD_ARCHIVES.items():
        work = tmp_path / case.replace(" ", "-")
        work.mkdir()
        answer = platform.upload(make(tiny_digits, shapes, work))
        assert answer.status_code == status, f"{case}: {answer.text}"
        assert text in answer.text, f"{case}: {answer.text}"
        _assert_nothing_left(platform, case)

    archive = zip_folder(tiny_digits, tmp_path / "digits.zip").read_bytes()
    bad_name = platform.upload(tmp_path / "digits.zip", name="My Digits")
    assert bad_name.status_code == 422 and "not a data set name" in bad_name.text
    body = _multipart("digits", archive)
    assert _post_raw(platform, body).status_code == 201  # the raw body is fine when whole ...
    assert platform.client.delete(f"/api/v1/datasets/{_only_ref(platform)}").status_code == 204
    cut_off = _post_raw(platform, body[: len(body) // 2])  # ... and refused when cut off
    assert cut_off.status_code == 422 and "before its closing boundary" in cut_off.text
    no_file = _post_raw(platform, _multipart("digits", None))
    assert no_file.status_code == 422 and "file" in no_file.text, no_file.text
    _assert_nothing_left(platform, "bad name, cut off, no file")
