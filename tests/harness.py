"""Drive the real Dispatcher offline and check every outgoing call against the Bot API spec.

    harness = await Harness.create(db_url, now=...)
    calls = await harness.send("/start xiaogan-2023")
    calls = await harness.press("报名条件")
    harness.clock.set(...); harness = await harness.restart()

Every call the bot makes is validated when it is made (method, parameters, limits, HTML); a
test fails at the first invalid request.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from bot.app import Services, build_bot, build_dispatcher, open_services
from bot.clock import Clock
from bot.driver import ChatDriver
from bot.recording import Call, RecordingSession
from bot.settings import Settings
from tests.bot_api import problems

DEFAULT_NOW = datetime.fromisoformat("2023-05-10T10:00:00+08:00")
USER = 1001


class Calls(list[Call]):
    """The calls one input caused, with shortcuts for assertions."""

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self if c.text]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def last(self) -> Call:
        assert self, "the bot made no call"
        return self[-1]

    @property
    def buttons(self) -> list[tuple[str, str]]:
        return [b for c in self for b in c.buttons]

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.buttons]

    def methods(self) -> list[str]:
        return [c.method for c in self]


class Harness:
    def __init__(self, services: Services, session: RecordingSession) -> None:
        self.services = services
        self.clock = services.clock
        self.session = session
        self.bot = build_bot(services.settings, session)
        self.dispatcher = build_dispatcher(services)
        self.driver = ChatDriver(self.dispatcher, self.bot, session, self.clock)

    @classmethod
    async def create(cls, db_url: str, *, now: datetime | None = DEFAULT_NOW,
                     session: RecordingSession | None = None, **settings: Any) -> Harness:
        clock = Clock(now)
        if "var_dir" in settings:
            settings["var_dir"] = Path(settings["var_dir"])
        config = Settings(database_url=db_url, **settings)
        services = await open_services(config, clock)
        session = session or RecordingSession(clock)
        session.clock = clock
        return cls(services, session)

    @property
    def calls(self) -> list[Call]:
        return self.session.calls

    def _checked(self, calls: list[Call]) -> Calls:
        for call in calls:
            found = problems(call.method, call.params)
            assert not found, f"invalid Bot API request: {found}\n{call.params}"
        return Calls(calls)

    async def send(self, text: str, user: int = USER) -> Calls:
        return self._checked(await self.driver.send_text(user, text))

    async def press(self, label: str, user: int = USER) -> Calls:
        calls = await self.driver.press(user, label)
        assert calls is not None, (
            f"no button {label!r}; latest: {self.driver.latest_buttons(user)}")
        return self._checked(calls)

    async def press_data(self, data: str, user: int = USER) -> Calls:
        return self._checked(await self.driver.press_data(user, data))

    async def send_content(self, kind: str, user: int = USER, **extra: Any) -> Calls:
        return self._checked(await self.driver.send_content(user, kind, **extra))

    def labels(self, user: int = USER) -> list[str]:
        return self.driver.latest_buttons(user)

    async def restart(self) -> Harness:
        """A new process, as far as the bot can tell: fresh services and Dispatcher, same DB.

        The chat history (messages with their buttons) stays, as it does on the phone.
        """
        await self.close()
        services = await open_services(self.services.settings, Clock(self.clock.now()))
        self.session.clock = services.clock
        self.__init__(services, self.session)  # type: ignore[misc]
        return self

    async def close(self) -> None:
        await self.dispatcher.storage.close()
        await self.services.close()
