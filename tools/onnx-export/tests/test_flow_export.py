"""Pitfalls of the RAFT export: grid_sample needs opset 16, and with frame-size (dynamic) inputs the
correlation scale becomes Sqrt(int64), which onnxruntime refuses. One flow update keeps it fast;
the graph structure (GridSample, CorrBlock, resizes) is the same as with 12."""
import pytest
import torch

from graph_utils import FLOAT, INT64, elem_types, io_summary, load, nodes
from vad_export.export import check_graph, export_module
from vad_export.stages import flow

SIZE = (48, 64)


@pytest.fixture(scope="session")
def one_update_flow():
    torch.manual_seed(0)
    return flow.FlowGraph(flow.build_raft(None), num_flow_updates=1).eval()


@pytest.fixture(scope="session")
def fixed_flow_onnx(workdir, one_update_flow):
    path = workdir / "flow_fixed.onnx"
    export_module("flow", one_update_flow, flow.example_inputs(*SIZE), path)
    return path


def test_grid_sample_fails_at_opset_11(workdir, one_update_flow):
    with pytest.raises(Exception, match="grid_sampler"):
        export_module("flow", one_update_flow, flow.example_inputs(*SIZE), workdir / "flow_op11.onnx", opset=11)


def test_flow_exports_at_opset_16_with_grid_sample(fixed_flow_onnx):
    model = check_graph(fixed_flow_onnx, "flow")
    assert {o.version for o in model.opset_import if o.domain in ("", "ai.onnx")} == {16}
    assert len(nodes(model, "GridSample")) == 4  # 4 pyramid levels x 1 update


def test_flow_graph_has_no_sqrt_on_int64(fixed_flow_onnx):
    model = load(fixed_flow_onnx)
    types = elem_types(model)
    assert all(types.get(n.input[0]) != INT64 for n in nodes(model, "Sqrt"))


TORCH_MAJOR = int(torch.__version__.split(".")[0])


# Measured with torch 1.13 (Debian, CI). torch 2.x's tracer casts the channel count to float before
# the Sqrt, so there the unpatched graph is already valid and the fix changes nothing.
@pytest.mark.skipif(TORCH_MAJOR >= 2, reason="torch >= 2 traces sqrt(num_channels) on float: no int64 Sqrt to show")
def test_without_the_fix_the_export_has_the_int64_sqrt_onnxruntime_refuses(workdir, one_update_flow):
    path = workdir / "flow_unpatched.onnx"
    export_module("flow", one_update_flow, flow.example_inputs(*SIZE), path, sqrt_fix=False)
    model = load(path)
    types = elem_types(model)
    assert any(types.get(n.input[0]) == INT64 for n in nodes(model, "Sqrt"))


def test_flow_contract_shapes(fixed_flow_onnx):
    model = load(fixed_flow_onnx)
    assert io_summary(model.graph.input) == [("frame1", FLOAT, [1, 3, "H", "W"]), ("frame2", FLOAT, [1, 3, "H", "W"])]
    assert io_summary(model.graph.output) == [("flow", FLOAT, [1, 2, "H", "W"])]
    # resize to 520x960 inside the graph, and back to H x W
    assert len(nodes(model, "Resize")) >= 3


def test_flow_graph_equals_anomalib_flow_extractor(one_update_flow):
    """Our wrapper (last prediction only, in-graph pre/post-processing) vs anomalib's FlowExtractor
    code path written with torchvision's own resize/transforms and RAFT.forward."""
    a, b = flow.example_inputs(*SIZE, seed=3)
    with torch.no_grad():
        ours = one_update_flow(a, b)
        ref = flow.anomalib_reference(lambda x, y: one_update_flow.raft(x, y, num_flow_updates=1), a, b)
    assert ours.shape == (1, 2, *SIZE)
    assert torch.allclose(ours, ref, atol=1e-5), (ours - ref).abs().max()
