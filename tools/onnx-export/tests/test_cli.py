"""CLI argument handling that must fail before any export work starts."""
import torch

from vad_export.__main__ import main


def test_unknown_stage_is_rejected(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--stages", "regions,masks", "--random-init"]) == 2
    assert "masks" in capsys.readouterr().err


def test_missing_weights_for_a_stage_names_what_to_pass(tmp_path, capsys):
    w = tmp_path / "density_only.pth"
    torch.save({"density_estimator.velocity_estimator.mean": torch.zeros(2)}, w)
    assert main(["--weights", str(w), "--out", str(tmp_path / "o"), "--stages", "appearance"]) == 2
    err = capsys.readouterr().err
    assert "feature_extractor.deep_extractor.encoder.visual." in err and "--clip-weights" in err
    assert not (tmp_path / "o" / "appearance.onnx").exists()


def test_unreadable_weights_file(tmp_path, capsys):
    w = tmp_path / "broken.ckpt"
    w.write_bytes(b"not a checkpoint")
    assert main(["--weights", str(w), "--out", str(tmp_path / "o")]) == 2
    assert "not a torch checkpoint" in capsys.readouterr().err
