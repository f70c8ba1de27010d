#!/usr/bin/env python3
"""The second OpenID provider of the end-to-end tests: django-oauth-toolkit on loopback http, one public client
(the Yew app), one test user (alice / wonderland), a login page with the same data-testids as the bundled one.

    .venv-provider2/bin/python tests/provider2/server.py      (install it first: tests/provider2/install)

Environment: PROVIDER2_PORT (default 9300; the issuer is http://127.0.0.1:PORT/o), APP_PORTS (comma-separated app
ports, default "8080,8081"), ACCESS_TOKEN_TTL (seconds, default 300). Everything is made fresh at every start, in a
temporary directory removed on exit: the sqlite database, the RSA signing key, Django's secret key. No network.
"""

import os
import signal
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    try:
        import django
        import oauth2_provider  # noqa: F401
    except ImportError:
        sys.exit("django-oauth-toolkit is missing: run tests/provider2/install, then use .venv-provider2/bin/python")

    sys.path.insert(0, HERE)
    # Playwright and Ctrl-C stop servers with a signal; exiting through SystemExit removes the temporary directory.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with tempfile.TemporaryDirectory(prefix="provider2-") as data_dir:
        os.environ["PROVIDER2_DATA_DIR"] = data_dir
        os.environ["DJANGO_SETTINGS_MODULE"] = "fixture.settings"
        django.setup()

        from django.core.management import call_command

        from fixture import settings
        from fixture.bootstrap import bootstrap

        call_command("migrate", verbosity=0, interactive=False)
        bootstrap()
        print(f"provider2 (django-oauth-toolkit): issuer {settings.ISSUER}", flush=True)
        call_command("runserver", f"127.0.0.1:{settings.PORT}", use_reloader=False, skip_checks=True)


if __name__ == "__main__":
    main()
