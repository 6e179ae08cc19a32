"""Read what a matplotlib SVG (from evidence.report.plots) shows, in data coordinates, so that plot tests
assert content (points, lines, labels) rather than file size.

matplotlib writes one ``<g id="xtick_N">`` per tick (a ``<use>`` at the tick's pixel position and a
``<text>`` with its label), scatter points as ``<use>`` elements of ``<g id="PathCollection_N">``,
lines as ``<g id="line2d_N"><path d="M x y L x y ..."/>`` and, with ``svg.fonttype = none``, every
label as plain ``<text>``. Pixel positions are mapped back to data through the numeric tick labels.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from lxml import etree

NS = {"svg": "http://www.w3.org/2000/svg", "xlink": "http://www.w3.org/1999/xlink"}


def _number(label: str) -> float:
    return float(label.replace("\u2212", "-"))


class SvgPlot:
    def __init__(self, path: Path):
        self.root = etree.parse(str(path), etree.XMLParser(resolve_entities=False)).getroot()
        self.axes = self.root.find(".//svg:g[@id='axes_1']", NS)
        assert self.axes is not None, f"{path}: no axes in the SVG"

    def _group(self, gid: str, parent=None):
        return (self.axes if parent is None else parent).find(f".//svg:g[@id='{gid}']", NS)

    @staticmethod
    def _text(group) -> str:
        return "".join(group.itertext()).strip()

    def ticks(self, axis: str) -> list[tuple[float, str]]:
        """(pixel position, label) of each tick of the x or y axis, in document order."""
        out = []
        for tick in self.axes.iterfind(".//svg:g[@id]", NS):
            if not re.fullmatch(f"{axis}tick_\\d+", tick.get("id")):
                continue
            mark = tick.find(".//svg:use", NS)
            label = tick.find(".//svg:text", NS)
            out.append((float(mark.get("x" if axis == "x" else "y")), self._text(label)))
        return out

    def to_data(self, axis: str):
        """Pixel -> data coordinate along ``axis`` (a least-squares line through the numeric ticks); an
        axis with text labels (a forest plot's study names) keeps pixels."""
        ticks = self.ticks(axis)
        try:
            pixels, values = zip(*[(p, _number(t)) for p, t in ticks])
        except ValueError:
            return lambda pixel: pixel
        slope, intercept = np.polyfit(pixels, values, 1)
        return lambda pixel: slope * pixel + intercept

    def axis_label(self, axis: str) -> str:
        group = self._group(f"matplotlib.axis_{1 if axis == 'x' else 2}")
        labels = [self._text(g) for g in group.iterfind("svg:g", NS) if g.get("id").startswith("text_")]
        assert len(labels) == 1, labels
        return labels[0]

    def points(self) -> list[tuple[float, float]]:
        """Scatter points of the first PathCollection, in data coordinates."""
        fx, fy = self.to_data("x"), self.to_data("y")
        group = self._group("PathCollection_1")
        return [(fx(float(u.get("x"))), fy(float(u.get("y")))) for u in group.iterfind(".//svg:use", NS)]

    def lines(self) -> list[tuple[list[tuple[float, float]], str]]:
        """(vertices in data coordinates, style) of each line drawn in the axes (not ticks, not legend)."""
        fx, fy = self.to_data("x"), self.to_data("y")
        out = []
        for group in self.axes.iterfind("svg:g", NS):
            if not group.get("id").startswith("line2d_"):
                continue
            path = group.find("svg:path", NS)
            coords = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path.get("d"))]
            vertices = [(fx(x), fy(y)) for x, y in zip(coords[::2], coords[1::2])]
            out.append((vertices, path.get("style", "")))
        return out

    def filled_shapes(self) -> list[list[tuple[float, float]]]:
        """Vertices (data coordinates) of each filled patch in the axes other than the axes' background."""
        fx, fy = self.to_data("x"), self.to_data("y")
        out = []
        for group in self.axes.iterfind("svg:g", NS):
            path = group.find("svg:path", NS)
            style = path.get("style", "") if path is not None else ""
            if not group.get("id").startswith("patch_") or "fill: #ffffff" in style or "fill: none" in style:
                continue
            coords = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path.get("d"))]
            out.append([(fx(x), fy(y)) for x, y in zip(coords[::2], coords[1::2])])
        return out

    def texts(self) -> list[str]:
        """Every text drawn directly in the axes or its legend (not tick labels), in document order."""
        out = [self._text(g) for g in self.axes.iterfind("svg:g", NS) if g.get("id").startswith("text_")]
        legend = self._group("legend_1")
        if legend is not None:
            out += [self._text(g) for g in legend.iterfind("svg:g", NS) if g.get("id").startswith("text_")]
        return out

    def legend(self) -> list[str]:
        legend = self._group("legend_1")
        return (
            []
            if legend is None
            else [self._text(g) for g in legend.iterfind("svg:g", NS) if g.get("id").startswith("text_")]
        )
