"""Reading picture files for backgrounds (Pillow): upright, bounded in size, and refused when damaged.

OpenCV's ``imread`` decodes a truncated JPEG without an error, filling the missing part with flat grey, and decodes
a 12000x8000 photo at full size on the render thread. Pillow reports the truncation, and a JPEG can be decoded at
1/2, 1/4 or 1/8 of its size directly (``draft``), which is several times faster than decoding it whole.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

# Backgrounds are cover-fitted to the frame, which is at most 4K: larger pictures are shrunk on load.
MAX_PICTURE_SIDE = 3840
# Above this many pixels a file is refused: decoding it could take gigabytes of memory. Pillow's own guard against
# decompression bombs refuses files above 2 * Image.MAX_IMAGE_PIXELS (about 179 million) before we see their size, so
# the limit stays below that, and Pillow's refusal is reported as "too large" too.
MAX_PICTURE_PIXELS = 178_000_000
# What decoding may take: a picture at the pixel limit with 8-bit colour and transparency. A 16-bit RGBA PNG takes
# twice that per pixel (decoded at 16 bits, then converted): 169 megapixels of it took 2.6 GB and 30 s.
MAX_DECODED_BYTES = MAX_PICTURE_PIXELS * 4
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N"})


class PictureError(ValueError):
    """A picture file cannot be used; the message says why, without the path."""


def read_picture_layers(path: Path, max_side: int = MAX_PICTURE_SIDE) -> tuple[np.ndarray, np.ndarray | None]:
    """The picture at ``path``, turned upright by its EXIF orientation, with its longer side at most ``max_side``
    (aspect kept): its colour as (H, W, 3) uint8 RGB and its opacity as (H, W) uint8 (255 = opaque), or None when
    every pixel is opaque (no alpha channel, or one that is 255 throughout).

    Raises ``PictureError`` for a file that is missing, not a picture, cut short (a truncated download), or larger
    than ``MAX_PICTURE_PIXELS``.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # size is checked below instead
            with Image.open(path) as image:
                if image.width * image.height > MAX_PICTURE_PIXELS:
                    raise PictureError(_too_large(f" ({image.width}x{image.height})"))
                if _decoded_bytes(image) > MAX_DECODED_BYTES:
                    raise PictureError(
                        f"it is too large to decode ({image.width}x{image.height} with {len(image.getbands())} "
                        f"channels of more than 8 bits); use a smaller picture, or save it with 8 bits a channel"
                    )
                image.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced scale that still covers it
                image.load()  # decodes everything: raises for a file cut short
                upright = _with_opacity_or_rgb(ImageOps.exif_transpose(image))
    except FileNotFoundError:
        raise PictureError("the file was not found") from None
    except Image.DecompressionBombError:
        raise PictureError(_too_large("")) from None
    except (OSError, SyntaxError) as error:
        raise PictureError(f"the file is damaged or not a picture ({error})") from None
    if max(upright.size) > max_side:  # Pillow resizes RGBA premultiplied: no fringe of the transparent colours
        upright.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    if upright.mode == "RGB":
        return np.asarray(upright, dtype=np.uint8), None
    opacity = np.asarray(upright.getchannel("A"), dtype=np.uint8)
    return np.asarray(upright.convert("RGB"), dtype=np.uint8), None if bool((opacity == 255).all()) else opacity


def _decoded_bytes(image: Image.Image) -> int:
    """About how many bytes decoding ``image`` takes: its pixels, channels and bytes a channel (2 for 16-bit data,
    which Pillow marks in the raw mode of its tiles, such as "RGBA;16B"; 4 for 32-bit integer and float pictures)."""
    raw_modes = " ".join(str(tile.args) for tile in getattr(image, "tile", []) or [])
    per_channel = 4 if image.mode in ("I", "F") else 2 if "16" in raw_modes or image.mode in _SIXTEEN_BIT_MODES else 1
    return image.width * image.height * len(image.getbands()) * per_channel


def _too_large(size: str) -> str:
    return f"it is too large{size}; use a picture of at most {MAX_PICTURE_PIXELS // 1_000_000} megapixels"


def _with_opacity_or_rgb(image: Image.Image) -> Image.Image:
    """RGBA for pictures with an alpha channel or a transparent colour (palette, RGB or grey with a ``transparency``
    entry), RGB for the rest."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        return image.convert("RGBA")
    return _to_rgb(image)


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB of any mode; 16-bit greys are scaled to 8 bits instead of clipped."""
    if image.mode in _SIXTEEN_BIT_MODES:
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    elif image.mode in ("F", "I"):
        image = _numbers_to_grey(image)
    return image.convert("RGB")


def _numbers_to_grey(image: Image.Image) -> Image.Image:
    """An "F" (32-bit float) or "I" (32-bit integer) picture, such as a float TIFF, as 8-bit grey ("L").

    Pillow's own conversion clips these to 0-255, which turns a float picture in 0-1 black. The range is read from
    the values: floats up to 1 are scaled by 255, values up to 255 are kept, up to 65535 are scaled from 16 bits,
    larger ones from their maximum. NaN shows as black, infinities as black or white.
    """
    values = np.asarray(image, dtype=np.float32)
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if finite.size else 0.0
    if image.mode == "F" and top <= 1.0:
        scale = 255.0
    elif top <= 255.0:
        scale = 1.0
    elif top <= 65535.0:
        scale = 255.0 / 65535.0
    else:
        scale = 255.0 / top
    grey = np.nan_to_num(values * scale, nan=0.0, posinf=255.0, neginf=0.0)
    return Image.fromarray(np.clip(np.rint(grey), 0, 255).astype(np.uint8), "L")
