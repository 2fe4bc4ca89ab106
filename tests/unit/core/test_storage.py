"""Storage backends: the local folder (atomic writes, no escaping the root), the S3 signer against AWS's
published Signature Version 4 examples, the S3 backend's requests, and the choice made from settings."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from types import SimpleNamespace

import httpx
import pytest
from litestar import Litestar
from litestar.config.csrf import CSRFConfig

from app.core import storage as storage_module
from app.core.storage import (
    EMPTY_SHA256,
    InvalidKey,
    LocalStorage,
    S3Storage,
    Storage,
    StorageError,
    get_storage,
    sign_v4,
)
from app.web.media import media_router

# The example credentials and moment of AWS's "Signature Calculations for the Authorization Header" examples.
AWS = {
    "access_key": "AKIAIOSFODNN7EXAMPLE",
    "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "region": "us-east-1",
    "now": datetime(2013, 5, 24, tzinfo=UTC),
}
SCOPE = "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"


# --- LocalStorage ------------------------------------------------------------------------------------


async def test_local_storage_puts_gets_and_deletes_files_under_its_root(tmp_path):
    store = LocalStorage(tmp_path / "media", "/media/")
    assert isinstance(store, Storage)
    await store.put("p/ab/cdef/480.webp", b"first", "image/webp")
    assert (tmp_path / "media/p/ab/cdef/480.webp").read_bytes() == b"first"  # folders were created
    await store.put("p/ab/cdef/480.webp", b"second", "image/webp")
    assert await store.get("p/ab/cdef/480.webp") == b"second"
    assert [p.name for p in (tmp_path / "media/p/ab/cdef").iterdir()] == ["480.webp"]  # no temp files left
    await store.delete("p/ab/cdef/480.webp")
    assert await store.get("p/ab/cdef/480.webp") is None
    await store.delete("p/ab/cdef/480.webp")  # deleting what is gone is not an error


def test_local_storage_urls_sit_under_the_base_url_and_are_escaped(tmp_path):
    assert LocalStorage(tmp_path).url("p/ab/cd/480.jpg") == "/media/p/ab/cd/480.jpg"
    assert LocalStorage(tmp_path, "https://cdn.example.com/m").url("a b.jpg") == "https://cdn.example.com/m/a%20b.jpg"


@pytest.mark.parametrize(
    "key",
    ["", "../secret", "p/../../etc/passwd", "/etc/passwd", "p\\..\\x", "p//x", "p/./x", "p/", "p/x\0.jpg", ".."],
)
async def test_local_storage_refuses_keys_that_could_leave_its_root(tmp_path, key):
    store = LocalStorage(tmp_path / "media")
    with pytest.raises(InvalidKey):
        await store.put(key, b"x", "image/jpeg")
    with pytest.raises(InvalidKey):
        await store.get(key)
    with pytest.raises(InvalidKey):
        await store.delete(key)
    with pytest.raises(InvalidKey):
        store.url(key)
    assert list(tmp_path.rglob("*")) == []


async def test_media_router_serves_stored_files_cached_forever_without_cookies(tmp_path):
    store = LocalStorage(tmp_path)
    await store.put("p/ab/cd/480.webp", b"RIFF....WEBP", "image/webp")
    app = Litestar(route_handlers=[media_router(tmp_path)], csrf_config=CSRFConfig(secret="s" * 32))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
        response = await client.get(store.url("p/ab/cd/480.webp"))
        missing = await client.get("/media/p/ab/cd/960.webp")
    assert response.status_code == 200 and response.content == b"RIFF....WEBP"
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["cache-control"] == "max-age=31536000, public, immutable"
    assert "set-cookie" not in response.headers  # a shared cache may store it
    assert missing.status_code == 404


# --- AWS Signature Version 4 -------------------------------------------------------------------------


def test_signature_matches_the_aws_get_object_example():
    # AWS docs, "Example: GET Object": GET /test.txt with Range: bytes=0-9 from examplebucket.
    headers = sign_v4(
        method="GET",
        host="examplebucket.s3.amazonaws.com",
        path="/test.txt",
        headers={"Range": "bytes=0-9"},
        payload_sha256=EMPTY_SHA256,
        **AWS,
    )
    assert headers["authorization"] == (
        f"AWS4-HMAC-SHA256 {SCOPE}, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )
    assert headers["x-amz-date"] == "20130524T000000Z"
    assert headers["x-amz-content-sha256"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_signature_matches_the_aws_put_object_example():
    # AWS docs, "Example: PUT Object": PUT /test$file.text, body "Welcome to Amazon S3.", storage class header.
    body = b"Welcome to Amazon S3."
    headers = sign_v4(
        method="PUT",
        host="examplebucket.s3.amazonaws.com",
        path="/test%24file.text",
        headers={"Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"},
        payload_sha256=hashlib.sha256(body).hexdigest(),
        **AWS,
    )
    assert headers["x-amz-content-sha256"] == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    assert headers["authorization"] == (
        f"AWS4-HMAC-SHA256 {SCOPE}, SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
        "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
    )


# --- S3Storage ---------------------------------------------------------------------------------------


class FakeS3:
    """An in-memory bucket behind httpx.MockTransport that checks every request's signature."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, dict[str, str]]] = {}
        self.requests: list[httpx.Request] = []
        self.fail = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        signed = ["content-type", "cache-control"]
        expected = sign_v4(
            method=request.method,
            host=request.headers["host"],
            path=request.url.raw_path.decode(),
            headers={name: request.headers[name] for name in signed if name in request.headers},
            payload_sha256=hashlib.sha256(request.content).hexdigest(),
            **AWS,
        )
        assert request.headers["authorization"] == expected["authorization"]
        assert request.headers["x-amz-content-sha256"] == hashlib.sha256(request.content).hexdigest()
        if self.fail:
            return httpx.Response(403, text="<Error><Code>AccessDenied</Code></Error>")
        path = request.url.raw_path.decode()
        if request.method == "PUT":
            self.objects[path] = (request.content, dict(request.headers))
            return httpx.Response(200)
        if request.method == "GET":
            return httpx.Response(200, content=self.objects[path][0]) if path in self.objects else httpx.Response(404)
        self.objects.pop(path, None)
        return httpx.Response(204)


def s3(fake: FakeS3, **options: object) -> S3Storage:
    return S3Storage(
        "http://127.0.0.1:9000",
        "jishi-media",
        AWS["access_key"],
        AWS["secret_key"],
        "us-east-1",
        "https://img.example.com/",
        client=httpx.AsyncClient(transport=httpx.MockTransport(fake)),
        clock=lambda: AWS["now"],
        **options,  # type: ignore[arg-type]
    )


async def test_s3_storage_puts_gets_and_deletes_signed_path_style_requests():
    fake = FakeS3()
    store = s3(fake)
    await store.put("p/ab/cd/480.webp", b"webp bytes", "image/webp")
    put = fake.requests[-1]
    assert str(put.url) == "http://127.0.0.1:9000/jishi-media/p/ab/cd/480.webp"
    assert put.headers["host"] == "127.0.0.1:9000"
    assert put.headers["content-type"] == "image/webp"
    assert put.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "content-type;host;x-amz-content-sha256;x-amz-date" in put.headers["authorization"]
    assert await store.get("p/ab/cd/480.webp") == b"webp bytes"
    await store.delete("p/ab/cd/480.webp")
    assert await store.get("p/ab/cd/480.webp") is None
    assert [r.method for r in fake.requests] == ["PUT", "GET", "DELETE", "GET"]
    assert store.url("p/ab/cd/480.webp") == "https://img.example.com/p/ab/cd/480.webp"


async def test_s3_storage_encodes_keys_once_and_can_address_the_bucket_by_host():
    fake = FakeS3()
    store = s3(fake, virtual_host=True)
    await store.put("r/a b$c.jpg", b"x", "image/jpeg")
    request = fake.requests[-1]
    assert request.headers["host"] == "jishi-media.127.0.0.1:9000"
    assert request.url.raw_path == b"/r/a%20b%24c.jpg"


async def test_s3_storage_reports_failures_and_refuses_bad_keys():
    fake = FakeS3()
    fake.fail = True
    store = s3(fake)
    with pytest.raises(StorageError, match="HTTP 403"):
        await store.put("p/x.jpg", b"x", "image/jpeg")
    with pytest.raises(StorageError):
        await store.get("p/x.jpg")
    with pytest.raises(InvalidKey):
        await store.get("../x.jpg")


# --- choosing the backend ----------------------------------------------------------------------------


@pytest.fixture
def settings(monkeypatch):
    values = SimpleNamespace()
    monkeypatch.setattr(storage_module, "get_settings", lambda: values)
    get_storage.cache_clear()
    yield values
    get_storage.cache_clear()


def test_get_storage_is_a_local_folder_when_nothing_is_configured(settings):
    store = get_storage()
    assert isinstance(store, LocalStorage)
    assert store.root.parts[-2:] == (".data", "media")
    assert store.url("p/x.jpg") == "/media/p/x.jpg"


def test_get_storage_uses_s3_when_configured(settings, tmp_path):
    settings.__dict__.update(
        storage_backend="s3",
        s3_endpoint="https://s3.example.com",
        s3_bucket="media",
        s3_access_key="key",
        s3_secret_key="secret",
        s3_region="cn-east-1",
        s3_public_url="https://cdn.example.com",
    )
    store = get_storage()
    assert isinstance(store, S3Storage) and store.region == "cn-east-1"
    assert store.url("p/x.jpg") == "https://cdn.example.com/p/x.jpg"
    settings.storage_backend = "ftp"
    get_storage.cache_clear()
    with pytest.raises(ValueError, match="STORAGE_BACKEND"):
        get_storage()
