"""The demo clinic page at ``/``: an ordinary page that embeds the widget with one tag."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

__all__ = ["demo_page_handler", "TEMPLATES_DIR"]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def demo_page_handler() -> web.RouteDef:
    """Render the page once (it has no per-request content) and serve it."""
    import jinja2

    from bot.web.widget import texts

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,  # the notice line is data from a YAML file: escape it like any data
        undefined=jinja2.StrictUndefined,
    )
    # The page footer shows the same server-composed line as the widget (numbers from
    # safety/helplines.yaml), so it is visible even before the widget's script runs.
    html = env.get_template("demo.html").render(notice=texts.notice_lines()["en"])

    async def demo_page(request: web.Request) -> web.Response:
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    return web.get("/", demo_page)
