"""kz_legalacts parser: the real saved list page and this project's synthetic pages."""

from __future__ import annotations

import pytest

from sources.kz_legalacts import KzLegalacts, WatchQuery, parse_list_page
from tests.conftest import fixture_text
from tests.shared_data import shared_dir
from tracker.errors import LayoutChanged

ARCHIVE_URL = "https://legalacts.egov.kz/list?status=IN_ARCHIVE"
BASE = "https://legalacts.egov.kz"


def real_archive_page() -> str:
    path = shared_dir() / "kz-samples/legalacts/list_status-IN_ARCHIVE_page1.excerpt.html"
    return path.read_text(encoding="utf-8")


# Every field of the five real cards, read off the saved page by eye.
REAL_CARDS = [
    ("15908401", "Приказ", "2026-09-10", "2026-09-15",
     "Министерство труда и социальной защиты населения РК",
     {"comments": 18, "likes": 0, "dislikes": 1, "views": 378, "accepted": 0, "rejected": 9},
     "15912294"),
    ("15907944", "Решение", "2026-09-10", "2026-09-11", "Карасайский район Алматинской области",
     {"comments": 2, "likes": 1, "dislikes": 0, "views": 224, "accepted": 1, "rejected": 0},
     "15907945"),
    ("15906353", "Приказ", "2026-09-09", "2026-09-14",
     "Министерство труда и социальной защиты населения РК",
     {"comments": 24, "likes": 0, "dislikes": 1, "views": 821, "accepted": 0, "rejected": 12},
     "15906354"),
    ("15904836", "Приказ", "2026-09-07", "2026-09-12",
     "Министерство промышленности и строительства РК",
     {"comments": 10, "likes": 0, "dislikes": 1, "views": 1168, "accepted": 5, "rejected": 0},
     "15904837"),
    ("15902831", "Приказ", "2026-09-01", "2026-09-06", "Министерство энергетики РК",
     {"comments": 6, "likes": 1, "dislikes": 2, "views": 2957, "accepted": 3, "rejected": 0},
     "15902832"),
]


def test_real_archive_page_every_field() -> None:
    records = KzLegalacts.parse(real_archive_page(), ARCHIVE_URL)
    assert len(records) == len(REAL_CARDS)
    for record, expected in zip(records, REAL_CARDS, strict=True):
        card_id, doc_type, created, until, agency, counters, download = expected
        assert record.external_id == card_id
        assert record.url == f"{BASE}/npa/view?id={card_id}"
        assert record.status_raw == "Архив"
        assert record.stage == "discussion_closed"
        assert record.doc_type == doc_type
        assert record.created == created
        assert record.discussion_until == until
        assert record.agency == agency
        assert record.details["counters"] == counters
        assert record.details["download_id"] == download
        assert record.language == "ru"


def test_real_titles_have_entities_decoded() -> None:
    records = KzLegalacts.parse(real_archive_page(), ARCHIVE_URL)
    first = records[0].title
    assert first.startswith("Приказы Заместителя Премьер-Министра – Министра труда")
    assert "«О внесении изменений" in first and "&laquo;" not in first
    assert first.endswith("и признании утратившими силу некоторых приказов")
    assert records[1].title == "Об объявления чрезвычайной ситуации техногенного характера " \
        "объектового масштаба"
    assert records[4].title.endswith("«Об утверждении предельных тарифов на электрическую энергию»")


def test_real_page_total_pages() -> None:
    assert parse_list_page(real_archive_page(), ARCHIVE_URL).total_pages == 29852


def test_synthetic_paging_pages() -> None:
    pages = [parse_list_page(fixture_text("kz_legalacts", f"list_types629_p{n}.html"), BASE)
             for n in (1, 2, 3)]
    assert [len(p.records) for p in pages] == [5, 5, 2]
    assert all(p.total_pages == 3 for p in pages)
    ids = [r.external_id for p in pages for r in p.records]
    assert len(set(ids)) == 12
    assert ids == sorted(ids, reverse=True)  # newest first, as on the site
    first = pages[0].records[0]
    assert first.stage == "public_discussion"
    entity_title = [r.title for p in pages for r in p.records if "профилактике" in r.title]
    assert entity_title and "«О профилактике бытового насилия»" in entity_title[0]


def test_missing_deadline_and_missing_counters() -> None:
    records = parse_list_page(fixture_text("kz_legalacts", "list_no_deadline_no_counters.html"),
                              BASE).records
    under_review, no_counters = records
    assert under_review.discussion_until is None
    assert under_review.stage == "drafting"
    assert under_review.details["counters"]["comments"] == 0
    # No div.tags: no counters at all, so a stored card keeps the counters it had.
    assert "counters" not in no_counters.details
    assert no_counters.agency is None
    assert no_counters.discussion_until is not None


def test_kazakh_labels_parse_and_unknown_status_is_not_guessed() -> None:
    records = parse_list_page(fixture_text("kz_legalacts", "list_kk_labels.html"), BASE).records
    assert len(records) == 2
    record = records[0]
    assert record.language == "kk"
    assert record.created == "2026-10-20"
    assert record.discussion_until == "2026-10-30"
    assert record.doc_type == "Заң жобасы"
    assert record.status_raw == "Қоғамдық талқылауда"
    assert record.stage == "unknown"  # never guessed from an unrecorded label


def test_status_map_option_maps_a_new_label() -> None:
    page = parse_list_page(fixture_text("kz_legalacts", "list_kk_labels.html"), BASE,
                           status_map={"Қоғамдық талқылауда": "public_discussion"})
    assert {r.stage for r in page.records} == {"public_discussion"}


def test_cards_removed_is_layout_changed() -> None:
    with pytest.raises(LayoutChanged) as info:
        KzLegalacts.parse(fixture_text("kz_legalacts", "list_cards_removed.html"), BASE + "/list")
    assert "div.contentlist" in str(info.value)
    assert "/list" in str(info.value)


def test_page_without_frame_is_layout_changed() -> None:
    with pytest.raises(LayoutChanged, match=r"div\.maincontent"):
        parse_list_page("<html><body><p>Технические работы</p></body></html>", BASE)


def test_garbled_date_is_layout_changed() -> None:
    html = fixture_text("kz_legalacts", "list_types629_p3.html").replace(
        "20/10/2026", "2026-10-20", 1)
    with pytest.raises(LayoutChanged, match="created: unexpected date"):
        parse_list_page(html, BASE)


def test_watch_query_urls() -> None:
    query = WatchQuery("concepts", (("types[0]", "7001"), ("types[1]", "7002")), 3)
    assert query.url(BASE, 1) == f"{BASE}/list?types%5B0%5D=7001&types%5B1%5D=7002"
    assert query.url(BASE, 2).endswith("&page=2")


@pytest.mark.parametrize("fraction", [0.35, 0.5, 0.7, 0.9])
def test_a_page_cut_short_fails_instead_of_losing_counters(fraction: float) -> None:
    """A body that ends early (the connection closed, no Content-Length to tell) still parses
    as HTML; its last card lost its div.tags. Storing it would replace stored counters with
    nulls and save validators for a page never read in full, so the page fails loudly."""
    for html in (real_archive_page(), fixture_text("kz_legalacts", "list_types629_p1.html")):
        assert parse_list_page(html, ARCHIVE_URL).records  # whole, it parses
        cut = html[: html.index("totalPages")][: int(len(html) * fraction)]
        assert 'class="contentlist"' in cut  # at least one card survives the cut
        with pytest.raises(LayoutChanged, match="ends before its pagination script"):
            parse_list_page(cut, ARCHIVE_URL)
