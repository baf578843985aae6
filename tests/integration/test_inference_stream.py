"""POST /inference/stream on a live `vp serve`: each file is answered while the rest is unsent."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.integration.platform_server import PlatformServer, wait_for
from tests.integration.stream_client import StreamUpload, multipart_part

# Far longer than one warm prediction; a server that waits for the whole body never answers.
FIRST_LINE_TIMEOUT_S = 20.0
TARGET = "/api/v1/inference/stream"


def png_bytes(size: tuple[int, int] = (32, 32)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 200, 10)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, digits_dir: Path) -> Iterator[PlatformServer]:
    home = tmp_path_factory.mktemp("stream") / ".vp"
    platform = PlatformServer(
        home=home,
        data_root=digits_dir.parent,
        VP_MAX_CONCURRENT_JOBS="0",
        VP_MAX_UPLOAD_MB="0.01",
        TMPDIR=str(tmp_path_factory.mktemp("server_tmp")),
    ).start()
    yield platform
    platform.stop()


@pytest.fixture(scope="module")
def job_id(server: PlatformServer, digits_dir: Path, trained_classifier: Path) -> int:
    job = server.create_with_model(trained_classifier, dataset_path=digits_dir)
    warm = server.api.post(f"/jobs/{job}/predict", files={"file": ("w.png", png_bytes())})
    assert warm.status_code == 200, warm.text  # the model is loaded: the first line comes fast
    return job


def test_each_file_is_answered_before_the_next_is_sent(server: PlatformServer, job_id: int) -> None:
    with StreamUpload(server.port, TARGET, timeout=FIRST_LINE_TIMEOUT_S) as upload:
        upload.part(multipart_part("job_id", str(job_id).encode()))
        upload.part(multipart_part("files", png_bytes(), filename="first.png"))
        try:
            assert upload.status() == 200
            first = upload.next_line()
        except TimeoutError:
            pytest.fail("no answer to the first file while the body was unfinished: buffered")
        assert first is not None and first["image_path"] == "first.png", first
        assert first["predicted_label"] in {"0", "1", "2"}
        upload.part(multipart_part("files", b"GIF89a broken", filename="second.gif"))
        second = upload.next_line()
        assert second is not None and second["image_path"] == "second.gif"
        assert "not a readable image" in second["error"]
        upload.part(multipart_part("files", png_bytes(), filename="third.png"), last=True)
        third = upload.next_line()
        assert third is not None and third["image_path"] == "third.png" and "error" not in third
        assert upload.next_line() is None


def test_an_oversized_file_midway_gets_an_error_line(server: PlatformServer, job_id: int) -> None:
    big = png_bytes((64, 64)) + bytes(32 * 1024)  # over VP_MAX_UPLOAD_MB=0.01
    names = [f"{i}.png" for i in range(20)]
    with StreamUpload(server.port, TARGET, timeout=FIRST_LINE_TIMEOUT_S) as upload:
        upload.part(multipart_part("job_id", str(job_id).encode()))
        for i, name in enumerate(names):
            data = big if i == 7 else png_bytes()
            upload.part(multipart_part("files", data, filename=name), last=i == len(names) - 1)
        assert upload.status() == 200
        rows = []
        while (row := upload.next_line()) is not None:
            rows.append(row)
    assert [r["image_path"] for r in rows] == names
    assert "VP_MAX_UPLOAD_MB" in rows[7]["error"]
    assert all("error" not in r for i, r in enumerate(rows) if i != 7)


def spooled_files(server: PlatformServer) -> list[Path]:
    return sorted(Path(server.env["TMPDIR"]).glob("vp-stream-*/*"))


def test_files_are_deleted_as_they_go_and_when_the_client_leaves(
    server: PlatformServer, job_id: int
) -> None:
    with StreamUpload(server.port, TARGET, timeout=FIRST_LINE_TIMEOUT_S) as upload:
        upload.part(multipart_part("job_id", str(job_id).encode()))
        upload.part(multipart_part("files", png_bytes(), filename="first.png"))
        first = upload.next_line()
        assert first is not None and "error" not in first
        assert spooled_files(server) == []  # answered, so already deleted
        upload.unfinished_part(multipart_part("files", png_bytes((64, 64)), filename="cut.png"))
        wait_for(lambda: len(spooled_files(server)) == 1, what="the second file to be spooled")
    # The client has gone in the middle of a file.
    wait_for(
        lambda: not list(Path(server.env["TMPDIR"]).glob("vp-stream-*")),
        what="the request's temporary folder to be deleted",
        server=server,
    )
    assert server.api.get("/health").status_code == 200
