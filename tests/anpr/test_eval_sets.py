"""scripts/anpr/eval_sets.py: the rendered crop sets, and the one-row kinds again at their
natural aspect (the same plates)."""

from __future__ import annotations

import cv2
import numpy as np

from scripts.anpr import eval_sets, ocr_samples
from tests.anpr.conftest import needs_fonts


@needs_fonts
def test_natural_aspect_sets_hold_the_same_plates_as_the_stored_ones():
    sets = {s.name: s for s in eval_sets.rendered_crop_sets(per_kind=6)}
    for kind in eval_sets.NATURAL_KINDS:
        stored, natural = sets[f"rendered-{kind}"], sets[f"rendered-{kind}-natural"]
        assert natural.labels == stored.labels and natural.two_line == stored.two_line
        for small, crop in zip(stored.images, natural.images):
            assert small.shape == (ocr_samples.IMG_H, ocr_samples.IMG_W)
            assert np.array_equal(small, cv2.resize(crop, (ocr_samples.IMG_W, ocr_samples.IMG_H),
                                                    interpolation=cv2.INTER_LINEAR))
        # one-row plates are wider than the stored 2:1: most of them reach the straightening
        assert np.median([c.shape[1] / c.shape[0] for c in natural.images]) > 2.6
