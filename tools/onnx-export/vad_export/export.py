"""Export one stage at its opset, and check the export against PyTorch on the same inputs."""
from __future__ import annotations

import json
import shutil
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import onnx
import torch

from . import cases
from .onnx_fixes import patched_raft_corr_scale, roi_align_half_pixel_fix, torchscript_export
from .stages import STAGES

# Max abs difference ORT vs PyTorch accepted per output (exporter-notes.md measured 2.8e-4 px boxes,
# 2.3e-4 flow, exact keypoints, 2.4e-6 features; margins cover other CPUs and thread counts).
TOLERANCE = {
    "regions": {"boxes": 1e-2, "labels": 0.0, "scores": 1e-4},
    "flow": {"flow": 2e-3},
    "pose": {"keypoints": 1e-2},
    "appearance": {"features": 1e-3},
}


@dataclass
class StageExport:
    stage: str
    path: Path
    opset: int
    seconds: float
    size_bytes: int
    weights_from: str
    check: dict = field(default_factory=dict)


def export_module(stage: str, module: torch.nn.Module, example_inputs: tuple, path: str | Path, opset: int | None = None, *, half_pixel_fix: bool = True, sqrt_fix: bool = True) -> float:
    """torch.onnx.export with the stage's names, dynamic axes, opset and the pitfall fixes; seconds."""
    s = STAGES[stage]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with torch.no_grad(), roi_align_half_pixel_fix(half_pixel_fix), patched_raft_corr_scale(sqrt_fix and stage == "flow"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ~80 TracerWarnings from torchvision's R-CNNs, all benign (exporter-notes.md)
        torchscript_export(
            module.eval(),
            tuple(example_inputs),
            str(path),
            opset_version=opset or s.OPSET,
            input_names=s.INPUT_NAMES,
            output_names=s.OUTPUT_NAMES,
            dynamic_axes=s.DYNAMIC_AXES,
            do_constant_folding=True,
        )
    pin_output_dims(path, getattr(s, "STATIC_OUTPUT_DIMS", {}))
    return time.perf_counter() - t0


def pin_output_dims(path: Path, dims: dict) -> None:
    """Writes the contract's fixed output dims where the tracer left a generated symbol."""
    if not dims:
        return
    model = onnx.load(str(path))
    for out in model.graph.output:
        for axis, size in dims.get(out.name, {}).items():
            d = out.type.tensor_type.shape.dim[axis]
            d.ClearField("dim_param")
            d.dim_value = size
    onnx.save(model, str(path))


def torch_outputs(module: torch.nn.Module, inputs: tuple) -> tuple:
    with torch.no_grad():
        out = module.eval()(*inputs)
    return out if isinstance(out, tuple) else (out,)


def check_graph(path: str | Path, stage: str) -> onnx.ModelProto:
    """onnx.checker plus the contract's input/output names."""
    model = onnx.load(str(path), load_external_data=False)
    onnx.checker.check_model(str(path))
    s = STAGES[stage]
    got_in = [i.name for i in model.graph.input]
    got_out = [o.name for o in model.graph.output]
    if got_in != s.INPUT_NAMES or got_out != s.OUTPUT_NAMES:
        raise AssertionError(f"{path}: inputs {got_in} outputs {got_out}, contract says {s.INPUT_NAMES} -> {s.OUTPUT_NAMES}")
    return model


def runtime_compare(case_paths: list[Path]) -> list[dict]:
    """Replays cases in onnxruntime: Python's if installed, else onnxruntime-node via node."""
    try:
        import onnxruntime as ort  # noqa: F401
    except ImportError:
        ort = None
    if ort is not None:
        return [_python_ort(p) for p in case_paths]
    node = shutil.which("node")
    if node is None:
        return [{"stage": json.loads(Path(p).read_text())["stage"], "ok": None, "skipped": "no onnxruntime (pip install onnxruntime) and no node"} for p in case_paths]
    script = Path(__file__).with_name("ort_compare.js")
    proc = subprocess.run([node, str(script), *map(str, case_paths)], capture_output=True, text=True)
    if proc.returncode == 2 or not proc.stdout.strip():
        return [{"stage": json.loads(Path(p).read_text())["stage"], "ok": None, "skipped": f"onnxruntime-node: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else 'failed'}"} for p in case_paths]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def _python_ort(case_path: Path) -> dict:
    import numpy as np
    import onnxruntime as ort

    d = Path(case_path).parent
    c = json.loads(Path(case_path).read_text())
    sess = ort.InferenceSession(str(d / c["model"]), providers=["CPUExecutionProvider"])
    feeds = {n: cases.read_array(d, spec) for n, spec in c["inputs"].items()}
    outs = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))
    report = {"stage": c["stage"], "ok": True, "outputs": {}}
    for n, spec in c["expected"].items():
        exp = cases.read_array(d, spec)
        got = outs.get(n)
        r = {"shape": None if got is None else list(got.shape), "expectedShape": spec["shape"], "maxAbsDiff": None, "tolerance": c["tolerance"][n]}
        if got is not None and list(got.shape) == spec["shape"]:
            r["maxAbsDiff"] = float(np.max(np.abs(got.astype(np.float64) - exp.astype(np.float64)))) if exp.size else 0.0
        report["ok"] = report["ok"] and r["maxAbsDiff"] is not None and r["maxAbsDiff"] <= r["tolerance"]
        report["outputs"][n] = r
    return report
