"""vad_export: exports AI-VAD's four neural stages to the ONNX contracts of model-format.md.

One module per stage under `stages/` (regions, flow, pose, appearance), mirroring anomalib's
ai_vad layout; `weights.py` maps anomalib / torchvision / OpenAI-CLIP state dicts onto them,
`onnx_fixes.py` holds the measured exporter pitfalls, `export.py` runs an export and its check.
"""

__version__ = "0.1.0"
