"""The random instances of the theorem suite: families, seeded instances, their files."""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass

import numpy as np

from relucert._atomic import atomic_open
from relucert._model import lift, relu_features
from relucert.results import jsonable
from relucert.experiments.parameters import FAMILY_LAM, FAMILY_NOISE

__all__ = ["Family", "DEFAULT_FAMILIES", "Instance", "load_instance", "make_instance"]


@dataclass(frozen=True)
class Family:
    """Random instances: ``n`` points in ``d`` dimensions (standard normal), a planted
    measure of ``n_atoms`` atoms with kinks through the data's convex hull, labels
    ``y0 = K mu0`` and ``y = y0 + noise * N(0, I)`` (the noise level cycles through
    ``noise`` over the instances), regularisation ``lam``."""

    name: str
    d: int
    n: int
    n_atoms: int = 2
    noise: tuple = FAMILY_NOISE
    lam: float = FAMILY_LAM

    def to_dict(self) -> dict:
        return jsonable(self.__dict__)


DEFAULT_FAMILIES = (
    Family("d1-n5", 1, 5),
    Family("d1-n8", 1, 8),
    Family("d2-n5", 2, 5),
    Family("d2-n7", 2, 7),
    Family("d3-n5", 3, 5),
    Family("d3-n6", 3, 6),
)


@dataclass(frozen=True, eq=False)
class Instance:
    family: Family
    index: int
    seed: int
    X: np.ndarray
    y0: np.ndarray
    y: np.ndarray
    lam: float
    noise: float
    theta0: np.ndarray
    amplitude0: np.ndarray
    xi: np.ndarray

    @property
    def label(self) -> str:
        return f"{self.family.name}#{self.index}"

    def save(self, path: str) -> None:
        with atomic_open(path, "wb") as fh:
            np.savez(fh, X=self.X, y=self.y, y0=self.y0, lam=np.float64(self.lam), noise=np.float64(self.noise),
                     theta0=self.theta0, amplitude0=self.amplitude0, xi=self.xi, seed=np.int64(self.seed),
                     index=np.int64(self.index), family=json.dumps(self.family.to_dict()))


def load_instance(path: str) -> Instance:
    """Read an instance written by :meth:`Instance.save`.

    Parameters
    ----------
    path : str

    Returns
    -------
    Instance
    """
    with np.load(path, allow_pickle=False) as z:
        fam = json.loads(str(z["family"]))
        fam["noise"] = tuple(fam["noise"])
        return Instance(family=Family(**fam), index=int(z["index"]), seed=int(z["seed"]), X=z["X"], y0=z["y0"],
                        y=z["y"], lam=float(z["lam"]), noise=float(z["noise"]), theta0=z["theta0"],
                        amplitude0=z["amplitude0"], xi=z["xi"])


def make_instance(family: Family, index: int, seed: int) -> Instance:
    """The ``index``-th instance of ``family`` for the suite seed ``seed`` (deterministic).

    Parameters
    ----------
    family : Family
    index : int
    seed : int

    Returns
    -------
    Instance
    """
    rng = np.random.default_rng([int(seed), zlib.crc32(family.name.encode()), int(index)])
    n, d = family.n, family.d
    X = rng.standard_normal((n, d))
    thetas, amps = [], []
    for _ in range(family.n_atoms):
        w = rng.standard_normal(d)
        w /= np.linalg.norm(w)
        centre = rng.dirichlet(np.ones(n)) @ X          # a kink through the convex hull
        t = np.r_[w, -float(w @ centre)]
        thetas.append(t / np.linalg.norm(t))
        amps.append(float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5)))
    theta0 = np.array(thetas)
    amp0 = np.array(amps)
    y0 = relu_features(lift(X), theta0) @ amp0
    noise = float(family.noise[index % len(family.noise)])
    y = y0 + noise * rng.standard_normal(n)
    xi = rng.standard_normal(n)
    return Instance(family=family, index=int(index), seed=int(seed), X=X, y0=y0, y=y, lam=float(family.lam),
                    noise=noise, theta0=theta0, amplitude0=amp0, xi=xi / np.linalg.norm(xi))

