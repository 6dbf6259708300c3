"""The pose wrapper reproduces anomalib's PoseExtractor (before _post_process) on given boxes."""
import torch

from vad_export.stages import pose


def test_pose_graph_equals_anomalib_pose_extractor():
    torch.manual_seed(0)
    model = pose.build_keypoint_rcnn(None)
    graph = pose.PoseGraph(model).eval()
    image, boxes = pose.example_inputs(72, 100, seed=5, num_boxes=3)
    with torch.no_grad():
        ours = graph(image, boxes)
        ref = pose.anomalib_reference(model, image, boxes)
    assert ours.shape == (3, 17, 3)
    assert torch.allclose(ours[..., :2], ref, atol=1e-4), (ours[..., :2] - ref).abs().max()
    # keypoints land inside the (given) boxes, in image pixels
    x, y = ours[..., 0], ours[..., 1]
    assert bool(((x >= boxes[:, None, 0] - 1) & (x <= boxes[:, None, 2] + 1) & (y >= boxes[:, None, 1] - 1) & (y <= boxes[:, None, 3] + 1)).all())
