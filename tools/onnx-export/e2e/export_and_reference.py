#!/usr/bin/env python3
"""CI end-to-end reference: export the four stage networks (random init, real architectures) and
write PyTorch's outputs on a small synthetic clip as check cases next to the .onnx files.

    /usr/bin/python3 tools/onnx-export/e2e/export_and_reference.py --out /tmp/vad-e2e [--size 96x128]

Networks are traced at TRACE_SIZE and the clip runs at --size, so the dynamic H/W/N/M axes are
exercised, not just the traced shapes. Also writes `roi_crop` (RoIAlign + CLIP normalisation at
opset 17) so the half-pixel fix is checked numerically in onnxruntime. exported-stages.e2e.spec.ts
replays every <stage>.case.json through vad-core's createOnnxSession.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from vad_export import cases  # noqa: E402
from vad_export.config import load_config  # noqa: E402
from vad_export.export import TOLERANCE, check_graph, export_module, torch_outputs  # noqa: E402
from vad_export.onnx_fixes import torchscript_export  # noqa: E402
from vad_export.stages import ORDER, STAGES  # noqa: E402
from vad_export.stages.appearance import RoiCrop  # noqa: E402

TRACE_SIZE = (80, 112)
ROI_CROP_OPSET = 17
BOX_SCORE_THRESH = 0.7  # the shipped Ped2 config's value, through a config file as a user would


def synthetic_clip(height: int, width: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Two frames [3,H,W] in [0,1]: textured background, two coloured blobs moving by (+3, +5) and
    (-4, +2) px; and boxes [3,4] around the blobs in the first frame plus one background box."""
    yy, xx = torch.meshgrid(torch.arange(height, dtype=torch.float32), torch.arange(width, dtype=torch.float32), indexing="ij")
    background = torch.stack([0.3 + 0.2 * torch.sin(xx / 7.0), 0.4 + 0.2 * torch.cos(yy / 5.0), 0.5 + 0.1 * torch.sin((xx + yy) / 9.0)])
    blobs = [((0.3 * height, 0.25 * width), (3, 5), (0.9, 0.2, 0.1), 0.12 * min(height, width)), ((0.6 * height, 0.65 * width), (-4, 2), (0.1, 0.3, 0.9), 0.16 * min(height, width))]

    def frame(t: int) -> torch.Tensor:
        img = background.clone()
        for (cy, cx), (dy, dx), colour, r in blobs:
            d2 = (yy - cy - t * dy) ** 2 + (xx - cx - t * dx) ** 2
            alpha = torch.exp(-d2 / (2 * r * r))
            img = img * (1 - alpha) + torch.tensor(colour).view(3, 1, 1) * alpha
        return img.clamp(0, 1)

    boxes = [[cx - 2 * r, cy - 2 * r, cx + 2 * r, cy + 2 * r] for (cy, cx), _, _, r in blobs]
    boxes.append([0.05 * width, 0.55 * height, 0.35 * width, 0.95 * height])
    return frame(0), frame(1), torch.tensor(boxes, dtype=torch.float32)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--size", default="96x128", help="clip size HxW")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--stages", default=",".join(ORDER))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    h, w = (int(v) for v in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    config_path = out / "ai_vad_config.yaml"
    config_path.write_text(f"dataset:\n  image_size: [{h}, {w}]\nmodel:\n  box_score_thresh: {BOX_SCORE_THRESH}\n")
    cfg = load_config(config_path)

    first, last, boxes = synthetic_clip(h, w)
    clip_inputs = {
        "regions": (last,),
        "flow": (first.unsqueeze(0), last.unsqueeze(0)),
        "pose": (first, boxes),  # anomalib: pose/appearance see the *first* frame
        "appearance": (first.unsqueeze(0), boxes),
    }
    info: dict = {"clipSize": [h, w], "traceSize": list(TRACE_SIZE), "boxScoreThresh": cfg.box_score_thresh, "stages": {}}
    for stage in [s for s in args.stages.split(",") if s]:
        s = STAGES[stage]
        torch.manual_seed(args.seed)
        t0 = time.perf_counter()
        module = s.build(None, box_score_thresh=cfg.box_score_thresh)
        build_s = time.perf_counter() - t0
        export_s = export_module(stage, module, s.example_inputs(*TRACE_SIZE), out / s.FILE)
        check_graph(out / s.FILE, stage)
        t0 = time.perf_counter()
        expected = torch_outputs(module, clip_inputs[stage])
        torch_s = time.perf_counter() - t0
        cases.write_case(out, stage, s.FILE, s.INPUT_NAMES, clip_inputs[stage], s.OUTPUT_NAMES, expected, TOLERANCE[stage])
        info["stages"][stage] = {"opset": s.OPSET, "bytes": (out / s.FILE).stat().st_size, "buildSeconds": round(build_s, 2), "exportSeconds": round(export_s, 2), "torchSeconds": round(torch_s, 2), "outputShapes": {n: list(t.shape) for n, t in zip(s.OUTPUT_NAMES, expected)}}
        print(f"[{stage}] build {build_s:.1f}s export {export_s:.1f}s torch {torch_s:.1f}s -> {[list(t.shape) for t in expected]}", flush=True)
        del module

    # RoIAlign at opset 17 only agrees with torchvision when the exporter writes output_half_pixel.
    crop = RoiCrop().eval()
    crop_path = out / "roi_crop.onnx"
    with torch.no_grad():
        from vad_export.onnx_fixes import roi_align_half_pixel_fix

        with roi_align_half_pixel_fix(True):
            torchscript_export(crop, (first.unsqueeze(0), boxes), str(crop_path), opset_version=ROI_CROP_OPSET, input_names=["image", "boxes"], output_names=["crops"], dynamic_axes={"image": {2: "H", 3: "W"}, "boxes": {0: "M"}, "crops": {0: "M"}})
        crops = crop(first.unsqueeze(0), boxes)
    cases.write_case(out, "roi_crop", crop_path.name, ["image", "boxes"], (first.unsqueeze(0), boxes), ["crops"], (crops,), {"crops": 1e-4})
    (out / "e2e-info.json").write_text(json.dumps(info, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
