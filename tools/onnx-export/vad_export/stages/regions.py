"""regions.onnx: anomalib's RegionExtractor detector, Mask R-CNN ResNet50-FPN v2.

image [3,H,W] in [0,1] -> boxes [N,4] xyxy px, labels [N] int64, scores [N]. anomalib builds it with
`rpn_nms_thresh=0.3` and the config's `box_score_thresh`, which torchvision applies inside
postprocess_detections: the threshold becomes a constant of the graph, so it is read from the
user's config at export time. Masks are never consumed downstream: the mask branch is removed
after loading (same boxes/labels/scores, ~10 MB smaller, no N×H×W output).
"""
from __future__ import annotations

import torch
from torch import nn
from torchvision.models.detection import maskrcnn_resnet50_fpn_v2

NAME = "regions"
FILE = "regions.onnx"
OPSET = 11
INPUT_NAMES = ["image"]
OUTPUT_NAMES = ["boxes", "labels", "scores"]
DYNAMIC_AXES = {"image": {1: "H", 2: "W"}, "boxes": {0: "N"}, "labels": {0: "N"}, "scores": {0: "N"}}
RPN_NMS_THRESH = 0.3  # anomalib RegionExtractor


def build_detector(state_dict: dict | None, box_score_thresh: float) -> nn.Module:
    model = maskrcnn_resnet50_fpn_v2(
        weights=None, weights_backbone=None, box_score_thresh=box_score_thresh, rpn_nms_thresh=RPN_NMS_THRESH
    )
    if state_dict is not None:
        model.load_state_dict(state_dict, strict=True)
    return model.eval()


class RegionsGraph(nn.Module):
    def __init__(self, detector: nn.Module):
        super().__init__()
        # Dropping the mask branch makes roi_heads.has_mask() false: no mask pooling, no paste loop.
        detector.roi_heads.mask_roi_pool = None
        detector.roi_heads.mask_head = None
        detector.roi_heads.mask_predictor = None
        self.detector = detector.eval()

    def forward(self, image: torch.Tensor):
        out = self.detector([image])[0]
        return out["boxes"], out["labels"], out["scores"]


def build(state_dict: dict | None, box_score_thresh: float, **_: object) -> nn.Module:
    return RegionsGraph(build_detector(state_dict, box_score_thresh)).eval()


def example_inputs(height: int, width: int, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(3, height, width, generator=g),)
