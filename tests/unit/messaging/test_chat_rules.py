import io

import pytest
from PIL import Image

from app.messaging import chat


def test_image_is_reencoded_to_jpeg() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (50, 20), (0, 0, 0, 0)).save(out, "PNG")
    blob, width, height = chat._check_image(out.getvalue())
    assert blob[:2] == b"\xff\xd8" and (width, height) == (50, 20)


@pytest.mark.parametrize("data", [b"GIF89a-not-really", b"%PDF-1.4 ..." * 10, b"\x00" * 100])
def test_not_an_image_is_refused(data: bytes) -> None:
    with pytest.raises(chat.ChatError) as caught:
        chat._check_image(data)
    assert caught.value.message == chat.NOT_AN_IMAGE and caught.value.field == "image"


def test_too_large_is_refused_before_decoding() -> None:
    with pytest.raises(chat.ChatError) as caught:
        chat._check_image(b"\xff" * (chat.MAX_IMAGE_BYTES + 1))
    assert caught.value.message == chat.IMAGE_TOO_LARGE
