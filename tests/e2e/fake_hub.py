"""A Hugging Face Hub on 127.0.0.1 for tests: `huggingface_hub` downloads from it when
HF_ENDPOINT names it (files by repo and name, the headers the client checks, 404s otherwise)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class FakeHub:
    url: str
    files: dict[str, bytes]  # "<repo_id>/<filename>" → content
    downloads: list[str] = field(default_factory=list)


@contextmanager
def fake_hub(files: dict[str, bytes]) -> Iterator[FakeHub]:
    """Serve `files` ("<repo_id>/<filename>" → bytes) at /<repo_id>/resolve/<rev>/<filename>."""
    hub = FakeHub(url="", files=files)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, with_body: bool) -> None:
            repo_and_rest = self.path.split("?")[0].lstrip("/")
            repo, _, rest = repo_and_rest.partition("/resolve/")
            name = f"{repo}/{rest.partition('/')[2]}"
            data = hub.files.get(name)
            if data is None:
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("X-Repo-Commit", "0" * 40)
            self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if with_body:
                hub.downloads.append(name)
                self.wfile.write(data)

        def do_HEAD(self) -> None:
            self._answer(with_body=False)

        def do_GET(self) -> None:
            self._answer(with_body=True)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
