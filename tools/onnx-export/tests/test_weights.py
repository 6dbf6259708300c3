"""anomalib AI-VAD state dict -> stage networks, from a synthetic, randomly initialised
AiVadModel-style dict saved with torch.save as .pth and as a Lightning-style .ckpt."""
import sys
import types

import pytest
import torch

from vad_export import weights
from vad_export.stages import appearance, flow, pose, regions


@pytest.fixture(scope="session")
def networks():
    torch.manual_seed(0)
    det = regions.build_detector(None, 0.8)
    raft = flow.build_raft(None)
    kp = pose.build_keypoint_rcnn(None)
    visual = appearance.build_visual(None)
    return {"regions": det, "flow": raft, "pose": kp, "appearance": visual}


def anomalib_like(networks):
    """The key layout of anomalib v0.7 AiVadModel.state_dict() (torch_model.py, regions.py,
    flow.py, features.py), including PoseExtractor's aliases and CLIP's text tower."""
    sd = {}
    sd.update({f"region_extractor.backbone.{k}": v for k, v in networks["regions"].state_dict().items()})
    sd.update({f"flow_extractor.model.{k}": v for k, v in networks["flow"].state_dict().items()})
    kp = networks["pose"]
    sd.update({f"feature_extractor.pose_extractor.model.{k}": v for k, v in kp.state_dict().items()})
    sd.update({f"feature_extractor.pose_extractor.backbone.{k}": v for k, v in kp.backbone.state_dict().items()})
    sd.update({f"feature_extractor.pose_extractor.roi_heads.{k}": v for k, v in kp.roi_heads.state_dict().items()})
    sd.update({f"feature_extractor.deep_extractor.encoder.visual.{k}": v.half() for k, v in networks["appearance"].state_dict().items()})
    sd["feature_extractor.deep_extractor.encoder.token_embedding.weight"] = torch.zeros(4, 2)
    sd["feature_extractor.deep_extractor.encoder.logit_scale"] = torch.tensor(4.6)
    sd["density_estimator.velocity_estimator.mean"] = torch.zeros(3)
    return sd


@pytest.fixture(scope="session")
def saved_files(tmp_path_factory, networks):
    d = tmp_path_factory.mktemp("weights")
    sd = anomalib_like(networks)
    pth = d / "ai_vad_weights.pth"
    torch.save(sd, pth)
    # A Lightning checkpoint pickles more than tensors: here an object of a class that will not be
    # importable when the exporter loads it (as omegaconf / anomalib classes are on a bare system).
    fake = types.ModuleType("anomalib_fake_module")

    class HParams:
        def __init__(self):
            self.box_score_thresh = 0.7

    HParams.__module__ = "anomalib_fake_module"
    HParams.__qualname__ = "HParams"
    fake.HParams = HParams
    sys.modules["anomalib_fake_module"] = fake
    try:
        ckpt = d / "model.ckpt"
        torch.save({"state_dict": {f"model.{k}": v for k, v in sd.items()}, "hyper_parameters": HParams(), "epoch": 1}, ckpt)
    finally:
        del sys.modules["anomalib_fake_module"]
    return {"pth": pth, "ckpt": ckpt}


@pytest.fixture(scope="session")
def loaded(saved_files):
    return {kind: weights.load_file(path) for kind, path in saved_files.items()}


PROBES = {
    "regions": ("detector.backbone.body.conv1.weight", "backbone.body.conv1.weight"),
    "flow": ("raft.feature_encoder.convnormrelu.0.weight", "feature_encoder.convnormrelu.0.weight"),
    "pose": ("roi_heads.keypoint_predictor.kps_score_lowres.weight", "roi_heads.keypoint_predictor.kps_score_lowres.weight"),
    "appearance": ("visual.transformer.resblocks.11.attn.in_proj_weight", "transformer.resblocks.11.attn.in_proj_weight"),
}


@pytest.mark.parametrize("kind", ["pth", "ckpt"])
@pytest.mark.parametrize("stage", ["regions", "flow", "pose", "appearance"])
def test_anomalib_weights_load_into_each_stage(loaded, networks, kind, stage):
    sd = loaded[kind]
    state, source = weights.resolve(stage, sd, None, None)
    assert source.startswith("anomalib:")
    module = {"regions": regions, "flow": flow, "pose": pose, "appearance": appearance}[stage].build(state, box_score_thresh=0.7)
    ours, theirs = PROBES[stage]
    got = dict(module.named_parameters())[ours]
    want = networks[stage].state_dict()[theirs].float()
    if stage == "appearance":
        want = want.half().float()  # stored fp16 as OpenAI ships it; loaded as fp32
    assert torch.equal(got, want)


def test_pose_from_aliases_only(networks):
    kp = networks["pose"]
    sd = {f"feature_extractor.pose_extractor.backbone.{k}": v for k, v in kp.backbone.state_dict().items()}
    sd.update({f"feature_extractor.pose_extractor.roi_heads.{k}": v for k, v in kp.roi_heads.state_dict().items()})
    state, _ = weights.resolve("pose", sd, None, None)
    graph = pose.build(state)  # everything the pose graph runs must be loaded; only the RPN may be absent
    assert torch.equal(graph.roi_heads.keypoint_head[0].weight, kp.roi_heads.keypoint_head[0].weight)
    del sd["feature_extractor.pose_extractor.roi_heads.keypoint_predictor.kps_score_lowres.weight"]
    with pytest.raises(RuntimeError, match="kps_score_lowres"):
        pose.build(weights.resolve("pose", sd, None, None)[0])


def test_missing_stage_names_the_prefix_it_looked_for():
    with pytest.raises(weights.WeightsError, match="flow_extractor.model."):
        weights.resolve("flow", {"region_extractor.backbone.x": torch.zeros(1)}, None, None)


def test_torchvision_and_clip_files(tmp_path, networks):
    torch.save(networks["flow"].state_dict(), tmp_path / "raft_large_C_T_SKHT_V2-ff5fadd5.pth")
    state, source = weights.resolve("flow", None, str(tmp_path), None)
    assert "raft_large_C_T_SKHT_V2" in source
    flow.build(state)
    clip_sd = {f"visual.{k}": v.half() for k, v in networks["appearance"].state_dict().items()}
    clip_sd["positional_embedding"] = torch.zeros(77, 512)  # text tower keys are ignored
    torch.save(clip_sd, tmp_path / "ViT-B-16.pt")
    state, source = weights.resolve("appearance", None, None, str(tmp_path / "ViT-B-16.pt"))
    appearance.build(state)


def test_torchvision_default_file_is_preferred_over_other_versions(tmp_path):
    for name in ["keypointrcnn_resnet50_fpn_coco-9f466800.pth", "keypointrcnn_resnet50_fpn_coco-fc266e95.pth"]:
        (tmp_path / name).write_bytes(b"")
    assert weights.find_torchvision_file(tmp_path, "pose").name == "keypointrcnn_resnet50_fpn_coco-fc266e95.pth"
