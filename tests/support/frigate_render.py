#!/usr/bin/env python3
"""Renders one camera of an ordercam event log as Frigate would publish it
over MQTT (docs/inputs.md, "Frigate"), for tests:

  frigate/events                new when an object is first seen, update when
                                it has moved 5% of the frame diagonal since
                                its last recorded point (path_data), end when
                                it has not been seen for GONE_S
  frigate/tracked_object_update lpr once a plate is seen, a helmet
                                classification once a helmet value is seen
  other lines                   the camera's native topics renamed; other
                                cameras' lines and signals kept as they are

Objects that stand still send nothing, as Frigate does.

usage: frigate_render.py IN.jsonl OUT.jsonl CAMERA NEW_ID SOURCE WIDTH HEIGHT
"""
import gzip
import json
import math
import sys

GONE_S = 2.0


def main():
    src, dst, cam, new_id, source, width, height = sys.argv[1:8]
    width, height = int(width), int(height)
    step = 0.05 * math.hypot(width, height) / max(width, height)
    opener = gzip.open if src.endswith(".gz") else open
    objs = {}
    out = []

    def event(kind, o, rx):
        after = {
            "id": o["fid"], "camera": source, "label": o["label"],
            "frame_time": o["last"] / 1000.0,
            "snapshot": {"frame_time": o["first"] / 1000.0},
            "box": o["box"], "score": 0.9, "stationary": False,
            "current_zones": [], "entered_zones": [],
            "end_time": (o["last"] / 1000.0) if kind == "end" else None,
            "recognized_license_plate": o.get("plate"),
            "path_data": [[[x, y], t] for (x, y, t) in o["path"]],
        }
        out.append({"ts": rx, "topic": "frigate/events",
                    "payload": {"type": kind, "before": after, "after": after}})

    def end_gone(now, rx):
        for key in [k for k, o in objs.items() if now - o["last"] > GONE_S * 1000]:
            event("end", objs.pop(key), rx)

    with opener(src, "rt") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # the sample's deliberately bad lines
            if not isinstance(rec, dict) or "ts" not in rec:
                continue
            topic = rec.get("topic", "")
            prefix = f"ordercam/cameras/{cam}/"
            if "tick" in rec and rec["tick"].get("camera") == cam:
                rec["tick"]["camera"] = new_id
                out.append(rec)
                continue
            if not topic.startswith(prefix):
                out.append(rec)
                continue
            if not topic.endswith("/detections"):
                rec["topic"] = f"ordercam/cameras/{new_id}/" + topic[len(prefix):]
                out.append(rec)
                continue
            p = rec.get("payload")
            if not isinstance(p, dict) or not isinstance(p.get("objects"), list):
                continue  # bad input stays out of the rendering
            ts, rx = p["ts"], rec["ts"]
            for ob in p["objects"]:
                x, y, w, h = ob["box"]
                key = str(ob["id"])
                bc = (round((x + w / 2) / width, 4), round((y + h) / height, 4))
                o = objs.get(key)
                attrs = ob.get("attrs") or {}
                if o is None:
                    o = objs[key] = {"fid": f"{ts / 1000.0:.6f}-{key}", "label": ob["class"],
                                     "first": ts, "path": [(bc[0], bc[1], ts / 1000.0)],
                                     "helmet": None}
                    o.update(last=ts, box=[x, y, x + w, y + h])
                    if attrs.get("plate"):
                        o["plate"] = attrs["plate"]
                    event("new", o, rx)
                else:
                    o.update(last=ts, box=[x, y, x + w, y + h])
                    lx, ly, _ = o["path"][-1]
                    if math.dist((lx, ly), bc) >= step:
                        o["path"].append((bc[0], bc[1], ts / 1000.0))
                        event("update", o, rx)
                if attrs.get("plate") and o.get("plate") != attrs["plate"]:
                    o["plate"] = attrs["plate"]
                    out.append({"ts": rx, "topic": "frigate/tracked_object_update",
                                "payload": {"type": "lpr", "id": o["fid"], "name": None,
                                            "plate": attrs["plate"], "score": 0.9,
                                            "camera": source, "timestamp": ts / 1000.0}})
                if isinstance(attrs.get("helmet"), bool) and o["helmet"] is None:
                    o["helmet"] = attrs["helmet"]
                    out.append({"ts": rx, "topic": "frigate/tracked_object_update",
                                "payload": {"type": "classification", "id": o["fid"],
                                            "camera": source, "timestamp": ts / 1000.0,
                                            "model": "helmet_detector",
                                            "attribute": "yes" if attrs["helmet"] else "no",
                                            "score": 0.9}})
            end_gone(ts, rx)
    last = out[-1]["ts"] if out else 0
    for key in list(objs):
        event("end", objs.pop(key), last)
    with open(dst, "w") as f:
        for rec in out:
            f.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
