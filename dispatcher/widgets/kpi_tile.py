"""A dashboard tile: one figure for today, this week and this month, each against the
period before it, the selected period's line stressed. Dumb: the screen hands it the
figures; Enter or a click asks (a message up) for the figure to be explained."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.events import Click
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from dispatcher.read_models.dashboard import PeriodName, TileSpec, Trend, arrow, compare, show

LOADING = "…"
PERIOD_WIDTH = 11


class KpiTile(Widget, can_focus=True):
    DEFAULT_CSS = """
    KpiTile {
        height: 6;
        border: round $panel-lighten-2;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    KpiTile:focus {
        border: round $accent;
        background: $boost;
    }
    KpiTile.-compact {
        height: 4;
    }
    KpiTile > .kpi-tile--title { text-style: bold; }
    KpiTile > .kpi-tile--note { color: $text-muted; }
    KpiTile > .kpi-tile--selected { text-style: bold; }
    KpiTile > .kpi-tile--better { color: $success; }
    KpiTile > .kpi-tile--worse { color: $error; }
    KpiTile > .kpi-tile--same { color: $text-muted; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "kpi-tile--title",
        "kpi-tile--note",
        "kpi-tile--selected",
        "kpi-tile--better",
        "kpi-tile--worse",
        "kpi-tile--same",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "explain",
            "Explain",
            id="dashboard.explain",
            tooltip="The rule behind this number and the tickets it counts",
        ),
    ]

    # period -> (this period's value, the previous period's); None until read
    values: reactive[dict[PeriodName, tuple[Any, Any]] | None] = reactive(None)
    period: reactive[PeriodName] = reactive(PeriodName.today)

    @dataclass
    class Explain(Message):
        """Explain this tile's figure for the selected period."""

        tile: KpiTile

    def __init__(
        self,
        spec: TileSpec,
        *,
        periods: tuple[PeriodName, ...] = tuple(PeriodName),
        id: str | None = None,  # noqa: A002 (Textual's name)
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.spec = spec
        self.periods = periods
        self.tooltip = f"{spec.label}: Enter explains it"

    def render(self) -> Text:
        spec = self.spec
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(spec.label, self.get_component_rich_style("kpi-tile--title"))
        if spec.note:
            text.append(f"  {spec.note}", self.get_component_rich_style("kpi-tile--note"))
        for name in self.periods:
            text.append("\n")
            text.append_text(self._line(name))
        return text

    def _line(self, name: PeriodName) -> Text:
        values = self.values
        label = name.label if len(self.periods) > 1 else "now"
        line = Text(f"{label:<{PERIOD_WIDTH}}")
        if name == self.period and len(self.periods) > 1:
            line.stylize(self.get_component_rich_style("kpi-tile--selected"))
        if values is None or name not in values:
            line.append(LOADING)
            return line
        current, previous = values[name]
        line.append(f"{show(current, self.spec.unit):>9}")
        trend = compare(self.spec, current, previous)
        style = {
            Trend.better: "kpi-tile--better",
            Trend.worse: "kpi-tile--worse",
        }.get(trend, "kpi-tile--same")
        line.append(
            f" {arrow(current, previous)} {show(previous, self.spec.unit)}",
            self.get_component_rich_style(style),
        )
        return line

    def action_explain(self) -> None:
        self.post_message(self.Explain(self))

    def on_click(self, event: Click) -> None:
        if event.chain >= 2:
            self.post_message(self.Explain(self))
