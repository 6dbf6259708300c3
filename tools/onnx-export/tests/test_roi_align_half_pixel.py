"""Pitfall: torchvision 0.14's RoiAlign symbolic leaves coordinate_transformation_mode unset, which
ONNX reads as half_pixel (= aligned=True) from opset 16: boxes silently shift by half a pixel."""
import onnx
import pytest
import torch

from graph_utils import attr, load, nodes
from vad_export.clip_visual import VisionTransformer
from vad_export.export import check_graph, export_module
from vad_export.onnx_fixes import roi_align_half_pixel_fix, torchscript_export
from vad_export.stages.appearance import AppearanceGraph, RoiCrop


def _export_crop(path, opset, fix):
    image = torch.rand(1, 3, 40, 56)
    boxes = torch.tensor([[3.2, 4.7, 30.1, 33.9]])
    with torch.no_grad(), roi_align_half_pixel_fix(fix):
        torchscript_export(RoiCrop().eval(), (image, boxes), str(path), opset_version=opset, input_names=["image", "boxes"], output_names=["crops"])
    onnx.checker.check_model(str(path))
    (node,) = nodes(load(path), "RoiAlign")
    return node


@pytest.mark.parametrize("opset", [16, 17])
def test_fix_writes_output_half_pixel_at_opset_16_and_later(workdir, opset):
    node = _export_crop(workdir / f"crop{opset}.onnx", opset, fix=True)
    assert attr(node, "coordinate_transformation_mode") == b"output_half_pixel"
    assert attr(node, "sampling_ratio") == 0  # torchvision's -1 (adaptive) is ONNX's 0
    assert (attr(node, "output_height"), attr(node, "output_width")) == (224, 224)


def test_without_the_fix_the_mode_is_missing_so_onnx_would_use_half_pixel(workdir):
    node = _export_crop(workdir / "crop16_nofix.onnx", 16, fix=False)
    assert attr(node, "coordinate_transformation_mode") is None


def test_below_opset_16_the_attribute_does_not_exist_and_is_not_written(workdir):
    node = _export_crop(workdir / "crop14.onnx", 14, fix=True)
    assert attr(node, "coordinate_transformation_mode") is None


def test_appearance_export_path_applies_the_fix(workdir):
    # The real export function on the real graph layout, with a tiny ViT so the test stays fast.
    torch.manual_seed(0)
    graph = AppearanceGraph(VisionTransformer(224, 16, 32, 1, 2, 8)).eval()
    image, boxes = torch.rand(1, 3, 48, 64), torch.tensor([[2.0, 3.0, 40.0, 44.0], [10.5, 0.0, 60.0, 30.0]])
    path = workdir / "appearance_tiny_op17.onnx"
    export_module("appearance", graph, (image, boxes), path, opset=17)
    check_graph(path, "appearance")
    (node,) = nodes(load(path), "RoiAlign")
    assert attr(node, "coordinate_transformation_mode") == b"output_half_pixel"
