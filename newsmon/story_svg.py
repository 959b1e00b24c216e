"""A story drawn as SVG on the server: its timeline and its who-copied-whom graph.

Both are pure functions of a `StoryView`. The drawings need no JavaScript, no
fonts or scripts from elsewhere, and stay readable when printed in black and
white: every role has its own shape as well as its own colour (Okabe–Ito
colours, which colour-blind readers tell apart), and every node is labelled
with its article id. Each element carries ``data-`` attributes (article, outlet,
source) so tests and scripts can read the drawing back.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from storage.views import ROLES, Role, StoryMember, StoryView

SVG_NS = "http://www.w3.org/2000/svg"
Link = Callable[[int], str] | None
"""The address of an article's page, for nodes that link to it (None: no links)."""

COLOURS: dict[Role, str] = {
    "source": "#0072B2",
    "copy": "#D55E00",
    "rewrite": "#E69F00",
    "translation": "#009E73",
    "report": "#6b6b6b",
}
LABELS: dict[Role, str] = {
    "source": "source",
    "copy": "copy",
    "rewrite": "rewrite",
    "translation": "translation",
    "report": "independent report",
}

LANE_HEIGHT = 46
GUTTER = 170
"""Room left of the lanes for outlet names."""
PLOT_WIDTH = 760
TOP = 48
"""Room above the lanes for the time axis."""
LEGEND_HEIGHT = 56
NODE = 8
"""Half the size of a node."""
_TICK_STEPS = tuple(
    timedelta(hours=h) for h in (1, 2, 3, 6, 12, 24, 48, 96, 168, 336, 720, 2160, 8760)
)
_MAX_TICKS = 8


def _svg(width: float, height: float, title: str) -> ET.Element:
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": f"{width:.0f}",
            "height": f"{height:.0f}",
            "viewBox": f"0 0 {width:.0f} {height:.0f}",
            "role": "img",
            "font-family": "sans-serif",
            "font-size": "12",
        },
    )
    ET.SubElement(root, "title").text = title
    defs = ET.SubElement(root, "defs")
    for role in ROLES:
        marker = ET.SubElement(
            defs,
            "marker",
            {
                "id": f"arrow-{role}",
                "viewBox": "0 0 10 10",
                "refX": "9",
                "refY": "5",
                "markerWidth": "7",
                "markerHeight": "7",
                "orient": "auto-start-reverse",
            },
        )
        ET.SubElement(marker, "path", {"d": "M 0 0 L 10 5 L 0 10 z", "fill": COLOURS[role]})
    return root


def _text(parent: ET.Element, x: float, y: float, content: str, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, "text", {"x": f"{x:.1f}", "y": f"{y:.1f}", **attrs})
    node.text = content
    return node


def _shape(parent: ET.Element, role: Role, x: float, y: float, dated: bool) -> None:
    """A role's mark: squares for sources, diamonds for rewrites, triangles for translations,
    filled circles for copies, hollow circles for independent reports. An undated article
    (placed at the time newsmon first saw it) gets a dashed outline."""
    colour, r = COLOURS[role], NODE
    style = {"stroke": colour, "stroke-width": "2", "fill": colour}
    if role == "report":
        style["fill"] = "white"
    if not dated:
        style |= {"fill": "white", "stroke-dasharray": "3 2"}
    if role == "source":
        ET.SubElement(
            parent,
            "rect",
            {"x": f"{x - r:.1f}", "y": f"{y - r:.1f}", "width": f"{2 * r}", "height": f"{2 * r}"}
            | style,
        )
    elif role in ("rewrite", "translation"):
        k = r * 1.25
        points = (
            [(x, y - k), (x + k, y), (x, y + k), (x - k, y)]
            if role == "rewrite"
            else [(x, y - k), (x + k, y + k * 0.8), (x - k, y + k * 0.8)]
        )
        ET.SubElement(
            parent,
            "polygon",
            {"points": " ".join(f"{px:.1f},{py:.1f}" for px, py in points)} | style,
        )
    else:
        ET.SubElement(parent, "circle", {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": f"{r}"} | style)


def _ticks(start: datetime, end: datetime) -> list[datetime]:
    """Round times between start and end, at most `_MAX_TICKS` of them."""
    span = end - start
    step = next((s for s in _TICK_STEPS if span / s <= _MAX_TICKS), _TICK_STEPS[-1])
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    first = midnight + step * math.ceil((start - midnight) / step)
    ticks = []
    while first <= end:
        ticks.append(first)
        first += step
    return ticks


def timeline_svg(view: StoryView, link: Link = None) -> str:
    """The story on a time axis: one lane per outlet (in the order outlets first reported
    it), every article at its time, an arrow from each derived article to its source."""
    members = view.members
    lanes = [f.key for f in view.outlets]
    lane_of = {name: i for i, name in enumerate(lanes)}
    height = TOP + LANE_HEIGHT * max(len(lanes), 1) + LEGEND_HEIGHT
    root = _svg(GUTTER + PLOT_WIDTH + 30, height, f"Timeline of story {view.id}: {view.title}")
    start = min((m.when for m in members), default=datetime.min)
    end = max((m.when for m in members), default=start)
    span = (end - start).total_seconds()
    if span == 0:  # one moment: pad it so the node sits mid-axis
        start, end = start - timedelta(hours=1), end + timedelta(hours=1)
        span = (end - start).total_seconds()

    def x_of(when: datetime) -> float:
        return GUTTER + 10 + (when - start).total_seconds() / span * (PLOT_WIDTH - 20)

    axis = ET.SubElement(root, "g", {"class": "axis"})
    bottom = TOP + LANE_HEIGHT * len(lanes)
    for tick in _ticks(start, end):
        x = x_of(tick)
        ET.SubElement(
            axis,
            "line",
            {"x1": f"{x:.1f}", "x2": f"{x:.1f}", "y1": f"{TOP - 6}", "y2": f"{bottom}"}
            | {"stroke": "#ccc", "stroke-width": "1"},
        )
        label = f"{tick:%d %b %H:%M}" if tick.hour or tick.minute else f"{tick:%d %b}"
        _text(axis, x, TOP - 12, label, **{"text-anchor": "middle", "fill": "#333"})
    _text(axis, GUTTER + PLOT_WIDTH, 16, "time (UTC)", **{"text-anchor": "end", "fill": "#333"})
    for name, i in lane_of.items():
        y = TOP + LANE_HEIGHT * i
        lane = ET.SubElement(root, "g", {"class": "lane", "data-outlet": name})
        ET.SubElement(
            lane,
            "rect",
            {"x": "0", "y": f"{y}", "width": f"{GUTTER + PLOT_WIDTH + 30}"}
            | {"height": f"{LANE_HEIGHT}", "fill": "#f4f4f4" if i % 2 else "white"},
        )
        _text(lane, 8, y + LANE_HEIGHT / 2 + 4, name, **{"font-weight": "bold"})
    position = _positions(members, lane_of, x_of)
    arrows = ET.SubElement(root, "g", {"class": "arrows"})
    for m in view.derived:
        if m.source_id not in position:
            continue
        _arrow(arrows, m, position[m.id], position[m.source_id])
    nodes = ET.SubElement(root, "g", {"class": "nodes"})
    for m in members:
        nx, ny = position[m.id]
        attrs = {"class": f"member role-{m.role}", "data-article": str(m.id)}
        attrs["data-outlet"] = m.outlet
        if m.source_id is not None:
            attrs["data-source"] = str(m.source_id)
        group = ET.SubElement(nodes, "g", attrs)
        target = group
        if link is not None:
            target = ET.SubElement(group, "a", {"href": link(m.id)})
        when = f"{m.when:%Y-%m-%d %H:%M} UTC" + ("" if m.dated else " (first seen; undated)")
        ET.SubElement(
            target, "title"
        ).text = f"#{m.id} {m.outlet}, {when}: {m.title} [{LABELS[m.role]}]"
        _shape(target, m.role, nx, ny, m.dated)
        _text(target, nx, ny + NODE + 12, f"#{m.id}", **{"text-anchor": "middle"})
    _legend(root, TOP + LANE_HEIGHT * len(lanes) + 22)
    return ET.tostring(root, encoding="unicode")


def _positions(
    members: Sequence[StoryMember], lane_of: dict[str, int], x_of: Callable[[datetime], float]
) -> dict[int, tuple[float, float]]:
    """Where each node goes; nodes that would overlap in one lane are moved up and down."""
    placed: dict[int, tuple[float, float]] = {}
    last_x: dict[str, list[float]] = {}
    for m in members:
        x = x_of(m.when)
        centre = TOP + LANE_HEIGHT * lane_of[m.outlet] + LANE_HEIGHT / 2 - 6
        crowd = [px for px in last_x.get(m.outlet, []) if abs(px - x) < 2 * NODE + 2]
        offset = (len(crowd) % 3) * (1 if len(crowd) % 2 else -1) * 7
        placed[m.id] = (x, centre + offset)
        last_x.setdefault(m.outlet, []).append(x)
    return placed


def _arrow(
    parent: ET.Element,
    member: StoryMember,
    start: tuple[float, float],
    end: tuple[float, float],
) -> None:
    """A curved arrow from a derived article to its source, stopping at the source's edge."""
    (x1, y1), (x2, y2) = start, end
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    # Stop short of both nodes so the arrowhead stays visible.
    sx, sy = x1 + (x2 - x1) * NODE * 1.3 / length, y1 + (y2 - y1) * NODE * 1.3 / length
    ex, ey = x2 - (x2 - x1) * NODE * 1.6 / length, y2 - (y2 - y1) * NODE * 1.6 / length
    bend = max(18.0, min(60.0, length / 4))
    cx, cy = (sx + ex) / 2, min(sy, ey) - bend
    ET.SubElement(
        parent,
        "path",
        {
            "class": f"arrow role-{member.role}",
            "data-from": str(member.id),
            "data-to": str(member.source_id),
            "d": f"M {sx:.1f} {sy:.1f} Q {cx:.1f} {cy:.1f} {ex:.1f} {ey:.1f}",
            "fill": "none",
            "stroke": COLOURS[member.role],
            "stroke-width": "1.8",
            "marker-end": f"url(#arrow-{member.role})",
        },
    )


def _legend(root: ET.Element, y: float) -> None:
    legend = ET.SubElement(root, "g", {"class": "legend"})
    x = 10.0
    for role in ROLES:
        _shape(legend, role, x + NODE, y, True)
        _text(legend, x + 2 * NODE + 6, y + 4, LABELS[role])
        x += 2 * NODE + 16 + 7 * len(LABELS[role])
    _text(
        legend,
        10,
        y + 24,
        "Arrows run from a copy, rewrite or translation to its source; "
        "dashed outlines: undated, placed when first seen.",
        fill="#333",
    )


def copy_graph_svg(view: StoryView, link: Link = None) -> str:
    """Who copied whom: the story's outlets on a circle, an arrow from each outlet that
    copied, rewrote or translated to the outlet it took from, labelled with how often.

    Outlets with only independent reports are drawn hollow: they are in the story
    but copied from no one in it. ``link`` turns each outlet's first article into a link.
    """
    outlets = [f.key for f in view.outlets]
    first_article = {f.key: f.article_id for f in view.outlets}
    by_id = {m.id: m for m in view.members}
    edges: dict[tuple[str, str], dict[Role, int]] = {}
    for m in view.derived:
        taken_from = by_id.get(m.source_id or 0)
        if taken_from is not None:
            counts = edges.setdefault((m.outlet, taken_from.outlet), {})
            counts[m.role] = counts.get(m.role, 0) + 1
    width, height = 640, 480
    root = _svg(width, height + 40, f"Who copied whom in story {view.id}: {view.title}")
    cx, cy, radius = width / 2, height / 2, height / 2 - 80
    count = max(len(outlets), 1)
    points = {
        name: (
            cx + radius * math.cos(2 * math.pi * i / count - math.pi / 2),
            cy + radius * math.sin(2 * math.pi * i / count - math.pi / 2),
        )
        for i, name in enumerate(outlets)
    }
    copiers = {a for a, _ in edges} | {b for _, b in edges}
    group = ET.SubElement(root, "g", {"class": "edges"})
    for (copier, source), counts in sorted(edges.items()):
        role = max(counts, key=lambda r: counts[r])
        label = ", ".join(f"{LABELS[r]} ×{n}" for r, n in sorted(counts.items()))
        _edge(group, points[copier], points[source], (cx, cy), role, label, (copier, source))
    nodes = ET.SubElement(root, "g", {"class": "nodes"})
    for name, (x, y) in points.items():
        node = ET.SubElement(nodes, "g", {"class": "outlet", "data-outlet": name})
        target = node
        if link is not None:
            target = ET.SubElement(node, "a", {"href": link(first_article[name])})
        ET.SubElement(target, "title").text = name
        ET.SubElement(
            target,
            "circle",
            {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": "22", "stroke": "#333"}
            | {"stroke-width": "2", "fill": "#dbe9f6" if name in copiers else "white"},
        )
        anchor = "middle" if abs(x - cx) < 40 else ("start" if x > cx else "end")
        dx = 0 if anchor == "middle" else (28 if anchor == "start" else -28)
        dy = 40 if y > cy and anchor == "middle" else (-30 if anchor == "middle" else 4)
        _text(target, x + dx, y + dy, name, **{"text-anchor": anchor, "font-weight": "bold"})
    _text(
        root,
        10,
        height + 14,
        "Arrows run from the outlet that copied to the outlet it copied from.",
        fill="#333",
    )
    _text(root, 10, height + 32, "Hollow: outlets with independent reports only.", fill="#333")
    return ET.tostring(root, encoding="unicode")


def _edge(
    parent: ET.Element,
    start: tuple[float, float],
    end: tuple[float, float],
    centre: tuple[float, float],
    role: Role,
    label: str,
    outlets: tuple[str, str],
) -> None:
    (x1, y1), (x2, y2) = start, end
    attrs = {
        "class": f"edge role-{role}",
        "data-from": outlets[0],
        "data-to": outlets[1],
        "fill": "none",
        "stroke": COLOURS[role],
        "stroke-width": "2",
        "marker-end": f"url(#arrow-{role})",
    }
    if outlets[0] == outlets[1]:
        # An outlet that rewrote its own earlier article: a loop on the side away from the centre.
        away = math.atan2(y1 - centre[1], x1 - centre[0])
        ux, uy = math.cos(away), math.sin(away)
        px, py = -uy, ux
        sx, sy = x1 + ux * 22 + px * 10, y1 + uy * 22 + py * 10
        ex, ey = x1 + ux * 22 - px * 10, y1 + uy * 22 - py * 10
        c1 = (x1 + ux * 75 + px * 40, y1 + uy * 75 + py * 40)
        c2 = (x1 + ux * 75 - px * 40, y1 + uy * 75 - py * 40)
        d = f"M {sx:.1f} {sy:.1f} C {c1[0]:.1f} {c1[1]:.1f} "
        d += f"{c2[0]:.1f} {c2[1]:.1f} {ex:.1f} {ey:.1f}"
        lx, ly = x1 + ux * 80, y1 + uy * 80 + (12 if uy > 0 else -4)
    else:
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        sx, sy, ex, ey = x1 + ux * 24, y1 + uy * 24, x2 - ux * 26, y2 - uy * 26
        d = f"M {sx:.1f} {sy:.1f} L {ex:.1f} {ey:.1f}"
        lx, ly = (sx + ex) / 2 - uy * 12, (sy + ey) / 2 + ux * 12
    ET.SubElement(parent, "path", {"d": d} | attrs)
    _text(parent, lx, ly, label, **{"text-anchor": "middle", "fill": "#222", "font-size": "11"})
