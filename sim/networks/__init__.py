"""Network generators by name, so a config (``network=ring_lattice network.k=8``) picks one.

Every generator is a pure function returning a ``sim.Network``; ``build_network`` checks the
name and the parameters against the function's signature first, so a typo in a config is a
one-line ``InputError`` naming ``network.<field>`` instead of a ``TypeError`` traceback.
``name="networkx"`` reaches any graph generator in ``networkx.generators`` by name.

Seeds: ``takes_seed`` says whether a generator draws random numbers (has a ``seed``
parameter); the runner then passes the replicate's seed whenever the config leaves
``network.seed`` unset or null, so every random network is reproducible from the run's seed.

Note: the package attributes ``clustered``, ``file`` (and ``england``) are the generator
functions, not the submodules of the same name; import the modules as
``from sim.networks.clustered import clustered`` when the module itself is needed.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import networkx as nx

from sim.engine.network import Network
from sim.errors import InputError
from sim.networks.clustered import clustered
from sim.networks.file import file
from sim.networks.lattice import ring_lattice, small_world
from sim.networks.random_graph import random


def networkx(generator: str, **params: Any) -> Network:
    """Any graph generator of ``networkx.generators`` by function name, e.g.
    ``networkx(generator="barabasi_albert_graph", n=100, m=2, seed=1)``.

    A parameter given as None is left out (the generator's own default applies): the
    config group ``network=networkx`` lists common parameter names as null so that
    ``network.n=300`` can be set from the command line for any generator.

    Goes through a networkx graph, so it is meant for the classic models at moderate size
    (Barabási & Albert 1999, Science 286; Holme & Kim 2002 ...), not 10^6 nodes.
    """
    func = _networkx_generator(generator)
    params = {k: v for k, v in params.items() if v is not None}
    names = [
        p.name
        for p in inspect.signature(func).parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name != "backend"
    ]
    _check_params(f"networkx.{generator}", func, params, names)
    try:
        graph = func(**params)
    except (nx.NetworkXException, ValueError, TypeError, KeyError, IndexError) as err:
        detail = " ".join(str(err).split()) or type(err).__name__
        raise InputError(
            f"network: networkx.{generator} rejected the parameters ({detail})"
        ) from None
    if not isinstance(graph, nx.Graph):
        raise InputError(
            f"network.generator: networkx.{generator} does not return a graph "
            f"(got {type(graph).__name__})"
        )
    return Network.from_networkx(graph, name=generator)


class _Lazy:
    """A registry entry imported on first use (for generators that are slow to import or
    may not exist yet)."""

    def __init__(self, module: str, attribute: str) -> None:
        self.module, self.attribute = module, attribute

    def resolve(self) -> Callable[..., Network]:
        return getattr(importlib.import_module(self.module), self.attribute)

    def __call__(self, *args: Any, **kwargs: Any) -> Network:
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<lazy {self.module}:{self.attribute}>"


#: Network name -> generator. ``register`` adds more.
NETWORKS: dict[str, Callable[..., Network]] = {
    "clustered": clustered,
    "file": file,
    "networkx": networkx,
    "random": random,
    "ring_lattice": ring_lattice,
    "small_world": small_world,
}

# Hook for the England health-system network: registered when sim/networks/england.py
# exists, imported only when first built.
if importlib.util.find_spec(f"{__name__}.england") is not None:
    NETWORKS["england"] = _Lazy(f"{__name__}.england", "england")
if importlib.util.find_spec(f"{__name__}.england_synthetic") is not None:
    NETWORKS["england_synthetic"] = _Lazy(f"{__name__}.england_synthetic", "england_synthetic")


def _generator(name: object) -> Callable[..., Network]:
    """The registered generator ``name`` (imported if lazy)."""
    if not isinstance(name, str) or name not in NETWORKS:
        raise InputError(
            f"network.name: unknown network {name!r}; choose one of: {', '.join(sorted(NETWORKS))}"
        )
    func = NETWORKS[name]
    return func.resolve() if isinstance(func, _Lazy) else func


def takes_seed(name: str, params: Mapping[str, Any]) -> bool:
    """Whether network ``name`` with ``params`` is random: its generator (for networkx, the
    networkx function) takes a ``seed``. False when ``build_network`` would reject the name."""
    try:
        func = _generator(name)
        if func is networkx:
            func = _networkx_generator(params.get("generator"))
    except InputError:
        return False
    return "seed" in inspect.signature(func).parameters


def register(name: str, generator: Callable[..., Network] | str) -> None:
    """Add a generator under ``name``; a ``"module:function"`` string is imported lazily."""
    if isinstance(generator, str):
        module, _, attribute = generator.partition(":")
        generator = _Lazy(module, attribute)
    NETWORKS[name] = generator


def build_network(name: str, **params: Any) -> Network:
    """Build the network called ``name`` from config parameters, checking them first."""
    func = _generator(name)
    _check_params(name, func, params)
    return func(**params)


def _check_params(
    name: str, func: Callable[..., Any], params: dict[str, Any], names: list[str] | None = None
) -> None:
    """Unknown or missing parameters as one-line errors listing what ``name`` accepts."""
    signature = inspect.signature(func)
    plain = [
        p for p in signature.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if names is None:
        names = [p.name for p in plain]
        if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
            names = None  # takes anything; the function checks for itself
    allowed = ", ".join(names if names is not None else [p.name for p in plain]) or "none"
    if names is not None:
        for key in params:
            if key not in names:
                raise InputError(
                    f"network.{key}: unknown parameter for network '{name}'; allowed: {allowed}"
                )
    for p in plain:
        if p.default is p.empty and p.name not in params:
            raise InputError(
                f"network.{p.name}: missing; network '{name}' needs it (parameters: {allowed})"
            )


def _networkx_generator(generator: object) -> Callable[..., Any]:
    func = getattr(nx.generators, generator, None) if isinstance(generator, str) else None
    if (
        func is None
        or generator.startswith("_")  # type: ignore[union-attr]
        or inspect.ismodule(func)
        or inspect.isclass(func)
        or not callable(func)
    ):
        raise InputError(
            f"network.generator: {generator!r} is not a graph generator in networkx.generators "
            "(e.g. barabasi_albert_graph, watts_strogatz_graph, powerlaw_cluster_graph)"
        )
    return func


__all__ = [
    "NETWORKS",
    "build_network",
    "clustered",
    "file",
    "networkx",
    "random",
    "register",
    "takes_seed",
    "ring_lattice",
    "small_world",
]
