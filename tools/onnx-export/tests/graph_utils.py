"""Small readers over exported ONNX graphs, for the pitfall tests."""
import onnx
from onnx import TensorProto, numpy_helper


def load(path):
    return onnx.load(str(path), load_external_data=False)


def nodes(model, op_type):
    return [n for n in model.graph.node if n.op_type == op_type]


def attr(node, name):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return None


def constants(model):
    """name -> numpy value for Constant nodes and initializers."""
    out = {n.output[0]: numpy_helper.to_array(attr(n, "value")) for n in nodes(model, "Constant") if attr(n, "value") is not None}
    out.update({i.name: numpy_helper.to_array(i) for i in model.graph.initializer})
    return out


def elem_types(model):
    """value name -> ONNX element type, after shape inference."""
    inferred = onnx.shape_inference.infer_shapes(model)
    g = inferred.graph
    types = {}
    for v in list(g.value_info) + list(g.input) + list(g.output):
        types[v.name] = v.type.tensor_type.elem_type
    for n in g.node:
        if n.op_type == "Cast":
            types[n.output[0]] = attr(n, "to")
    for name, value in constants(model).items():
        types.setdefault(name, onnx.helper.np_dtype_to_tensor_dtype(value.dtype) if hasattr(onnx.helper, "np_dtype_to_tensor_dtype") else onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[value.dtype])
    return types


def io_summary(values):
    return [(v.name, v.type.tensor_type.elem_type, [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]) for v in values]


INT64 = TensorProto.INT64
FLOAT = TensorProto.FLOAT
