"""Help: every key of every screen, read from the bindings themselves (never out of date)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from tui.screens.base import DataScreen

_KEY_NAMES = {"question_mark": "?", "slash": "/", "right_square_bracket": "]",
              "left_square_bracket": "[", "escape": "esc", "enter": "enter"}  # fmt: skip

ROUTINE = """\
The morning routine
  1. Today (t): read what is new since your last visit, grouped by goal: ▲ good news and
     ▼ bad news follow each goal's stance. Then press m to mark it read.
  2. Open a document (enter): why it matched (terms highlighted), its stage and timeline.
     Confirm (c) or dismiss (x) each match.
  3. Record what you did (n on a document, or Actions → n): type, date, follow-up date.
     ctrl+s saves; a field with a problem says so underneath.
  4. Documents (d, or / to search): type words to search titles and text, or filters such
     as goal:sogi stage:public_discussion deadline:7; o changes the sort; ] and [ page.
  5. Sources (s): which sites work; r runs one now.
Private fields of actions stay hidden until you press v (f2 in the form); they show
[locked] when the tracker has no passphrase to read them.
"""


def key_label(binding: Binding) -> str:
    """``question_mark,f1`` → ``? / f1``."""
    return " / ".join(_KEY_NAMES.get(k, k) for k in binding.key.split(","))


def bindings_of(cls: type) -> list[Binding]:
    """The bindings a class declares (tuples expanded)."""
    out = []
    for item in getattr(cls, "BINDINGS", []):
        out.append(item if isinstance(item, Binding) else Binding(*item))
    return out


class HelpScreen(DataScreen):
    """Every key. Keys: those of the app (see the table on screen)."""

    BINDINGS: ClassVar[list[BindingType]] = []

    def compose(self) -> ComposeResult:
        """The routine, then one table of keys per screen."""
        yield Header()
        with VerticalScroll(id="help"):
            yield Static(self.help_text(), id="help-text", markup=False)
        yield Footer()

    def help_text(self) -> Text:
        """The routine and every binding, by screen."""
        from tui.screens.action_form import ActionFormScreen
        from tui.screens.actions import ActionsScreen
        from tui.screens.detail import DocumentScreen
        from tui.screens.documents import DocumentsScreen
        from tui.screens.goals import GoalsScreen
        from tui.screens.sources import SourcesScreen
        from tui.screens.today import TodayScreen

        text = Text(ROUTINE)
        sections: list[tuple[str, type]] = [
            ("Everywhere", type(self.app)), ("Today", TodayScreen), ("Goals", GoalsScreen),
            ("Documents", DocumentsScreen), ("Document", DocumentScreen),
            ("Actions", ActionsScreen), ("Action form", ActionFormScreen),
            ("Sources", SourcesScreen)]
        for title, cls in sections:
            text.append(f"\n{title}\n", style="bold underline")
            for binding in bindings_of(cls):
                text.append(f"  {key_label(binding):<14}", style="bold cyan")
                text.append(f"{binding.description or binding.action}\n")
        text.append("\nIn lists\n", style="bold underline")
        for keys, what in (("↑ ↓ pgup pgdn", "move"), ("enter", "open the row"),
                           ("tab / shift+tab", "next / previous list or field"),
                           ("ctrl+p", "command palette: every main action by name"),
                           ("ctrl+q", "quit from anywhere")):
            text.append(f"  {keys:<14}", style="bold cyan")
            text.append(f"{what}\n")
        return text
