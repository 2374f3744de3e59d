"""The seller's logo as a PDF image XObject, from a PNG or JPEG file, without Pillow.

borb's own `Image` element needs Pillow (not a dependency) and treats a `str` source as a URL
to download, so the logo is embedded here instead:

- JPEG goes in as is (DCTDecode); only the SOF header is read, for size and colour channels.
- PNG without transparency goes in as is too: its zlib data with PNG row filters is what
  PDF's FlateDecode with /Predictor 15 reads.
- PNG with an alpha channel (or a transparent palette entry) is decoded in pure Python once,
  split into colour and alpha (an /SMask), and re-compressed. That takes a fraction of a second
  for a logo-sized image and is cached per process.

`load_image(path)` raises `ImageError` for what it cannot embed: other formats (GIF, SVG,
WebP), interlaced PNG, transparent PNG that is not 8-bit. Baseline, progressive, grey and
CMYK JPEGs all pass through unchanged.
"""

from __future__ import annotations

import functools
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from borb.pdf.primitives import name, stream

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_COLOR_SPACES = {1: "DeviceGray", 3: "DeviceRGB", 4: "DeviceCMYK"}


class ImageError(ValueError):
    """A logo file this module cannot embed (named format and reason)."""


@dataclass(frozen=True)
class PdfImage:
    """An image XObject ready to place on a page; `width`/`height` are in pixels."""

    xobject: stream
    width: int
    height: int


def load_image(path: str | Path) -> PdfImage:
    """Read a PNG or JPEG file into a PdfImage, cached by path, size and modification time."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise ImageError(f"cannot read logo {path}: {exc.strerror}") from None
    return _load_cached(str(path), info.st_size, info.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, size: int, mtime_ns: int) -> PdfImage:
    with open(path, "rb") as handle:
        data = handle.read()
    if data.startswith(_PNG_SIGNATURE):
        return _png(data, path)
    if data.startswith(b"\xff\xd8"):
        return _jpeg(data, path)
    raise ImageError(f"logo {os.path.basename(path)} is neither PNG nor JPEG")


def _xobject(
    data: bytes, width: int, height: int, color_space: object, bits: int, **extra: object
) -> stream:
    xobject = stream()
    xobject[name("Type")] = name("XObject")
    xobject[name("Subtype")] = name("Image")
    xobject[name("Width")] = width
    xobject[name("Height")] = height
    xobject[name("ColorSpace")] = color_space
    xobject[name("BitsPerComponent")] = bits
    xobject[name("Bytes")] = data
    xobject[name("Length")] = len(data)
    for key, value in extra.items():
        xobject[name(key)] = value
    return xobject


def _jpeg(data: bytes, path: str) -> PdfImage:
    pos = 2
    adobe = False
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker == 0xEE and data[pos + 4 : pos + 9] == b"Adobe":
            adobe = True
        # SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            bits, height, width, channels = struct.unpack(">BHHB", data[pos + 4 : pos + 10])
            if channels not in _COLOR_SPACES:
                raise ImageError(f"logo {os.path.basename(path)}: {channels}-channel JPEG")
            extra: dict[str, object] = {"Filter": name("DCTDecode")}
            if channels == 4 and adobe:
                # Photoshop writes CMYK JPEGs inverted and says so in the APP14 marker.
                extra["Decode"] = [1, 0, 1, 0, 1, 0, 1, 0]
            xobject = _xobject(data, width, height, name(_COLOR_SPACES[channels]), bits, **extra)
            return PdfImage(xobject, width, height)
        pos += 2 + length
    raise ImageError(f"logo {os.path.basename(path)}: no frame header in JPEG")


def _png(data: bytes, path: str) -> PdfImage:
    pos = len(_PNG_SIGNATURE)
    header = b""
    palette = b""
    transparency = b""
    idat: list[bytes] = []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"PLTE":
            palette = body
        elif kind == b"tRNS":
            transparency = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if len(header) != 13 or not idat:
        raise ImageError(f"logo {os.path.basename(path)}: damaged PNG")
    width, height, bits, color_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    channels = _PNG_CHANNELS.get(color_type)
    if channels is None:
        raise ImageError(f"logo {os.path.basename(path)}: unknown PNG colour type {color_type}")
    compressed = b"".join(idat)
    has_alpha = color_type in (4, 6) or (color_type == 3 and transparency)
    if color_type == 3:
        color_space: object = [
            name("Indexed"),
            name("DeviceRGB"),
            len(palette) // 3 - 1,
            _hex(palette),
        ]
    else:
        color_space = name("DeviceGray" if channels <= 2 else "DeviceRGB")

    if not has_alpha:
        if interlace:
            raise ImageError(f"logo {os.path.basename(path)}: interlaced PNG")
        parms = {
            name("Predictor"): 15,
            name("Colors"): channels,
            name("BitsPerComponent"): bits,
            name("Columns"): width,
        }
        extra: dict[str, object] = {"Filter": name("FlateDecode"), "DecodeParms": parms}
        if transparency:  # grey or RGB with one colour key: PDF colour-key masking
            keys = [
                int.from_bytes(transparency[i : i + 2], "big") for i in range(0, 2 * channels, 2)
            ]
            extra["Mask"] = [value for key in keys for value in (key, key)]
        xobject = _xobject(compressed, width, height, color_space, bits, **extra)
        return PdfImage(xobject, width, height)

    if interlace or bits != 8:
        raise ImageError(
            f"logo {os.path.basename(path)}: transparent PNGs must be 8-bit and not interlaced"
        )
    pixels = _unfilter(zlib.decompress(compressed), width, height, channels)
    if color_type == 3:
        alpha_of = transparency + b"\xff" * (256 - len(transparency))
        color, alpha = pixels, pixels.translate(alpha_of)
    else:
        color_channels = channels - 1
        color = bytearray(len(pixels) // channels * color_channels)
        for c in range(color_channels):
            color[c::color_channels] = pixels[c::channels]
        alpha = pixels[color_channels::channels]
    soft_mask = _xobject(
        zlib.compress(bytes(alpha), 9),
        width,
        height,
        name("DeviceGray"),
        8,
        Filter=name("FlateDecode"),
    )
    xobject = _xobject(
        zlib.compress(bytes(color), 9),
        width,
        height,
        color_space,
        8,
        Filter=name("FlateDecode"),
        SMask=soft_mask,
    )
    return PdfImage(xobject, width, height)


def _hex(data: bytes) -> object:
    from borb.pdf.primitives import hexstr

    return hexstr(data.hex().upper())


def _unfilter(raw: bytes, width: int, height: int, channels: int) -> bytearray:
    """Undo PNG's per-row filters (8-bit samples): returns width * height * channels bytes."""
    stride = width * channels
    out = bytearray(stride * height)
    previous = bytearray(stride)
    pos = 0
    for row in range(height):
        kind = raw[pos]
        line = bytearray(raw[pos + 1 : pos + 1 + stride])
        pos += 1 + stride
        if kind == 1:  # Sub
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:  # Up
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        elif kind == 3:  # Average
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + predictor) & 0xFF
        elif kind != 0:
            raise ImageError(f"damaged PNG: unknown row filter {kind}")
        out[row * stride : (row + 1) * stride] = line
        previous = line
    return out
