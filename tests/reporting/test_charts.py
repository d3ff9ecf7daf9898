"""The engine's SVG charts parsed as XML: named by <title> and <desc>, bars and points where their
values put them, the target and projection drawn and named, every text escaped, big enough and
dark enough, and no chart at all when there is nothing to draw."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from forms_engine.reporting.charts import (
    GREEN,
    Bar,
    Projection,
    Series,
    add_months,
    bar_chart,
    format_share,
    line_chart,
    share_axis,
)

SVG = "{http://www.w3.org/2000/svg}"
START = date(2025, 1, 1)


def parse(markup: object) -> ET.Element:
    assert markup is not None
    return ET.fromstring(str(markup))


def texts(root: ET.Element) -> list[str]:
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(colour: str) -> float:
    return 1.05 / (luminance(colour) + 0.05)


def a_bar_chart(**overrides: object) -> ET.Element:
    bars = [
        Bar("APHA", 0.1, "10% (1 of 10)"),
        Bar("EA", 0.3, "30% (3 of 10)"),
        Bar("Defra", None, "no forms"),
    ]
    options: dict[str, object] = {"title": "Share by organisation", "description": "Bars.", "target": 0.2}
    options.update(overrides)
    return parse(bar_chart(bars, **options))  # type: ignore[arg-type]


def a_line_chart(**overrides: object) -> ET.Element:
    count = Series("By count", [(add_months(START, i), 0.02 * i) for i in range(6)])
    volume = Series(
        "By volume",
        [(add_months(START, i), None if i == 2 else 0.03 * i) for i in range(6)],
        GREEN,
        "square",
        "9 4",
    )
    options: dict[str, object] = {
        "title": "Month by month",
        "description": "Lines.",
        "target": 0.2,
        "target_date": date(2025, 3, 31),
        "projection": Projection(
            (add_months(START, 5), 0.1), (add_months(START, 10), 0.2), "Projection: Nov 2025"
        ),
    }
    options.update(overrides)
    return parse(line_chart([count, volume], **options))  # type: ignore[arg-type]


@pytest.mark.parametrize("make", [a_bar_chart, a_line_chart])
def test_a_chart_is_an_image_named_by_its_title_and_description(make: object) -> None:
    root = make()  # type: ignore[operator]
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby", "").split()
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.get("id") == title_id and title.text
    assert desc is not None and desc.get("id") == desc_id and desc.text
    assert list(root)[:2] == [title, desc]  # first, so every reader finds them
    # Scales with the page: a viewBox and a relative width, no inline style (the CSP has none).
    assert root.get("viewBox") and root.get("width") == "100%"
    assert not any(element.get("style") for element in root.iter())


@pytest.mark.parametrize("make", [a_bar_chart, a_line_chart])
def test_text_is_big_enough_and_dark_enough(make: object) -> None:
    root = make()  # type: ignore[operator]
    default_size, default_fill = int(root.get("font-size", "0")), root.get("fill", "")
    for element in root.iter(f"{SVG}text"):
        assert int(element.get("font-size", default_size)) >= 16
        assert contrast_with_white(element.get("fill", default_fill)) >= 4.5


@pytest.mark.parametrize("make", [a_bar_chart, a_line_chart])
def test_bars_and_lines_have_enough_contrast(make: object) -> None:
    root = make()  # type: ignore[operator]
    drawn = [
        colour
        for element in root.iter()
        if element.tag in (f"{SVG}rect", f"{SVG}path", f"{SVG}circle")
        or "app-chart__target" in element.get("class", "")
        for colour in (element.get("fill"), element.get("stroke"))
        if colour and colour not in ("none", "#ffffff")
    ]
    assert drawn
    for colour in drawn:
        assert contrast_with_white(colour) >= 3, colour


def test_bars_are_as_long_as_their_values(tmp_path: object) -> None:
    root = a_bar_chart()
    bars = {g.get("data-label"): g.find(f"{SVG}rect") for g in root.iter(f"{SVG}g") if g.get("data-label")}
    apha, ea = float(bars["APHA"].get("width")), float(bars["EA"].get("width"))  # type: ignore[union-attr]
    assert ea == pytest.approx(3 * apha, abs=0.2)
    assert bars["Defra"] is None  # nothing to measure, no bar
    # The target line (0.2) is drawn half way between the ends of the 0.1 and 0.3 bars.
    x0 = float(bars["APHA"].get("x"))  # type: ignore[union-attr]
    target = next(line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray"))
    assert float(target.get("x1", "0")) == pytest.approx(x0 + 2 * apha, abs=0.2)


def test_every_bar_and_the_target_are_labelled_in_words() -> None:
    words = texts(a_bar_chart())
    for text in ("APHA", "EA", "Defra", "10% (1 of 10)", "30% (3 of 10)", "no forms", "Target 20%"):
        assert text in words


@pytest.mark.parametrize(
    ("values", "axis"),
    [
        ([0.18, 0.2], (0.2, 0.05)),
        ([0.4], (0.4, 0.1)),
        ([0.73], (0.8, 0.2)),
        ([0.03], (0.03, 0.01)),
        ([0.0], (0.1, 0.02)),
        ([], (0.1, 0.02)),
        ([1.0], (1.0, 0.2)),
        ([1.4], (1.0, 0.2)),
    ],
)
def test_the_share_axis_reaches_the_largest_value_in_a_few_round_steps(
    values: list[float], axis: tuple[float, float]
) -> None:
    assert share_axis(values) == pytest.approx(axis)


@pytest.mark.parametrize(
    ("value", "words"),
    [(0.2, "20%"), (0.125, "12.5%"), (1 / 3, "33.3%"), (0.0, "0%"), (1.0, "100%"), (None, "no data")],
)
def test_shares_are_shown_as_percentages(value: float | None, words: str) -> None:
    assert format_share(value) == words


@pytest.mark.parametrize(
    "text", ["<b>bold</b> & \"quotes\" 'single'", "</svg><script>alert(1)</script>", "a\x01b\x1fc"]
)
def test_every_text_is_escaped(text: str) -> None:
    markup = bar_chart([Bar(text, 0.5, text)], title=text, description=text, target=0.2)
    root = parse(markup)  # parses: nothing broke out of its element
    clean = text.replace("\x01", "").replace("\x1f", "")
    assert root.find(f"{SVG}title").text == clean  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == clean  # type: ignore[union-attr]
    bar = next(g for g in root.iter(f"{SVG}g") if g.get("data-label"))
    assert bar.get("data-label") == clean
    assert clean in texts(root)  # the value (the label may be shortened)
    assert "<script>" not in str(markup) and "<b>" not in str(markup)
    line = parse(line_chart([Series(text, [(START, 0.1)])], title=text, description=text))
    assert any(clean in words for words in texts(line))


def test_a_long_label_is_shortened_in_the_chart_but_kept_whole_for_the_table() -> None:
    label = "A very long organisation name that goes on and on"
    root = parse(bar_chart([Bar(label, 0.5, "50%")], title="t", description="d"))
    bar = next(g for g in root.iter(f"{SVG}g") if g.get("data-label"))
    assert bar.get("data-label") == label
    shown = texts(bar)[0]
    assert len(shown) <= 28 and shown.endswith("\N{HORIZONTAL ELLIPSIS}")


def test_nothing_to_draw_gives_no_chart() -> None:
    assert bar_chart([], title="t", description="d") is None
    assert line_chart([], title="t", description="d") is None
    assert (
        line_chart(
            [Series("By count", [(START, None), (add_months(START, 1), None)])], title="t", description="d"
        )
        is None
    )


def test_a_line_goes_through_its_points_and_breaks_where_a_month_has_no_value() -> None:
    root = a_line_chart()
    series = {
        g.get("data-label"): g for g in root.iter(f"{SVG}g") if "app-chart__series" in g.get("class", "")
    }
    count_path = series["By count"].find(f"{SVG}path").get("d", "")  # type: ignore[union-attr]
    volume_path = series["By volume"].find(f"{SVG}path").get("d", "")  # type: ignore[union-attr]
    assert count_path.count("M") == 1
    assert volume_path.count("M") == 2  # a gap in the third month
    points = [(float(c.get("cx", 0)), float(c.get("cy", 0))) for c in series["By count"].iter(f"{SVG}circle")]
    assert len(points) == 6
    # Equal steps in value and month give equal steps on the chart.
    xs, ys = [x for x, _ in points], [y for _, y in points]
    assert len({round(b - a, 1) for a, b in itertools.pairwise(xs)}) == 1
    assert len({round(a - b, 1) for a, b in itertools.pairwise(ys)}) == 1
    squares = list(series["By volume"].iter(f"{SVG}rect"))
    assert len(squares) == 5  # its own marker shape, not only its own colour


def test_the_key_names_every_line_the_target_the_target_date_and_the_projection() -> None:
    root = a_line_chart()
    key = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "app-chart__key")
    assert texts(key) == [
        "By count (10% in Jun 2025)",
        "By volume (15% in Jun 2025)",
        "Target 20%",
        "Target date Mar 2025",
        "Projection: Nov 2025",
    ]
    classes = {element.get("class") for element in root.iter()}
    assert {"app-chart__target", "app-chart__target-date", "app-chart__projection"} <= classes
    projection = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "app-chart__projection")
    assert projection.find(f"{SVG}line").get("stroke-dasharray")  # type: ignore[union-attr]


def test_a_target_date_outside_the_months_shown_is_not_drawn() -> None:
    root = a_line_chart(target_date=date(2030, 3, 31), projection=None)
    assert not any(element.get("class") == "app-chart__target-date" for element in root.iter())
    assert "Target date Mar 2030" not in texts(root)


def test_a_single_month_is_drawn_in_the_middle() -> None:
    root = parse(line_chart([Series("By count", [(START, 0.1)])], title="t", description="d"))
    series = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "app-chart__series")
    circle = next(series.iter(f"{SVG}circle"))
    axis = next(p for p in root.iter(f"{SVG}path") if p.get("stroke-width") == "2")
    numbers = [float(n) for n in re.findall(r"[\d.]+", axis.get("d", ""))]
    left, right = numbers[0], numbers[-2]
    assert float(circle.get("cx", 0)) == pytest.approx((left + right) / 2, abs=0.5)


def test_a_long_line_gets_markers_on_some_points_only_and_always_the_last() -> None:
    points = [(add_months(START, i), 0.001 * i) for i in range(60)]
    root = parse(line_chart([Series("By count", points)], title="t", description="d"))
    series = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "app-chart__series")
    markers = [float(c.get("cx", 0)) for c in series.iter(f"{SVG}circle")]
    assert 12 <= len(markers) <= 25
    path = series.find(f"{SVG}path").get("d", "")  # type: ignore[union-attr]
    last_x = float(path.split(" L")[-1].split(",")[0])
    assert markers[-1] == last_x
