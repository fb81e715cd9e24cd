"""A patient's record for the chart: the plots' series (shared with the TUI), SVG and the HTML/PDF report."""
