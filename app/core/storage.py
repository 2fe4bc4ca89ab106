"""One storage interface for uploaded files (product and review images): a local folder by default, an
S3-compatible object store when configured. Keys are relative paths ("p/ab/cdef…/480.webp"); `url(key)`
is what templates put in src attributes.

The S3 backend speaks the REST API through httpx and signs with AWS Signature Version 4, written out
here (PUT/GET/DELETE of one object is all we need, so boto3 would be a heavy dependency for little)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import quote

import httpx

from app.config import ROOT, get_settings

IMMUTABLE = "public, max-age=31536000, immutable"  # keys are content-addressed: a key never changes content


class StorageError(Exception):
    """The backend failed (network, permissions). Infrastructure, not a broken rule: not a DomainError."""


class InvalidKey(ValueError):
    """A key that could escape the storage root or is otherwise malformed."""


@runtime_checkable
class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...
    async def get(self, key: str) -> bytes | None: ...
    async def delete(self, key: str) -> None: ...
    def url(self, key: str) -> str: ...


# a control character or backslash anywhere, or an empty / "." / ".." segment ("", "/abs", "a/", "a//b", "a/../b")
_BAD_KEY = re.compile(r"[\x00-\x1f\x7f\\]|(?:^|/)\.{0,2}(?:/|$)")


def check_key(key: str) -> str:
    """Refuse keys that are empty, absolute, contain '..', backslashes or control characters."""
    if _BAD_KEY.search(key):
        raise InvalidKey(key)
    return key


class LocalStorage:
    """Files under `root`, served by app.web.media at `base_url`."""

    def __init__(self, root: Path, base_url: str = "/media/") -> None:
        self.root = Path(root)
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self.path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        # Write to a temp file in the same folder, then rename: readers never see a half-written file.
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; the web server (or a sidecar) must read it
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes | None:
        path = self.path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError):
            return None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)

    def url(self, key: str) -> str:
        return self.base_url + quote(check_key(key))


# --- AWS Signature Version 4 --------------------------------------------------------------------------

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sign_v4(
    *,
    method: str,
    host: str,
    path: str,
    headers: Mapping[str, str],
    payload_sha256: str,
    access_key: str,
    secret_key: str,
    region: str,
    now: datetime,
    query: Mapping[str, str] | None = None,
    service: str = "s3",
) -> dict[str, str]:
    """Headers to send (given ones plus host, x-amz-date, x-amz-content-sha256, authorization).

    `path` is already URI-encoded (each segment once, '/' kept), exactly as it goes on the wire."""
    amz_date = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    all_headers = {k.lower(): v for k, v in headers.items()}
    all_headers.update({"host": host, "x-amz-date": amz_date, "x-amz-content-sha256": payload_sha256})
    names = sorted(all_headers)
    canonical_headers = "".join(f"{n}:{' '.join(all_headers[n].split())}\n" for n in names)
    signed_headers = ";".join(names)
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted((query or {}).items())
    )
    canonical_request = "\n".join(
        [method.upper(), path, canonical_query, canonical_headers, signed_headers, payload_sha256]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), service), "aws4_request")
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    all_headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    )
    return all_headers


class S3Storage:
    """An S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, Aliyun OSS in S3 mode, …).

    Path-style addressing ({endpoint}/{bucket}/{key}) by default, which every S3-compatible store accepts;
    `virtual_host=True` uses {bucket}.{endpoint host}. Objects are read by browsers from `public_base_url`
    (a CDN or the bucket's public URL), so `get` is only for the app's own use. A client is made per call
    unless one is passed: uploads are rare, and a shared client would be tied to one event loop."""

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str,
        public_base_url: str,
        *,
        virtual_host: bool = False,
        cache_control: str = IMMUTABLE,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        timeout: float = 30.0,
    ) -> None:
        if not (endpoint and bucket and access_key and secret_key):
            raise ValueError("S3 storage needs an endpoint, a bucket, an access key and a secret key")
        self.endpoint = httpx.URL(endpoint.rstrip("/"))
        self.bucket, self.access_key, self.secret_key = bucket, access_key, secret_key
        self.region = region or "us-east-1"
        public = public_base_url or f"{endpoint.rstrip('/')}/{bucket}"  # the bucket itself when no CDN is set
        self.public_base_url = public if public.endswith("/") else public + "/"
        self.virtual_host, self.cache_control = virtual_host, cache_control
        self.client, self.clock, self.timeout = client, clock, timeout

    def _target(self, key: str) -> tuple[str, str, str]:
        """(url, host header, encoded path) for one object."""
        encoded = quote(check_key(key), safe="/")  # every byte but unreserved ones and '/' percent-encoded
        host = self.endpoint.netloc.decode()
        base_path = self.endpoint.raw_path.decode().rstrip("/")
        if self.virtual_host:
            host = f"{self.bucket}.{host}"
            path = f"{base_path}/{encoded}"
        else:
            path = f"{base_path}/{quote(self.bucket, safe='')}/{encoded}"
        return f"{self.endpoint.scheme}://{host}{path}", host, path

    async def _send(
        self, method: str, key: str, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        url, host, path = self._target(key)
        signed = sign_v4(
            method=method,
            host=host,
            path=path,
            headers=headers or {},
            payload_sha256=hashlib.sha256(body).hexdigest(),
            access_key=self.access_key,
            secret_key=self.secret_key,
            region=self.region,
            now=self.clock(),
        )
        try:
            if self.client is not None:
                return await self.client.request(method, url, content=body or None, headers=signed)
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                return await client.request(method, url, content=body or None, headers=signed)
        except httpx.HTTPError as exc:
            raise StorageError(f"{method} {key}: {exc}") from exc

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        headers = {"content-type": content_type, "cache-control": self.cache_control}
        response = await self._send("PUT", key, data, headers)
        if not response.is_success:
            raise StorageError(f"PUT {key}: HTTP {response.status_code} {response.text[:200]}")

    async def get(self, key: str) -> bytes | None:
        response = await self._send("GET", key)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise StorageError(f"GET {key}: HTTP {response.status_code} {response.text[:200]}")
        return response.content

    async def delete(self, key: str) -> None:
        response = await self._send("DELETE", key)
        if response.status_code not in (200, 204, 404):
            raise StorageError(f"DELETE {key}: HTTP {response.status_code} {response.text[:200]}")

    def url(self, key: str) -> str:
        return self.public_base_url + quote(check_key(key))


# --- Choosing the backend from settings ---------------------------------------------------------------


def _setting(name: str, default: str) -> str:
    # getattr with a default: works before and after these fields are added to Settings.
    return str(getattr(get_settings(), name, default) or default)


@lru_cache(maxsize=1)
def get_storage() -> Storage:
    """The configured backend (STORAGE_BACKEND=local|s3). Cached: settings do not change while running."""
    backend = _setting("storage_backend", "local").lower()
    if backend == "s3":
        return S3Storage(
            endpoint=_setting("s3_endpoint", ""),
            bucket=_setting("s3_bucket", ""),
            access_key=_setting("s3_access_key", ""),
            secret_key=_setting("s3_secret_key", ""),
            region=_setting("s3_region", "us-east-1"),
            public_base_url=_setting("s3_public_url", ""),
        )
    if backend != "local":
        raise ValueError(f"STORAGE_BACKEND must be 'local' or 's3', not {backend!r}")
    return LocalStorage(media_root(), media_url())


def media_root() -> Path:
    return Path(getattr(get_settings(), "media_root", None) or ROOT / ".data" / "media")


def media_url() -> str:
    return _setting("media_url", "/media/")
