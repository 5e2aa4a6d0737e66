"""The dashboard's trend plot: one figure, day by day, over the last weeks (plotext).

Dumb: the screen hands it the days' figures and which tile's figure to draw."""

from __future__ import annotations

from textual.reactive import reactive
from textual_plotext import PlotextPlot

from dispatcher.read_models.dashboard import DayFigures, TileSpec, Unit, value_at


def series(spec: TileSpec, days: list[DayFigures]) -> tuple[list[float], list[float | None]]:
    """Day numbers and the figure's value each day, as the plot draws it (rates in %)."""
    values: list[float | None] = []
    for day in days:
        value = value_at(day.figures, spec.path)
        if value is not None and spec.unit == Unit.rate:
            value = value * 100
        values.append(None if value is None else float(value))
    return [float(n) for n in range(1, len(days) + 1)], values


class KpiTrend(PlotextPlot):
    DEFAULT_CSS = """
    KpiTrend {
        height: 14;
        border: round $panel-lighten-2;
    }
    """

    days: reactive[list[DayFigures] | None] = reactive(None)
    spec: reactive[TileSpec | None] = reactive(None)

    def watch_days(self) -> None:
        self.replot()

    def watch_spec(self) -> None:
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        spec, days = self.spec, self.days
        if spec is None:
            plt.title("Trend: choose a tile")
        elif days is None:
            plt.title(f"{spec.label} by day: loading…")
        else:
            xs, ys = series(spec, days)
            unit = {Unit.rate: " (%)", Unit.minutes: " (min)"}.get(spec.unit, "")
            plt.title(f"{spec.label}{unit}, last {len(days)} days")
            points = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
            if points:
                plt.plot([x for x, _ in points], [y for _, y in points], marker="braille")
            labels = [day.label[5:] for day in days]  # MM-DD
            step = max(1, len(days) // 6)
            plt.xticks(xs[::step], labels[::step])
        self.refresh()
