"""The network page: the contagion made visible on a small network, in Mesa's SolaraViz.

``NetworkDemo`` is a ``mesa.Model`` around the project's own model: the config is composed
by Hydra (``sim.analysis.compare.compose``) from the page's settings and built by
``sim.world.build``, so
the drawing shows exactly what ``pasim network=clustered network.width=1 ...`` runs. Its
agents (``AdoptionModel.agent_list``) are placed on a ``mesa.space.NetworkGrid`` for Mesa's
space component; positions are computed once per network and reused on every redraw.

Clustered networks show Centola's point: a threshold-2 practice seeded in one cluster stays
there behind bridges one tie wide, and crosses bridges two ties wide.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import mesa
import networkx as nx
import numpy as np
import solara
from mesa.visualization import SolaraViz, make_plot_component, make_space_component
from mesa.visualization.components import AgentPortrayalStyle

from sim.errors import InputError

NETWORKS = ("clustered", "ring_lattice", "file")
#: state -> colour: adopted (red), aware but not adopted (yellow), unaware (grey)
STATE_COLOURS = {"adopted": "#d62728", "aware": "#ffd92f", "unaware": "lightgrey"}
CLUSTERS, CLUSTER_SIZE, RING_NODES = 8, 8, 60


def demo_overrides(network: str, threshold: int, width: int, rewiring: float,
                   path: str) -> list[str]:
    """The Hydra overrides of the page's network: no mechanisms, no levers, count threshold,
    one seed neighbourhood (the defaults of ``configs/seeding``)."""
    common = ["mechanisms=none", f"model.threshold={threshold}", "model.threshold_kind=count"]
    if network == "clustered":
        return ["network=clustered", f"network.clusters={CLUSTERS}",
                f"network.size={CLUSTER_SIZE}", f"network.width={width}",
                "network.layout=ring", "network.internal=complete", *common]
    if network == "ring_lattice":
        return ["network=ring_lattice", f"network.n={RING_NODES}", "network.k=4",
                f"network.p={rewiring}", *common]
    if not path:
        raise InputError("network.path: give the path of a small GraphML or CSV edge list")
    return ["network=file", f"network.path={path}", *common]


@functools.lru_cache(maxsize=32)
def positions(key: str, graph_json: str) -> dict[int, tuple[float, float]]:
    """Node positions, computed once per network (``key``) and reused on every redraw."""
    graph = nx.node_link_graph(json.loads(graph_json), edges="links")
    kind = json.loads(key)["name"]
    if kind == "clustered" and all("cluster" in d for _, d in graph.nodes(data=True)):
        return _ring_of_clusters(graph)
    if kind == "ring_lattice":
        return nx.circular_layout(graph)
    return nx.spring_layout(graph, seed=0)


def _ring_of_clusters(graph: nx.Graph) -> dict[int, tuple[float, float]]:
    """Clusters on a big circle, each cluster's nodes on a small one (bridges visible)."""
    cluster = nx.get_node_attributes(graph, "cluster")
    count = max(cluster.values()) + 1
    pos = {}
    for c in range(count):
        members = sorted(n for n, k in cluster.items() if k == c)
        centre = 3.0 * np.array([np.cos(2 * np.pi * c / count), np.sin(2 * np.pi * c / count)])
        for j, node in enumerate(members):
            angle = 2 * np.pi * j / len(members) + 2 * np.pi * c / count
            pos[node] = tuple(centre + 0.8 * np.array([np.cos(angle), np.sin(angle)]))
    return pos


class NetworkDemo(mesa.Model):
    """The project's model on a small network, stepped by SolaraViz; stops when stuck."""

    def __init__(self, network: str = "clustered", threshold: int = 2, width: int = 1,
                 rewiring: float = 0.0, path: str = "", seed: int = 1) -> None:
        seed = int(seed)
        super().__init__(seed=seed)
        from sim.analysis.compare import compose
        from sim.runs.config import validate
        from sim.runs.runner import replicate_network
        from sim.world.build import build_model

        self.config = validate(compose(None, demo_overrides(network, int(threshold),
                                                            int(width), rewiring, path)))
        net = replicate_network(self.config, seed, {})
        self.world = build_model(self.config, net, seed)
        graph = nx.Graph()
        graph.add_nodes_from(range(net.n))
        u, v, _ = net.edge_list()
        graph.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
        clusters = net.nodes["cluster"].tolist() if "cluster" in net.nodes else None
        if clusters is not None:
            nx.set_node_attributes(graph, dict(enumerate(clusters)), "cluster")
        key = json.dumps(self.config["network"], sort_keys=True, default=str)
        graph.graph["positions"] = positions(
            key, json.dumps(nx.node_link_data(graph, edges="links")))
        self.grid = mesa.space.NetworkGrid(graph)
        for agent in self.world.agent_list:
            self.grid.place_agent(agent, agent.node)
        self.datacollector = mesa.DataCollector(model_reporters={
            "adopted": lambda m: float(m.world.adopted.mean()),
            "aware": lambda m: float(m.world.aware.mean()),
        })
        self.datacollector.collect(self)

    def step(self) -> None:
        self.world.step()
        self.datacollector.collect(self)
        # a deterministic contagion that changed nothing never will: stop playing
        if self.world.deterministic and self.world._last_changed == 0:
            self.running = False

    @property
    def adopted(self) -> int:
        return int(self.world.adopted.sum())


def portrayal(agent: Any) -> AgentPortrayalStyle:
    state = "adopted" if agent.adopted else "aware" if agent.aware else "unaware"
    return AgentPortrayalStyle(color=STATE_COLOURS[state], size=40,
                               edgecolors="black" if agent.committed else STATE_COLOURS[state],
                               linewidths=1.5)


def _fixed_layout(graph: nx.Graph, **_: Any) -> dict:
    return graph.graph["positions"]


def _share_axis(ax) -> None:
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("share of agents")


@solara.component
def Status(model: NetworkDemo) -> None:
    """Step and adopters in words (what a reader, and the browser test, can check)."""
    from mesa.visualization.utils import update_counter

    update_counter.get()
    world = model.world
    solara.Text(f"step {world.steps} · adopted {model.adopted} of {world.n} · "
                f"{'stopped: nothing changes any more' if not model.running else 'spreading'}",
                classes=["network-status"])


MODEL_PARAMS = {
    "network": {"type": "Select", "value": "clustered", "values": list(NETWORKS),
                "label": "Network (changes apply on Reset)"},
    "threshold": {"type": "SliderInt", "value": 2, "min": 1, "max": 4, "step": 1,
                  "label": "Threshold T"},
    "width": {"type": "SliderInt", "value": 1, "min": 1, "max": 4, "step": 1,
              "label": "Bridge width"},
    "rewiring": {"type": "SliderFloat", "value": 0.0, "min": 0.0, "max": 0.5, "step": 0.05,
                 "label": "Rewiring p"},
    "path": {"type": "InputText", "value": "", "label": "Network file (GraphML or CSV)"},
    "seed": {"type": "InputText", "value": 1, "label": "Seed"},
}


@solara.component
def NetworkPage() -> None:
    model = solara.use_memo(NetworkDemo, [])
    space = make_space_component(portrayal, layout_alg=_fixed_layout, draw_grid=True)
    plot = make_plot_component({"adopted": "#d62728", "aware": "#e6b800"},
                               post_process=_share_axis)
    SolaraViz(model, components=[space, plot, Status], model_params=MODEL_PARAMS,
              name="pasim explorer: network", play_interval=300)
