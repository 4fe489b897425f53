"""`/docs` without the internet: Swagger UI's files are served by the gateway itself, not a CDN."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

from bus.dashboard.assets import StaticAssets

DOCS_ASSETS = "/docs-assets"


def serve_offline_docs(app: FastAPI, assets: StaticAssets | None = None) -> None:
    """Replace the app's `/docs` page by one whose script, styles and icon come from this app."""
    files = assets if assets is not None else StaticAssets()
    docs_url = app.docs_url or "/docs"
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) != docs_url]

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API docs",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        )

    @app.get(DOCS_ASSETS + "/{name}", include_in_schema=False)
    async def swagger_asset(name: str, request: Request) -> Response:
        return files.response(f"vendor/swagger-ui/{name}", request)
