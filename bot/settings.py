"""Typed configuration, read once from the environment (prefix ZHAOLU_) and validated at start."""

from __future__ import annotations

import argparse
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.clock import parse_moment

if TYPE_CHECKING:
    from content.catalogue import Catalogue
    from content.schema import Campaign

CHECKOUT = Path(__file__).resolve().parent.parent
BUNDLED_CONTENT = CHECKOUT / "content" / "campaigns"
# The default var directory: `var` of the zhaolu checkout, whatever the working directory (the
# key file must not move when the bot is started from elsewhere).
DEFAULT_VAR_DIR = CHECKOUT / "var"
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    # An empty variable (ZHAOLU_BOT_TOKEN="") counts as unset, as a shell user means it.
    model_config = SettingsConfigDict(env_prefix="ZHAOLU_", env_file=None, extra="ignore",
                                      env_ignore_empty=True)

    bot_token: SecretStr | None = Field(
        default=None, description="Telegram bot token; without one `zhaolu run` opens the shell."
    )
    var_dir: Path = Field(default=DEFAULT_VAR_DIR,
                          description="Where embedded data lives (SQLite file, key file); "
                                      "absolute, default: var/ of the checkout.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file var/zhaolu.db."
    )
    redis_url: str | None = Field(default=None, description="Use Redis for FSM state.")
    redis_prefix: str = Field(default="zhaolu", description="Prefix of our Redis keys.")
    telegram_api_url: str | None = Field(
        default=None, description="Bot API server base URL (self-hosted server, tests)."
    )
    content_dir: Path = Field(default=BUNDLED_CONTENT, description="Campaign YAML directory.")
    secret_key: SecretStr | None = Field(
        default=None, description="Key for personal data at rest; default: <var_dir>/secret.key."
    )
    admins: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Telegram ids, comma-separated: admins at every start."
    )
    coordinators: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Deprecated name of ZHAOLU_ADMINS (still read)."
    )
    bot_username: str | None = Field(
        default=None, description="The bot's @username without @, for invitation links the CLI "
                                  "prints (the bot itself asks Telegram)."
    )
    wechat_appid: str | None = Field(default=None, description="WeChat Official Account AppID: "
                                     "with the secret and token, serves the account too.")
    wechat_secret: SecretStr | None = Field(default=None, description="The account's AppSecret.")
    wechat_token: SecretStr | None = Field(
        default=None, description="The token set in the account's server configuration "
                                  "(signs WeChat's callbacks).")
    wechat_aes_key: SecretStr | None = Field(
        default=None, description="EncodingAESKey, for the safe (encrypted) message mode.")
    wechat_api_url: str = Field(default="https://api.weixin.qq.com",
                                description="WeChat API base URL (tests: a loopback server).")
    public_url: str | None = Field(
        default=None, description="The workers' public HTTPS origin (https://HOST, what the "
                                  "proxy serves): files for WeChat users become links under "
                                  "it (/wechat/file/…, 24 h); unset: a line says a file was "
                                  "left out.")
    send_rate: float = Field(default=25.0, gt=0, description="Global messages per second.")
    reply_retry_seconds: float = Field(
        default=30.0, ge=0, le=300,
        description="How long a reply keeps being retried through 429s, 5xx and network errors "
                    "before it is recorded as undelivered (bot/api_retry.py).")
    webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL Telegram posts updates to (webhook mode; "
                                  "its path is the route served on ZHAOLU_HTTP_PORT); unset: "
                                  "long polling.")
    webhook_secret: SecretStr | None = Field(
        default=None, description="Required with ZHAOLU_WEBHOOK_URL: 1-256 of A-Z a-z 0-9 _ -; "
                                  "a request without it gets 401.")
    http_port: int | None = Field(
        default=None, ge=1, le=65535, description="Port of /healthz, /readyz, /metrics and the "
                                                  "webhook; unset: no HTTP server (polling).")
    http_host: str = Field(default="127.0.0.1", description="Address the HTTP server listens "
                                                            "on (0.0.0.0 in a container).")
    log_level: str = Field(default="INFO")
    log_format: Literal["text", "json"] = Field(
        default="text", description="text: one readable line a record; json: one JSON object "
                                    "a line (time, level, logger, message, exception).")
    now: datetime | None = Field(
        default=None, description="Pretend it is this moment (ISO-8601): the shell and the CLI "
                                  "only; `zhaolu run` refuses it with a bot token."
    )

    @field_validator("now", mode="before")
    @classmethod
    def _moment(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return parse_moment(value)
            except ValueError:
                raise ValueError(f"not an ISO-8601 moment: {value!r} "
                                 "(e.g. 2023-05-10T10:00+08:00)") from None
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https:// (e.g. http://127.0.0.1:8081)")
        return value.rstrip("/") if value else value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's "
                             "rule for secret_token)")
        return value

    @model_validator(mode="after")
    def _webhook(self) -> Settings:
        """A webhook needs its secret and a port, and Telegram takes HTTPS only (a self-hosted
        Bot API server, ZHAOLU_TELEGRAM_API_URL, also posts to plain HTTP)."""
        if self.webhook_url is None:
            return self
        if self.webhook_secret is None:
            raise ValueError("ZHAOLU_WEBHOOK_SECRET: required with ZHAOLU_WEBHOOK_URL (Telegram "
                             "sends it with every update; requests without it are refused)")
        if self.http_port is None:
            raise ValueError("ZHAOLU_HTTP_PORT: required with ZHAOLU_WEBHOOK_URL (the port the "
                             "webhook is served on, behind the HTTPS proxy)")
        schemes = ("https://", "http://") if self.telegram_api_url else ("https://",)
        if not self.webhook_url.startswith(schemes):
            raise ValueError("ZHAOLU_WEBHOOK_URL: must be a public https:// URL (e.g. "
                             "https://bot.example.org/telegram)")
        return self

    @property
    def webhook_path(self) -> str:
        """The route the webhook is served on: the path of ZHAOLU_WEBHOOK_URL."""
        return urlsplit(self.webhook_url or "").path or "/"

    @field_validator("wechat_api_url")
    @classmethod
    def _wechat_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        """HTTPS, as WeChat's browser opens it; plain HTTP only on this machine (tests)."""
        if value is None:
            return None
        parts = urlsplit(value)
        local = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
        if not (parts.scheme == "https" or local) or not parts.hostname:
            raise ValueError("must be a public https:// origin, e.g. https://bot.example.org")
        return value.rstrip("/")

    @field_validator("admins", "coordinators", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        return value

    @field_validator("var_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        value = value.expanduser()
        if not value.is_absolute():
            raise ValueError(f"must be an absolute path (got {str(value)!r}): a relative one "
                             "would move with the working directory")
        return value

    @property
    def admin_ids(self) -> list[int]:
        """ZHAOLU_ADMINS, plus the ids still given under the old name ZHAOLU_COORDINATORS."""
        return list(dict.fromkeys([*self.admins, *self.coordinators]))

    def deprecations(self) -> list[str]:
        """Settings given under an old name: one line each, logged at start."""
        if self.coordinators:
            return ["ZHAOLU_COORDINATORS is deprecated: it is read as ZHAOLU_ADMINS (admins of "
                    "every campaign); rename it to ZHAOLU_ADMINS."]
        return []

    @property
    def wechat(self) -> bool:
        """Whether the WeChat channel is configured (all three of AppID, secret and token)."""
        given = [self.wechat_appid, self.wechat_secret, self.wechat_token]
        if any(given) and not all(given):
            missing = [name for name, value in zip(
                ("ZHAOLU_WECHAT_APPID", "ZHAOLU_WECHAT_SECRET", "ZHAOLU_WECHAT_TOKEN"), given,
                strict=True) if not value]
            raise SettingsError(f"{', '.join(missing)}: needed with the other WeChat settings")
        return all(given)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / 'zhaolu.db').as_posix()}"


class SettingsError(Exception):
    """A setting or option that cannot be used: one line naming it (the CLI prints it, exit 2)."""


def campaigns_for(settings: Settings) -> Catalogue:
    """The campaigns a command works on; a file that does not load stops it (exit 2)."""
    from content.catalogue import load_catalogue
    from content.loader import ContentError

    try:
        return load_catalogue(settings.content_dir)
    except ContentError as error:
        raise SettingsError(f"content error: {error}") from None


def campaign_for(catalogue: Catalogue, slug: str) -> Campaign:
    """`--campaign SLUG` of a command; an unknown slug stops it, naming the known ones."""
    campaign = catalogue.get(slug)
    if campaign is None:
        raise SettingsError(f"unknown campaign {slug!r}; known: {', '.join(catalogue.slugs)}")
    return campaign


def settings_for(args: argparse.Namespace) -> Settings:
    """What every command reads: the environment (ZHAOLU_*), with the command's own options on
    top — `--db` for ZHAOLU_DATABASE_URL, `--content` for ZHAOLU_CONTENT_DIR, `--now` for
    ZHAOLU_NOW — so a variable means the same to `run`, `shell`, `ask` and the rest."""
    overrides: dict[str, object] = {}
    if getattr(args, "db", None):
        overrides["database_url"] = args.db
    if getattr(args, "content", None):
        overrides["content_dir"] = Path(args.content)
    if getattr(args, "now", None):
        try:
            overrides["now"] = parse_moment(args.now)
        except ValueError:
            raise SettingsError(f"--now: not an ISO-8601 moment: {args.now} "
                                "(e.g. 2023-05-10T10:00+08:00)") from None
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problem = error.errors()[0]
        if not problem["loc"]:  # a rule across settings: its message names them
            raise SettingsError(problem["msg"].removeprefix("Value error, ")) from None
        name = "ZHAOLU_" + "_".join(str(part) for part in problem["loc"][:1]).upper()
        raise SettingsError(f"{name}: {problem['msg'].removeprefix('Value error, ')}") from None
