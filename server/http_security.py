"""What every response and every request's origin go through: trusted proxies and security headers.

TRUSTED_PROXIES=N (default 0) believes the last N hops of X-Forwarded-For/-Proto/-Host/-Port
(werkzeug's ProxyFix): the sign-in limiter then sees each client's own address, the console's
cookies know the request came over https, and a webhook's signed URL is the public one. With 0
those headers are ignored, since anyone can send them.
"""
from __future__ import annotations

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from server import services

HEADERS = {
    # The console's pages load only their own scripts and styles and are never framed.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # same-origin: Flask-WTF compares the Referer on HTTPS requests.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000"  # a year; not includeSubDomains: the lender's other hosts are theirs


def init_app(app: Flask) -> None:
    settings = services(app).settings
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)
    https = bool(settings.public_url and settings.public_url.startswith("https://"))

    @app.after_request
    def security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if https:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if not (request.endpoint or "").endswith("static"):
            # Pages, JSON and TwiML hold personal data: no cache anywhere keeps them.
            response.headers["Cache-Control"] = "no-store"
        return response
