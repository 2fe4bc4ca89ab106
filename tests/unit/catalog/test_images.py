"""The image pipeline, with images made in memory: what it refuses, what it repairs, what it produces."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from app.catalog.images import (
    MAX_BYTES,
    NOT_AN_IMAGE,
    TOO_MANY_BYTES,
    TOO_MANY_PIXELS,
    ImageRejected,
    picture,
    process,
    store_image,
    variant_widths,
)
from app.core.storage import LocalStorage

RED, BLUE, WHITE = (220, 20, 20), (20, 20, 220), (255, 255, 255)


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def halves(size: tuple[int, int], left: tuple[int, ...], right: tuple[int, ...], mode: str = "RGB") -> Image.Image:
    """An image whose left half is one colour and right half another."""
    image = Image.new(mode, size, left)
    image.paste(Image.new(mode, (size[0] - size[0] // 2, size[1]), right), (size[0] // 2, 0))
    return image


def noisy_jpeg(size: tuple[int, int] = (640, 480)) -> bytes:
    return encode(Image.effect_noise(size, 64).convert("RGB"), "JPEG", quality=90)


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that declares width x height (1-bit greyscale) with one empty data chunk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def opened(blob: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(blob))
    image.load()
    return image


def near(pixel: tuple[int, ...], colour: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=False))


# --- refusals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, this is not a picture",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"%PDF-1.7\n" + b"0" * 1000,
    ],
    ids=["empty", "text", "svg", "pdf"],
)
def test_bytes_that_are_not_an_image_are_refused_with_a_clear_message(data):
    with pytest.raises(ImageRejected) as err:
        process(data)
    assert err.value.message == NOT_AN_IMAGE
    assert err.value.code == "image_rejected" and err.value.status_code == 422


def test_a_truncated_jpeg_is_refused():
    data = noisy_jpeg()
    with pytest.raises(ImageRejected) as err:
        process(data[: len(data) // 2])
    assert err.value.message == NOT_AN_IMAGE


def test_a_png_with_a_corrupt_checksum_is_refused():
    data = bytearray(encode(Image.new("RGB", (50, 50), RED)))
    data[29] ^= 0xFF  # inside IHDR's CRC
    with pytest.raises(ImageRejected) as err:
        process(bytes(data))
    assert err.value.message == NOT_AN_IMAGE


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_real_images_in_formats_we_do_not_accept_are_refused(fmt):
    with pytest.raises(ImageRejected) as err:
        process(encode(Image.new("RGB", (50, 50), RED), fmt))
    assert err.value.message == NOT_AN_IMAGE


def test_a_file_over_the_size_limit_is_refused_before_decoding():
    data = encode(Image.new("RGB", (10, 10), RED)) + b"\0" * MAX_BYTES  # a valid PNG, padded past the limit
    with pytest.raises(ImageRejected) as err:
        process(data)
    assert err.value.message == TOO_MANY_BYTES
    assert err.value.params == {"mb": 8}
    assert err.value.message % err.value.params == "The image is larger than 8 MB."


@pytest.mark.parametrize(
    "size",
    [(20_000, 20_000), (8_000, 5_001)],
    ids=["400-megapixel bomb (Pillow's own guard)", "just over our 40-megapixel limit"],
)
def test_a_pixel_bomb_is_refused_without_being_decoded(size):
    data = png_header_only(*size)
    assert len(data) < 100  # tiny on disk, huge in memory
    with pytest.raises(ImageRejected) as err:
        process(data)
    assert err.value.message == TOO_MANY_PIXELS
    assert err.value.params == {"mp": 40}


# --- repairs -----------------------------------------------------------------------------------------


def test_transparency_is_flattened_on_white():
    image = halves((400, 200), (255, 0, 0, 0), (*BLUE, 255), mode="RGBA")  # left: fully transparent red
    result = process(encode(image))
    jpg = opened(result.variants["400.jpg"])
    assert jpg.mode == "RGB"
    assert near(jpg.getpixel((50, 100)), WHITE)
    assert near(jpg.getpixel((350, 100)), BLUE)
    webp = opened(result.variants["400.webp"])
    assert webp.mode == "RGB"  # no alpha channel left
    assert near(webp.getpixel((50, 100)), WHITE)


def test_a_cmyk_jpeg_becomes_an_rgb_image_of_the_same_colour():
    cmyk = Image.new("CMYK", (300, 200), (0, 255, 255, 0))  # pure red in CMYK
    result = process(encode(cmyk, "JPEG", quality=95))
    jpg = opened(result.variants["300.jpg"])
    assert jpg.mode == "RGB"
    red, green, blue = jpg.getpixel((150, 100))
    assert red > 200 and green < 60 and blue < 60


def test_the_exif_orientation_is_applied_so_width_and_height_swap():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    stored = halves((400, 200), RED, BLUE)  # as the camera wrote it: red left, blue right
    result = process(encode(stored, "JPEG", quality=95, exif=exif.tobytes()))
    assert (result.width, result.height) == (200, 400)
    upright = opened(result.variants["200.jpg"])
    assert upright.size == (200, 400)
    assert near(upright.getpixel((100, 50)), RED)  # the left edge is now the top
    assert near(upright.getpixel((100, 350)), BLUE)


def test_metadata_is_stripped():
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Industries"  # Make
    exif[0x0132] = "2026:11:01 08:00:00"  # DateTime
    source = Image.effect_noise((600, 400), 40).convert("RGB")
    result = process(encode(source, "JPEG", exif=exif.tobytes(), comment=b"secret comment"))
    for name, blob in result.variants.items():
        assert b"SpyCam" not in blob and b"secret comment" not in blob, name
        image = opened(blob)
        assert not image.getexif(), name
        assert "exif" not in image.info and "icc_profile" not in image.info and "comment" not in image.info, name


# --- what comes out ----------------------------------------------------------------------------------


def test_a_large_photo_gets_webp_and_jpeg_at_each_width_with_its_aspect_ratio():
    result = process(encode(Image.effect_noise((1200, 800), 50).convert("RGB"), "JPEG"))
    assert (result.width, result.height) == (1200, 800)
    assert sorted(result.variants) == ["240.jpg", "240.webp", "480.jpg", "480.webp", "960.jpg", "960.webp"]
    for width in (240, 480, 960):
        webp, jpg = opened(result.variants[f"{width}.webp"]), opened(result.variants[f"{width}.jpg"])
        assert (webp.format, jpg.format) == ("WEBP", "JPEG")
        assert webp.size == jpg.size == (width, width * 2 // 3)
    assert opened(result.variants["960.jpg"]).info.get("progressive") == 1


@pytest.mark.parametrize(
    ("width", "expected"),
    [(3000, [240, 480, 960]), (960, [240, 480, 960]), (700, [240, 480, 700]), (480, [240, 480]), (100, [100])],
)
def test_variant_widths_never_upscale_and_keep_the_original_as_the_largest(width, expected):
    assert variant_widths(width) == expected


def test_a_small_image_is_not_upscaled():
    result = process(encode(Image.new("RGB", (100, 60), RED)))
    assert sorted(result.variants) == ["100.jpg", "100.webp"]
    assert opened(result.variants["100.jpg"]).size == (100, 60)


async def test_store_image_is_content_addressed_and_puts_every_variant(tmp_path):
    storage = LocalStorage(tmp_path, "/media/")
    data = encode(Image.effect_noise((700, 350), 50).convert("RGB"), "JPEG")
    first = await store_image(data, storage=storage)
    again = await store_image(data, storage=storage)
    assert first == again  # identical uploads share one key and its files
    assert (first.width, first.height) == (700, 350)
    prefix, folder, rest = first.key.split("/")
    assert prefix == "p" and len(folder) == 2 and len(rest) == 14
    stored = sorted(p.name for p in (tmp_path / first.key).iterdir())
    assert stored == ["240.jpg", "240.webp", "480.jpg", "480.webp", "700.jpg", "700.webp"]
    other = await store_image(encode(Image.new("RGB", (300, 300), BLUE)), storage=storage, prefix="r")
    assert other.key.startswith("r/") and other.key != first.key


def test_picture_gives_srcsets_of_the_real_widths_and_a_fallback_near_480():
    storage = LocalStorage(Path("/nonexistent"), "/media/")
    pic = picture("p/ab/cd", 700, 350, storage=storage)
    assert pic.src == "/media/p/ab/cd/480.jpg"
    assert (pic.width, pic.height) == (480, 240)  # the fallback's size: sets the aspect ratio
    assert pic.webp_srcset == "/media/p/ab/cd/240.webp 240w, /media/p/ab/cd/480.webp 480w, /media/p/ab/cd/700.webp 700w"
    assert pic.jpg_srcset.endswith("/media/p/ab/cd/700.jpg 700w")
    assert pic.sizes == "(min-width: 768px) 33vw, 50vw"
    small = picture("p/ab/cd", 100, 50, storage=storage, sizes="100px")
    assert (small.src, small.width, small.height, small.sizes) == ("/media/p/ab/cd/100.jpg", 100, 50, "100px")
