"""Where each stage's weights come from, and how their keys map onto our modules.

anomalib v0.7 `AiVadModel` (torch_model.py) owns the four networks as:
  flow_extractor.model.*                          torchvision raft_large (FlowExtractor.model)
  region_extractor.backbone.*                     torchvision maskrcnn_resnet50_fpn_v2 (RegionExtractor.backbone)
  feature_extractor.pose_extractor.model.*        torchvision keypointrcnn_resnet50_fpn (PoseExtractor.model);
      the same tensors appear again under pose_extractor.backbone.* / .roi_heads.* (aliases)
  feature_extractor.deep_extractor.encoder.*      OpenAI CLIP ViT-B/16 (DeepExtractor.encoder, full
      model: visual.* is the image tower, the text tower is unused)
A Lightning .ckpt holds that dict under "state_dict" with every key prefixed "model." (the
LightningModule's attribute); anomalib v1.x keeps the same attribute names. torchvision's own
files (`maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth`, `raft_large_C_T_SKHT_V2-ff5fadd5.pth`,
`keypointrcnn_resnet50_fpn_coco-fc266e95.pth`: the DEFAULT weights anomalib downloads) load
as-is, and OpenAI's `ViT-B-16.pt` is a TorchScript archive whose `visual.*` keys we keep.
"""
from __future__ import annotations

import fnmatch
import pickle
from pathlib import Path
from contextlib import contextmanager
from types import ModuleType

import torch

ANOMALIB_PREFIXES = {
    "regions": ["region_extractor.backbone."],
    "flow": ["flow_extractor.model."],
    # .model.* is the whole Keypoint R-CNN; the aliases carry the same tensors when only they exist
    "pose": ["feature_extractor.pose_extractor.model.", "feature_extractor.pose_extractor."],
    "appearance": ["feature_extractor.deep_extractor.encoder.visual."],
}
# Preference order: the exact DEFAULT file anomalib downloads, then any file of that architecture.
TORCHVISION_FILES = {
    "regions": ["maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth", "maskrcnn_resnet50_fpn_v2*.pth"],
    "flow": ["raft_large_C_T_SKHT_V2-ff5fadd5.pth", "raft_large*.pth"],
    "pose": ["keypointrcnn_resnet50_fpn_coco-fc266e95.pth", "keypointrcnn_resnet50_fpn*.pth"],
}
CLIP_VISUAL_PREFIX = "visual."


class WeightsError(Exception):
    pass


class _Stub:
    """Stands in for any class a checkpoint pickles that is not importable here (omegaconf,
    anomalib enums, Lightning callbacks ...): we only need the tensors."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        self.__dict__["_state"] = state

    def __call__(self, *args, **kwargs):
        return _Stub()


class _TolerantUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            return type(name, (_Stub,), {"__module__": module})


def _make_tolerant_pickle() -> ModuleType:
    mod = ModuleType("tolerant_pickle")
    mod.__dict__.update({k: v for k, v in pickle.__dict__.items() if not k.startswith("__")})
    mod.Unpickler = _TolerantUnpickler
    mod.load = lambda f, **kw: _TolerantUnpickler(f, **kw).load()
    return mod


_tolerant_pickle = _make_tolerant_pickle()


@contextmanager
def _tolerant_torch_load():
    """Debian's torch 1.13 ignores torch.load(pickle_module=...) (it resets it to `pickle` when
    weights_only is False), so the module torch.serialization uses is swapped for the call."""
    saved = torch.serialization.pickle
    torch.serialization.pickle = _tolerant_pickle
    try:
        yield
    finally:
        torch.serialization.pickle = saved


def load_file(path: str | Path) -> dict:
    """A flat name -> tensor dict from a .pth/.ckpt (torch.save) or a TorchScript archive."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: no such file")
    try:
        with _tolerant_torch_load():
            obj = torch.load(str(path), map_location="cpu", pickle_module=_tolerant_pickle)
    except Exception as first:  # OpenAI's CLIP files are TorchScript archives, not pickles
        try:
            obj = torch.jit.load(str(path), map_location="cpu")
        except Exception:
            raise WeightsError(f"{path}: not a torch checkpoint: {first}") from first
    if isinstance(obj, torch.jit.ScriptModule):
        obj = obj.state_dict()
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise WeightsError(f"{path}: expected a state dict, found {type(obj).__name__}")
    return {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}


def strip_model_prefix(sd: dict) -> dict:
    """A Lightning checkpoint prefixes the torch model's keys with "model."."""
    if any(k.startswith("model.") for k in sd) and not any(k.startswith(("flow_extractor.", "region_extractor.", "feature_extractor.")) for k in sd):
        return {k[len("model."):]: v for k, v in sd.items() if k.startswith("model.")}
    return sd


def anomalib_stage_dict(sd: dict, stage: str) -> dict | None:
    """The stage network's state dict out of an anomalib AiVadModel state dict, or None."""
    sd = strip_model_prefix(sd)
    for prefix in ANOMALIB_PREFIXES[stage]:
        sub = {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}
        if stage == "pose" and prefix.endswith("pose_extractor."):
            sub = {k: v for k, v in sub.items() if k.startswith(("backbone.", "roi_heads."))}
        if sub:
            return sub
    return None


def find_torchvision_file(directory: str | Path, stage: str) -> Path | None:
    files = sorted(p for p in Path(directory).iterdir() if p.is_file())
    for pattern in TORCHVISION_FILES.get(stage, []):
        matches = [p for p in files if fnmatch.fnmatch(p.name, pattern)]
        if matches:
            return matches[0]
    return None


def clip_visual_dict(sd: dict) -> dict:
    sub = {k[len(CLIP_VISUAL_PREFIX):]: v for k, v in sd.items() if k.startswith(CLIP_VISUAL_PREFIX)}
    if not sub:
        raise WeightsError("no visual.* tensors: not an OpenAI CLIP state dict")
    return sub


def resolve(stage: str, anomalib: dict | None, torchvision_dir: str | None, clip_file: str | None) -> tuple[dict | None, str]:
    """(state dict, where it came from) for one stage; anomalib's file wins over the others."""
    if anomalib is not None:
        sub = anomalib_stage_dict(anomalib, stage)
        if sub is not None:
            return sub, "anomalib:" + ANOMALIB_PREFIXES[stage][0]
    if stage == "appearance" and clip_file:
        return clip_visual_dict(load_file(clip_file)), f"clip:{clip_file}"
    if torchvision_dir and stage in TORCHVISION_FILES:
        found = find_torchvision_file(torchvision_dir, stage)
        if found is not None:
            return load_file(found), f"torchvision:{found}"
    raise WeightsError(
        f"no weights for stage {stage!r}: not in --weights under {ANOMALIB_PREFIXES[stage][0]}*, "
        + ("and no --clip-weights given" if stage == "appearance" else f"and no {TORCHVISION_FILES[stage][1]} in --torchvision-weights")
        + " (use --random-init for a test export)"
    )

