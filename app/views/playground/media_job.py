"""The map's animation as a GIF or an MP4 for slides, made in a background thread (no streamlit import).

Each frame is drawn with Pillow over the map's own contour picture (`contour_image`): faint full paths,
each optimizer's recent trail, its head, the step and a legend. No browser and no kaleido: a frame
costs a few milliseconds on one core (README, "Benchmarks"). The GIF is written by Pillow; the MP4 by
the ffmpeg binary that imageio-ffmpeg ships (H.264, yuv420p: it plays in PowerPoint, Keynote and
browsers). `MediaJob.done / total` is the progress the page shows.
"""

from __future__ import annotations

import base64
import io
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from app.shared import theme
from app.shared.contour_image import contour_png
from app.shared.plotting import PathStyle
from app.shared.simulation_cache import build_surface
from app.views.playground.map_motion import TRAIL, frame_steps

MAP_SIZE = (720, 540)  # the map's pixels (the contour picture's own size); a legend row per 3 paths below
ROW = 34
FPS = 15
KINDS = {"gif": "image/gif", "mp4": "video/mp4"}
# each head's marker as the map draws it (theme.SYMBOLS): sides and rotation of a regular polygon, 0 a disc;
# the Adam family's look-alike colours stay apart by their markers
MARKERS = {
    "square": (4, 45),
    "diamond": (4, 0),
    "triangle-up": (3, 0),
    "pentagon": (5, 0),
    "star-square": (3, 180),  # a triangle pointing down: an 8-gon this small reads as a disc
}


@dataclass
class MediaJob:
    """One export: `done` of `total` frames drawn (the encoding counts as the last one)."""

    kind: str
    total: int
    done: int = 0
    data: bytes | None = None
    error: str | None = None
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.data is None and self.error is None


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    # a CJK font first (its Latin letters too), so 简体中文 labels draw; else DejaVu, else Pillow's own
    for name in ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default()


def _background(surface_key: tuple) -> Image.Image:
    surface = build_surface(*surface_key)
    uri = contour_png(
        surface.f, surface.bounds, theme.CONTOUR_SCALE, log_levels=surface.log_levels, size=MAP_SIZE
    )
    picture = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGBA")
    white = Image.new("RGBA", picture.size, "white")
    return Image.alpha_composite(white, picture).convert("RGB")


def frames(
    surface_key: tuple, xy: np.ndarray, styles: list[PathStyle], step_label: str
) -> Iterator[Image.Image]:
    """The animation's frames (the steps `frame_steps` picks, as the map's player plays them)."""
    surface = build_surface(*surface_key)
    (x0, x1), (y0, y1) = surface.bounds
    width, height = MAP_SIZE
    rows = -(-len(styles) // 3)
    total_height = -(-(height + ROW * (rows + 1)) // 16) * 16  # H.264 wants a multiple of 16
    base = Image.new("RGB", (width, total_height), "white")
    base.paste(_background(surface_key), (0, 0))
    font = _font(20)
    pen = ImageDraw.Draw(base)
    # the pixel of each point; far outside the map (a diverged path) is pinned just outside it
    px = np.clip((xy[..., 0] - x0) / (x1 - x0) * width, -width, 2 * width)
    py = np.clip((y1 - xy[..., 1]) / (y1 - y0) * height, -height, 2 * height)
    finite = np.isfinite(px) & np.isfinite(py)
    for i, style in enumerate(styles):  # the legend and the faint full paths: on every frame
        lx, ly = 12 + (i % 3) * (width // 3), height + ROW * (1 + i // 3)
        pen.line([(lx, ly + 11), (lx + 30, ly + 11)], fill=style.colour, width=5)
        _marker(pen, (lx + 15, ly + 11), style, 7)
        pen.text((lx + 38, ly), style.label, fill="black", font=font)
        points = [(float(a), float(b)) for a, b, ok in zip(px[i], py[i], finite[i], strict=True) if ok]
        if len(points) > 1:
            pen.line(points, fill=_faint(style.colour), width=2)
    for step in frame_steps(xy.shape[1] - 1):
        image = base.copy()
        draw = ImageDraw.Draw(image)
        lo = max(0, int(step) - TRAIL)
        for i, style in enumerate(styles):
            trail = [
                (float(a), float(b))
                for a, b, ok in zip(
                    px[i, lo : step + 1], py[i, lo : step + 1], finite[i, lo : step + 1], strict=True
                )
                if ok
            ]
            if len(trail) > 1:
                draw.line(trail, fill=style.colour, width=5, joint="curve")
            if trail:
                _marker(draw, trail[-1], style, 10)
        draw.text((12, height + 6), f"{step_label} {int(step)}", fill="black", font=font)
        yield image


def _marker(draw: ImageDraw.ImageDraw, at: tuple[float, float], style: PathStyle, radius: int) -> None:
    sides, rotation = MARKERS.get(style.symbol, (0, 0))
    if sides:
        draw.regular_polygon(
            (*at, radius), sides, rotation=rotation, fill=style.colour, outline="white", width=2
        )
    else:
        x, y = at
        draw.ellipse(
            [x - radius, y - radius, x + radius, y + radius], fill=style.colour, outline="white", width=2
        )


def _faint(colour: str) -> tuple[int, int, int]:
    """The colour at 45 % over white, as the map draws the full paths."""
    rgb = np.array([int(colour[k : k + 2], 16) for k in (1, 3, 5)])
    return tuple(int(v) for v in np.round(0.45 * rgb + 0.55 * 255))  # type: ignore[return-value]


def encode(kind: str, images: Iterator[Image.Image], job: MediaJob | None = None) -> bytes:
    """The frames as a GIF or an MP4 file's bytes; `job.done` counts the frames as they are drawn."""
    drawn = []
    for image in images:
        drawn.append(image)
        if job is not None:
            job.done = len(drawn)
    if kind == "gif":
        # one palette for every frame (the first frame's): quantizing each frame anew costs ~5x more
        first = drawn[0].quantize(colors=255, method=Image.Quantize.FASTOCTREE)
        rest = [image.quantize(palette=first, dither=Image.Dither.NONE) for image in drawn[1:]]
        buffer = io.BytesIO()
        first.save(buffer, format="GIF", save_all=True, append_images=rest, duration=1000 // FPS, loop=0)
        return buffer.getvalue()
    import imageio_ffmpeg  # the ffmpeg binary it ships: nothing is downloaded

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "paths.mp4"
        writer = imageio_ffmpeg.write_frames(
            str(path), drawn[0].size, fps=FPS, codec="libx264", pix_fmt_out="yuv420p", quality=7
        )
        writer.send(None)
        for image in drawn:
            writer.send(np.asarray(image).tobytes())
        writer.close()
        return path.read_bytes()


def start(
    kind: str, surface_key: tuple, xy: np.ndarray, styles: list[PathStyle], step_label: str
) -> MediaJob:
    """Make the file in a background thread; the page polls the returned job."""
    job = MediaJob(kind, total=len(frame_steps(xy.shape[1] - 1)) + 1)

    def work() -> None:
        try:
            data = encode(kind, frames(surface_key, xy, styles, step_label), job)
            job.done = job.total
            job.data = data
        except Exception as error:  # noqa: BLE001 (shown to the user, not lost in a thread)
            job.error = f"{type(error).__name__}: {error}"

    job.thread = threading.Thread(target=work, name=f"playground-{kind}", daemon=True)
    job.thread.start()
    return job
