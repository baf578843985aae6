"""The data set store on a real database (SQLite and PostgreSQL) and a local folder."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.archives import tar_folder, zip_entries, zip_folder
from vision_platform.datastore.errors import DatasetInUseError
from vision_platform.datastore.service import AddOptions, DatasetService
from vision_platform.db.models import DatasetVersion, TrainingJob
from vision_platform.db.session import Database
from vision_platform.errors import DatasetError, InvalidInputError, NotFoundError
from vision_platform.settings import Settings

BUSY = ("pending", "running", "paused")


@pytest.fixture
def service(database_url: str, tmp_path: Path) -> DatasetService:
    db = Database(database_url)
    db.migrate()
    return DatasetService(db, Settings(home=tmp_path / ".vp", database_url=database_url))


@pytest.fixture
def digits_zip(tiny_digits: Path, tmp_path: Path) -> Path:
    return zip_folder(tiny_digits, tmp_path / "digits.zip")


def _rows(service: DatasetService) -> list[DatasetVersion]:
    with service.db.session() as session:
        return list(session.query(DatasetVersion))


def test_same_content_is_the_same_version_however_packed(
    service: DatasetService, tiny_digits: Path, digits_zip: Path, tmp_path: Path
) -> None:
    first = service.add_archive("digits", digits_zip, AddOptions(description="two digits"))
    assert first.created and first.ref == f"digits@{first.version}"
    assert first.report is not None and first.report.files == first.num_images == 16
    stored = Path(first.uri)
    assert stored.is_dir() and (stored / ".vp" / "report.json").is_file()
    assert sorted(p.relative_to(stored) for p in stored.rglob("*.png")) == sorted(
        p.relative_to(tiny_digits) for p in tiny_digits.rglob("*.png")
    )
    again = service.add_archive(
        "digits", tar_folder(tiny_digits, tmp_path / "d.tar.gz"), AddOptions()
    )
    assert (again.created, again.version, again.description) == (False, first.version, "two digits")
    folder = service.add_folder("digits", tiny_digits, AddOptions())
    assert (folder.created, folder.version) == (False, first.version)
    assert len(_rows(service)) == 1


def test_new_content_is_a_new_version_listed_first(
    service: DatasetService, tiny_digits: Path, digits_zip: Path, tmp_path: Path
) -> None:
    first = service.add_archive("digits", digits_zip, AddOptions())
    changed = shutil.copytree(tiny_digits, tmp_path / "changed" / "digits")
    extra = sorted(changed.rglob("*.png"))[0]
    shutil.copyfile(extra, extra.with_name("extra.png"))
    second = service.add_folder("digits", changed, AddOptions())
    assert second.created and second.version != first.version
    assert [v.version for v in service.get("digits").versions] == [second.version, first.version]
    (summary,) = service.list().items
    assert (summary.name, summary.versions, summary.latest.version) == ("digits", 2, second.version)
    assert service.resolve("digits").version == second.version
    assert service.resolve(f"digits@{first.version}").uri == first.uri
    with pytest.raises(DatasetError, match=r"dataset: data set 'nope' has no version"):
        service.resolve("nope")
    with pytest.raises(NotFoundError):
        service.version("digits", "0" * 12)


def test_a_version_in_use_is_not_deleted(service: DatasetService, digits_zip: Path) -> None:
    added = service.add_archive("digits", digits_zip, AddOptions())
    with service.db.session() as session:
        job = TrainingJob(
            model_name="resnet10t",
            framework="timm",
            task_type="classification",
            dataset_path=added.uri,
            dataset_ref=added.ref,
            num_epochs=1,
            batch_size=4,
            best_metric_name="val_acc",
            status="running",
        )
        session.add(job)
    with pytest.raises(DatasetInUseError, match=f"{added.ref} is used by job\\(s\\) {job.id}"):
        service.delete("digits", added.version, busy_statuses=BUSY)
    with service.db.session() as session:
        session.get(TrainingJob, job.id).status = "completed"  # type: ignore[union-attr]
    service.delete("digits", added.version, busy_statuses=BUSY)
    assert not Path(added.uri).exists()
    with pytest.raises(NotFoundError):
        service.get("digits")


def test_a_failed_upload_leaves_nothing_behind(
    service: DatasetService, tiny_digits: Path, tmp_path: Path
) -> None:
    broken = shutil.copytree(tiny_digits, tmp_path / "broken" / "digits")
    sorted(broken.rglob("*.png"))[0].write_bytes(b"garbage")
    with pytest.raises(DatasetError, match=r"corrupt"):
        service.add_archive("digits", zip_folder(broken, tmp_path / "b.zip"), AddOptions())
    evil = zip_entries(tmp_path / "evil.zip", {"d/a/x.png": b"x", "../x": b"y"})
    with pytest.raises(DatasetError, match=r"'..'"):
        service.add_archive("digits", evil, AddOptions())
    assert _rows(service) == []
    assert list(service.tmp.iterdir()) == []
    assert not (tmp_path / ".vp" / "artifacts" / "datasets").exists()


def test_skipped_images_are_left_out_of_the_version(
    service: DatasetService, tiny_digits: Path, tmp_path: Path
) -> None:
    broken = shutil.copytree(tiny_digits, tmp_path / "broken" / "digits")
    bad = sorted(broken.rglob("*.png"))[0]
    bad.write_bytes(b"garbage")
    added = service.add_folder("digits", broken, AddOptions(skip_bad_images=True))
    assert added.report is not None
    relative = bad.relative_to(broken).as_posix()
    assert [p.file for p in added.report.problems] == [relative]
    assert not (Path(added.uri) / relative).exists()
    assert added.num_images == 15


def test_concurrent_uploads_of_one_content_make_one_version(
    service: DatasetService, digits_zip: Path
) -> None:
    with ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(lambda _: service.add_archive("digits", digits_zip, AddOptions()), range(4))
        )
    assert len({r.version for r in results}) == 1
    assert len(_rows(service)) == 1
    assert sum(r.created for r in results) >= 1


def test_samples_and_thumbnails(service: DatasetService, digits_zip: Path) -> None:
    added = service.add_archive("digits", digits_zip, AddOptions())
    page = service.samples("digits", added.version, split="val", class_name="1", limit=2)
    assert page.total >= 1 and len(page.items) <= 2
    assert all(s.split == "val" and s.class_names == ["1"] for s in page.items)
    thumb = service.thumbnail("digits", added.version, page.items[0].index, 64)
    assert thumb.read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    with pytest.raises(NotFoundError):
        service.thumbnail("digits", added.version, 10_000)
    with pytest.raises(InvalidInputError, match=r"'cat' is not a class"):
        service.samples("digits", added.version, class_name="cat")
