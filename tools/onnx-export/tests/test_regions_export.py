"""regions.onnx: box_score_thresh baked from the user's config, no masks, contract outputs."""
import numpy as np
import pytest
import torch

from graph_utils import FLOAT, INT64, constants, io_summary, load, nodes
from vad_export.config import load_config
from vad_export.export import check_graph, export_module
from vad_export.stages import regions


def _config(tmp, name, thresh):
    p = tmp / name
    p.write_text(f"dataset:\n  image_size: [64, 96]\nmodel:\n  box_score_thresh: {thresh}\n  persons_only: false\n")
    return p


@pytest.fixture(scope="session")
def regions_onnx(workdir):
    cfg = load_config(_config(workdir, "cfg055.yaml", 0.55))
    torch.manual_seed(0)
    module = regions.build(None, box_score_thresh=cfg.box_score_thresh)
    path = workdir / "regions.onnx"
    export_module("regions", module, regions.example_inputs(64, 96), path)
    return path


def _greater_thresholds(model):
    consts = constants(model)
    found = []
    for n in nodes(model, "Greater"):
        for i in n.input:
            v = consts.get(i)
            if v is not None and v.size == 1 and v.dtype == np.float32:
                found.append(round(float(v), 6))
    return found


def test_box_score_thresh_from_config_is_baked_into_the_graph(regions_onnx):
    thresholds = _greater_thresholds(load(regions_onnx))
    assert 0.55 in thresholds
    assert 0.8 not in thresholds  # not anomalib's class default


def test_two_configs_give_two_detectors(workdir):
    a = load_config(_config(workdir, "a.yaml", 0.3)).box_score_thresh
    b = load_config(_config(workdir, "b.yaml", 0.9)).box_score_thresh
    ra, rb = regions.build(None, box_score_thresh=a), regions.build(None, box_score_thresh=b)
    assert (ra.detector.roi_heads.score_thresh, rb.detector.roi_heads.score_thresh) == (0.3, 0.9)
    assert ra.detector.rpn.nms_thresh == 0.3  # anomalib's rpn_nms_thresh


def test_regions_has_no_masks_output_and_no_mask_branch(regions_onnx):
    model = check_graph(regions_onnx, "regions")
    assert [o.name for o in model.graph.output] == ["boxes", "labels", "scores"]
    assert not [n for n in model.graph.node if "mask" in n.name.lower()]
    assert not [i for i in model.graph.initializer if "mask" in i.name.lower()]


def test_regions_contract_ranks_types_and_opset(regions_onnx):
    model = load(regions_onnx)
    assert io_summary(model.graph.input) == [("image", FLOAT, [3, "H", "W"])]
    assert io_summary(model.graph.output) == [("boxes", FLOAT, ["N", 4]), ("labels", INT64, ["N"]), ("scores", FLOAT, ["N"])]
    assert {o.version for o in model.opset_import if o.domain in ("", "ai.onnx")} == {11}
    assert nodes(model, "RoiAlign")  # MultiScaleRoIAlign, exported below opset 16 on purpose


def test_mask_weights_still_load_strictly_before_the_branch_is_dropped():
    torch.manual_seed(0)
    full = regions.build_detector(None, 0.7)
    sd = full.state_dict()
    assert any(k.startswith("roi_heads.mask_head.") for k in sd)
    graph = regions.build(sd, box_score_thresh=0.7)  # strict load of an anomalib-style full dict
    assert graph.detector.roi_heads.has_mask() is False
