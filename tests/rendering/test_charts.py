"""Server-drawn SVG charts: named, described, escaped, no script, no inline style."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from issuer.rendering.charts import Bar, bar_chart, column_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_a_bar_chart_is_an_image_named_by_its_title_and_described():
    svg = bar_chart("c", "Learners & targets", "AGFE: 3 of 25",
                    [Bar("AGFE", 3, 25), Bar("<BARKA>", 0)])
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c-title" and root.get("aria-describedby") == "c-desc"
    assert root.find(f"{SVG}title").text == "Learners & targets"
    assert root.find(f"{SVG}desc").text == "AGFE: 3 of 25"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["AGFE", "3 / 25", "<BARKA>", "0"]
    assert len(root.findall(f"{SVG}line")) == 1  # the one target mark
    assert "<script" not in svg and "style=" not in svg


def test_a_column_chart_labels_each_column_with_its_formatted_value():
    svg = column_chart("m", "Per month", "…", [Bar("01/26", 1200), Bar("02/26", 0)],
                       number=lambda value: f"{value:,}".replace(",", "\u202f"))
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert texts == ["1\u202f200", "01/26", "0", "02/26"]


def test_an_empty_chart_is_still_a_valid_image():
    root = ET.fromstring(bar_chart("e", "Nothing", "No data", []))
    assert root.find(f"{SVG}title").text == "Nothing"
