"""2D loss surfaces: f, its exact gradient and Hessian, and what a plot needs to know about it.

    surface.py          the Surface type, and the helpers every surface uses (_shaped, _check_param)
    elementary.py       bowl, ravine, saddle, monkey saddle, plateau: one phenomenon each
    benchmarks.py       Rosenbrock, Beale, Himmelblau, Rastrigin, six-hump camel
    classifier.py       one neuron σ(w x + b) on 12 fixed points: squared error and cross-entropy
    builtin.py          the registry: get_surface(name, **params), surface_names()
    critical_points.py  eigenvalues of the Hessian, classification of a point, Newton's method, grid search

Every function is vectorized: x and y are NumPy arrays of any (matching or broadcastable) shape.
A user-typed formula becomes a Surface too (optim_core.formula).
"""

from .builtin import get_surface, surface_names
from .critical_points import newton_polish
from .surface import Surface

__all__ = ["Surface", "get_surface", "newton_polish", "surface_names"]
