"""A finished run's loss surface (or 1D interpolation) as a background job: bounded, with progress, cached.

Lifecycle (the pattern of the Training page's LR range test: one spawned process beside the training
workers, never the server's thread)
    jobs.submit(folder, config, request)           -> refused at once when out of bounds
                                                     (LandscapeRefused); nothing to do when cached
    the job's process                               -> loads the run's data set and architecture, the
                                                     first `subset` validation images, and evaluates the
                                                     points in chunks (grid.evaluate_points), writing the
                                                     fraction done to <key>.progress after each chunk
    jobs.state(folder, request)                    -> JobState(status, fraction, error): a stat and a
                                                     read of a few bytes, cheap to poll; a job's error
                                                     comes back as text (JobFailed)
    jobs.result(folder, request)                   -> the Surface / Interpolation from the cache file

The cache is `<folder>/landscape/<kind>-<key>.npz`, `folder` being the run's checkpoint folder
(store.checkpoint_dir(run_id)), so it is deleted with the run. The key is a digest of the request (the
plane spec, the grid and the subset) and of the size and time of the run's checkpoint and recorded paths
(STAMPED_FILES), so a resumed run that trained on is evaluated afresh. A subset larger than the run's
validation set is its whole validation set (Surface.n_images says how many images were used).
The plane spec must name the plane completely (kind, lanes, seed): the vectors themselves are not part
of the key, so a page can ask for a cached result without building the plane. `vectors`: None (the
usual), and the job's process builds them from the run's recorded paths (paths.PATHS_FILE) and the spec
(`plane_for`, `lane_ends`), so that building the plane (a PCA, say) happens off the page's thread too;
or the plane itself (an object with origin, u, v, as planes.Plane, or a tuple (origin, u, v)), or for an
interpolation (θ_A, θ_B); or a picklable function of no arguments returning one of those.

Plane specs: {"kind": "runs", "lanes": [A, B]} (planes.through_runs), {"kind": "pca"} (planes.pca),
{"kind": "random", "lanes": [lane], "seed": s} (planes.filter_normalized).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from optim_core.training.landscape.grid import INTERPOLATION_ALPHAS, Interpolation, Surface

MAX_GRID = 51  # points per side of a surface (51 × 51 = 2,601 points)
MAX_SUBSET = 1024  # validation images per point
MAX_LINE = 201  # points of an interpolation
CACHE_FOLDER = "landscape"
STAMPED_FILES = ("last.pt", "paths.npz")  # the checkpoint and the recorded paths: their size and time are
# part of the key (jobs.run_job and paths.py write them)


class LandscapeRefused(ValueError):
    """A request out of bounds. `reason` ("grid", "line", "subset", "range") and `values` let the app
    say it in the user's language."""

    def __init__(self, message: str, *, reason: str, **values: object) -> None:
        super().__init__(message)
        self.reason = reason
        self.values = values

    def __reduce__(self):  # pickled with its reason and values (a job's process sends it back)
        return _refused, (str(self), self.reason, self.values)


def _refused(message: str, reason: str, values: dict) -> LandscapeRefused:
    return LandscapeRefused(message, reason=reason, **values)


class JobFailed(RuntimeError):
    """What a job's process reports when its job raised: the error's type and message, as text (the
    error itself may not survive the way back: an exception whose __init__ takes other arguments than
    its message cannot be unpickled)."""


@dataclass(frozen=True)
class SurfaceRequest:
    """The loss on a size × size grid over [a_min, a_max] × [b_min, b_max] of a plane."""

    plane: dict  # the plane spec, JSON-able, naming the plane completely
    a_range: tuple[float, float]
    b_range: tuple[float, float]
    size: int = 31
    subset: int = 512
    kind = "surface"

    def check(self) -> None:
        """LandscapeRefused unless 2 ≤ size ≤ MAX_GRID, 1 ≤ subset ≤ MAX_SUBSET and both ranges are
        finite and increasing."""
        if not 2 <= self.size <= MAX_GRID:
            raise LandscapeRefused(
                f"a grid has 2 to {MAX_GRID} points per side, not {self.size}",
                reason="grid",
                size=self.size,
                limit=MAX_GRID,
            )
        _check_subset(self.subset)
        for low, high in (self.a_range, self.b_range):
            if not (np.isfinite(low) and np.isfinite(high) and low < high):
                raise LandscapeRefused(
                    f"a range must be finite and increasing, got ({low}, {high})",
                    reason="range",
                    low=low,
                    high=high,
                )

    def axes(self) -> tuple[np.ndarray, np.ndarray]:
        return np.linspace(*self.a_range, self.size), np.linspace(*self.b_range, self.size)


@dataclass(frozen=True)
class InterpolationRequest:
    """The loss along (1 − α)·θ_A + α·θ_B at `points` values of α over alpha_range."""

    lanes: tuple[str, str]  # the two lanes' labels (the spec: the vectors are their final weights)
    points: int = 41
    alpha_range: tuple[float, float] = INTERPOLATION_ALPHAS
    subset: int = 512
    kind = "line"

    def check(self) -> None:
        """LandscapeRefused unless 2 ≤ points ≤ MAX_LINE and 1 ≤ subset ≤ MAX_SUBSET."""
        if not 2 <= self.points <= MAX_LINE:
            raise LandscapeRefused(
                f"an interpolation has 2 to {MAX_LINE} points, not {self.points}",
                reason="line",
                size=self.points,
                limit=MAX_LINE,
            )
        _check_subset(self.subset)

    def alphas(self) -> np.ndarray:
        return np.linspace(*self.alpha_range, self.points)


Request = SurfaceRequest | InterpolationRequest


def _check_subset(subset: int) -> None:
    if not 1 <= subset <= MAX_SUBSET:
        raise LandscapeRefused(
            f"a landscape is evaluated on 1 to {MAX_SUBSET} validation images, not {subset}",
            reason="subset",
            size=subset,
            limit=MAX_SUBSET,
        )


@dataclass(frozen=True)
class JobState:
    status: str  # "none" (never asked), "queued", "running", "done" or "failed"
    fraction: float  # of the points evaluated, 0 to 1
    error: str | None = None


# ---------------------------------------------------------------------- the cache beside the run


def request_key(folder: str | Path, request: Request) -> str:
    """The digest that names the request's cache file (see the module's docstring)."""
    stamp = []
    for name in STAMPED_FILES:
        file = Path(folder) / name
        if file.exists():
            stat = file.stat()
            stamp.append([name, stat.st_size, stat.st_mtime_ns])
    text = json.dumps([request.kind, asdict(request), stamp], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def cache_path(folder: str | Path, request: Request) -> Path:
    return Path(folder) / CACHE_FOLDER / f"{request.kind}-{request_key(folder, request)}.npz"


def _progress_path(folder: str | Path, request: Request) -> Path:
    return cache_path(folder, request).with_suffix(".progress")


def load_cached(folder: str | Path, request: Request) -> Surface | Interpolation | None:
    """The cached result of `request` for the run in `folder`, or None when there is none."""
    path = cache_path(folder, request)
    try:
        with np.load(path) as saved:
            arrays = {name: saved[name] for name in saved.files}
    except (OSError, ValueError):  # missing, or a file not written whole
        return None
    n_images = int(arrays.pop("n_images"))
    if request.kind == "surface":
        return Surface(arrays["a"], arrays["b"], arrays["loss"], arrays["accuracy"], n_images)
    return Interpolation(arrays["alpha"], arrays["loss"], arrays["accuracy"], n_images)


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    write(tmp)
    os.replace(tmp, path)


def read_progress(folder: str | Path, request: Request) -> float | None:
    """The fraction the running job has done (None before its first chunk)."""
    try:
        return float(_progress_path(folder, request).read_text())
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------------- the job (in its own process)


def plane_for(folder: str | Path, spec: dict):
    """The planes.Plane that a plane spec names, from the run's recorded paths (LandscapeError from
    planes.py for a lane it lacks; ValueError for an unknown kind)."""
    from optim_core.training.landscape.paths import load_paths
    from optim_core.training.landscape.planes import filter_normalized, pca, through_runs

    paths = load_paths(folder)
    kind, lanes = spec.get("kind"), list(spec.get("lanes", ()))
    if kind == "runs" and len(lanes) == 2:
        return through_runs(paths, lanes[0], lanes[1])
    if kind == "pca":
        return pca(paths)
    if kind == "random" and len(lanes) == 1:
        return filter_normalized(paths, lanes[0], int(spec.get("seed", 0)))
    raise ValueError(f"not a plane spec: {spec!r}")


def lane_ends(folder: str | Path, lanes: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """The two lanes' last recorded weights (θ_A, θ_B)."""
    from optim_core.training.landscape.paths import load_paths

    paths = load_paths(folder)
    return paths.final(lanes[0]), paths.final(lanes[1])


def _vectors(vectors: Any) -> tuple[np.ndarray, ...]:
    if callable(vectors):
        vectors = vectors()
    if all(hasattr(vectors, name) for name in ("origin", "u", "v")):
        vectors = (vectors.origin, vectors.u, vectors.v)
    return tuple(np.asarray(vector) for vector in vectors)


def compute(folder: str | Path, config: dict, request: Request, vectors: Any = None) -> str:
    """Evaluate `request` for the run whose checkpoint folder is `folder` and whose RunConfig is
    `config` (a dict); write the result to its cache file and return that file's path. Runs in the job's
    process; callable directly too (tests, scripts)."""
    from optim_core.training.config import RunConfig
    from optim_core.training.data.load import load_dataset
    from optim_core.training.landscape.grid import interpolate, loss_surface, validation_subset
    from optim_core.training.model import model_for

    request.check()
    path = cache_path(folder, request)
    if path.exists():
        return str(path)
    run = RunConfig.from_dict(config)
    data = load_dataset(
        run.dataset,
        run.data_path,
        image_size=run.image_size,
        val_fraction=run.val_fraction,
        max_samples=run.max_samples,
    )
    x, y = validation_subset(data, request.subset)
    model = model_for(run, data.input_shape, data.n_classes)
    progress_file = _progress_path(folder, request)

    def progress(done: int, total: int) -> None:
        def write(tmp: Path) -> None:
            tmp.write_text(f"{done / total:.4f}")

        _write_atomic(progress_file, write)

    result: Surface | Interpolation
    if vectors is None:
        if isinstance(request, SurfaceRequest):
            vectors = plane_for(folder, request.plane)
        else:
            vectors = lane_ends(folder, request.lanes)
    if isinstance(request, SurfaceRequest):
        origin, u, v = _vectors(vectors)
        a, b = request.axes()
        result = loss_surface(model, x, y, origin, u, v, a, b, progress=progress)
    else:
        theta_a, theta_b = _vectors(vectors)
        result = interpolate(model, x, y, theta_a, theta_b, request.alphas(), progress=progress)
    arrays = {k: np.asarray(value) for k, value in asdict(result).items()}

    def save(tmp: Path) -> None:
        with tmp.open("wb") as file:
            np.savez(file, **arrays)  # type: ignore[arg-type]  # (stubs: a key could be allow_pickle)

    _write_atomic(path, save)
    progress_file.unlink(missing_ok=True)
    return str(path)


def _compute_in_process(folder: str | Path, config: dict, request: Request, vectors: Any) -> str:
    """`compute`, with any error it raises sent back as JobFailed (the job's process runs this)."""
    try:
        return compute(folder, config, request, vectors)
    except Exception as error:
        raise JobFailed(f"{type(error).__name__}: {error}") from None


def limit_threads(threads: int) -> None:
    """Initializer of the job's process: share the CPU with the training workers."""
    import torch

    torch.set_num_threads(max(1, threads))


# ---------------------------------------------------------------------- the service (in the server)


class LandscapeJobs:
    """The landscape jobs of one server, run one at a time in one spawned process of their own (started
    on the first submit). The app keeps one (st.cache_resource); a refresh, or another user asking the
    same, finds the running job or the cached result."""

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or max(1, (os.cpu_count() or 1) // 2)
        self._jobs: dict[Path, Future] = {}  # by cache file
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, folder: str | Path, config: dict, request: Request, vectors: Any = None) -> JobState:
        """Start the job unless it is cached or already waiting or running; LandscapeRefused when the
        request is out of bounds. Returns its state."""
        request.check()
        path = cache_path(folder, request)
        with self._lock:
            previous = self._jobs.get(path)
            if not path.exists() and (previous is None or previous.done()):
                self._jobs[path] = self._process().submit(
                    _compute_in_process, folder, config, request, vectors
                )
        return self.state(folder, request)

    def state(self, folder: str | Path, request: Request) -> JobState:
        """Where the job stands (cheap: a stat, and a small file read while it runs)."""
        path = cache_path(folder, request)
        if path.exists():
            return JobState("done", 1.0)
        future = self._jobs.get(path)
        if future is None:
            return JobState("none", 0.0)
        if future.done():
            error = future.exception()
            if error is None:  # finished, but its file is gone (the run was deleted): ask again
                return JobState("none", 0.0)
            return JobState("failed", 0.0, str(error) if isinstance(error, JobFailed) else repr(error))
        fraction = read_progress(folder, request)
        return JobState("queued", 0.0) if fraction is None else JobState("running", fraction)

    def result(self, folder: str | Path, request: Request) -> Surface | Interpolation | None:
        """The finished result, else None."""
        return load_cached(folder, request)

    def shutdown(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None

    def _process(self) -> ProcessPoolExecutor:
        if self._pool is None or getattr(self._pool, "_broken", False):
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=limit_threads,
                initargs=(self.threads,),
            )
        return self._pool
