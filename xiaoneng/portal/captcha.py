"""The portal's CAPTCHA, drawn on the server with Pillow: a few characters from an alphabet
without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B …), each rotated and shifted, the whole
line bent by a wave and crossed by noise. No outside service sees the visitor.

The answer never leaves the server in clear: ``services.captcha_issue`` keeps only its keyed
hash (``answer_hash``) and sends the image inline. Answers are compared without regard to
case or surrounding spaces."""

from __future__ import annotations

import base64
import io
import math
import random
import secrets

from django.utils.crypto import constant_time_compare, salted_hmac
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ALPHABET = "ACDEFHJKMNPRTUVWXY34679"
LENGTH = 5
WIDTH, HEIGHT = 220, 72
_SALT = "xiaoneng.portal.captcha"
_rng = random.SystemRandom()


def new_answer() -> str:
    """A fresh random answer (tests replace this to know the answer in advance)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(answer: str) -> str:
    return "".join((answer or "").split()).upper()[: LENGTH * 2]


def answer_hash(key: str, answer: str) -> str:
    """The keyed hash of ``answer`` for the challenge ``key`` (a stolen table of hashes
    cannot be matched against the small answer space without the site's secret)."""
    return salted_hmac(_SALT, f"{key}:{normalise(answer)}", algorithm="sha256").hexdigest()


def answer_matches(key: str, answer: str, stored_hash: str) -> bool:
    return constant_time_compare(answer_hash(key, answer), stored_hash)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's bundled scalable font: no dependence on the fonts of the host.
    return ImageFont.load_default(size=size)


def _glyph(char: str) -> Image.Image:
    font = _font(_rng.randint(36, 42))
    box = font.getbbox(char, stroke_width=2)
    tile = Image.new("L", (box[2] - box[0] + 8, box[3] - box[1] + 8), 0)
    ImageDraw.Draw(tile).text(
        (4 - box[0], 4 - box[1]), char, font=font, fill=255, stroke_width=2, stroke_fill=255
    )
    tile = tile.rotate(_rng.uniform(-25, 25), resample=Image.Resampling.BICUBIC, expand=True)
    return tile.crop(tile.getbbox())


def _wave(image: Image.Image) -> Image.Image:
    """Shift each column up or down along a sine wave."""
    amplitude, period, phase = _rng.uniform(3, 6), _rng.uniform(60, 110), _rng.uniform(0, 6.3)
    out = Image.new(image.mode, image.size, (255, 255, 255))
    for x in range(image.width):
        dy = int(amplitude * math.sin(2 * math.pi * x / period + phase))
        column = image.crop((x, 0, x + 1, image.height))
        out.paste(column, (x, dy))
    return out


def render_png(answer: str) -> bytes:
    """The challenge image of ``answer`` as PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (248, 246, 240))
    draw = ImageDraw.Draw(image)
    for _ in range(160):  # speckle
        x, y = _rng.randrange(WIDTH), _rng.randrange(HEIGHT)
        shade = _rng.randint(150, 220)
        draw.point((x, y), fill=(shade, shade, shade))
    glyphs = [_glyph(char) for char in answer]
    gap = (WIDTH - 16 - sum(g.width for g in glyphs)) / max(len(glyphs) - 1, 1)
    x = 8.0
    for glyph in glyphs:
        colour = (_rng.randint(10, 90), _rng.randint(10, 70), _rng.randint(60, 140))
        y = (HEIGHT - glyph.height) / 2 + _rng.uniform(-5, 5)
        left = int(x + _rng.uniform(-2, 2))
        image.paste(Image.new("RGB", glyph.size, colour), (left, int(y)), glyph)
        x += glyph.width + gap
    image = _wave(image)
    draw = ImageDraw.Draw(image)
    for _ in range(3):  # strike-through curves across the glyphs
        points = []
        y0, slope = _rng.uniform(15, HEIGHT - 15), _rng.uniform(-0.25, 0.25)
        for x in range(0, WIDTH + 1, 10):
            points.append((x, y0 + slope * x + _rng.uniform(-3, 3)))
        shade = _rng.randint(60, 140)
        draw.line(points, fill=(shade, shade, shade + 30), width=2)
    image = image.filter(ImageFilter.SMOOTH)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
