"""The few anomalib config values the export needs (ai-vad-spec.md, "Configuration keys").

Accepts anomalib v0.7 (`model: {box_score_thresh: ...}`) and v1.x (`model: {init_args: {...}}`)
layouts. box_score_thresh is baked into regions.onnx, so it must come from the user's config;
the class default 0.8 applies only when the config does not set it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_BOX_SCORE_THRESH = 0.8  # anomalib AiVadModel default; the shipped Ped2 config says 0.7


@dataclass(frozen=True)
class ExportConfig:
    box_score_thresh: float
    image_size: tuple[int, int] | None
    source: str


def _model_section(doc: dict) -> dict:
    model = doc.get("model") or {}
    if isinstance(model.get("init_args"), dict):
        return model["init_args"]
    return model


def load_config(path: str | Path | None) -> ExportConfig:
    if path is None:
        return ExportConfig(DEFAULT_BOX_SCORE_THRESH, None, "default")
    doc = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: not a YAML mapping")
    model = _model_section(doc)
    thresh = float(model.get("box_score_thresh", DEFAULT_BOX_SCORE_THRESH))
    if not 0.0 <= thresh <= 1.0:
        raise ValueError(f"{path}: model.box_score_thresh must be in [0, 1], got {thresh}")
    data = doc.get("dataset") or doc.get("data") or {}
    if isinstance(data.get("init_args"), dict):
        data = data["init_args"]
    size = data.get("image_size")
    if isinstance(size, int):
        size = (size, size)
    image_size = (int(size[0]), int(size[1])) if size else None
    return ExportConfig(thresh, image_size, str(path))
