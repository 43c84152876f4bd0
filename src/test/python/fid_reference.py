"""Golden fixtures for io.ldmstudio.eval's FID/KID statistics (FeatureStatsTest, FrechetDistanceTest,
KernelDistanceTest). Writes src/test/resources/golden/fid/ from the repository root:

    python3 src/test/python/fid_reference.py

Needs numpy and scipy only (written with numpy 2.4, scipy 1.17; apt: python3-numpy python3-scipy). The functions below are pytorch-fid's calculate_frechet_distance and
calculate_activation_statistics (src/pytorch_fid/fid_score.py) and clean-fid's kernel_distance
(cleanfid/fid.py), restated with the same arithmetic; clean-fid's random subsets are replaced by
index sets passed in, so that Java can use the very same subsets.
"""
import os
import warnings

import numpy as np
from scipy import linalg

OUT = os.path.join("src", "test", "resources", "golden", "fid")


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6, force_offset=False):
    """pytorch-fid's calculate_frechet_distance; returns (fd, retried, error)."""
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    diff = mu1 - mu2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy >= 1.16 deprecates disp; singular-matrix warnings
        covmean = linalg.sqrtm(sigma1.dot(sigma2))
        retried = False
        if force_offset or not np.isfinite(covmean).all():
            retried = True
            offset = np.eye(sigma1.shape[0]) * eps
            covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            return None, retried, "Imaginary component %r" % float(np.max(np.abs(covmean.imag)))
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)), retried, None


def activation_statistics(act):
    """pytorch-fid's calculate_activation_statistics after the network: mean and np.cov (N - 1)."""
    return np.mean(act, axis=0), np.cov(act, rowvar=False)


def kernel_distance(feats1, feats2, idx1, idx2):
    """clean-fid's kernel_distance with the subsets given (idx1 into feats1, idx2 into feats2)."""
    n = feats1.shape[1]
    m = idx1.shape[1]
    t = 0
    per = []
    for s in range(idx1.shape[0]):
        x = feats2[idx2[s]]
        y = feats1[idx1[s]]
        a = (x @ x.T / n + 1) ** 3 + (y @ y.T / n + 1) ** 3
        b = (x @ y.T / n + 1) ** 3
        v = (a.sum() - np.diag(a).sum()) / (m - 1) - b.sum() * 2 / m
        t += v
        per.append(v / m)
    return float(t / idx1.shape[0] / m), np.array(per)


def random_cov(rng, d, scale=1.0):
    a = rng.normal(size=(d, d)) * scale
    return a @ a.T / d + 0.1 * np.eye(d)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(14)
    lines = ["# pytorch-fid's calculate_frechet_distance on the pairs in this folder (fid_reference.py)"]

    def case(name, mu1, s1, mu2, s2, offset_too=False):
        np.savez(os.path.join(OUT, name + "-a.npz"), mu=mu1, sigma=s1)
        np.savez(os.path.join(OUT, name + "-b.npz"), mu=mu2, sigma=s2)
        fd, retried, err = frechet_distance(mu1, s1, mu2, s2)
        if err:
            lines.append("%s.error=%s" % (name, err))
        else:
            lines.append("%s=%r" % (name, fd))
            lines.append("%s.retried=%s" % (name, str(retried).lower()))
        if offset_too:
            fd, _, err = frechet_distance(mu1, s1, mu2, s2, force_offset=True)
            lines.append("%s.offset=%r" % (name, fd))
        print(name, fd, retried, err)

    for d in (8, 64):
        case("d%d" % d, rng.normal(size=d), random_cov(rng, d), rng.normal(size=d) + 0.5,
             random_cov(rng, d, 1.5))
    # near-singular: 64-dimensional statistics from 20 and 24 samples (rank 19 and 23), as with too few
    # images for 2048 features; one dimension is dead (constant) in both sets, as a ReLU unit can be.
    # scipy >= 1.16's sqrtm keeps such a product's root finite (only warns), so pytorch-fid does not retry
    # here any more; "lowrank.offset" records the retry's arithmetic, sqrtm((s1 + eps I)(s2 + eps I)).
    act1 = rng.normal(size=(20, 64)) @ rng.normal(size=(64, 64)) / 8
    act2 = rng.normal(size=(24, 64)) @ rng.normal(size=(64, 64)) / 8 + 0.2
    act1[:, 5] = 0.25
    act2[:, 5] = 0.25
    mu1, s1 = activation_statistics(act1)
    mu2, s2 = activation_statistics(act2)
    np.savez(os.path.join(OUT, "lowrank-act1.npz"), act=act1)
    np.savez(os.path.join(OUT, "lowrank-act2.npz"), act=act2)
    case("lowrank", mu1, s1, mu2, s2, offset_too=True)
    # float32 statistics, as some tools write them: FD of the float32 values widened to double
    mu1, s1 = rng.normal(size=8).astype(np.float32), random_cov(rng, 8).astype(np.float32)
    mu2, s2 = rng.normal(size=8).astype(np.float32), random_cov(rng, 8).astype(np.float32)
    np.savez(os.path.join(OUT, "f32-a.npz"), mu=mu1, sigma=s1)
    np.savez(os.path.join(OUT, "f32-b.npz"), mu=mu2, sigma=s2)
    fd, _, _ = frechet_distance(*(v.astype(np.float64) for v in (mu1, s1, mu2, s2)))
    lines.append("f32=%r" % fd)
    # not a covariance (a negative variance): pytorch-fid refuses with "Imaginary component"
    case("negative", np.zeros(2), np.diag([-1.0, 1.0]), np.zeros(2), np.eye(2))

    # KID: generated features and fixed subsets (stored as float64 indices)
    f1 = rng.normal(size=(40, 16))
    f2 = rng.normal(size=(30, 16)) * 1.2 + 0.3
    m, subsets = 12, 5
    idx1 = np.stack([rng.choice(40, m, replace=False) for _ in range(subsets)])
    idx2 = np.stack([rng.choice(30, m, replace=False) for _ in range(subsets)])
    kid, per = kernel_distance(f1, f2, idx1, idx2)
    np.savez(os.path.join(OUT, "kid.npz"), feats1=f1, feats2=f2, idx1=idx1.astype(np.float64),
             idx2=idx2.astype(np.float64), per_subset=per)
    lines.append("kid=%r" % kid)
    lines.append("kid.std=%r" % float(np.std(per)))
    # the hand-made 4x3 case of KernelDistanceTest (one subset holding everything)
    x = np.array([[1.0, 0, 2], [0, 1, 1], [2, 2, 0], [1, 1, 1]])
    y = np.array([[0.0, 0, 1], [1, 2, 0], [0, 1, 2], [2, 0, 0]])
    small, _ = kernel_distance(x, y, np.arange(4)[None, :], np.arange(4)[None, :])
    lines.append("kid.small=%r" % small)
    print("kid", kid, "small", small)
    with open(os.path.join(OUT, "expected.properties"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
