"""Admin pages: the run history, with a chart of records received and alerts raised per night and source.

The chart is inline SVG drawn here, on the server: no script, no library from elsewhere, and it prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from flask import Flask, render_template, request
from markupsafe import Markup, escape

from watchlist import i18n
from watchlist.access import allow
from watchlist.db import get_session
from watchlist.incoming import nightly_figures, recent_runs, run_to_dict
from watchlist.models import Role
from watchlist.web import navigation, web

# one colour per source, in order, distinguishable by colour-blind readers (Okabe-Ito)
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
NIGHTS = 14
RUNS_SHOWN = 50

MESSAGES: dict[str, dict[str, str]] = {
    "uk": {
        "nav.admin_runs": "Запуски",
        "nav.admin_runs.description": "Історія завантажень, отримань і зіставлень списків; графік за ночами.",
        "admin.runs.title": "Історія запусків",
        "admin.runs.chart_records": "Отримано записів за ніч (UTC), за джерелами",
        "admin.runs.chart_alerts": "Піднято тривог за ніч (UTC), за джерелами",
        "admin.runs.chart_empty": "За останні {nights} ночей нічого не отримано.",
        "admin.runs.table": "Останні запуски",
        "admin.runs.none": "Запусків ще не було.",
        "admin.runs.id": "№",
        "admin.runs.kind": "Вид",
        "admin.runs.source": "Джерело",
        "admin.runs.status": "Стан",
        "admin.runs.started_at": "Початок (UTC)",
        "admin.runs.duration": "Тривалість, с",
        "admin.runs.counts": "Лічильники",
        "admin.runs.error": "Помилка",
        "admin.runs.all_sources": "усі",
        "admin.runs.kind.import": "імпорт",
        "admin.runs.kind.fetch": "отримання",
        "admin.runs.kind.match": "зіставлення",
        "admin.runs.kind.retro": "ретро-зіставлення",
        "admin.runs.status.running": "триває",
        "admin.runs.status.succeeded": "успішно",
        "admin.runs.status.unchanged": "без змін",
        "admin.runs.status.quarantined": "у карантині",
        "admin.runs.status.failed": "збій",
    },
    "en": {
        "nav.admin_runs": "Runs",
        "nav.admin_runs.description": "History of list imports, fetches and matching; a chart by night.",
        "admin.runs.title": "Run history",
        "admin.runs.chart_records": "Records received per night (UTC), by source",
        "admin.runs.chart_alerts": "Alerts raised per night (UTC), by source",
        "admin.runs.chart_empty": "Nothing received in the last {nights} nights.",
        "admin.runs.table": "Latest runs",
        "admin.runs.none": "No runs yet.",
        "admin.runs.id": "No.",
        "admin.runs.kind": "Kind",
        "admin.runs.source": "Source",
        "admin.runs.status": "Status",
        "admin.runs.started_at": "Started (UTC)",
        "admin.runs.duration": "Duration, s",
        "admin.runs.counts": "Counts",
        "admin.runs.error": "Error",
        "admin.runs.all_sources": "all",
        "admin.runs.kind.import": "import",
        "admin.runs.kind.fetch": "fetch",
        "admin.runs.kind.match": "matching",
        "admin.runs.kind.retro": "retro-matching",
        "admin.runs.status.running": "running",
        "admin.runs.status.succeeded": "succeeded",
        "admin.runs.status.unchanged": "unchanged",
        "admin.runs.status.quarantined": "quarantined",
        "admin.runs.status.failed": "failed",
    },
}


def bar_chart(
    title: str, nights: Sequence[date], sources: Sequence[str], series: dict[str, list[int]]
) -> Markup:
    """A stacked bar chart as inline SVG: one bar per night, one colour per source, a legend, the total
    above each bar, and a <title> per segment that screen readers and hovering show."""
    width, height, left, bottom, top = 760, 240, 48, 36, 24
    plot_w, plot_h = width - left - 12, height - bottom - top
    totals = [sum(series[source][n] for source in sources) for n in range(len(nights))]
    peak = max(totals, default=0) or 1
    slot = plot_w / max(len(nights), 1)
    bar_w = slot * 0.7
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 18 * len(sources)}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#555"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11">0</text>',
    ]
    for n, night in enumerate(nights):
        x = left + n * slot + (slot - bar_w) / 2
        y: float = top + plot_h
        for number, source in enumerate(sources):
            colour = PALETTE[number % len(PALETTE)]
            value = series[source][n]
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{night.isoformat()} {escape(source)}: {value}</title></rect>"
            )
        if totals[n]:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="10">'
                f"{totals[n]}</text>"
            )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle" font-size="10">'
            f"{night.strftime('%d.%m')}</text>"
        )
    for n, source in enumerate(sources):
        legend_y = height + 18 * n
        parts.append(
            f'<rect x="{left}" y="{legend_y - 10}" width="12" height="12" '
            f'fill="{PALETTE[n % len(PALETTE)]}"/>'
        )
        parts.append(f'<text x="{left + 18}" y="{legend_y}" font-size="12">{escape(source)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


@web.get("/admin/runs")
@allow(Role.ADMIN)
def admin_runs() -> str:
    """The run history page: the charts of the last nights, then the newest runs."""
    session = get_session()
    source = request.args.get("source") or None
    figures = nightly_figures(session, NIGHTS)
    charts = []
    if figures.sources:
        charts = [
            (i18n.gettext(title), bar_chart(i18n.gettext(title), figures.nights, figures.sources, series))
            for title, series in (
                ("admin.runs.chart_records", figures.records),
                ("admin.runs.chart_alerts", figures.alerts),
            )
        ]
    runs = [run_to_dict(run) for run in recent_runs(session, source, RUNS_SHOWN)]
    return render_template("admin_runs.html", charts=charts, runs=runs, nights=NIGHTS)


def init_app(app: Flask) -> None:
    """Add the pages' texts to the catalogue and their entry to the menu."""
    i18n.catalogue_of(app).add(MESSAGES)
    navigation.add_nav_item(app, "web.admin_runs", "nav.admin_runs", "nav.admin_runs.description")
