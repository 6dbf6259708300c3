"""Names, dynamic axes and opsets per network, as model-format.md and exporter-notes.md say."""
import pytest

from vad_export.stages import ORDER, STAGES

CONTRACT = {
    "regions": (["image"], ["boxes", "labels", "scores"]),
    "flow": (["frame1", "frame2"], ["flow"]),
    "pose": (["image", "boxes"], ["keypoints"]),
    "appearance": (["image", "boxes"], ["features"]),
}
# R-CNNs 11 (RoiAlign without the opset-16 mode trap), RAFT 16 (GridSample), CLIP 14.
OPSETS = {"regions": 11, "flow": 16, "pose": 11, "appearance": 14}


@pytest.mark.parametrize("stage", ORDER)
def test_stage_io_names_match_the_model_format_contract(stage):
    s = STAGES[stage]
    assert (s.INPUT_NAMES, s.OUTPUT_NAMES) == CONTRACT[stage]
    assert s.FILE == f"{stage}.onnx"
    assert set(s.DYNAMIC_AXES) == set(s.INPUT_NAMES) | set(s.OUTPUT_NAMES)


@pytest.mark.parametrize("stage", ORDER)
def test_each_network_exports_at_its_own_opset(stage):
    assert STAGES[stage].OPSET == OPSETS[stage]


def test_dynamic_axis_names():
    assert STAGES["regions"].DYNAMIC_AXES["image"] == {1: "H", 2: "W"}
    assert STAGES["regions"].DYNAMIC_AXES["boxes"] == {0: "N"}
    assert STAGES["flow"].DYNAMIC_AXES["flow"] == {2: "H", 3: "W"}
    assert STAGES["pose"].DYNAMIC_AXES["boxes"] == {0: "M"}
    assert STAGES["appearance"].DYNAMIC_AXES["image"] == {2: "H", 3: "W"}
    assert STAGES["appearance"].DYNAMIC_AXES["features"] == {0: "M"}
