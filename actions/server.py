"""The action server: rasa-sdk's app, answering Rasa only.

    python -m actions.server [--host 127.0.0.1] [--port 5055]

Rasa sends `Authorization: Bearer $ACTION_SERVER_TOKEN` with every action call (endpoints.yml);
any other request except the health check gets 401. The token is required, locally too
(`./repay serve` and the e2e stack generate one per run), and the server listens on loopback
unless told otherwise: where Rasa runs on another host, pass `--host 0.0.0.0` and keep the port
reachable by Rasa only (docs/security.md). `rasa run actions` would serve the same actions
without either, so production starts this module instead.

It runs on the service's Python with a current rasa-sdk (docs/dependencies.md): the action
protocol Rasa 3.6 speaks is unchanged, which the end-to-end suite proves on every CI run.
"""
from __future__ import annotations

import hmac
import logging
import sys
import warnings
from typing import List, Optional

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app, create_argument_parser, create_ssl_config
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response

from actions import config
from settings.deployment import ConfigError

OPEN_PATHS = ("/health",)  # what the stack's and an orchestrator's health checks call
DEFAULT_HOST = "127.0.0.1"


def require_token(app: Sanic, token: str) -> None:
    """Refuses every request but the health check that lacks the bearer token."""
    expected = f"Bearer {token}".encode()

    async def check(request):
        if request.path in OPEN_PATHS:
            return None
        given = (request.headers.get("Authorization") or "").encode()
        if not hmac.compare_digest(given, expected):
            return response.json({"error": "missing or wrong ACTION_SERVER_TOKEN"}, status=401)
        return None

    app.register_middleware(check, "request")


# rasa-sdk warns that Rasa's minor version differs from its own. The protocol is the same
# (the end-to-end suite runs on it), so the warning would only mislead whoever reads the log.
warnings.filterwarnings("ignore", message="Your versions of rasa and rasa_sdk might not be")


class SelectiveDomainExecutor(ActionExecutor):
    """Rasa sends the domain (about 90 KB of JSON) only with the calls that need it
    (`enable_selective_domain` in endpoints.yml: the forms' validation actions, and the actions
    marked `send_domain` in domain.yml), and Rasa 3.6 sends no `domain_digest`, without which
    rasa-sdk refuses a call that carries no domain. Such a call gets an empty domain: an action
    that reads it and is not marked fails loudly (tests/actions/test_action_server.py)."""

    def update_and_return_domain(self, payload, action_name):
        return payload.get("domain") or {}


def build_app(token: str, actions_package: str = "actions") -> Sanic:
    executor = SelectiveDomainExecutor()
    executor.register_package(actions_package)
    app = create_app(executor, cors_origins="")  # no browser calls it: no CORS
    require_token(app, token)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    return app


def main(argv: Optional[List[str]] = None) -> None:
    parser = create_argument_parser()
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"interface to listen on (default {DEFAULT_HOST}: this machine only)")
    args = parser.parse_args(argv)
    try:
        token = config.action_server_token()
    except ConfigError as exc:
        sys.exit(str(exc))
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file,
                                 args.loglevel, args.logging_config_file)
    utils.update_sanic_log_level()
    app = build_app(token, args.actions or "actions")
    ssl = create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    # One process, no Sanic worker manager: an action call costs about 3 ms of CPU, and the
    # process the stack or a process manager starts is then the one that serves.
    app.run(args.host, args.port, ssl=ssl, single_process=True, motd=False, access_log=False)


if __name__ == "__main__":
    main()
