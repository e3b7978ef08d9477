"""The shipped models: load offline, find and read rendered plates, reject bad input."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest

from gated.anpr.detector import Detection
from gated.anpr.models import AnprError, models_dir
from gated.anpr.routed import RoutedOCR
from gated.anpr.reader import AnprReader, camera_config, check_image, expand, pick_margin, trimmed_copies, vote_reads, whole_index
from gated.core.plates import is_valid
from gated.devices.interfaces import PlateRead, PlateReader
from scripts.anpr import plate_render, plate_text
from tests.anpr.conftest import needs_fonts
from tests.anpr.helpers import FakeOCR, lane_frame


@pytest.fixture(scope="module")
def reader() -> AnprReader:
    return AnprReader()


def test_models_load_without_network(no_network):
    r = AnprReader()
    assert isinstance(r, PlateReader)
    assert (models_dir() / "plate_config.yaml").exists()


class FixedBoxes:
    """Stands in for the detector: always the given boxes."""

    def __init__(self, boxes: list[tuple[int, int, int, int]]) -> None:
        self.boxes = boxes

    def detect(self, image: np.ndarray) -> list[Detection]:
        return [Detection(b, 0.9) for b in self.boxes]


def test_trimmed_copies_and_their_vote():
    image = np.zeros((50, 200, 3), np.uint8)
    shapes = [c.shape[:2] for c in trimmed_copies(image)]
    assert shapes == [(50, 200), (46, 192), (50, 196), (50, 196), (48, 200), (48, 200)]
    reads = [("29C12345", 0.9), ("29C12845", 0.8), ("29C12345", 0.7), ("2OC1234", 0.9), ("29C12345", 0.6)]
    assert vote_reads(reads) == ("29C12345", round((0.9 + 0.7 + 0.6) / 5, 3))
    assert vote_reads([("2OC1234", 0.5), ("2OC1234", 0.4)])[0] == "2OC1234"  # nothing valid: best guess


def test_whole_index_takes_the_read_that_extends_a_cut_one():
    cut, whole, other = "65SV4759", "65SV47593", "65SV47598"
    assert whole_index([cut, whole]) == 1
    assert whole_index([whole, cut]) == 0  # a shorter later read never wins
    assert whole_index([cut, other, whole]) == 1  # first extension wins; both are whole plates
    assert whole_index(["29C12345", "29C12346"]) == 0  # no extension: the tighter crop's read
    assert whole_index([]) is None


def _acceptable(text: str, conf: float) -> bool:
    return conf >= 0.3 and is_valid(text)


def test_pick_margin_keeps_the_whole_acceptable_read():
    assert pick_margin([("65SV4759", 0.9), ("65SV47593", 0.9)], _acceptable) == 1
    assert pick_margin([("65SV475", 0.9), ("65SV47593", 0.9)], _acceptable) == 1  # the first is no plate
    assert pick_margin([("65SV47593", 0.1), ("65SV47598", 0.9)], _acceptable) == 1  # the first too unsure


def test_pick_margin_sends_an_invalid_chinese_read_to_the_specialist_and_gives_up_on_the_rest():
    assert pick_margin([("29C1", 0.9), ("陕A00E6X6", 0.9)], _acceptable) == 1  # invalid, but Chinese
    assert pick_margin([("皖A00E66", 0.9), ("陕A00E6X6", 0.9)], _acceptable) == 0
    assert pick_margin([("29C1", 0.9), ("ABC", 0.9)], _acceptable) is None


def test_a_two_row_format_is_not_read_from_a_one_row_box(reader):
    """The 12% crop of a one-row car plate can take its printed border for a last 1:
    30A88888 -> 30A888881 is a valid motorbike format, which no one-row box holds."""
    wide, square = (0, 0, 260, 60), (0, 0, 140, 100)
    assert reader._acceptable("30A888881", 0.9, square) and not reader._acceptable("30A888881", 0.9, wide)
    assert reader._acceptable("30A88888", 0.9, wide) and reader._acceptable("桂A12345", 0.9, wide)
    acceptable = lambda t, c: reader._acceptable(t, c, wide)  # noqa: E731
    assert pick_margin([("30A88888", 0.9), ("30A888881", 0.9)], acceptable) == 0
    assert pick_margin([("30A88888", 0.9), ("30A888881", 0.9)], _acceptable) == 1


def test_a_settled_read_is_not_read_again_at_the_looser_margin(reader):
    one_row, two_row = (0, 0, 260, 60), (0, 0, 140, 100)
    assert reader._settled(("29C12345", 0.9), one_row)  # 29C12345X fits no one-row format
    assert not reader._settled(("29C12345", 0.9), two_row)  # 29C123456 = 29-C1 234.56
    assert not reader._settled(("29C1234", 0.9), one_row)  # 29C12345 extends it
    assert reader._settled(("皖A0K78E", 0.9), one_row) and not reader._settled(("皖A12345", 0.9), one_row)  # 皖A12345D
    assert not reader._settled(("29C12345", 0.1), one_row) and not reader._settled(("ABC", 0.9), one_row)


def _marked_frame() -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A black grey frame, one box; the top-left pixel of its 3% crop is 1, of its 12% crop 2
    (FakeOCR reads a crop by that pixel)."""
    image, box = np.zeros((300, 400), np.uint8), (100, 100, 300, 160)
    for margin, mark in ((0.03, 1), (0.12, 2)):
        x1, y1, _, _ = expand(box, margin, 400, 300)
        image[y1, x1] = mark
    return image, box


@pytest.mark.parametrize(("tight", "loose", "reads", "kept"), [
    ("29C12345", "29C123451", [[1]], "29C12345"),  # settled: one read
    ("29C1234", "29C12345", [[1], [2]], "29C12345"),  # a longer plate may start with it: read wider
    ("ABC", "29C12345", [[1], [2]], "29C12345"),  # no plate at 3%
])
def test_the_looser_margin_is_read_only_for_unsettled_boxes(reader, monkeypatch, tight, loose, reads, kept):
    image, box = _marked_frame()
    general = FakeOCR({1: tight, 2: loose})
    monkeypatch.setattr(reader, "ocr", RoutedOCR(general, None))
    assert [r.text for r in reader._first_pass(image, [box]) if r] == [kept]
    assert [crops for crops, _ in general.calls] == reads


@needs_fonts
def test_box_shorter_than_the_plate_is_retried_wider(monkeypatch):
    """A detector box that cuts off the plate's last characters reads nothing valid at the
    tight margin; the wider retries read the whole plate."""
    monkeypatch.setattr(plate_render, "OFF_CENTRE_SHARE", 0.0)  # the box cuts the text's end
    r = AnprReader()
    read = 0
    for seed in range(4):
        frame, labels = lane_frame(["vn1"], seed)
        x, y, pw, ph = 250, 550, 300, int(300 * 110 / 520)
        r.detector = FixedBoxes([(x, y, x + int(pw * 0.86), y + ph)])
        tight = r.ocr.read([frame[y : y + ph, x : x + int(pw * 0.86)]])[0][0]
        assert tight != labels[0]
        read += [p.text for p in r.read(frame)] == labels
    assert read >= 3, f"read {read}/4 plates from short boxes"


@needs_fonts
@pytest.mark.parametrize("kind", ["vn1", "vn2moto", "cn1", "cn_trailer"])
def test_reads_one_plate_per_kind(reader, kind):
    """Every kind goes through detection, OCR and format checks. How often: the evaluation's
    job (rendered two-row trailers, the weakest kind: 58% exact, nearly all misses the small
    top-row province), so half of six frames is asked here."""
    hits = 0
    for seed in range(6):
        frame, labels = lane_frame([kind], seed)
        reads = reader.read(frame)
        hits += [r.text for r in reads] == labels
        for r in reads:
            x1, y1, x2, y2 = r.box
            assert 0 <= x1 < x2 <= 1920 and 0 <= y1 < y2 <= 1080
    assert hits >= 3, f"{kind}: read {hits}/6 frames"


class Spy:
    """Wraps an OCR and counts the crops it is given."""

    def __init__(self, ocr) -> None:
        self.ocr, self.crops = ocr, 0

    def read(self, crops, search=False):
        return self.read_with_provinces(crops, search)[0]

    def read_with_provinces(self, crops, search=False):
        self.crops += len(crops)
        return self.ocr.read_with_provinces(crops, search)


@needs_fonts
@pytest.mark.parametrize("sure, specialist_crops", [(1.01, 1), (None, 0)], ids=["skip-off", "shipped"])
def test_a_chinese_box_is_read_once_by_the_specialist_or_not_at_all_when_the_general_model_is_sure(
        monkeypatch, sure, specialist_crops):
    """Both margins of a box go to the general model; only the crop kept for the box goes to
    the specialist (it was read at both margins: ~1 ms per Chinese box). This plate's general
    read is sure (``routed.GENERAL_SURE``), so as shipped the specialist is not asked at all;
    with the skip turned off it reads the one kept crop."""
    if sure is not None:
        monkeypatch.setattr("gated.anpr.routed.GENERAL_SURE", sure)
    r = AnprReader()
    frame, labels = lane_frame(["cn1"], seed=1)
    r.detector = FixedBoxes([r.detector.detect(frame)[0].box])
    r.ocr.chinese = spy = Spy(r.ocr.chinese)
    assert [p.text for p in r.read(frame)] == labels
    assert spy.crops == specialist_crops


@needs_fonts
def test_reads_several_plates_in_one_frame(reader):
    frame, labels = lane_frame(["vn1", "cn1"], seed=11)
    reads = reader.read(frame)
    assert sorted(r.text for r in reads) == sorted(labels)
    left, right = sorted(reads, key=lambda r: r.box[0])
    assert left.box[2] < right.box[0]  # two separate boxes


@needs_fonts
def test_read_detected_gives_the_reads_and_the_boxes_they_came_from(reader):
    frame, labels = lane_frame(["vn1", "cn1"], seed=8)
    plates, detections = reader.read_detected(frame)
    assert sorted(p.text for p in plates) == sorted(labels) == sorted(p.text for p in reader.read(frame))
    assert detections == reader.detector.detect(frame)
    assert all(any(p.box == d.box for d in detections) for p in plates)


@needs_fonts
def test_reads_ir_grey_frame(reader):
    frame, labels = lane_frame(["vn1"], seed=21, grey=True)
    assert [r.text for r in reader.read(frame)] == labels


@needs_fonts
def test_plate_crop_is_read_without_detection(reader):
    rng = random.Random(5)
    text = plate_text.sample(rng, "vn2moto")
    crop = plate_render.render(text, rng, scale=1.0)
    assert reader.read_crop(crop).text == text.label
    assert [r.text for r in reader.read(crop)] == [text.label]  # whole-image fallback


def test_empty_frame_has_no_plates(reader):
    assert reader.read(np.full((720, 1280, 3), 90, np.uint8)) == []


@pytest.mark.parametrize("camera", [False, True])
def test_only_a_file_reader_reads_the_whole_image_when_no_box_is_read(camera):
    """A file may be a plate crop: with no box read, its reader reads the whole image. A camera
    frame is a scene: its reader (``camera_config``, as the daemon builds it) never does."""
    r = AnprReader(config=camera_config(False) if camera else None)
    seen: list[tuple[int, ...]] = []
    general_read = r.ocr.general.read

    def spy(crops: list[np.ndarray], search: bool = False) -> list[tuple[str, float]]:
        seen.extend(c.shape for c in crops)
        return general_read(crops, search)

    r.ocr.general.read = spy
    frame = np.full((1080, 1920, 3), 90, np.uint8)
    assert r.read(frame) == []
    assert ((1080, 1920, 3) in seen) is not camera


@pytest.mark.parametrize("camera", [False, True])
def test_only_a_camera_reader_reads_side_by_side_boxes_joined(camera):
    """A close-up plate found as two halves: a camera's reader also reads their union (the
    voter pools the frames that split it); a file's does not (on the real crops read as files
    a union's misread came before the whole-image read)."""
    r = AnprReader(config=camera_config(False) if camera else None)
    halves = [Detection((100, 200, 180, 230), 0.6), Detection((190, 202, 260, 231), 0.5)]
    r.detector.detect = lambda image: halves
    read_boxes = r._read_boxes
    seen: list[list[tuple[int, int, int, int]]] = []

    def spy(image: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> list:
        seen.append(boxes)
        return read_boxes(image, boxes)

    r._read_boxes = spy
    r.read(np.full((720, 1280, 3), 90, np.uint8))
    assert seen[0][:2] == [d.box for d in halves]
    assert ((100, 200, 260, 231) in seen[0]) is camera


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 3), np.uint8), np.zeros((100, 100, 3), np.float32),
                                 np.zeros((100, 100, 5), np.uint8), "not an image"])
def test_bad_input_is_a_clear_error(reader, bad):
    with pytest.raises(AnprError):
        check_image(bad)
    with pytest.raises(AnprError):
        reader.read(bad)


def test_missing_models_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("GATED_MODELS_DIR", str(tmp_path))
    monkeypatch.setattr("gated.anpr.models.candidate_dirs", lambda: [tmp_path])
    with pytest.raises(AnprError, match="models not found"):
        AnprReader()


@needs_fonts
@pytest.mark.parametrize("kind", ["vn1", "vn2moto", "cn1"])
def test_constrained_search_on_the_shipped_model_agrees_with_a_valid_greedy_read(reader, kind):
    """The model's ``ctc`` output, prepared as fast-plate-ocr prepares its input, holds the
    same plate the greedy ``plate`` output reads (so the fallback searches the right columns)."""
    model = reader.ocr.chinese if kind.startswith("cn") else reader.ocr.general
    assert model is not None and model.decoder is not None, "a shipped OCR model has no ctc output"
    rng = random.Random(8)
    text = plate_text.sample(rng, kind)
    crop = plate_render.render(text, rng, scale=1.0)
    greedy = model.read([crop])[0][0]
    assert is_valid(greedy) and greedy[1:] == text.label[1:]  # (the specialist reads this 琼 as 皖)
    assert model.search(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY))[0] == greedy


@needs_fonts
def test_coarse_pass_finds_close_up_plates():
    """A plate two thirds of the frame wide (a truck stopped at the camera): larger than any
    the detector was trained on at its first scale; the coarse pass finds all three."""
    from gated.anpr.detector import PlateDetector, iou
    from gated.anpr.models import DETECTOR_FILE, models_dir

    detector = PlateDetector(models_dir() / DETECTOR_FILE, coarse_width=320)
    best = []
    for seed in range(3):
        rng = random.Random(seed)
        plate = plate_render.render(plate_text.sample(rng, "cn1"), rng, scale=1.0)
        frame = np.full((1080, 1920, 3), (200, 200, 205), np.uint8)
        pw, x, y = 1250, 330, 400
        ph = int(pw * plate.shape[0] / plate.shape[1])
        frame[y : y + ph, x : x + pw] = cv2.resize(plate, (pw, ph), interpolation=cv2.INTER_AREA)
        best.append(max([iou((x, y, x + pw, y + ph), d.box) for d in detector.detect(frame)] or [0.0]))
    assert min(best) >= 0.5 and max(best) >= 0.75, best
