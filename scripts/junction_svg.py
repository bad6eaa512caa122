#!/usr/bin/env python3
"""Draws one camera of a scene file as an SVG (docs/violations.md, "Junctions"):
its zones (guide lanes with the movements their painted arrows allow, the
waiting area, the crosswalk striped), its lines (stop lines, the waiting
area's front line, exit lines dashed with their direction, solid lines, the
yield line) and, for each stop line with movements, an arrow from the line
to each movement's exit labelled with the movement and its signal.
Everything comes from the scene file; nothing is drawn from memory.

usage: junction_svg.py SCENE.json CAMERA_ID > OUT.svg
"""
import json
import math
import re
import sys


def load(path):
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"^\s*//[^\n]*", "", text, flags=re.M)
    return json.loads(text)


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mid(pts):
    return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))


ZONE_STYLE = {
    "guide_lane": ("#3b4a63", "#9fb3d9"),
    "waiting_area": ("#6b4f1d", "#f0b94a"),
    "crosswalk": ("#444444", "#ffffff"),
}
ARROW = {"left": "↰", "straight": "↑", "right": "↱", "uturn": "U"}
MV_COLOUR = {"left": "#ff7f0e", "straight": "#2ca02c", "right": "#1f77b4", "uturn": "#d62728"}


def line_style(kind):
    return {
        "stop_line": ("#ffffff", 9, ""),
        "exit_line": ("#bbbbbb", 4, "14 10"),
        "solid_line": ("#ffd400", 6, ""),
        "yield_line": ("#7fff7f", 5, "4 6"),
    }.get(kind, ("#ffffff", 3, ""))


def main():
    scene = load(sys.argv[1])
    cam = next(c for c in scene["cameras"] if c["id"] == sys.argv[2])
    w, h = cam["width"], cam["height"]
    zones = {z["id"]: z for z in cam.get("zones", [])}
    lines = {l["id"]: l for l in cam.get("lines", [])}
    out = []
    notes = []
    o = out.append
    o(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
      'font-family="WenQuanYi Zen Hei, sans-serif">')
    o('<defs><marker id="ah" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" markerHeight="6" '
      'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker>'
      '<pattern id="zebra" width="24" height="24" patternUnits="userSpaceOnUse">'
      '<rect width="24" height="24" fill="#555"/><rect width="12" height="24" fill="#eee"/></pattern>'
      '<pattern id="zebrah" width="24" height="24" patternUnits="userSpaceOnUse">'
      '<rect width="24" height="24" fill="#555"/><rect width="24" height="12" fill="#eee"/></pattern>'
      '</defs>')
    o(f'<rect width="{w}" height="{h}" fill="#2b2f33"/>')
    # zones
    for z in cam.get("zones", []):
        pts = " ".join(f"{x},{y}" for x, y in z["polygon"])
        kind = z["kind"]
        if kind == "crosswalk":
            xs = [p[0] for p in z["polygon"]]
            ys = [p[1] for p in z["polygon"]]
            # stripes run along the walking direction: across the longer side
            fill = "url(#zebrah)" if max(ys) - min(ys) > max(xs) - min(xs) else "url(#zebra)"
            o(f'<polygon points="{pts}" fill="{fill}" fill-opacity="0.55" stroke="#fff" stroke-width="2"/>')
        else:
            fill, stroke = ZONE_STYLE.get(kind, ("#335", "#88a"))
            o(f'<polygon points="{pts}" fill="{fill}" fill-opacity="0.8" stroke="{stroke}" stroke-width="3"/>')
        cx, cy = mid(z["polygon"])
        label = f'{z["id"]} ({kind})'
        if kind == "guide_lane":
            label = f'{z["id"]} {" ".join(ARROW[m] for m in z["movements"])} {"+".join(z["movements"])}'
        elif kind == "waiting_area":
            label = f'{z["id"]} (waiting area)'
            notes.append(f'{z["id"]}: waiting area beyond {z["stop_line"]} for '
                         f'{z.get("movement", "left")}: in on {z["entry_signal"]}, '
                         f'out over {z["front_line"]} on its signal')
        ys = [p[1] for p in z["polygon"]]
        if kind == "crosswalk":
            o(f'<text x="{max(p[0] for p in z["polygon"])}" y="{max(ys) + 26}" fill="#fff" '
              f'font-size="20" text-anchor="end" stroke="#000" stroke-width="4" '
              f'paint-order="stroke">{esc(label)}</text>')
        elif kind == "waiting_area":
            o(f'<text x="{cx}" y="{min(ys) - 10}" fill="#f0b94a" font-size="18" '
              f'text-anchor="middle" stroke="#000" stroke-width="4" '
              f'paint-order="stroke">{esc(label)}</text>')
        else:
            o(f'<text x="{cx}" y="{cy + 6}" fill="#fff" font-size="20" text-anchor="middle" '
              f'stroke="#000" stroke-width="4" paint-order="stroke">{esc(label)}</text>')
    # lines
    for l in cam.get("lines", []):
        (x1, y1), (x2, y2) = l["points"]
        colour, width, dash = line_style(l["kind"])
        da = f' stroke-dasharray="{dash}"' if dash else ""
        o(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{colour}" stroke-width="{width}"{da}/>')
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        if "direction" in l:  # a small arrow: the direction it judges
            dx, dy = l["direction"]
            n = math.hypot(dx, dy) or 1
            dx, dy = dx / n * 40, dy / n * 40
            o(f'<line x1="{mx}" y1="{my}" x2="{mx + dx}" y2="{my + dy}" stroke="{colour}" '
              'stroke-width="4" marker-end="url(#ah)"/>')
        text = l["id"]
        if l.get("signal"):
            text += f' [{l["signal"]}]'
        if l["kind"] == "yield_line":
            text += f' yields to {l["crosswalk"]}'
        vertical = abs(x2 - x1) < abs(y2 - y1)
        if vertical and l["kind"] == "stop_line" and l.get("movements"):
            tx, ty = x1 - 30, max(y1, y2) + 26  # below its lower end, to the left
        elif vertical and l["kind"] == "yield_line":
            tx, ty = x1 - 8, min(y1, y2) - 40
        elif vertical:
            tx, ty = x1 + 8, min(y1, y2) - 12
        else:
            tx, ty = max(x1, x2) + 10, y1 + 6
        end = ' text-anchor="end"' if vertical and l.get("movements") else ""
        o(f'<text x="{tx}" y="{ty}" fill="{colour}" font-size="19" stroke="#000" stroke-width="4" '
          f'paint-order="stroke"{end}>{esc(text)}</text>')
    # movements: from each stop line to each movement's exit
    for l in cam.get("lines", []):
        for i, m in enumerate(l.get("movements", [])):
            (x1, y1), (x2, y2) = l["points"]
            dx, dy = l["direction"]
            # leave from a point along the line spread per movement
            f = (i + 1) / (len(l["movements"]) + 1)
            sx, sy = x1 + f * (x2 - x1), y1 + f * (y2 - y1)
            ex = lines[m["exit_lines"][0]]
            (ex1, ey1), (ex2, ey2) = ex["points"]
            tx, ty = (ex1 + ex2) / 2, (ey1 + ey2) / 2
            edx, edy = ex["direction"]
            # a cubic from the stop line forwards into the exit along its direction
            c1 = (sx + dx * 220, sy + dy * 220)
            c2 = (tx - edx * 220, ty - edy * 220)
            if m["name"] == "uturn":
                c1 = (sx + dx * 420, sy + dy * 420)
                c2 = (tx - edx * 420, ty - edy * 420)
            colour = MV_COLOUR[m["name"]]
            dash = ' stroke-dasharray="10 8"' if m.get("forbidden") else ""
            o(f'<path d="M{sx},{sy} C{c1[0]},{c1[1]} {c2[0]},{c2[1]} {tx},{ty}" fill="none" '
              f'stroke="{colour}" stroke-width="5"{dash} marker-end="url(#ah)"/>')
            sig = m.get("signal", l["signal"])
            note = m["name"]
            if m.get("forbidden"):
                note += " FORBIDDEN"
            free = m.get("free_on_red")
            if free is None:
                free = (m["name"] == "right" and sig == l["signal"]
                        and l.get("free_right_on_red", True))
            if free:
                note += " free on red"
            note += f" [{sig}]"
            notes.append((colour, f'{l["id"]} {ARROW[m["name"]]} {note} → '
                                  f'{", ".join(m["exit_lines"])}'))
    # the movements and waiting areas, listed top left
    y = 40
    for n in notes:
        colour, text = n if isinstance(n, tuple) else ("#f0b94a", n)
        o(f'<text x="24" y="{y}" fill="{colour}" font-size="21" font-weight="bold" '
          f'stroke="#000" stroke-width="4" paint-order="stroke">{esc(text)}</text>')
        y += 30
    # legend
    legend = [
        ("#ffffff", "", "stop line (the arrow: the direction it judges) [its signal]"),
        ("#bbbbbb", "14 10", "exit line"),
        ("#ffd400", "", "solid line (either side)"),
        ("#7fff7f", "4 6", "yield line"),
    ] + [(MV_COLOUR[k], "", f"movement {k}") for k in ("straight", "left", "right", "uturn")]
    o(f'<rect x="20" y="{h - 40 - 30 * len(legend)}" width="560" height="{30 * len(legend) + 24}" '
      'fill="#000" fill-opacity="0.6"/>')
    for i, (c, d, t) in enumerate(legend):
        y = h - 30 - 30 * (len(legend) - i)
        da = f' stroke-dasharray="{d}"' if d else ""
        o(f'<line x1="34" y1="{y}" x2="94" y2="{y}" stroke="{c}" stroke-width="6"{da}/>')
        o(f'<text x="106" y="{y + 7}" fill="#fff" font-size="19">{esc(t)}</text>')
    o(f'<text x="{w - 20}" y="36" fill="#fff" font-size="24" text-anchor="end">'
      f'{esc(cam["id"])}: {esc(cam.get("location", ""))}</text>')
    o(f'<text x="{w - 20}" y="66" fill="#ccc" font-size="18" text-anchor="end">'
      f'drawn from {esc(sys.argv[1])} by scripts/junction-drawing.sh</text>')
    o("</svg>")
    print("\n".join(out))


if __name__ == "__main__":
    main()
