"""Django settings for dancu.

Embedded default: SQLite under ``var/`` (WAL). Production: ``DATABASE_URL=postgres://...``. Every setting an operator
may change comes from the environment (see docs/operator.md).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy

from dancu.core import logs as _logs

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("DANCU_VAR_DIR", Path.cwd() / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """From DANCU_SECRET_KEY; the embedded default generates one on first run under var/ (never in the repository)."""
    key = os.environ.get("DANCU_SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    import secrets

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
#: ``DANCU_DEMO=1`` (set by ``make demo``): demo-only pages are mounted, such as the simulated payment provider's
#: checkout (anyone holding a payment's id could "pay" it there).
DEMO = _env_bool("DANCU_DEMO", False)
DEBUG = _env_bool("DANCU_DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("DANCU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves Swagger UI from its own static files, not from a CDN
    "dancu.accounts",  # before oauth2_provider: its templates override the toolkit's (consent, logout)
    "oauth2_provider",
    "dancu.events",
    "dancu.geo",
    "dancu.registry",
    "dancu.cards",
    "dancu.synth",
    "dancu.exchange",
    "dancu.procedures",
    "dancu.insights",  # the scoreboard's roll-ups and KPIs
    "dancu.linkage",  # bulk reconciliation (Directive 18): Splink on DuckDB / Spark
    "dancu.insurance",  # the social-insurance record and health-insurance check-in
    "dancu.forms",  # the error summary and field error tags both doors use
    "dancu.backoffice",
    "dancu.portal",
    "dancu.ops",
]

MIDDLEWARE = [
    "dancu.ops.logs.RequestLogMiddleware",  # first: the request id covers every line written while serving
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dancu.portal.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "dancu.urls"
WSGI_APPLICATION = "dancu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_default_sqlite = f"sqlite:///{VAR_DIR / 'dancu.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, except that a writer waiting for the write lock retries every few ms (db/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "dancu.db.sqlite"
    # Connections are kept (per worker thread) as on PostgreSQL: opening one and running the pragmas costs ~1 ms
    # per request, and a fresh connection starts with an empty page cache.
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers proceed during writes; IMMEDIATE takes the write lock at BEGIN so that two writers
        # never deadlock upgrading a read lock.
        # cache_size: 64 MiB of page cache per connection instead of SQLite's 2 MiB (index inserts at millions of
        # rows stay in memory).
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; "
            "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("DANCU_TEST_SQLITE") or None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# argon2id with OWASP's parameters for new hashes; older hashes are still read and upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "dancu.accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "dancu.accounts.hashers.ClientSecretHasher",  # OIDC client secrets only (OAUTH2_PROVIDER CLIENT_SECRET_HASHER)
]
LOGIN_URL = "backoffice:login"
LOGIN_REDIRECT_URL = "backoffice:home"
LOGOUT_REDIRECT_URL = "backoffice:login"

LANGUAGE_CODE = "vi"
# The portal's texts are written in English in the code and translated to Vietnamese in locale/vi (make messages).
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Sessions live in the database only: a per-process cache in front of it (cached_db) would keep a signed-out or
# revoked session alive in the other web workers' memory.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("DANCU_SECURE_COOKIES", not DEBUG and "DANCU_DEMO" not in os.environ)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = 8 * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Keys (HMAC, field encryption, token and ledger signing): generated on first run for the embedded default.
DANCU_KEYS_DIR = os.environ.get("DANCU_KEYS_DIR", str(VAR_DIR / "keys"))
# The gateway's projection and access ledger (SQLite files shared by the projector and the gateway processes).
DANCU_GATEWAY_PROJECTION = os.environ.get("DANCU_GATEWAY_PROJECTION", str(VAR_DIR / "gateway-projection.sqlite3"))
DANCU_LEDGER = os.environ.get("DANCU_LEDGER", str(VAR_DIR / "ledger.sqlite3"))
# The chip PKI (cards/pki.py): the CSCA's key and certificate (PEM files; generated on first use for the embedded
# default, from the operator's HSM export or secret store in production); where the master list and CRL are published.
DANCU_CSCA_DIR = os.environ.get("DANCU_CSCA_DIR", str(Path(DANCU_KEYS_DIR) / "csca"))
DANCU_PKI_PUBLIC_DIR = os.environ.get("DANCU_PKI_PUBLIC_DIR", str(VAR_DIR / "pki"))

# The OpenID Connect provider (django-oauth-toolkit): authorization code with PKCE only, rotating refresh tokens
# with reuse detection, RP-initiated logout. Signing keys under DANCU_KEYS_DIR/oidc (see accounts/oidc_keys.py).
from dancu.accounts import oidc_keys as _oidc_keys  # noqa: E402

_OIDC_ACTIVE, _OIDC_RETIRED = _oidc_keys.load(DANCU_KEYS_DIR)
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": _OIDC_ACTIVE,
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": _OIDC_RETIRED,
    "OIDC_ISS_ENDPOINT": os.environ.get("DANCU_OIDC_ISSUER", ""),
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": True,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "PKCE_REQUIRED": True,
    # S256 only: our server class refuses `plain` (and a missing method) at the authorization request already.
    "OAUTH2_SERVER_CLASS": "dancu.accounts.oidc.Server",
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    # http is accepted only for loopback redirect URIs (RFC 8252); `dancu oidc_client` enforces it on registration.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],
    "SCOPES": {
        "openid": gettext_lazy("Sign in with your e-ID"),
        "profile": gettext_lazy("Name, date of birth, sex"),
        "pin": gettext_lazy("Personal ID number"),
        "address": gettext_lazy("Permanent residence"),
        "phone": gettext_lazy("Phone number"),
    },
    "DEFAULT_SCOPES": ["openid"],
    "OAUTH2_VALIDATOR_CLASS": "dancu.accounts.oidc.Validator",
    "CLIENT_SECRET_HASHER": "sha256-client-secret",
    "ACCESS_TOKEN_EXPIRE_SECONDS": 600,
    "ID_TOKEN_EXPIRE_SECONDS": 600,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 30 * 24 * 3600,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REQUEST_APPROVAL_PROMPT": "force",  # remembered consent is ours (accounts.ClientConsent), revocable
}

# The passkeys' relying-party id: a host name (browsers refuse IP addresses); empty = the request's host.
DANCU_WEBAUTHN_RP_ID = os.environ.get("DANCU_WEBAUTHN_RP_ID", "")

# Multiplies the per-network limits on sign-in, one-time codes and registration (accounts/throttle.py); the
# benchmarks raise it so that the limits are not what they measure. Account lockout is not affected.
DANCU_RATE_LIMIT_FACTOR = float(os.environ.get("DANCU_RATE_LIMIT_FACTOR", "1"))
# Where those limits count (a `limits` storage URI): memory:// per process (embedded default; N web workers allow N
# times the limit) or redis://host:6379/0 in production, shared by every worker and node.
DANCU_RATE_LIMIT_STORAGE = os.environ.get("DANCU_RATE_LIMIT_STORAGE", "memory://")

# Dossier attachments: files (content-addressed under DANCU_ATTACHMENTS_DIR), database (in the rows), or a dotted
# path to a store class (procedures/attachments.py).
DANCU_ATTACHMENT_STORE = os.environ.get("DANCU_ATTACHMENT_STORE", "files")
DANCU_ATTACHMENTS_DIR = os.environ.get("DANCU_ATTACHMENTS_DIR", "")  # empty: VAR_DIR/attachments

# Online payments: "simulated" (the embedded provider with signed callbacks) or a provider class's dotted path.
DANCU_PAYMENT_PROVIDER = os.environ.get("DANCU_PAYMENT_PROVIDER", "simulated")

# Messages to citizens (SMS, e-mail) go through the outbox table to a sender: file (var/outbox.jsonl), console,
# smtp (e-mail only) or a dotted path (accounts/messaging.py). E-mail uses DANCU_EMAIL_SENDER when it is set.
DANCU_MESSAGE_SENDER = os.environ.get("DANCU_MESSAGE_SENDER", "file")
DANCU_EMAIL_SENDER = os.environ.get("DANCU_EMAIL_SENDER", "")
# commit: each message is handed to its sender right after the commit; worker: only `dancu messages deliver` sends.
DANCU_MESSAGE_HANDOFF = os.environ.get("DANCU_MESSAGE_HANDOFF", "commit")
# SMTP for DANCU_EMAIL_SENDER=smtp. DANCU_SMTP_SECURITY: starttls (default), ssl or none (loopback relays only).
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("DANCU_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("DANCU_SMTP_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("DANCU_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DANCU_SMTP_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("DANCU_SMTP_SECURITY", "starttls") == "starttls"
EMAIL_USE_SSL = os.environ.get("DANCU_SMTP_SECURITY", "starttls") == "ssl"
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DANCU_MAIL_FROM", "dancu <no-reply@dancu.invalid>")

# The registry's actor when nobody is signed in (CLI, synth, imports) is named explicitly per call; see services.
DANCU_PROVINCE = os.environ.get("DANCU_PROVINCE", "")
# Life-event webhooks: endpoints must be https, except loopback http in the demo and tests (never in production).
DANCU_WEBHOOK_ALLOW_LOOPBACK_HTTP = _env_bool("DANCU_WEBHOOK_ALLOW_LOOPBACK_HTTP", DEMO)
# Seconds a webhook receiver has to answer; bytes of its answer read (the rest is dropped).
DANCU_WEBHOOK_TIMEOUT = float(os.environ.get("DANCU_WEBHOOK_TIMEOUT", "10"))
DANCU_WEBHOOK_MAX_RESPONSE = int(os.environ.get("DANCU_WEBHOOK_MAX_RESPONSE", "65536"))
# Parallel webhook requests of one delivery process (different people; one person's events stay in order).
DANCU_WEBHOOK_WORKERS = int(os.environ.get("DANCU_WEBHOOK_WORKERS", "16"))

# Hours a released offline-workspace key stays usable on a device before the officer signs in again (docs/operator.md).
OFFLINE_KEY_HOURS = int(os.environ.get("DANCU_OFFLINE_KEY_HOURS", "72"))
# Dossier numbers pre-allocated to an enrolled device per block.
OFFLINE_NUMBER_BLOCK = int(os.environ.get("DANCU_OFFLINE_NUMBER_BLOCK", "50"))

# JSON logs (structlog) on standard error, one object per line, tagged with the process's role and the request id
# (core/logs.py; docs/operator.md "Logs"); Django's own logging configuration is not used. DANCU_LOG_LEVEL: WARNING.
LOGGING_CONFIG = None
_logs.configure(os.environ.get("DANCU_PROCESS_ROLE") or _logs.role_of(sys.argv))
