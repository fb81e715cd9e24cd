"""The active rule profile: every value, rule severity and product, with the source of the highlighted one."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from tui.screens.base import TacroScreen


class ProfileScreen(TacroScreen[None]):
    """Values, rules and products of the profile in force; the source shows below the table."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def compose(self) -> ComposeResult:
        p = self.clinic.profile
        yield Header()
        yield Static(Text.assemble(("Profile: ", "bold"), p.title, ("\n  loaded from: " + p.origin, "dim")),
                     id="profile-title")
        with TabbedContent():
            with TabPane("Values", id="values"):
                yield DataTable(id="profile-values", cursor_type="row", zebra_stripes=True)
            with TabPane("Rules", id="rules"):
                yield DataTable(id="profile-rules", cursor_type="row", zebra_stripes=True)
            with TabPane("Products", id="products"):
                yield DataTable(id="profile-products", cursor_type="row", zebra_stripes=True)
        yield Static("", id="profile-source")
        yield Footer()

    def on_mount(self) -> None:
        p = self.clinic.profile
        values = self.query_one("#profile-values", DataTable)
        values.add_columns("Value", "Setting", "Kind")
        for name, v in p.values.items():
            values.add_row(Text(name), Text(v.text), Text(v.kind), key=f"value:{name}")
        rules = self.query_one("#profile-rules", DataTable)
        rules.add_columns("Rule", "Severity")
        for rule, s in p.rules.items():
            rules.add_row(Text(rule), Text(s.severity), key=f"rule:{rule}")
        products = self.query_one("#profile-products", DataTable)
        products.add_columns("Product", "Doses a day", "Strengths")
        for key, prod in p.products.items():
            products.add_row(Text(key), Text(str(prod.doses_per_day)),
                             Text(", ".join(prod.strengths) or "brand-specific"), key=f"product:{key}")
        values.focus()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == f"profile-{self.query_one(TabbedContent).active}":
            self._source(event.data_table)

    @on(TabbedContent.TabActivated)
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        self._source(self.query_one(f"#profile-{event.pane.id}", DataTable))

    def _source(self, table: DataTable) -> None:
        """Show where the highlighted row of the visible table comes from."""
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        p = self.clinic.profile
        what, name = str(key).split(":", 1)
        if what == "value":
            v = p.values[name]
            text = Text.assemble((f"{name} = {v.text}", "bold"), f"  ({v.kind})\n", v.source)
        elif what == "rule":
            r = p.rules[name]
            text = Text.assemble((f"{name}: {r.severity}", "bold"), "\n", r.source)
        else:
            prod = p.products[name]
            text = Text.assemble((f"{name}: {prod.title}", "bold"), "\n", prod.source)
        self.query_one("#profile-source", Static).update(text)
