"""python3 -m vad_export --config ai_vad_config.yaml --weights model.ckpt --out onnx/ [--check]"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

from . import __version__, cases
from .config import load_config
from .export import TOLERANCE, StageExport, check_graph, export_module, runtime_compare, torch_outputs
from .stages import ORDER, STAGES
from .weights import WeightsError, load_file, resolve


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python3 -m vad_export", description="Export AI-VAD's neural stages to ONNX (model-format.md contracts).")
    p.add_argument("--config", help="anomalib config.yaml (box_score_thresh is baked into regions.onnx; image_size is the trace size)")
    p.add_argument("--weights", help="anomalib AI-VAD state dict (.pth) or Lightning checkpoint (.ckpt)")
    p.add_argument("--torchvision-weights", metavar="DIR", help="folder with torchvision's maskrcnn_resnet50_fpn_v2*, raft_large*, keypointrcnn_resnet50_fpn* .pth files")
    p.add_argument("--clip-weights", metavar="FILE", help="OpenAI CLIP ViT-B-16.pt")
    p.add_argument("--out", required=True, help="output folder (regions.onnx, flow.onnx, pose.onnx, appearance.onnx)")
    p.add_argument("--stages", default=",".join(ORDER), help="comma-separated subset of " + ",".join(ORDER))
    p.add_argument("--random-init", action="store_true", help="random weights (tests/CI: nothing is downloaded)")
    p.add_argument("--seed", type=int, default=0, help="torch.manual_seed before building each network (--random-init)")
    p.add_argument("--size", metavar="HxW", help="trace/check frame size (default: config dataset.image_size, else 240x360)")
    p.add_argument("--check", action="store_true", help="run each export in onnxruntime and compare with PyTorch (max abs diff)")
    p.add_argument("--threads", type=int, default=int(os.environ.get("VAD_EXPORT_THREADS", "2")))
    return p.parse_args(argv)


def _size(text: str | None, fallback: tuple[int, int] | None) -> tuple[int, int]:
    if text:
        h, w = text.lower().split("x")
        return int(h), int(w)
    return fallback or (240, 360)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        print(f"unknown stage(s) {unknown}; choose from {list(ORDER)}", file=sys.stderr)
        return 2
    cfg = load_config(args.config)
    height, width = _size(args.size, cfg.image_size)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        anomalib = load_file(args.weights) if args.weights else None
    except WeightsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    results: list[StageExport] = []
    for stage in stages:
        s = STAGES[stage]
        if args.random_init:
            state, source = None, f"random-init seed {args.seed}"
        else:
            try:
                state, source = resolve(stage, anomalib, args.torchvision_weights, args.clip_weights)
            except WeightsError as e:
                print(f"error: {e}", file=sys.stderr)
                return 2
        torch.manual_seed(args.seed)
        module = s.build(state, box_score_thresh=cfg.box_score_thresh)
        inputs = s.example_inputs(height, width)
        path = out / s.FILE
        print(f"[{stage}] weights: {source}; exporting at opset {s.OPSET}, {height}x{width} ...", flush=True)
        seconds = export_module(stage, module, inputs, path)
        check_graph(path, stage)
        r = StageExport(stage, path, s.OPSET, seconds, path.stat().st_size, source)
        print(f"[{stage}] {path} {r.size_bytes / 1e6:.1f} MB in {seconds:.1f} s", flush=True)
        if args.check:
            expected = torch_outputs(module, inputs)
            case = cases.write_case(out / "checks", stage, f"../{s.FILE}", s.INPUT_NAMES, inputs, s.OUTPUT_NAMES, expected, TOLERANCE[stage])
            r.check = runtime_compare([case])[0]
            for name, o in r.check.get("outputs", {}).items():
                print(f"[{stage}] {name}: shape {o['shape']} (PyTorch {o['expectedShape']}), max abs diff vs PyTorch {o['maxAbsDiff']} (tolerance {o['tolerance']})", flush=True)
            if r.check.get("skipped"):
                print(f"[{stage}] runtime check skipped: {r.check['skipped']} (onnx.checker passed)", flush=True)
        results.append(r)
        del module

    info = {
        "tool": f"vad_export {__version__}",
        "torch": torch.__version__,
        "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": cfg.source,
        "boxScoreThresh": cfg.box_score_thresh,
        "traceSize": [height, width],
        "stages": {
            r.stage: {"file": r.path.name, "opset": r.opset, "bytes": r.size_bytes, "exportSeconds": round(r.seconds, 2), "weights": r.weights_from, "check": r.check or None}
            for r in results
        },
    }
    (out / "export-info.json").write_text(json.dumps(info, indent=2) + "\n")
    failed = [r.stage for r in results if r.check and r.check.get("ok") is False]
    if failed:
        print(f"check FAILED for {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
