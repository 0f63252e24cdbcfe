"""Typed configuration, read once from the environment (prefix ZHAOLU_) and validated at start."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

BUNDLED_CONTENT = Path(__file__).resolve().parent.parent / "content" / "campaigns"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHAOLU_", env_file=None, extra="ignore")

    bot_token: SecretStr | None = Field(
        default=None, description="Telegram bot token; without one `zhaolu run` opens the shell."
    )
    var_dir: Path = Field(default=Path("var"), description="Where embedded data lives.")
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
        default=None, description="Key for personal data at rest; default: var/secret.key."
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
    send_rate: float = Field(default=25.0, gt=0, description="Global messages per second.")
    log_level: str = Field(default="INFO")

    @field_validator("admins", "coordinators", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
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
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / 'zhaolu.db').as_posix()}"
