"""Exporter pitfalls measured with torch 1.13 / torchvision 0.14 (docs/exporter-notes.md).

1. RoiAlign at opset >= 16: torchvision's symbolic never sets `coordinate_transformation_mode`,
   and ONNX defaults it to `half_pixel` (= aligned=True) from opset 16 on. Every RoIAlign in
   AI-VAD is aligned=False, so exports at opset >= 16 silently shift boxes by half a pixel
   (measured: CLIP features off by 0.145, Mask R-CNN 11 detections instead of 8). We replace the
   symbolic with one that writes the mode explicitly whenever the opset has the attribute.
2. RAFT's CorrBlock divides by `torch.sqrt(torch.tensor(num_channels))`; with dynamic input axes
   the tracer turns num_channels into a Cast(Shape) int64 tensor and onnxruntime refuses
   `Sqrt(int64)`. `patched_raft_corr_scale()` divides by a Python float instead.
"""
from __future__ import annotations

import contextlib
import inspect
import math
import warnings

import torch

# Opset from which ONNX RoiAlign has `coordinate_transformation_mode` (default half_pixel).
ROI_ALIGN_MODE_OPSET = 16

_state = {"half_pixel_fix": True, "registered": False}


# ONNX TensorProto.INT64, the dtype RoiAlign wants for batch indices.
_ONNX_INT64 = 7


def _current_opset(g) -> int:
    """The opset being exported: the graph context knows it (torch >= 1.13); older builds keep it
    in a module global whose home moved between releases."""
    opset = getattr(g, "opset", None)
    if opset is not None:
        return int(opset)
    from torch.onnx._globals import GLOBALS

    return int(GLOBALS.export_onnx_opset_version)


def torchscript_export(*args, **kwargs) -> None:
    """torch.onnx.export through the TorchScript exporter on every torch release.

    torch >= 2.9 defaults to the dynamo exporter, which ignores custom symbolics (the RoiAlign fix),
    needs opset >= 18 and cannot trace torchvision's R-CNNs with dynamic box counts; older releases
    have no `dynamo` argument at all, so it is passed only where it exists.
    """
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs.setdefault("dynamo", False)
    with warnings.catch_warnings():
        # torch >= 2.9 warns that the TorchScript exporter is deprecated; it is the one that
        # honours the symbolics these networks need.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        torch.onnx.export(*args, **kwargs)


def register_roi_align_symbolic() -> None:
    """Registers our torchvision::roi_align symbolic (idempotent; replaces torchvision's).

    Written with plain ONNX ops (Gather, Cast) rather than torch's private symbolic helpers, which
    were renamed or removed between torch 1.13 and 2.x.
    """
    if _state["registered"]:
        return
    import torchvision.ops  # noqa: F401  (registers torchvision's own symbolics first, so ours wins)
    from torch.onnx import register_custom_op_symbolic
    from torch.onnx.symbolic_helper import parse_args

    @parse_args("v", "v", "f", "i", "i", "i", "i")
    def roi_align(g, input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned):
        # rois is [K, 5] = (batch index, x1, y1, x2, y2); a scalar Gather index drops the axis.
        first = g.op("Constant", value_t=torch.tensor(0, dtype=torch.long))
        batch_indices = g.op("Cast", g.op("Gather", rois, first, axis_i=1), to_i=_ONNX_INT64)
        rois = g.op("Gather", rois, g.op("Constant", value_t=torch.tensor([1, 2, 3, 4], dtype=torch.long)), axis_i=1)
        # ONNX has no negative sampling ratio; 0 means adaptive there, as -1 does in torchvision.
        sampling_ratio = max(sampling_ratio, 0)
        attrs = dict(
            spatial_scale_f=spatial_scale,
            output_height_i=pooled_height,
            output_width_i=pooled_width,
            sampling_ratio_i=sampling_ratio,
        )
        if _current_opset(g) >= ROI_ALIGN_MODE_OPSET:
            if _state["half_pixel_fix"]:
                attrs["coordinate_transformation_mode_s"] = "half_pixel" if aligned else "output_half_pixel"
            # else: torchvision 0.14 behaviour, kept only so the tests can show the bug it causes
        elif aligned:
            raise RuntimeError("roi_align(aligned=True) needs opset >= 16 (coordinate_transformation_mode)")
        return g.op("RoiAlign", input, rois, batch_indices, **attrs)

    # Registered at 16 too: torchvision >= 0.15 ships its own opset-16 symbolic, which would
    # otherwise win at opset >= 16 and make the fix's on/off switch (and its test) meaningless.
    for opset in (11, ROI_ALIGN_MODE_OPSET):
        register_custom_op_symbolic("torchvision::roi_align", roi_align, opset)
    _state["registered"] = True


@contextlib.contextmanager
def roi_align_half_pixel_fix(enabled: bool = True):
    """Within the block, exports use (enabled) or skip (torchvision 0.14's bug) the mode fix."""
    register_roi_align_symbolic()
    before = _state["half_pixel_fix"]
    _state["half_pixel_fix"] = enabled
    try:
        yield
    finally:
        _state["half_pixel_fix"] = before


@contextlib.contextmanager
def patched_raft_corr_scale(enabled: bool = True):
    """Divides RAFT's correlation volume by a float constant instead of sqrt(int64 tensor)."""
    from torchvision.models.optical_flow import raft as raft_module

    original = raft_module.CorrBlock._compute_corr_volume

    def _compute_corr_volume(self, fmap1, fmap2):
        batch_size, num_channels, h, w = fmap1.shape
        fmap1 = fmap1.view(batch_size, num_channels, h * w)
        fmap2 = fmap2.view(batch_size, num_channels, h * w)
        corr = torch.matmul(fmap1.transpose(1, 2), fmap2)
        corr = corr.view(batch_size, h, w, 1, h, w)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # int(): the channel count is fixed by the architecture
            return corr / math.sqrt(int(num_channels))

    if enabled:
        raft_module.CorrBlock._compute_corr_volume = _compute_corr_volume
    try:
        yield
    finally:
        raft_module.CorrBlock._compute_corr_volume = original
