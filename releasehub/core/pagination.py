"""One page of a list and the links to its neighbours, for templates/_pagination.html."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.http import HttpRequest


@dataclass(frozen=True)
class PageLink:
    number: int | str  # a page number, or Paginator.ELLIPSIS
    url: str = ""


@dataclass(frozen=True)
class Pager:
    page: Page
    links: list[PageLink]
    previous_url: str
    next_url: str
    label: str


def paginate(
    request: HttpRequest, items, per_page: int, *, param: str = "page", label: str = "Pages"
) -> Pager:
    """Page `param` of `items` (2 queries on a queryset: the count and the rows).

    A missing or bad number gives the first page, one past the end the last (never a 500). The
    links keep the rest of the query string, so a page with several lists keeps each one's page.
    """
    page = Paginator(items, per_page).get_page(request.GET.get(param))

    def url(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return "?" + query.urlencode()

    links = [
        PageLink(n, url(n) if isinstance(n, int) else "")
        for n in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]
    return Pager(
        page=page,
        links=links,
        previous_url=url(page.previous_page_number()) if page.has_previous() else "",
        next_url=url(page.next_page_number()) if page.has_next() else "",
        label=label,
    )
