"""pose.onnx: anomalib's PoseExtractor, Keypoint R-CNN ResNet50-FPN run on *given* boxes.

image [3,H,W] in [0,1], boxes [M,4] xyxy px -> keypoints [M,17,3] (x, y, score), x/y in image px.
As anomalib does: GeneralizedRCNNTransform (normalise, resize to a shorter side of 800, pad),
backbone, boxes scaled by [sh, sw, sh, sw] (anomalib's h/w order, harmless: the resize is
isotropic up to rounding), keypoint RoI pool -> head -> predictor, heatmaps_to_keypoints, and the
keypoints mapped back like `transform.postprocess`. The RPN and box head are not in the graph.
Column 2 is the keypoint's heatmap score (anomalib's tensor holds 1 there and never reads it).
"""
from __future__ import annotations

import torch
from torch import nn
from torchvision.models.detection import keypointrcnn_resnet50_fpn
from torchvision.models.detection.roi_heads import keypointrcnn_inference
from torchvision.models.detection.transform import resize_keypoints

NAME = "pose"
FILE = "pose.onnx"
OPSET = 11
INPUT_NAMES = ["image", "boxes"]
OUTPUT_NAMES = ["keypoints"]
DYNAMIC_AXES = {"image": {1: "H", 2: "W"}, "boxes": {0: "M"}, "keypoints": {0: "M"}}
STATIC_OUTPUT_DIMS = {"keypoints": {1: 17}}  # the tracer leaves it symbolic


def build_keypoint_rcnn(state_dict: dict | None) -> nn.Module:
    model = keypointrcnn_resnet50_fpn(weights=None, weights_backbone=None, progress=False)
    if state_dict is not None:
        # anomalib's PoseExtractor aliases (.backbone/.roi_heads) carry everything but the RPN,
        # which the pose graph never runs: only RPN keys may be missing.
        missing, unexpected = model.load_state_dict(state_dict, strict=False)
        bad = [k for k in missing if not k.startswith("rpn.")]
        if bad or unexpected:
            raise RuntimeError(f"Keypoint R-CNN state dict: missing {bad[:5]}, unexpected {list(unexpected)[:5]}")
    return model.eval()


def _size_ratio(new: object, orig: object) -> torch.Tensor:
    # torch.tensor on traced sizes keeps them symbolic (as torchvision's resize_boxes does).
    return torch.tensor(new, dtype=torch.float32) / torch.tensor(orig, dtype=torch.float32)


class PoseGraph(nn.Module):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.transform = model.transform
        self.backbone = model.backbone
        self.roi_heads = model.roi_heads
        self.eval()

    def forward(self, image: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        orig_h, orig_w = image.shape[-2:]
        images, _ = self.transform([image])
        features = self.backbone(images.tensors)
        new_h, new_w = images.image_sizes[0]
        sh, sw = _size_ratio(new_h, orig_h), _size_ratio(new_w, orig_w)
        scaled = boxes * torch.stack([sh, sw, sh, sw])  # anomalib: scale.repeat(2) with scale = [sh, sw]
        pooled = self.roi_heads.keypoint_roi_pool(features, [scaled], images.image_sizes)
        logits = self.roi_heads.keypoint_predictor(self.roi_heads.keypoint_head(pooled))
        kp_probs, kp_scores = keypointrcnn_inference(logits, [scaled])
        kp = resize_keypoints(kp_probs[0], [new_h, new_w], [orig_h, orig_w])
        return torch.cat([kp[..., :2], kp_scores[0].unsqueeze(-1).to(kp.dtype)], dim=-1)


def anomalib_reference(model: nn.Module, image: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """anomalib PoseExtractor.forward up to (not including) _post_process, batch of one; x, y only."""
    batch = image.unsqueeze(0)
    images, _ = model.transform(batch)
    features = model.backbone(images.tensors)
    image_sizes = [b.shape[-2:] for b in batch]
    scales = [torch.Tensor(new) / torch.Tensor([o[0], o[1]]) for o, new in zip(image_sizes, images.image_sizes)]
    bl = [boxes * scales[0].repeat(2)]
    feats = model.roi_heads.keypoint_roi_pool(features, bl, images.image_sizes)
    feats = model.roi_heads.keypoint_head(feats)
    logits = model.roi_heads.keypoint_predictor(feats)
    kp_probs, _ = keypointrcnn_inference(logits, bl)
    det = model.transform.postprocess([{"keypoints": kp_probs[0], "boxes": bl[0]}], images.image_sizes, image_sizes)
    return det[0]["keypoints"][..., :2]


def build(state_dict: dict | None, **_: object) -> nn.Module:
    return PoseGraph(build_keypoint_rcnn(state_dict)).eval()


def example_inputs(height: int, width: int, seed: int = 1, num_boxes: int = 3):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(3, height, width, generator=g), example_boxes(height, width, num_boxes, g))


def example_boxes(height: int, width: int, num_boxes: int, g: torch.Generator) -> torch.Tensor:
    xy = torch.rand(num_boxes, 2, generator=g) * torch.tensor([width * 0.6, height * 0.6])
    wh = (0.2 + 0.2 * torch.rand(num_boxes, 2, generator=g)) * torch.tensor([width, height])
    return torch.cat([xy, xy + wh], dim=1)
