"""flow.onnx: anomalib's FlowExtractor, RAFT-large, with its pre/post-processing inside the graph.

frame1, frame2 [1,3,H,W] in [0,1] -> flow [1,2,H,W]: resize both to 520×960 (bilinear, no
antialias), 2x-1 (torchvision's OpticalFlow preset: Normalize(0.5, 0.5)), RAFT-large with 12 flow
updates keeping the last prediction, resize the flow back to H×W bilinear WITHOUT rescaling the
vectors (anomalib's units: 960×520 pixels). grid_sample needs opset 16; the int64 Sqrt fix is in
onnx_fixes.patched_raft_corr_scale (export must run inside it).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.optical_flow import raft_large
from torchvision.models.optical_flow._utils import make_coords_grid, upsample_flow

NAME = "flow"
FILE = "flow.onnx"
OPSET = 16
INPUT_NAMES = ["frame1", "frame2"]
OUTPUT_NAMES = ["flow"]
DYNAMIC_AXES = {"frame1": {2: "H", 3: "W"}, "frame2": {2: "H", 3: "W"}, "flow": {2: "H", 3: "W"}}
STATIC_OUTPUT_DIMS = {"flow": {0: 1, 1: 2}}  # the tracer leaves them symbolic after the last Resize
RAFT_SIZE = (520, 960)
NUM_FLOW_UPDATES = 12  # torchvision's default, which anomalib uses


def build_raft(state_dict: dict | None) -> nn.Module:
    model = raft_large(weights=None, progress=False)
    if state_dict is not None:
        model.load_state_dict(state_dict, strict=True)
    return model.eval()


class FlowGraph(nn.Module):
    """RAFT.forward restricted to the last prediction: same numbers as `raft(a, b)[-1]`, without
    the 11 unused convex-upsampling heads."""

    def __init__(self, raft: nn.Module, num_flow_updates: int = NUM_FLOW_UPDATES):
        super().__init__()
        self.raft = raft.eval()
        self.num_flow_updates = num_flow_updates

    def raft_last(self, image1: torch.Tensor, image2: torch.Tensor) -> torch.Tensor:
        r = self.raft
        batch_size, _, h, w = image1.shape
        fmaps = r.feature_encoder(torch.cat([image1, image2], dim=0))
        fmap1, fmap2 = torch.chunk(fmaps, chunks=2, dim=0)
        r.corr_block.build_pyramid(fmap1, fmap2)
        context_out = r.context_encoder(image1)
        hidden_size = r.update_block.hidden_state_size
        hidden_state, context = torch.split(context_out, [hidden_size, context_out.shape[1] - hidden_size], dim=1)
        hidden_state = torch.tanh(hidden_state)
        context = F.relu(context)
        coords0 = make_coords_grid(batch_size, h // 8, w // 8).to(fmap1.device)
        coords1 = make_coords_grid(batch_size, h // 8, w // 8).to(fmap1.device)
        for _ in range(self.num_flow_updates):
            corr_features = r.corr_block.index_pyramid(centroids_coords=coords1)
            hidden_state, delta_flow = r.update_block(hidden_state, context, corr_features, coords1 - coords0)
            coords1 = coords1 + delta_flow
        up_mask = None if r.mask_predictor is None else r.mask_predictor(hidden_state)
        return upsample_flow(flow=(coords1 - coords0), up_mask=up_mask)

    def forward(self, frame1: torch.Tensor, frame2: torch.Tensor) -> torch.Tensor:
        size = frame1.shape[-2:]
        a = F.interpolate(frame1, size=RAFT_SIZE, mode="bilinear", align_corners=False, antialias=False)
        b = F.interpolate(frame2, size=RAFT_SIZE, mode="bilinear", align_corners=False, antialias=False)
        flow = self.raft_last(2.0 * a - 1.0, 2.0 * b - 1.0)
        return F.interpolate(flow, size=size, mode="bilinear", align_corners=False, antialias=False)


def anomalib_reference(raft: nn.Module, frame1: torch.Tensor, frame2: torch.Tensor) -> torch.Tensor:
    """anomalib FlowExtractor.forward, written out with torchvision's own functions."""
    import torchvision.transforms.functional as TF
    from torchvision.models.optical_flow import Raft_Large_Weights

    h, w = frame1.shape[-2:]
    a = TF.resize(frame1, size=list(RAFT_SIZE), antialias=False)
    b = TF.resize(frame2, size=list(RAFT_SIZE), antialias=False)
    a, b = Raft_Large_Weights.DEFAULT.transforms()(a, b)
    with torch.no_grad():
        flows = raft(a, b)[-1]
    return TF.resize(flows, [h, w], antialias=False)


def build(state_dict: dict | None, num_flow_updates: int = NUM_FLOW_UPDATES, **_: object) -> nn.Module:
    return FlowGraph(build_raft(state_dict), num_flow_updates).eval()


def example_inputs(height: int, width: int, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(1, 3, height, width, generator=g), torch.rand(1, 3, height, width, generator=g))
