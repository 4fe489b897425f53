"""The dashboard's static files (page, script, styles, vendored libraries), served from the package.

Each file is read and gzip-compressed once, on first request, and kept: the vendored libraries are
the bulk of a first load and compress about 3:1. A content hash is the ETag, so a reload costs a 304.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.responses import Response

STATIC_ROOT = Path(__file__).with_name("static")
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


@dataclass(frozen=True)
class _Asset:
    raw: bytes
    packed: bytes
    media_type: str
    etag: str


class StaticAssets:
    """Files under `root`, by relative path; nothing outside it is ever served."""

    def __init__(self, root: Path = STATIC_ROOT) -> None:
        self._root = root.resolve()
        self._cache: dict[str, _Asset] = {}

    def response(self, path: str, request: Request) -> Response:
        """The file at `path` (gzip when the browser takes it), 304 when unchanged, 404 when absent."""
        asset = self._load(path)
        if asset is None:
            return Response("not found", status_code=404, media_type="text/plain")
        headers = {"ETag": asset.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
        if request.headers.get("if-none-match") == asset.etag:
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(asset.packed, media_type=asset.media_type, headers=headers)
        return Response(asset.raw, media_type=asset.media_type, headers=headers)

    def _load(self, path: str) -> _Asset | None:
        cached = self._cache.get(path)
        if cached is not None:
            return cached
        file = (self._root / path).resolve()
        if not file.is_file() or not file.is_relative_to(self._root):
            return None
        raw = file.read_bytes()
        media_type = (
            TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        )
        asset = _Asset(raw, gzip.compress(raw, 6), media_type, f'"{hashlib.sha256(raw).hexdigest()[:32]}"')
        self._cache[path] = asset
        return asset
