#!/usr/bin/python3
"""Variant golden cases for the AI-VAD math: the format of ../shared/golden (README there), other
parameters and sizes, computed with the reference libraries themselves.

The shipped golden set fixes one parameter choice per kind (7x7/14x14 RoIAlign, 1 and 8 velocity
bins, 3x3 blur, k = 1 and 3, …); users' models and other golden sets use others. These cases cover
aligned RoIAlign, sampling ratios, spatial scales, non-square outputs, other bin counts, kernel
sizes and thresholds, k values, mixture sizes, odd frame sizes, size ratios that are not exact in
float32, empty inputs, near-ties. Files over MAX_BYTES are not written, so the committed set stays
small; `cases/` is what `npx nx run vad-core:golden -- --dir tools/golden-variants/cases` and the
vad-core tests evaluate.

Run with Debian's python (torch 1.13, torchvision 0.14, scikit-learn 1.2, OpenCV 4.6:
`apt-get install python3-torch python3-torchvision python3-sklearn python3-opencv`):
    /usr/bin/python3 tools/golden-variants/gen.py            # self-check against the shipped cases, then write cases/
    /usr/bin/python3 tools/golden-variants/gen.py --check    # self-check only
"""
import collections
import glob
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision.ops import roi_align, clip_boxes_to_image, masks_to_boxes
import torchvision.transforms.functional as TF
from sklearn.mixture import GaussianMixture

try:
    import cv2
except ImportError:  # pragma: no cover
    cv2 = None

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED = os.environ.get('VAD_GOLDEN_DIR', os.path.join(HERE, '..', '..', '..', 'shared', 'golden'))
OUT = os.path.join(HERE, 'cases')
# Larger cases (full-size frames) are left out of the committed set; the small ones cover the same rules.
MAX_BYTES = 400_000
torch.set_num_threads(8)


# ----------------------------------------------------------------------------------------- format
def arr(x, dtype):
    x = np.asarray(x)
    if dtype == 'float32':
        data = [float(str(v)) for v in x.astype(np.float32).ravel()]  # shortest float32 repr
    elif dtype == 'int64':
        data = [int(v) for v in x.astype(np.int64).ravel()]
    else:
        raise ValueError(dtype)
    return {'shape': [int(s) for s in x.shape], 'dtype': dtype, 'data': data}


def A(a, dt=np.float32):
    return np.array(a['data'], dtype=np.float64).astype(dt).reshape(a['shape'])


def case(kind, params, inputs, expected, tol):
    return {'kind': kind, 'params': params, 'inputs': inputs, 'expected': expected, 'tolerance': tol}


# ----------------------------------------------------------------------------- reference functions
def ref_roi_align(inp, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    x = torch.from_numpy(np.ascontiguousarray(inp, dtype=np.float32))[None]
    b = torch.from_numpy(np.ascontiguousarray(boxes, dtype=np.float32)).reshape(-1, 4)
    out = roi_align(x, [b], output_size=list(output_size), spatial_scale=spatial_scale,
                    sampling_ratio=sampling_ratio, aligned=aligned)
    return out.numpy()


def ref_velocity(flow, boxes, n_bins):
    """anomalib v0.7 VelocityExtractor."""
    flows = torch.from_numpy(np.ascontiguousarray(flow, dtype=np.float32))[None]
    b = torch.from_numpy(np.ascontiguousarray(boxes, dtype=np.float32)).reshape(-1, 4)
    rois = roi_align(flows, [b], output_size=[224, 224])
    feats = []
    for f in rois:
        mag = torch.sqrt(f[0] ** 2 + f[1] ** 2)
        ang = torch.atan2(f[0], f[1])
        hv = torch.histogram(ang, bins=n_bins, range=(-math.pi, math.pi), weight=mag).hist
        ha = torch.histogram(ang, bins=n_bins, range=(-math.pi, math.pi)).hist
        feats.append(torch.nan_to_num(hv / ha, nan=0.0))
    if not feats:
        return np.zeros((0, n_bins), np.float32)
    return torch.stack(feats).numpy()


def ref_pose(kp, boxes):
    k = torch.from_numpy(np.ascontiguousarray(kp, dtype=np.float32)).reshape(-1, 17, 3)
    b = torch.from_numpy(np.ascontiguousarray(boxes, dtype=np.float32)).reshape(-1, 4)
    n = (k[..., :2] - b[:, None, :2]) / (b[:, None, 2:] - b[:, None, :2])
    return n.reshape(len(k), 34).numpy()


def knn_dists(bank, queries, k):
    """k smallest Euclidean distances (float64 from the float32 values), ascending."""
    b = bank.astype(np.float64)
    q = queries.astype(np.float64)
    if len(q) == 0:
        return np.zeros((0, k))
    d2 = (q * q).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * q @ b.T
    d = np.sqrt(np.maximum(d2, 0))
    # exact recomputation of the k chosen (avoid cancellation error)
    idx = np.argsort(d, axis=1, kind='stable')[:, :k]
    exact = np.sqrt(((q[:, None, :] - b[idx]) ** 2).sum(-1))
    return np.sort(exact, axis=1)


def ref_knn_grouped(bank, group, queries, k):
    alld = []
    for g in np.unique(group):
        alld.append(knn_dists(bank[group != g], bank[group == g], k))
    alld = np.concatenate(alld, 0)
    mn, mx = float(alld.min()), float(alld.max())
    raw = knn_dists(bank, queries, k)
    scores = ((raw - mn) / (mx - mn)).mean(1)
    return mn, mx, raw, scores


def fit_gmm(bank, n_components):
    return GaussianMixture(n_components=n_components, covariance_type='full', random_state=0).fit(bank)


def ref_gmm(bank, queries, n_components):
    g = fit_gmm(bank, n_components)
    ss = g.score_samples(queries)
    b = -g.score_samples(bank)
    mn, mx = float(b.min()), float(b.max())
    return dict(g=g, weights=g.weights_, means=g.means_, covariances=g.covariances_,
                precisions_cholesky=g.precisions_cholesky_, score_samples=ss, min=mn, max=mx,
                scores=(-ss - mn) / (mx - mn), bank_mean_log_likelihood=float(g.score(bank)))


def gmm_from_params(weights, means, covs, prec_chol):
    """A scikit-learn GaussianMixture carrying the given (float32-stored) parameters."""
    g = GaussianMixture(n_components=len(weights), covariance_type='full')
    g.weights_ = np.asarray(weights, np.float64)
    g.means_ = np.asarray(means, np.float64)
    g.covariances_ = np.asarray(covs, np.float64)
    g.precisions_cholesky_ = np.asarray(prec_chol, np.float64)
    g.precisions_ = np.einsum('kij,klj->kil', g.precisions_cholesky_, g.precisions_cholesky_)
    g.converged_ = True
    g.n_features_in_ = g.means_.shape[1]
    return g


def ref_postprocess(boxes, labels, persons_only, min_area, max_overlap):
    """anomalib v0.7 RegionExtractor.post_process_bbox_detections on one image (torch float32)."""
    b = torch.from_numpy(np.ascontiguousarray(boxes, np.float32)).reshape(-1, 4)
    lab = torch.from_numpy(np.asarray(labels, np.int64)).reshape(-1)
    idx = torch.arange(len(b))
    if persons_only:
        keep = lab == 1
        b, idx = b[keep], idx[keep]
    area = torchvision.ops.box_area(b)
    keep = area > min_area
    b, idx = b[keep], idx[keep]
    # remove_overlapping_boxes
    if len(b) > 0:
        areas = torchvision.ops.box_area(b)
        order = torch.argsort(areas)
        b, idx, areas = b[order], idx[order], areas[order]
        keepm = torch.ones(len(b), dtype=torch.bool)
        for i in range(len(b)):
            others = b[i + 1:]
            if len(others) == 0:
                continue
            lt = torch.max(b[i, :2], others[:, :2])
            rb = torch.min(b[i, 2:], others[:, 2:])
            wh = (rb - lt).clamp(min=0)
            inter = wh[:, 0] * wh[:, 1]
            if bool((inter / areas[i] > max_overlap).any()):
                keepm[i] = False
        b, idx = b[keepm], idx[keepm]
    return idx.numpy()


def ref_foreground(first, last, det_boxes, k, t):
    """anomalib v0.7 RegionExtractor._add_foreground_boxes, boxes sorted by (ymin, xmin)."""
    f = torch.from_numpy(np.ascontiguousarray(first, np.float32))[None]
    l = torch.from_numpy(np.ascontiguousarray(last, np.float32))[None]
    f = TF.gaussian_blur(f, [k, k])
    l = TF.gaussian_blur(l, [k, k])
    diff = TF.rgb_to_grayscale(torch.abs(f - l)).squeeze(1)
    fg = diff > t / 255
    H, W = fg.shape[-2:]
    db = torch.from_numpy(np.ascontiguousarray(det_boxes, np.float32)).reshape(-1, 4)
    db = clip_boxes_to_image(db + torch.tensor([-2, -2, 2, 2]), (H, W))
    for box in db:
        x1, y1, x2, y2 = box.int()
        fg[0, y1:y2 + 1, x1:x2 + 1] = False
    n, lab = cv2.connectedComponents(fg[0].numpy().astype(np.uint8))  # 8-connectivity default
    boxes = []
    for i in range(1, n):
        m = torch.from_numpy(lab == i)[None]
        boxes.append(masks_to_boxes(m)[0].numpy())
    boxes = np.array(boxes, np.float32).reshape(-1, 4)
    order = np.lexsort((boxes[:, 0], boxes[:, 1]))
    return boxes[order]


def ref_resize_image(img, size):
    h, w = size
    return cv2.resize(np.ascontiguousarray(img, np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)


def ref_resize_flow(flow, size):
    x = torch.from_numpy(np.ascontiguousarray(flow, np.float32))[None]
    return F.interpolate(x, size=list(size), mode='bilinear', align_corners=False)[0].numpy()


def ref_combined(params, inputs):
    out = {}
    scores = []
    for att in ['velocity', 'pose', 'appearance']:
        if not params['use_' + att]:
            continue
        a = inputs[att]
        x = A(a['features'], np.float64)
        if att == 'velocity':
            gp = a['gmm']
            g = gmm_from_params(A(gp['weights'], np.float64), A(gp['means'], np.float64),
                                A(gp['covariances'], np.float64), A(gp['precisions_cholesky'], np.float64))
            raw = -g.score_samples(x) if len(x) else np.zeros(0)
        else:
            raw = knn_dists(A(a['bank']), A(a['features']), 1)[:, 0]
        s = (raw - a['min']) / (a['max'] - a['min'])
        out[att] = s
        scores.append(s)
    m = len(scores[0])
    region = np.sum(scores, axis=0) if m else np.zeros(0)
    image = float(sum(s.max() for s in scores)) if m else 0.0
    return out, region, image


# ----------------------------------------------------------------------------------- comparisons
def within(got, want, tol):
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    if got.shape != want.shape:
        return False, f'shape {got.shape} != {want.shape}'
    if got.size == 0:
        return True, 0.0
    d = np.abs(got - want)
    ok = bool((d <= tol['atol'] + tol['rtol'] * np.abs(want)).all())
    return ok, float(d.max())


def self_check():
    """Regenerate every shipped case from its inputs/params and compare with its expected values."""
    results = []
    for path in sorted(glob.glob(os.path.join(SHIPPED, '*.json'))):
        c = json.load(open(path))
        k, p, i, e, tol = c['kind'], c['params'], c['inputs'], c['expected'], c['tolerance']
        checks = []
        if k == 'roi_align':
            got = ref_roi_align(A(i['input']), A(i['boxes']), p['output_size'], p['spatial_scale'],
                                p['sampling_ratio'], p['aligned'])
            checks.append(('output', got, A(e['output'], np.float64), tol))
        elif k == 'velocity_features':
            checks.append(('features', ref_velocity(A(i['flow']), A(i['boxes']), p['n_bins']),
                           A(e['features'], np.float64), tol))
        elif k == 'pose_features':
            checks.append(('features', ref_pose(A(i['keypoints']), A(i['boxes'])), A(e['features'], np.float64), tol))
        elif k == 'knn_grouped':
            for kk in p['k_values']:
                mn, mx, raw, sc = ref_knn_grouped(A(i['bank']), A(i['group'], np.int64), A(i['queries']), kk)
                w = e[f'k{kk}']
                checks += [(f'k{kk}.min', mn, w['min'], tol), (f'k{kk}.max', mx, w['max'], tol),
                           (f'k{kk}.raw', raw, A(w['raw'], np.float64), tol),
                           (f'k{kk}.scores', sc, A(w['scores'], np.float64), tol)]
        elif k == 'gmm':
            r = ref_gmm(A(i['bank']), A(i['queries']), p['n_components'])
            for key in ['weights', 'means', 'covariances', 'precisions_cholesky', 'score_samples', 'scores']:
                checks.append((key, r[key], A(e[key], np.float64), tol))
            for key in ['min', 'max', 'bank_mean_log_likelihood']:
                checks.append((key, r[key], e[key], tol))
        elif k == 'region_postprocess':
            kept = ref_postprocess(A(i['boxes']), A(i['labels'], np.int64), p['persons_only'],
                                   p['min_bbox_area'], p['max_bbox_overlap'])
            checks.append(('kept_indices', kept, A(e['kept_indices'], np.int64), {'atol': 0, 'rtol': 0}))
            checks.append(('boxes', A(i['boxes'], np.float64)[kept], A(e['boxes'], np.float64), tol))
        elif k == 'foreground':
            got = ref_foreground(A(i['first']), A(i['last']), A(i['detector_boxes']), p['kernel_size'],
                                 p['binary_threshold'])
            checks.append(('boxes', got, A(e['boxes'], np.float64), tol))
        elif k == 'resize' and p['op'] == 'image':
            got = ref_resize_image(A(i['image_hwc_uint8'], np.int64), p['size'])
            checks.append(('resized_hwc_uint8', got, A(e['resized_hwc_uint8'], np.int64), {'atol': 0, 'rtol': 0}))
        elif k == 'resize' and p['op'] == 'flow':
            checks.append(('flow', ref_resize_flow(A(i['flow']), p['size']), A(e['flow'], np.float64), tol))
        elif k == 'combined':
            out, region, image = ref_combined(p, i)
            for att, s in out.items():
                checks.append((att, s, A(e[att], np.float64), tol))
            checks.append(('region_scores', region, A(e['region_scores'], np.float64), tol))
            checks.append(('image_score', image, e['image_score'], tol))
        ok_all = True
        worst = 0.0
        msgs = []
        for name, got, want, t in checks:
            ok, d = within(got, want, t)
            ok_all &= ok
            if isinstance(d, float):
                worst = max(worst, d)
            if not ok:
                msgs.append(f'{name}: {d}')
        results.append((os.path.basename(path), ok_all, worst, msgs))
    n_ok = sum(r[1] for r in results)
    for name, ok, worst, msgs in results:
        print(f"  self-check {'OK  ' if ok else 'FAIL'} {name:32s} max|diff|={worst:.2e} {'; '.join(msgs)}")
    print(f'self-check: {n_ok}/{len(results)} shipped cases reproduced within their tolerance')
    return n_ok == len(results)


# ------------------------------------------------------------------------------------ data makers
def smooth_field(rng, c, h, w, cell=6, scale=1.0, offset=0.0):
    lh, lw = max(2, h // cell), max(2, w // cell)
    low = torch.from_numpy(rng.normal(offset, scale, size=(1, c, lh, lw)).astype(np.float32))
    return F.interpolate(low, size=(h, w), mode='bilinear', align_corners=False)[0].numpy()


def rand_boxes(rng, m, h, w, min_size=2.0, max_frac=0.7, outside=0.0):
    bs = []
    for _ in range(m):
        bw = rng.uniform(min_size, max(min_size + 1, w * max_frac))
        bh = rng.uniform(min_size, max(min_size + 1, h * max_frac))
        x1 = rng.uniform(-outside * bw, w - bw * (1 - outside))
        y1 = rng.uniform(-outside * bh, h - bh * (1 - outside))
        bs.append([x1, y1, x1 + bw, y1 + bh])
    return np.array(bs, np.float32).reshape(-1, 4)


WRITTEN = collections.Counter()


def emit(name, c):
    """Writes case `c` as <kind>-v-<name>.json (resize: resize-<op>-v-…), unless over MAX_BYTES."""
    stem = f"resize-{c['params']['op']}" if c['kind'] == 'resize' else c['kind']
    text = json.dumps(c)
    if len(text) > MAX_BYTES:
        print(f'  not written (over {MAX_BYTES} bytes): {stem}-v-{name}')
        return
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, f'{stem}-v-{name}.json'), 'w') as fh:
        fh.write(text)
    WRITTEN[c['kind']] += 1


# --------------------------------------------------------------------------------------- variants
def gen_roi_align(rng):
    tol = {'atol': 1e-4, 'rtol': 1e-4}
    specs = [
        # name, C, H, W, M, output_size, spatial_scale, sampling_ratio, aligned, outside
        ('aligned', 3, 30, 44, 5, [7, 7], 1.0, -1, True, 0.0),
        ('sr2', 3, 40, 56, 5, [7, 7], 1.0, 2, False, 0.0),
        ('sr0', 2, 50, 70, 6, [14, 14], 1.0, 0, False, 0.0),
        ('sr1-aligned', 2, 33, 47, 4, [6, 6], 1.0, 1, True, 0.0),
        ('scale0.5', 3, 32, 48, 5, [7, 7], 0.5, -1, False, 0.0),
        ('scale0.25-aligned-sr3', 1, 25, 35, 4, [4, 8], 0.25, 3, True, 0.0),
        ('out5x9', 3, 36, 52, 5, [5, 9], 1.0, -1, False, 0.0),
        ('out9x5-aligned', 3, 36, 52, 5, [9, 5], 1.0, -1, True, 0.0),
        ('outside', 3, 40, 60, 7, [7, 7], 1.0, -1, False, 0.6),
        ('outside-aligned-sr2', 3, 40, 60, 7, [7, 7], 1.0, 2, True, 0.6),
        ('M0', 3, 20, 30, 0, [7, 7], 1.0, -1, False, 0.0),
        ('M0-aligned-5x9', 2, 20, 30, 0, [5, 9], 0.5, 2, True, 0.0),
        ('big-224', 2, 61, 83, 3, [224, 224], 1.0, -1, False, 0.2),
        ('small-rois', 3, 30, 40, 6, [7, 7], 1.0, -1, False, 0.0),
        ('small-rois-aligned', 3, 30, 40, 6, [7, 7], 1.0, -1, True, 0.0),
    ]
    for name, C, H, W, M, osz, ss, sr, al, outside in specs:
        inp = smooth_field(rng, C, H, W, cell=4)
        Hs, Ws = H / ss, W / ss  # boxes are in input coordinates / spatial_scale
        if name.startswith('small-rois'):
            boxes = np.array([[3.2, 4.1, 3.7, 4.4], [10.0, 10.0, 10.0, 12.0], [5.5, 6.25, 7.0, 6.75],
                              [0.0, 0.0, 1.0, 1.0], [38.6, 28.2, 39.9, 29.95], [20.1, 3.3, 20.9, 26.7]],
                             np.float32)
        else:
            boxes = rand_boxes(rng, M, Hs, Ws, min_size=1.0, outside=outside)
        out = ref_roi_align(inp, boxes, osz, ss, sr, al)
        emit(name, case('roi_align', {'output_size': osz, 'spatial_scale': ss,
                                      'sampling_ratio': sr, 'aligned': al},
                        {'input': arr(inp, 'float32'), 'boxes': arr(boxes, 'float32')},
                        {'output': arr(out, 'float32')}, tol))


def gen_velocity(rng):
    tol = {'atol': 1e-4, 'rtol': 1e-3}
    specs = [
        # name, H, W, M, n_bins, outside
        ('b2', 40, 60, 5, 2, 0.0),
        ('b4', 48, 64, 5, 4, 0.0),
        ('b12', 60, 90, 6, 12, 0.0),
        ('b3', 37, 53, 4, 3, 0.0),
        ('b5-outside', 50, 70, 5, 5, 0.4),
        ('b8-big', 240, 360, 4, 8, 0.0),
        ('b16', 45, 67, 4, 16, 0.0),
        ('b2-M0', 30, 40, 0, 2, 0.0),
        ('b12-M0', 30, 40, 0, 12, 0.0),
        ('b1-outside', 41, 59, 5, 1, 0.5),
    ]
    for name, H, W, M, B, outside in specs:
        flow = smooth_field(rng, 2, H, W, cell=5, scale=3.0)
        boxes = rand_boxes(rng, M, H, W, min_size=2.0, outside=outside)
        feats = ref_velocity(flow, boxes, B)
        emit(name, case('velocity_features', {'n_bins': B},
                        {'flow': arr(flow, 'float32'), 'boxes': arr(boxes, 'float32')},
                        {'features': arr(feats, 'float32')}, tol))
    # edge: a flow with exact zeros and axis-aligned vectors (angles exactly on bin edges 0, ±π/2, π)
    H, W = 32, 48
    flow = np.zeros((2, H, W), np.float32)
    flow[0, :, 12:24] = 2.0          # u > 0, v = 0  -> θ = π/2
    flow[1, :, 24:36] = -1.5         # u = 0, v < 0  -> θ = π
    flow[1, :16, 36:] = 1.0          # u = 0, v > 0  -> θ = 0
    flow[0, 16:, 36:] = -0.5         # u < 0, v = 0  -> θ = −π/2
    boxes = np.array([[2, 2, 40, 30], [0, 0, 47, 31], [13, 3, 22, 28], [25, 5, 34, 27], [38, 1, 46, 14],
                      [38, 18, 46, 30], [4, 4, 10, 10]], np.float32)
    for B in (2, 4, 8):
        feats = ref_velocity(flow, boxes, B)
        emit(f'edge-axis-b{B}', case('velocity_features', {'n_bins': B},
                                    {'flow': arr(flow, 'float32'), 'boxes': arr(boxes, 'float32')},
                                    {'features': arr(feats, 'float32')}, tol))


def gen_pose(rng):
    tol = {'atol': 1e-5, 'rtol': 1e-5}
    for M in (0, 1, 3, 7, 20):
        boxes = rand_boxes(rng, M, 240, 360, min_size=8.0)
        kp = np.zeros((M, 17, 3), np.float32)
        for m in range(M):
            x1, y1, x2, y2 = boxes[m]
            bw, bh = x2 - x1, y2 - y1
            kp[m, :, 0] = x1 + rng.uniform(-0.2, 1.2, 17) * bw   # some keypoints outside the box
            kp[m, :, 1] = y1 + rng.uniform(-0.2, 1.2, 17) * bh
            kp[m, :, 2] = rng.uniform(0, 1, 17)
        feats = ref_pose(kp, boxes)
        emit(f'M{M}', case('pose_features', {},
                           {'keypoints': arr(kp, 'float32'), 'boxes': arr(boxes, 'float32')},
                           {'features': arr(feats, 'float32')}, tol))


def gen_knn(rng):
    tol = {'atol': 1e-4, 'rtol': 1e-4}
    note = ('k1 is what anomalib v0.7 computes whatever n_neighbors says; other k are the corrected '
            'behaviour (min/max taken over every one of the k distances, score = mean of the k normalised distances)')
    specs = [
        # name, D, group sizes, Q, k_values
        ('D3-g3', 3, [40, 11, 25], 9, [1, 2, 5]),
        ('D64-g5', 64, [30, 7, 52, 13, 21], 8, [1, 2, 5]),
        ('D34-g4', 34, [60, 9, 33, 18], 10, [1, 2, 5]),
        ('D3-g5', 3, [6, 50, 8, 19, 30], 12, [1, 2, 5]),
        ('D8-g3-k4', 8, [20, 35, 15], 6, [1, 4]),
        ('D1-g3', 1, [15, 22, 9], 6, [1, 2, 5]),
    ]
    for name, D, sizes, Q, ks in specs:
        centers = rng.normal(0, 2, size=(len(sizes), D))
        bank = np.concatenate([centers[g] + rng.normal(0, 1, size=(s, D)) for g, s in enumerate(sizes)]).astype(np.float32)
        group = np.concatenate([np.full(s, g) for g, s in enumerate(sizes)]).astype(np.int64)
        queries = (rng.normal(0, 2.5, size=(Q, D))).astype(np.float32)
        if name == 'D3-g5':  # a couple of queries exactly equal to bank rows (distance 0)
            queries[0] = bank[3]
            queries[1] = bank[70]
        inputs = {'bank': arr(bank, 'float32'), 'group': arr(group, 'int64'), 'queries': arr(queries, 'float32')}
        exp = {}
        for k in ks:
            mn, mx, raw, sc = ref_knn_grouped(bank, group, queries, k)
            exp[f'k{k}'] = {'min': mn, 'max': mx, 'raw': arr(raw, 'float32'), 'scores': arr(sc, 'float32')}
        emit(name, case('knn_grouped', {'k_values': ks, 'note': note}, inputs, exp, tol))
    # unsorted / interleaved group ids (groups not contiguous, ids not 0..G-1)
    D, sizes = 5, [17, 26, 9, 31]
    ids = [7, 2, 11, 4]
    centers = rng.normal(0, 2, size=(len(sizes), D))
    bank = np.concatenate([centers[g] + rng.normal(0, 1, size=(s, D)) for g, s in enumerate(sizes)]).astype(np.float32)
    group = np.concatenate([np.full(s, ids[g]) for g, s in enumerate(sizes)]).astype(np.int64)
    perm = rng.permutation(len(bank))
    bank, group = bank[perm], group[perm]
    queries = rng.normal(0, 2.5, size=(7, D)).astype(np.float32)
    exp = {}
    for k in [1, 2, 5]:
        mn, mx, raw, sc = ref_knn_grouped(bank, group, queries, k)
        exp[f'k{k}'] = {'min': mn, 'max': mx, 'raw': arr(raw, 'float32'), 'scores': arr(sc, 'float32')}
    emit('D5-interleaved-ids', case('knn_grouped', {'k_values': [1, 2, 5], 'note': note},
                                     {'bank': arr(bank, 'float32'), 'group': arr(group, 'int64'),
                                      'queries': arr(queries, 'float32')}, exp, tol))
    # edge: large common offset (row norm ~60) and near-duplicate rows across groups (consecutive
    # frames of a still object in several videos); queries next to bank rows. Expected = exact
    # (float64) distances; anomalib's own torch.cdist is float32 and may pick another neighbour.
    D, sizes = 64, [40, 30, 35]
    offset = rng.normal(0, 1, size=D) * 7.5
    base = rng.normal(0, 1, size=(25, D))
    rows, group = [], []
    for g, s_ in enumerate(sizes):
        pick = rng.choice(25, s_)
        rows.append(offset + base[pick] + rng.normal(0, 0.01, size=(s_, D)))
        group.append(np.full(s_, g))
    bank = np.concatenate(rows).astype(np.float32)
    group = np.concatenate(group).astype(np.int64)
    queries = (offset + base[rng.choice(25, 8)] + rng.normal(0, 0.01, size=(8, D))).astype(np.float32)
    exp = {}
    for k in [1, 2, 5]:
        mn, mx, raw, sc = ref_knn_grouped(bank, group, queries, k)
        exp[f'k{k}'] = {'min': mn, 'max': mx, 'raw': arr(raw, 'float32'), 'scores': arr(sc, 'float32')}
    emit('edge-neardup-offset', case('knn_grouped', {'k_values': [1, 2, 5], 'note': note},
                                      {'bank': arr(bank, 'float32'), 'group': arr(group, 'int64'),
                                       'queries': arr(queries, 'float32')}, exp, tol))


def mixture_bank(rng, n, D, comps, spread=6.0, sd=(0.5, 2.0)):
    means = rng.normal(0, spread, size=(comps, D))
    w = rng.dirichlet(np.full(comps, 5.0))
    counts = rng.multinomial(n, w)
    xs = []
    for c in range(comps):
        a = rng.normal(0, 1, size=(D, D)) * 0.3 + np.diag(rng.uniform(*sd, size=D))
        xs.append(means[c] + rng.normal(0, 1, size=(counts[c], D)) @ a)
    x = np.concatenate(xs)
    return x[rng.permutation(len(x))].astype(np.float32)


def gen_gmm(rng):
    tol = {'atol': 1e-3, 'rtol': 1e-4}
    specs = [
        # name, n_components, D, N, true components
        ('c1-D2', 1, 2, 400, 1),
        ('c3-D4', 3, 4, 900, 3),
        ('c6-D8', 6, 8, 1500, 6),
        ('c3-D2', 3, 2, 600, 3),
        ('c6-D5', 6, 5, 1200, 6),
        ('c6-D6-b', 6, 6, 1400, 6),
        ('c1-D8', 1, 8, 300, 1),
        ('c2-D12', 2, 12, 800, 2),
        ('c4-D3-overfit', 4, 3, 500, 2),
    ]
    for name, nc, D, N, tc in specs:
        bank = mixture_bank(rng, N, D, tc)
        queries = np.concatenate([bank[rng.choice(N, 4)] + rng.normal(0, 0.3, size=(4, D)),
                                  rng.normal(0, 8, size=(5, D))]).astype(np.float32)
        r = ref_gmm(bank, queries, nc)
        assert r['g'].converged_, name
        exp = {'weights': arr(r['weights'], 'float32'), 'means': arr(r['means'], 'float32'),
               'covariances': arr(r['covariances'], 'float32'),
               'precisions_cholesky': arr(r['precisions_cholesky'], 'float32'),
               'score_samples': arr(r['score_samples'], 'float32'), 'min': r['min'], 'max': r['max'],
               'scores': arr(r['scores'], 'float32'), 'bank_mean_log_likelihood': r['bank_mean_log_likelihood']}
        emit(name, case('gmm', {'n_components': nc, 'covariance_type': 'full'},
                        {'bank': arr(bank, 'float32'), 'queries': arr(queries, 'float32')}, exp, tol))


def gen_postprocess(rng):
    tol = {'atol': 1e-6, 'rtol': 0}
    specs = [
        # name, N, persons_only, min_bbox_area, max_bbox_overlap
        ('po-false-a0-o0.3', 10, False, 0, 0.3),
        ('po-false-a400-o0.5', 12, False, 400, 0.5),
        ('po-true-a50-o0.9', 12, True, 50, 0.9),
        ('po-false-a1000-o0.65', 9, False, 1000, 0.65),
        ('po-true-a100-o0.65-N0', 0, True, 100, 0.65),
        ('po-false-a100-o0.65-N0', 0, False, 100, 0.65),
        ('po-false-a100-o1.0', 10, False, 100, 1.0),
        ('po-false-a100-o0.0', 8, False, 100, 0.0),
        ('po-true-a250-o0.4-N1', 1, True, 250, 0.4),
        ('po-false-a30.5-o0.75', 14, False, 30.5, 0.75),
    ]
    for name, N, po, amin, ov in specs:
        boxes = rand_boxes(rng, N, 240, 360, min_size=3.0, max_frac=0.35)
        if N >= 6:  # nested / near-duplicate boxes so the overlap rule matters
            boxes[1] = boxes[0] + np.array([2, 2, -2, -2], np.float32)
            boxes[3] = boxes[2] + np.array([-4, -3, 5, 6], np.float32)
            boxes[5] = boxes[4] + np.array([0.5, 0.25, 1.5, 0.75], np.float32)
            boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, 359)
            boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, 239)
        labels = rng.choice([0, 1, 1, 1, 3], size=N).astype(np.int64)
        scores = rng.uniform(0.5, 1.0, size=N).astype(np.float32)
        ar = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        assert len(np.unique(ar)) == len(ar)
        kept = ref_postprocess(boxes, labels, po, amin, ov)
        emit(name, case('region_postprocess',
                        {'persons_only': po, 'min_bbox_area': amin, 'max_bbox_overlap': ov},
                        {'boxes': arr(boxes, 'float32'), 'labels': arr(labels, 'int64'),
                         'scores': arr(scores, 'float32')},
                        {'kept_indices': arr(kept, 'int64'),
                         'boxes': arr(A(arr(boxes, 'float32'), np.float64)[kept].reshape(-1, 4), 'float32')},
                        tol))


def moving_scene(rng, H, W, n_obj=5, shift=4):
    bg = np.clip(smooth_field(rng, 3, H, W, cell=8, scale=0.15, offset=0.5), 0, 1)
    first = bg.copy()
    last = bg.copy()
    for _ in range(n_obj):
        oh, ow = rng.integers(3, max(4, H // 4)), rng.integers(3, max(4, W // 5))
        y, x = rng.integers(0, H - oh), rng.integers(0, W - ow)
        dy, dx = rng.integers(-shift, shift + 1), rng.integers(-shift, shift + 1)
        col = rng.uniform(0, 1, size=(3, 1, 1))
        first[:, y:y + oh, x:x + ow] = col
        y2, x2 = np.clip(y + dy, 0, H - oh), np.clip(x + dx, 0, W - ow)
        last[:, y2:y2 + oh, x2:x2 + ow] = col
    first = np.clip(first + rng.normal(0, 0.01, first.shape), 0, 1).astype(np.float32)
    last = np.clip(last + rng.normal(0, 0.01, last.shape), 0, 1).astype(np.float32)
    return first, last


def gen_foreground(rng):
    tol = {'atol': 0, 'rtol': 0}
    specs = [
        # name, H, W, kernel, threshold, K detector boxes
        ('k5-t18', 61, 83, 5, 18, 2),
        ('k7-t18', 75, 101, 7, 18, 1),
        ('k3-t10', 59, 87, 3, 10, 2),
        ('k3-t40', 64, 96, 3, 40, 1),
        ('k5-t10-K0', 57, 79, 5, 10, 0),
        ('k7-t40-K0', 91, 121, 7, 40, 0),
        ('k5-t40-K3-edge', 67, 95, 5, 40, 3),
        ('k7-t10-K4', 97, 129, 7, 10, 4),
        ('k3-t18-K0-odd', 45, 71, 3, 18, 0),
        ('k9-t25-K2', 80, 110, 9, 25, 2),
        ('k3-t18-240x360-K3', 240, 360, 3, 18, 3),
        ('k5-t18-241x359-K2', 241, 359, 5, 18, 2),
    ]
    for name, H, W, k, t, K in specs:
        first, last = moving_scene(rng, H, W, n_obj=6)
        det = rand_boxes(rng, K, H, W, min_size=4.0, max_frac=0.4, outside=0.3 if 'edge' in name else 0.0)
        if 'edge' in name and K >= 3:
            det[0] = [-3.7, -1.2, 12.9, 20.5]
            det[1] = [W - 8.4, H - 10.6, W + 1.0, H + 3.0]
        boxes = ref_foreground(first, last, det, k, t)
        emit(name, case('foreground', {'kernel_size': k, 'binary_threshold': t,
                                       'order': 'boxes sorted by (ymin, xmin)'},
                        {'first': arr(first, 'float32'), 'last': arr(last, 'float32'),
                         'detector_boxes': arr(det, 'float32')},
                        {'boxes': arr(boxes, 'float32')}, tol))


def gen_resize(rng):
    note = "expected is OpenCV's uint8 output; compare your value*255 (or your uint8 result) within atol"
    if cv2 is not None:
        specs = [
            ('157x239-to-120x181', (157, 239), (120, 181), 'smooth'),
            ('101x77-to-300x500', (101, 77), (300, 500), 'smooth'),
            ('333x487-to-240x360', (333, 487), (240, 360), 'noise'),
            ('480x720-to-240x360', (480, 720), (240, 360), 'noise'),   # exact 2x down (OpenCV: INTER_AREA path)
            ('100x700-to-300x500', (100, 700), (300, 500), 'noise'),
            ('61x91-to-240x360', (61, 91), (240, 360), 'noise'),
            ('241x359-to-240x360', (241, 359), (240, 360), 'noise'),
            ('723x1281-to-120x181', (723, 1281), (120, 181), 'smooth'),
            ('240x360-to-240x360', (240, 360), (240, 360), 'noise'),
            ('120x180-to-240x360', (120, 180), (240, 360), 'noise'),  # exact 2x up
            ('37x53-to-24x36', (37, 53), (24, 36), 'noise'),
            ('23x31-to-61x91', (23, 31), (61, 91), 'noise'),
            ('61x91-to-41x59', (61, 91), (41, 59), 'smooth'),
            ('40x60-to-20x30', (40, 60), (20, 30), 'noise'),        # exact 2x down, small
        ]
        for name, (h, w), size, kind in specs:
            if kind == 'noise':
                img = rng.integers(0, 256, size=(h, w, 3))
            else:
                img = np.clip(smooth_field(rng, 3, h, w, cell=7, scale=60, offset=128).transpose(1, 2, 0), 0, 255)
                img = np.rint(img)
            img = img.astype(np.uint8)
            out = ref_resize_image(img, size)
            emit(name, case('resize', {'op': 'image', 'size': list(size),
                                       'interpolation': 'opencv INTER_LINEAR', 'note': note},
                            {'image_hwc_uint8': arr(img, 'int64')},
                            {'resized_hwc_uint8': arr(out, 'int64')}, {'atol': 1, 'rtol': 0}))
    fspecs = [
        ('40x60-to-123x181', (40, 60), (123, 181)),
        ('200x300-to-37x55', (200, 300), (37, 55)),
        ('50x200-to-100x70', (50, 200), (100, 70)),
        ('33x47-to-33x47', (33, 47), (33, 47)),
        ('520x960-to-240x360', (520, 960), (240, 360)),
        ('30x40-to-90x120', (30, 40), (90, 120)),
        ('64x64-to-17x29', (64, 64), (17, 29)),
        ('520x960-to-240x360-smooth', (520, 960), (240, 360)),   # RAFT-like: smooth field, no pixel noise
        ('240x360-to-520x960-frame', (240, 360), (520, 960)),    # a [3,H,W] frame in [0,1] up to RAFT's size
        # Ratios that are not exact in float32 (520/240 as in RAFT's resize back): torch 1.13 keeps
        # the source coordinate in double, which shows on steep fields.
        ('52x96-to-24x36-steep', (52, 96), (24, 36)),
    ]
    for name, (h, w), size in fspecs:
        if name.endswith('-smooth'):
            flow = smooth_field(rng, 2, h, w, cell=40, scale=4.0)
        elif name.endswith('-steep'):
            # neighbours tens of pixels apart: a float32-rounded coordinate moves the result visibly
            flow = rng.normal(0, 50.0, size=(2, h, w)).astype(np.float32)
        elif name.endswith('-frame'):
            flow = np.clip(smooth_field(rng, 3, h, w, cell=6, scale=0.25, offset=0.5), 0, 1).astype(np.float32)
        else:
            flow = smooth_field(rng, 2, h, w, cell=3, scale=4.0)
            flow = flow + rng.normal(0, 0.5, flow.shape).astype(np.float32)
        out = ref_resize_flow(flow, size)
        emit(name, case('resize', {'op': 'flow', 'size': list(size),
                                   'interpolation': 'bilinear, no antialias, values not rescaled'},
                        {'flow': arr(flow, 'float32')}, {'flow': arr(out, 'float32')},
                        {'atol': 1e-4, 'rtol': 1e-4}))


def gen_combined(rng):
    tol = {'atol': 1e-3, 'rtol': 1e-4}
    specs = [
        # name, use (v, p, a), M, velocity (bins, components), pose D, appearance D, kNN groups
        ('only-velocity-b4-c3', (True, False, False), 4, (4, 3), 34, 64, 3),
        ('pose-appearance', (False, True, True), 5, (8, 2), 34, 96, 4),
        ('velocity-appearance-b1-c5', (True, False, True), 3, (1, 5), 34, 48, 3),
        ('only-pose', (False, True, False), 6, (8, 2), 34, 64, 5),
        ('only-appearance', (False, False, True), 2, (8, 2), 34, 128, 3),
        ('all-b12-c4', (True, True, True), 7, (12, 4), 34, 64, 4),
        ('all-M0', (True, True, True), 0, (8, 2), 34, 64, 3),
        ('velocity-pose-M1', (True, True, False), 1, (2, 1), 34, 64, 3),
    ]
    for name, use, M, (B, nc), Dp, Da, G in specs:
        inputs, exp = {}, {}
        params = {'use_velocity': use[0], 'use_pose': use[1], 'use_appearance': use[2]}
        if use[0]:
            bank = np.abs(mixture_bank(rng, 600, B, nc, spread=2.0, sd=(0.3, 0.8)) + 3).astype(np.float32)
            r = ref_gmm(bank, bank[:1], nc)
            feats = np.abs(bank[rng.choice(len(bank), M)] + rng.normal(0, 1.0, size=(M, B))).astype(np.float32)
            inputs['velocity'] = {'features': arr(feats, 'float32'),
                                  'gmm': {'weights': arr(r['weights'], 'float32'), 'means': arr(r['means'], 'float32'),
                                          'covariances': arr(r['covariances'], 'float32'),
                                          'precisions_cholesky': arr(r['precisions_cholesky'], 'float32')},
                                  'min': r['min'], 'max': r['max']}
        for att, D, on in (('pose', Dp, use[1]), ('appearance', Da, use[2])):
            if not on:
                continue
            sizes = rng.integers(10, 35, size=G)
            centers = rng.normal(0, 1, size=(G, D))
            bank = np.concatenate([centers[g] + rng.normal(0, 1, size=(s, D)) for g, s in enumerate(sizes)]).astype(np.float32)
            group = np.concatenate([np.full(s, g) for g, s in enumerate(sizes)]).astype(np.int64)
            mn, mx, _, _ = ref_knn_grouped(bank, group, bank[:1], 1)
            feats = rng.normal(0, 1.5, size=(M, D)).astype(np.float32)
            inputs[att] = {'features': arr(feats, 'float32'), 'bank': arr(bank, 'float32'),
                           'group': arr(group, 'int64'), 'min': mn, 'max': mx}
        out, region, image = ref_combined(params, json.loads(json.dumps(inputs)))
        for att, s in out.items():
            exp[att] = arr(s, 'float32')
        exp['region_scores'] = arr(region, 'float32')
        exp['image_score'] = image
        emit(name, case('combined', params, inputs, exp, tol))


def main():
    ok = self_check()
    if '--check' in sys.argv:
        sys.exit(0 if ok else 1)
    if not ok:
        print('self-check failed: not writing variants')
        sys.exit(1)
    for old in glob.glob(os.path.join(OUT, '*.json')):
        os.remove(old)
    for fn, seed in [(gen_roi_align, 1), (gen_velocity, 2), (gen_pose, 3), (gen_knn, 4), (gen_gmm, 5),
                     (gen_postprocess, 6), (gen_foreground, 7), (gen_resize, 8), (gen_combined, 9)]:
        fn(np.random.default_rng(seed))
    print('variant cases written to', OUT)
    for k, v in WRITTEN.items():
        print(f'  {k:20s} {v}')
    print('  total', sum(WRITTEN.values()))

if __name__ == '__main__':
    main()
