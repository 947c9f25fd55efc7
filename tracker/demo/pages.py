"""Render legalacts-style list pages (synthetic) in the real markup, for demo and tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class DemoCard:
    """One synthetic card. Dates are dd/mm/yyyy as on the site; counters None = no div.tags."""

    card_id: int
    title: str
    status: str
    doc_type: str
    created: str
    deadline: str | None
    agency: str
    counters: tuple[int, int, int, int, int, int] | None = (0, 0, 0, 0, 0, 0)


def _title_html(title: str) -> str:
    """Escape like the site does: quotes and dashes as named entities (&laquo; &raquo; &ndash;)."""
    return (escape(title, quote=False).replace("«", "&laquo;").replace("»", "&raquo;")
            .replace("–", "&ndash;"))


def render_card(card: DemoCard) -> str:
    """One div.contentlist exactly as the site renders it (counters order: comments, likes,
    dislikes, views, accepted, not accepted — the last one after its span, as on the site)."""
    deadline = (
        f"<strong>Публичное обсуждение до:</strong> {card.deadline}<br />" if card.deadline else ""
    )
    tags = ""
    if card.counters is not None:
        comments, likes, dislikes, views, accepted, rejected = card.counters
        tags = f"""
                        <div class="tags">
                            <span class="icon1"></span>{comments}
                            <span class="icon2"></span>{escape(card.agency)}
                            <span class="likeSpan"><span class="icon3"></span>{likes}</span>
                            <span class="dislikeSpan"><span class="icon4"></span>{dislikes}</span>
                            <span class="icon5"></span>{views}
                            <span title="Количество принятых комментарии"><i class="liker fa fa-check-square"></i>{accepted}</span>
                            <span title="Количество непринятых комментарии"><i class="liker fa fa-times-circle"></i></span>{rejected}
                        </div>"""  # noqa: E501
    return f"""
                    <div class="contentlist">
                        <h3>
                            <a href="/npa/view?id={card.card_id}">{_title_html(card.title)}</a>
                        </h3>
                        <div class="info">
                            <strong> Статус:</strong> {escape(card.status)}<br />
                            <strong>Тип НПА:</strong>
                            {escape(card.doc_type)}
                            <br />
                            <strong>Дата создания:</strong> {card.created} <br />
                            {deadline}
                        </div>{tags}
                        <div class="readmore">
                            <a href="/npa/view?id={card.card_id}">Подробнее</a>
                            <a href="/application/downloadnpa?id={card.card_id + 1}" class="more margin-left-20">Скачать (docx) <i class="icon-angle-right"></i></a>
                        </div>
                    </div>"""  # noqa: E501


def render_list_page(
    cards: Sequence[DemoCard], *, heading: str, total_pages: int, extra_parameters: str = ""
) -> str:
    """A whole list page: frame, cards and the pager script with ``totalPages``."""
    body = "".join(render_card(card) for card in cards)
    return f"""<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>Открытые НПА (demo, synthetic)</title></head>
<body>
        <div class="maincontent rightcontent">
            <h4>{escape(heading)}</h4>
{body}
            <div class="pagination-container"></div>
        </div>
<script>
    var extraParameters = '{extra_parameters}';
    $(".pagination-container").twbsPagination({{
        startPage: 1,
        totalPages: {total_pages},
        visiblePages: 7,
        href: arrayToUrl(types)+'&page={{{{number}}}}'+extraParameters
    }});
</script>
</body></html>
"""
