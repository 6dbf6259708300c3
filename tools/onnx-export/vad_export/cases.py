"""Check cases: a stage's inputs and PyTorch's outputs as raw little-endian files plus a JSON
index, so any runtime (onnxruntime in Python, onnxruntime-node, vad-core's createOnnxSession)
can replay them and compare.

<dir>/<stage>.case.json:
  {"stage", "model": "<file>.onnx", "inputs": {name: {"file", "dtype", "shape"}},
   "expected": {name: {"file", "dtype", "shape"}}, "tolerance": {name: max abs diff}}
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

DTYPES = {"float32": np.float32, "int64": np.int64}


def _np(t: torch.Tensor) -> np.ndarray:
    a = t.detach().cpu().numpy()
    if a.dtype == np.float64:
        a = a.astype(np.float32)
    if a.dtype.name not in DTYPES:
        raise TypeError(f"unsupported dtype {a.dtype}")
    return np.ascontiguousarray(a)


def _write(directory: Path, stem: str, t: torch.Tensor) -> dict:
    a = _np(t)
    name = f"{stem}.bin"
    (directory / name).write_bytes(a.astype(a.dtype.newbyteorder("<")).tobytes())
    return {"file": name, "dtype": a.dtype.name, "shape": list(a.shape)}


def write_case(directory: str | Path, stage: str, model_file: str, input_names, inputs, output_names, outputs, tolerance: dict) -> Path:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    case = {
        "stage": stage,
        "model": model_file,
        "inputs": {n: _write(directory, f"{stage}.input.{n}", t) for n, t in zip(input_names, inputs)},
        "expected": {n: _write(directory, f"{stage}.expected.{n}", t) for n, t in zip(output_names, outputs)},
        "tolerance": {n: float(tolerance[n]) for n in output_names},
    }
    path = directory / f"{stage}.case.json"
    path.write_text(json.dumps(case, indent=2) + "\n")
    return path


def read_array(directory: str | Path, spec: dict) -> np.ndarray:
    data = (Path(directory) / spec["file"]).read_bytes()
    return np.frombuffer(data, dtype=np.dtype(DTYPES[spec["dtype"]]).newbyteorder("<")).reshape(spec["shape"])
