import pytest

from vad_export.config import DEFAULT_BOX_SCORE_THRESH, load_config


def test_anomalib_v07_layout(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("dataset:\n  image_size: [240, 360]\nmodel:\n  name: ai_vad\n  box_score_thresh: 0.7\n")
    cfg = load_config(p)
    assert (cfg.box_score_thresh, cfg.image_size) == (0.7, (240, 360))


def test_anomalib_v1_init_args_layout(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("model:\n  class_path: anomalib.models.AiVad\n  init_args:\n    box_score_thresh: 0.65\ndata:\n  init_args:\n    image_size: 256\n")
    cfg = load_config(p)
    assert (cfg.box_score_thresh, cfg.image_size) == (0.65, (256, 256))


def test_missing_threshold_falls_back_to_the_class_default(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("model:\n  persons_only: true\n")
    assert load_config(p).box_score_thresh == DEFAULT_BOX_SCORE_THRESH == 0.8
    assert load_config(None).box_score_thresh == 0.8


def test_out_of_range_threshold_is_rejected(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("model:\n  box_score_thresh: 7\n")
    with pytest.raises(ValueError, match="box_score_thresh"):
        load_config(p)
