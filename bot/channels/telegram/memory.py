"""What the bridge remembers about a chat, in memory only (gone on restart or /forget).

- the last two texts, for the fail-safe screen (a crisis can span messages:
  "I have the pills" after "I can't go on");
- the payloads of the last buttons shown, for payloads too long for Telegram's
  64-byte callback data;
- whether the bridge itself has just shown the session notice (/start, /help, a region
  change), so the next text tells Rasa not to repeat it.

Bounded: the least recently active chats are forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

__all__ = ["ChatMemory", "HISTORY_SIZE"]

HISTORY_SIZE = 2


@dataclass
class _Entry:
    history: deque[str] = field(default_factory=lambda: deque(maxlen=HISTORY_SIZE))
    payloads: list[str] = field(default_factory=list)
    notice_shown: bool = False


class ChatMemory:
    def __init__(self, max_chats: int = 10_000) -> None:
        self._max_chats = max_chats
        self._chats: OrderedDict[int, _Entry] = OrderedDict()

    def _entry(self, chat_id: int) -> _Entry:
        entry = self._chats.get(chat_id)
        if entry is None:
            entry = _Entry()
            self._chats[chat_id] = entry
            while len(self._chats) > self._max_chats:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat_id)
        return entry

    def history(self, chat_id: int) -> tuple[str, ...]:
        entry = self._chats.get(chat_id)
        return tuple(entry.history) if entry else ()

    def remember(self, chat_id: int, text: str) -> None:
        self._entry(chat_id).history.append(text)

    def set_payloads(self, chat_id: int, payloads: list[str]) -> None:
        self._entry(chat_id).payloads = list(payloads)

    def payload(self, chat_id: int, index: int) -> str | None:
        entry = self._chats.get(chat_id)
        if entry is None or not 0 <= index < len(entry.payloads):
            return None
        return entry.payloads[index]

    def mark_notice_shown(self, chat_id: int) -> None:
        self._entry(chat_id).notice_shown = True

    def take_notice_shown(self, chat_id: int) -> bool:
        """Whether the notice was shown since the last text (and clear the mark)."""
        entry = self._chats.get(chat_id)
        if entry is None or not entry.notice_shown:
            return False
        entry.notice_shown = False
        return True

    def forget(self, chat_id: int) -> None:
        self._chats.pop(chat_id, None)
