"""Themes are named in the reader's language (the catalogue's themes.toml), never by their id."""

from __future__ import annotations


def test_the_catalogue_page_names_themes_in_the_readers_language(client, world, admin):
    page = client.get("/admin/catalogue?lang=fr").text
    assert "<td>Métiers verts</td>" in page and "<td>green-jobs</td>" not in page
    assert "<td>Green jobs</td>" in client.get("/admin/catalogue?lang=en").text


def test_the_statistics_filter_names_themes_in_the_readers_language(client, world, admin):
    page = client.get("/admin/stats?lang=pl").text
    assert '<option value="green-jobs"' in page and "Zielone zawody</option>" in page
