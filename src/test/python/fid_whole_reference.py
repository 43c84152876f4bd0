#!/usr/bin/python3
"""Golden fixture for the whole FID/KID of `eval fid` (io.ldmstudio.service.FidEvaluation, FidWholeGoldenTest).

Regenerate (from the repository root; needs python3-torch, python3-numpy, python3-scipy, python3-pil):

    /usr/bin/python3 src/test/python/fid_whole_reference.py   # writes src/test/resources/golden/fid-whole/

It reuses inception_reference.py's hand-written pytorch-fid Inception with its name-seeded weights (the same bits
as FidInceptionGoldenTest writes to a safetensors file) and fid_reference.py's restatements of pytorch-fid's
calculate_frechet_distance and clean-fid's kernel_distance. The images go through the steps pytorch-fid's
fid_score.py takes for a folder: ImagePathDataset (PIL Image.open(path).convert('RGB')), TF.ToTensor() (uint8 / 255
in float32), a batch per set (all images of a set have one size), model(batch)[0] squeezed to float32 numpy;
calculate_activation_statistics (np.mean of the float32 activations: a float32 mu; np.cov: a float64 sigma);
calculate_frechet_distance (scipy.linalg.sqrtm, the eps * I retry when not finite, the real part).

Files written:
    real/a0.png .. a4.png   five 28x28 gray images (mode L): smooth gradients plus noise
    fake/b0.png .. b5.png   six 32x32 colour images: b0..b4 RGB noise on coloured blocks, b5 RGBA (alpha is dropped
                            by convert('RGB'), not composited)
    real-features.npz       by np.savez: features, the float32 pool3 activations of the real set (5, 2048)
    fake-features.npz       the same for the fake set (6, 2048)
                            No mu/sigma file is stored (a 2048 x 2048 float64 sigma is 33 MB): the Java test writes
                            the stats.npz pytorch-fid would save (mu, sigma) from the real rows itself.
    reference.json          fid (pytorch-fid's arithmetic), fid64 (mu in float64 too), whether sqrtm was retried,
                            kid (clean-fid's kernel_distance on the subsets below), kid_std (population std of the
                            subsets' values), idx1 (100 x 5 rows of the real set), idx2 (100 x 5 of the fake set)
"""
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import inception_reference as ir  # noqa: E402
from fid_reference import frechet_distance, kernel_distance  # noqa: E402

OUT = os.path.join(ir.ROOT, "src", "test", "resources", "golden", "fid-whole")


def write_images(rng):
    os.makedirs(os.path.join(OUT, "real"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "fake"), exist_ok=True)
    yy, xx = np.mgrid[0:28, 0:28]
    for i in range(5):
        base = 255 * (0.5 + 0.5 * np.sin((xx * (i + 1) + yy * (5 - i)) / 9.0))
        img = np.clip(base + rng.normal(0, 20, size=base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(img, mode="L").save(os.path.join(OUT, "real", "a%d.png" % i))
    for i in range(6):
        blocks = rng.integers(0, 256, size=(4, 4, 3)).repeat(8, 0).repeat(8, 1)
        img = np.clip(blocks + rng.normal(0, 30, size=blocks.shape), 0, 255).astype(np.uint8)
        if i == 5:
            alpha = (np.arange(32)[None, :].repeat(32, 0) * 8).astype(np.uint8)
            Image.fromarray(np.dstack([img, alpha]), mode="RGBA").save(os.path.join(OUT, "fake", "b%d.png" % i))
        else:
            Image.fromarray(img, mode="RGB").save(os.path.join(OUT, "fake", "b%d.png" % i))


def activations(net, folder):
    """pytorch-fid's get_activations over one batch of the folder's images (sorted), float32 (N, 2048)."""
    files = sorted(f for f in os.listdir(folder) if f.endswith(".png"))
    x = [torch.from_numpy(np.array(Image.open(os.path.join(folder, f)).convert("RGB"))) for f in files]
    batch = torch.stack([t.permute(2, 0, 1).float().div(255) for t in x])  # TF.ToTensor
    with torch.no_grad():
        pred = net.features(ir.FIDInceptionV3.preprocess(batch))
    return pred.cpu().numpy().astype(np.float32)


def main():
    torch.set_num_threads(1)
    rng = np.random.default_rng(2024)
    write_images(rng)
    net = ir.build()
    act1 = activations(net, os.path.join(OUT, "real"))
    act2 = activations(net, os.path.join(OUT, "fake"))
    mu1, sigma1 = np.mean(act1, axis=0), np.cov(act1, rowvar=False)  # float32 mu, float64 sigma, as pytorch-fid
    mu2, sigma2 = np.mean(act2, axis=0), np.cov(act2, rowvar=False)
    fid, retried, err = frechet_distance(mu1, sigma1, mu2, sigma2)
    assert err is None, err
    a1, a2 = act1.astype(np.float64), act2.astype(np.float64)
    fid64, retried64, err64 = frechet_distance(a1.mean(0), np.cov(a1, rowvar=False), a2.mean(0),
                                               np.cov(a2, rowvar=False))
    m = min(len(act1), len(act2))
    idx1 = np.stack([rng.choice(len(act1), m, replace=False) for _ in range(100)])
    idx2 = np.stack([rng.choice(len(act2), m, replace=False) for _ in range(100)])
    kid, per = kernel_distance(a1, a2, idx1, idx2)
    for name in ("stats.npz", "real-features.npz", "fake-features.npz", "activations.npz"):  # earlier versions' files
        if os.path.exists(os.path.join(OUT, name)):
            os.remove(os.path.join(OUT, name))
    # the pool3 activations only: a 2048 x 2048 float64 sigma is 33 MB, too large to keep in the repository
    np.savez(os.path.join(OUT, "real-features.npz"), features=act1)
    np.savez(os.path.join(OUT, "fake-features.npz"), features=act2)
    ref = {"fid": fid, "fid_retried": retried, "fid64": fid64, "fid64_retried": retried64, "kid": kid,
           "kid_std": float(np.std(per)), "real_images": len(act1), "fake_images": len(act2),
           "trace_sigma1": float(np.trace(sigma1)), "trace_sigma2": float(np.trace(sigma2)),
           "mean_term": float(((a1.mean(0) - a2.mean(0)) ** 2).sum()),
           "idx1": idx1.tolist(), "idx2": idx2.tolist()}
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")
    print(json.dumps({k: v for k, v in ref.items() if not k.startswith("idx")}, indent=2))


if __name__ == "__main__":
    main()
