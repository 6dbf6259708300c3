"""One module per AI-VAD stage network, each exposing the same small surface:

NAME, FILE, OPSET, INPUT_NAMES, OUTPUT_NAMES, DYNAMIC_AXES,
build(state_dict | None, **options) -> eval nn.Module returning the contract outputs,
example_inputs(height, width, ...) -> inputs used to trace.
"""
from . import appearance, flow, pose, regions

STAGES = {m.NAME: m for m in (regions, flow, pose, appearance)}
ORDER = ("regions", "flow", "pose", "appearance")
