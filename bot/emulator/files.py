"""The fake's file storage: file ids for photos, documents, voices and stickers."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from .objects import JSON

PHOTO_SIZES = ((90, 68), (320, 240), (1280, 960))


@dataclass
class StoredFile:
    """One file Telegram knows, with the object it is described by."""

    file_id: str
    file_unique_id: str
    kind: str
    obj: JSON
    data: bytes
    file_path: str
    group: tuple[str, ...] = ()


class FileStore:
    """Issues Telegram-looking file ids and remembers each file's bytes and metadata."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.files: dict[str, StoredFile] = {}

    def _ids(self, kind: str) -> tuple[str, str, int]:
        n = next(self._counter)
        prefix = {"photo": "AgACAgIAAxk", "document": "BQACAgIAAxk", "voice": "AwACAgIAAxk"}
        file_id = f"{prefix.get(kind, 'CAACAgIAAxk')}BAAI{n:08d}{kind[:3].upper()}"
        return file_id, f"AQAD{n:08d}", n

    def get(self, file_id: str) -> StoredFile | None:
        """Return the stored file with this id, if any."""
        return self.files.get(file_id)

    def register(self, file_id: str, kind: str = "photo") -> None:
        """Make an externally chosen file id valid (e.g. one from the bot's config)."""
        if file_id in self.files:
            return
        if kind == "photo":
            sizes = self.new_photo(b"registered:" + file_id.encode())
            largest = self.files[sizes[-1]["file_id"]]
            self.files[file_id] = StoredFile(
                file_id,
                largest.file_unique_id,
                "photo",
                dict(largest.obj, file_id=file_id),
                largest.data,
                largest.file_path,
                largest.group,
            )
        else:
            obj = self.new_file(kind, b"registered:" + file_id.encode())
            stored = self.files[obj["file_id"]]
            self.files[file_id] = StoredFile(
                file_id,
                stored.file_unique_id,
                kind,
                dict(obj, file_id=file_id),
                stored.data,
                stored.file_path,
            )

    def new_photo(self, data: bytes | None = None) -> list[JSON]:
        """Create a photo and return its three PhotoSize objects, smallest first."""
        sizes: list[JSON] = []
        for width, height in PHOTO_SIZES:
            file_id, unique, n = self._ids("photo")
            content = data if data is not None else b"\xff\xd8\xff\xe0FAKEJPEG" + file_id.encode()
            obj: JSON = {
                "file_id": file_id,
                "file_unique_id": unique,
                "width": width,
                "height": height,
                "file_size": width * height // 10,
            }
            self.files[file_id] = StoredFile(
                file_id, unique, "photo", obj, content, f"photos/file_{n}.jpg"
            )
            sizes.append(obj)
        group = tuple(size["file_id"] for size in sizes)
        for file_id in group:
            self.files[file_id].group = group
        return sizes

    def photo_sizes(self, file_id: str) -> list[JSON] | None:
        """Return the PhotoSize list a known photo file id belongs to."""
        stored = self.files.get(file_id)
        if stored is None or stored.kind != "photo":
            return None
        if not stored.group:
            return [stored.obj]
        return [self.files[fid].obj for fid in stored.group]

    def new_file(
        self,
        kind: str,
        data: bytes = b"",
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        extra: JSON | None = None,
    ) -> JSON:
        """Create a non-photo file (document, voice, sticker, ...) and return its object."""
        file_id, unique, n = self._ids(kind)
        obj: JSON = {"file_id": file_id, "file_unique_id": unique, "file_size": len(data)}
        if file_name:
            obj["file_name"] = file_name
        if mime_type:
            obj["mime_type"] = mime_type
        if extra:
            obj.update(extra)
        ext = (file_name or "").rsplit(".", 1)[-1] if file_name and "." in file_name else "bin"
        self.files[file_id] = StoredFile(
            file_id, unique, kind, obj, data, f"{kind}s/file_{n}.{ext}"
        )
        return obj

    def file_object(self, file_id: str) -> JSON | None:
        """Return the File object getFile answers with."""
        stored = self.files.get(file_id)
        if stored is None:
            return None
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    def by_path(self, file_path: str) -> StoredFile | None:
        """Return the file served at ``file_path`` (for the download route)."""
        return next((f for f in self.files.values() if f.file_path == file_path), None)
