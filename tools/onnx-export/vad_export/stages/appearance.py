"""appearance.onnx: anomalib's DeepExtractor, RoIAlign 224×224 -> CLIP normalisation -> ViT-B/16.

image [1,3,H,W] in [0,1], boxes [M,4] xyxy px -> features [M,512], `encode_image` output, not
L2-normalised. roi_align as anomalib calls it: spatial_scale 1, sampling_ratio -1 (adaptive),
aligned=False (ONNX `output_half_pixel`, which onnx_fixes writes explicitly at opset >= 16).
M = 0 is not supported by the graph (CLIP's reshape); the pipeline skips the call then.
"""
from __future__ import annotations

import torch
from torch import nn
from torchvision.ops import roi_align

from ..clip_visual import VisionTransformer, init_like_clip, vit_b_16

NAME = "appearance"
FILE = "appearance.onnx"
OPSET = 14
INPUT_NAMES = ["image", "boxes"]
OUTPUT_NAMES = ["features"]
DYNAMIC_AXES = {"image": {2: "H", 3: "W"}, "boxes": {0: "M"}, "features": {0: "M"}}
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
CROP = 224


class RoiCrop(nn.Module):
    """roi_align to 224×224 + CLIP normalisation: the part of the graph the half-pixel fix guards."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(CLIP_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(CLIP_STD).view(1, 3, 1, 1))

    def forward(self, image: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        crops = roi_align(image, [boxes], output_size=[CROP, CROP], spatial_scale=1.0, sampling_ratio=-1, aligned=False)
        return (crops - self.mean) / self.std


class AppearanceGraph(nn.Module):
    def __init__(self, visual: VisionTransformer):
        super().__init__()
        self.crop = RoiCrop()
        self.visual = visual.eval()

    def forward(self, image: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        return self.visual(self.crop(image, boxes))


def build_visual(state_dict: dict | None) -> VisionTransformer:
    visual = vit_b_16()
    if state_dict is None:
        init_like_clip(visual)
    else:
        visual.load_state_dict({k: v.float() for k, v in state_dict.items()}, strict=True)
    return visual.eval()


def build(state_dict: dict | None, **_: object) -> nn.Module:
    return AppearanceGraph(build_visual(state_dict)).eval()


def example_inputs(height: int, width: int, seed: int = 1, num_boxes: int = 2):
    from .pose import example_boxes

    g = torch.Generator().manual_seed(seed)
    return (torch.rand(1, 3, height, width, generator=g), example_boxes(height, width, num_boxes, g))
