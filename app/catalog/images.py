"""Product (and review) images: every upload is decoded and re-encoded with Pillow, so what we store and
serve is pixels we produced, never the uploaded bytes (no scripts, no metadata, no GPS, no polyglots).

process() checks size before decoding and the pixel count before decompressing, applies the EXIF
orientation, converts to sRGB, flattens transparency on white and writes each width in WIDTHS as WebP
and JPEG. store_image() names the set after the hash of its largest JPEG (content-addressed: identical
uploads share files, and a key's files never change, so they are cached forever). picture() gives a
template what it needs for a responsive, lazy, non-shifting <picture>."""

from __future__ import annotations

import asyncio
import hashlib
import io
import threading
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageCms, ImageOps

from app.core.errors import DomainError
from app.core.i18n import N_
from app.core.storage import Storage, get_storage

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
WIDTHS = (240, 480, 960)
FALLBACK_WIDTH = 480  # the <img src> for browsers that ignore srcset
FORMATS = ("JPEG", "PNG", "WEBP")  # JPEG includes MPO, which many phone cameras write
WEBP_QUALITY, JPEG_QUALITY = 78, 82
CONTENT_TYPES = {"webp": "image/webp", "jpg": "image/jpeg"}

NOT_AN_IMAGE = N_("This file is not an image we can read. Use a JPEG, PNG or WebP photo.")
TOO_MANY_BYTES = N_("The image is larger than %(mb)s MB.")
TOO_MANY_PIXELS = N_("The image is too large: at most %(mp)s megapixels.")

_SRGB = ImageCms.createProfile("sRGB")
# A 40-megapixel RGBA image is 160 MB decoded: at most this many decodes at once per process.
_DECODERS = threading.BoundedSemaphore(2)


class ImageRejected(DomainError):
    code = "image_rejected"


@dataclass(frozen=True)
class ProcessedImage:
    width: int  # of the upright original, before resizing
    height: int
    variants: dict[str, bytes]  # "480.webp" -> bytes, "480.jpg" -> bytes, …

    @property
    def largest(self) -> int:
        return variant_widths(self.width)[-1]


@dataclass(frozen=True)
class StoredImage:
    key: str
    width: int
    height: int


@dataclass(frozen=True)
class Picture:
    src: str  # fallback JPEG, about FALLBACK_WIDTH wide
    webp_srcset: str
    jpg_srcset: str
    width: int  # of `src`: sets the aspect ratio so the page does not shift while the image loads
    height: int
    sizes: str


def variant_widths(width: int) -> list[int]:
    """The widths produced for an image `width` pixels wide: each of WIDTHS narrower than it, then the image
    itself capped at the largest of WIDTHS. Never upscaled; always at least one."""
    top = min(width, WIDTHS[-1])
    return [w for w in WIDTHS if w < top] + [top]


def _scaled_height(width: int, height: int, target: int) -> int:
    return max(1, round(height * target / width))


def _rejected_not_image() -> ImageRejected:
    return ImageRejected(NOT_AN_IMAGE)


def _open(data: bytes) -> Image.Image:
    """Decode fully, refusing what is not a JPEG/PNG/WebP, is corrupt, or has too many pixels."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as probe:  # reads the header only
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageRejected(TOO_MANY_PIXELS, mp=MAX_PIXELS // 1_000_000)
            probe.verify()  # structure and checksums (PNG CRCs); the image is unusable afterwards
        image = Image.open(io.BytesIO(data), formats=FORMATS)
        image.load()  # a truncated or corrupt file fails here
        return image
    except ImageRejected:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own process-wide guard, the backstop
        raise ImageRejected(TOO_MANY_PIXELS, mp=MAX_PIXELS // 1_000_000) from exc
    except Exception as exc:
        # Hostile or broken input: Pillow's parsers fail with OSError, SyntaxError, ValueError, struct.error,
        # EOFError, … depending on the format and where the file breaks. All of them mean "not an image".
        raise _rejected_not_image() from exc


def _to_srgb_rgb(image: Image.Image) -> Image.Image:
    """RGB pixels in sRGB: embedded colour profiles (Display P3, Adobe RGB, CMYK) converted, not dropped,
    and transparency flattened on white."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: fall back to the plain conversion
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit greyscale PNG: scale down to 8 bits
        image = image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


def _encode(image: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "webp":
        image.save(buf, "WEBP", quality=WEBP_QUALITY, method=4)
    else:
        image.save(buf, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
    return buf.getvalue()


def process(data: bytes) -> ProcessedImage:
    """Decode, check, orient, clean and resize one upload. CPU-bound: call it in a thread."""
    if len(data) > MAX_BYTES:
        raise ImageRejected(TOO_MANY_BYTES, mb=MAX_BYTES // (1024 * 1024))
    if not data:
        raise _rejected_not_image()
    with _DECODERS:
        return _process(data)


def _process(data: bytes) -> ProcessedImage:
    image = _open(data)
    try:
        upright = ImageOps.exif_transpose(image)  # a new image; the EXIF orientation tag is dropped
        clean = _to_srgb_rgb(upright)
    except Exception as exc:  # malformed EXIF or colour data
        raise _rejected_not_image() from exc
    clean.info = {}  # no EXIF, ICC, XMP or comments travel into the outputs (resize copies .info)
    width, height = clean.size
    variants: dict[str, bytes] = {}
    for target in variant_widths(width):
        if target == width:
            sized = clean
        else:
            size = (target, _scaled_height(width, height, target))
            sized = clean.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        for fmt in ("webp", "jpg"):
            variants[f"{target}.{fmt}"] = _encode(sized, fmt)
    return ProcessedImage(width=width, height=height, variants=variants)


def key_for(processed: ProcessedImage, prefix: str = "p") -> str:
    """Content address: 16 hex digits of the largest JPEG's SHA-256, the first two as a folder."""
    digest = hashlib.sha256(processed.variants[f"{processed.largest}.jpg"]).hexdigest()[:16]
    return f"{prefix.strip('/')}/{digest[:2]}/{digest[2:]}"


async def store_image(data: bytes, *, storage: Storage | None = None, prefix: str = "p") -> StoredImage:
    """Process an upload and store its variants under one content-addressed key. Raises ImageRejected."""
    storage = storage or get_storage()
    processed = await asyncio.to_thread(process, data)
    key = key_for(processed, prefix)
    # Re-putting an existing key writes identical bytes, so a repeated upload is harmless.
    await asyncio.gather(
        *(
            storage.put(f"{key}/{name}", blob, CONTENT_TYPES[name.rsplit(".", 1)[1]])
            for name, blob in processed.variants.items()
        )
    )
    return StoredImage(key=key, width=processed.width, height=processed.height)


def picture(
    key: str,
    width: int,
    height: int,
    *,
    sizes: str = "(min-width: 768px) 33vw, 50vw",
    storage: Storage | None = None,
) -> Picture:
    """What a <picture> needs for an image stored by store_image (width/height as it returned them)."""
    storage = storage or get_storage()
    widths = variant_widths(width)
    fallback = max((w for w in widths if w <= FALLBACK_WIDTH), default=widths[0])

    def srcset(fmt: str) -> str:
        return ", ".join(f"{storage.url(f'{key}/{w}.{fmt}')} {w}w" for w in widths)

    return Picture(
        src=storage.url(f"{key}/{fallback}.jpg"),
        webp_srcset=srcset("webp"),
        jpg_srcset=srcset("jpg"),
        width=fallback,
        height=_scaled_height(width, height, fallback),
        sizes=sizes,
    )


@lru_cache(maxsize=8192)
def cached_picture(key: str, width: int, height: int, *, sizes: str = "(min-width: 768px) 33vw, 50vw") -> Picture:
    """picture() for templates with the configured storage: a product card renders the same few URLs
    thousands of times a minute, and keys are content-addressed, so the answer never changes."""
    return picture(key, width, height, sizes=sizes)
