"""The demo scenario: two rounds of synthetic legalacts pages (see README.md here)."""

from __future__ import annotations

from tracker.demo.pages import DemoCard, render_list_page
from tracker.replay import ReplayServer

_WOMEN = (
    "О внесении изменений и дополнений в некоторые законодательные акты Республики Казахстан "
    "по вопросам обеспечения прав женщин и безопасности детей"
)
_WOMEN_KOAP = (
    "О внесении изменений и дополнений в Кодекс Республики Казахстан об административных "
    "правонарушениях по вопросам обеспечения прав женщин и безопасности детей"
)
_ARCHIVES = (
    "О внесении изменений и дополнений в некоторые законодательные акты Республики Казахстан "
    "по вопросам архивного дела и ограничения распространения противоправного контента"
)
_ENERGY = (
    "О внесении изменения в приказ Министра энергетики Республики Казахстан от 24 декабря 2025 "
    "года № 508-н/қ «Об утверждении предельных тарифов на электрическую энергию»"
)
_LABOUR = (
    "О внесении изменений и дополнений в некоторые приказы Министерства труда и социальной "
    "защиты населения Республики Казахстан"
)
_CULTURE = "Министерство культуры и информации РК"
_INTERIOR = "Министерство внутренних дел РК"

ROBOTS = "User-agent: *\nDisallow: /npa/view\nDisallow: /application\n"

DRAFT_LAWS_QUERY = "/list?types%5B0%5D=629"
ORDERS_QUERY = "/list?types%5B0%5D=747"
ARCHIVE_QUERY = "/list?status=IN_ARCHIVE"


def demo_config(base_url: str, other_sources: list[str]) -> str:
    """tracker.toml for the demo home: the real source, pointed at the local server, and
    every other source disabled (the demo never leaves this machine)."""
    disabled = "".join(f"[sources.{key}]\nenabled = false\n\n" for key in other_sources)
    return f"""# Demo home: kz_legalacts pointed at a local replay of synthetic pages.
{disabled}[fetch]
min_interval = 0.0
retries = 1
backoff = 0.05

[sources.kz_legalacts]
base_url = "{base_url}"
max_pages = 2
search_terms = []

[[sources.kz_legalacts.queries]]
name = "draft-laws"
params = {{ "types[0]" = "629" }}

[[sources.kz_legalacts.queries]]
name = "orders"
params = {{ "types[0]" = "747" }}

[[sources.kz_legalacts.queries]]
name = "archive"
params = {{ status = "IN_ARCHIVE" }}
max_pages = 1
stop_when_known = false
"""


def serve_round(server: ReplayServer, round_number: int) -> None:
    """Load round 1 (first look) or round 2 (a week later) into the server."""
    server.set("/robots.txt", ROBOTS)
    if round_number == 1:
        laws = [
            DemoCard(16000300, _WOMEN, "На публичном обсуждении", "Проект Закона", "02/11/2026",
                     "16/11/2026", _INTERIOR, (3, 5, 0, 410, 0, 0)),
            DemoCard(16000220, _ARCHIVES, "На публичном обсуждении", "Проект Закона",
                     "28/10/2026", "11/11/2026", _CULTURE, (12, 1, 40, 2210, 0, 2)),
        ]
        orders = [DemoCard(16000250, _ENERGY, "На публичном обсуждении", "Приказ", "30/10/2026",
                           "04/11/2026", "Министерство энергетики РК", None)]
        archive = [DemoCard(15999001, _LABOUR, "Архив", "Приказ", "01/10/2026", "06/10/2026",
                            "Министерство труда и социальной защиты населения РК",
                            (24, 0, 1, 821, 0, 12))]
    else:
        laws = [
            DemoCard(16000410, _WOMEN_KOAP, "На публичном обсуждении", "Проект Закона",
                     "09/11/2026", "23/11/2026", _INTERIOR, (0, 0, 0, 35, 0, 0)),
            # Deadline extended by a week, more comments.
            DemoCard(16000300, _WOMEN, "На публичном обсуждении", "Проект Закона", "02/11/2026",
                     "23/11/2026", _INTERIOR, (9, 11, 1, 1304, 2, 1)),
            DemoCard(16000220, _ARCHIVES, "Архив", "Проект Закона", "28/10/2026", "11/11/2026",
                     _CULTURE, (12, 1, 40, 2210, 0, 2)),
        ]
        orders = [DemoCard(16000250, _ENERGY, "Архив", "Приказ", "30/10/2026", "04/11/2026",
                           "Министерство энергетики РК", None)]
        archive = [
            DemoCard(16000220, _ARCHIVES, "Архив", "Проект Закона", "28/10/2026", "11/11/2026",
                     _CULTURE, (12, 1, 40, 2210, 0, 2)),
            DemoCard(16000250, _ENERGY, "Архив", "Приказ", "30/10/2026", "04/11/2026",
                     "Министерство энергетики РК", None),
        ]
    server.set(DRAFT_LAWS_QUERY, render_list_page(laws, heading="НПА", total_pages=1,
                                                  extra_parameters=""))
    server.set(ORDERS_QUERY, render_list_page(orders, heading="НПА", total_pages=1))
    server.set(ARCHIVE_QUERY, render_list_page(archive, heading="Архив - Завершенные НПА",
                                               total_pages=1,
                                               extra_parameters="&status=IN_ARCHIVE"))
