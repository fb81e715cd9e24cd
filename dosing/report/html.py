"""One patient's report for the chart: a self-contained HTML document (inline CSS and SVG, nothing fetched).

It renders the core's objects only: the assessment (findings with their basis,
checks due, doses in force), the open findings as the worklist defines them, the
stored versions of each visit (values as typed) and the charts the TUI draws.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

from dosing.core import units
from dosing.core.assess import Assessment, assess
from dosing.core.errors import InputError
from dosing.core.models import Event, Patient
from dosing.core.profile import Profile
from dosing.core.render import STANCE
from dosing.core.worklist import open_findings
from dosing.report.charts import patient_charts
from dosing.report.svg import chart_svg

CSS = """
body { font-family: sans-serif; font-size: 12px; color: #111; margin: 18px; }
h1 { font-size: 18px; margin: 0 0 4px 0; } h2 { font-size: 14px; margin: 16px 0 6px 0; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #ccc; padding: 2px 4px; text-align: left;
vertical-align: top; } th { background: #eee; } .alert { color: #b71c1c; font-weight: bold; }
.warn { color: #a15c00; font-weight: bold; } .info { color: #0d47a1; } .dim { color: #555; }
.stance { border: 1px solid #999; padding: 6px; background: #f6f6f6; } .chart { display: block; margin: 6px 0; }
@media print { h2 { page-break-after: avoid; } svg { page-break-inside: avoid; } }
"""
FIELDS = (("weight", "Weight"), ("dose", "Dose"), ("dose_rate", "Dose/kg"), ("trough", "Trough"),
          ("hours_post_dose", "Hours post dose"), ("creatinine", "Creatinine"), ("sbp", "SBP"), ("dbp", "DBP"))


@dataclass
class ReportData:
    """What a report shows, read from the store once."""

    patient: Patient
    events: list[Event]
    assessment: Assessment | None
    versions: dict[int, list[dict]]
    """Every stored version of each current event (by current event id), oldest first."""


def read_report_data(store, patient_id: str, profile: Profile, as_of: dt.date) -> ReportData:
    """The patient, their current events (dated on or before `as_of`), the assessment and each visit's versions."""
    patient = store.get_patient(patient_id)
    if patient is None:
        raise InputError("patient_id", patient_id, "a patient in the store")
    events = [e for e in store.events(patient_id) if e.date <= as_of]
    a = assess(events, profile, as_of) if events else None
    versions = {e.line: store.event_versions(e.line) for e in events if e.line is not None}
    return ReportData(patient, events, a, versions)


def _q(q) -> str:
    return units.format_quantity(q) if q is not None else ""


def _typed(e, versions: list[dict], field: str) -> str:
    """The value as it was typed (the store keeps the text), else as stored."""
    current = next((v for v in versions if v.get("current")), None)
    if current is not None and field in (current.get("entered") or {}):
        return current["entered"][field]
    return _q(getattr(e, field))


def render_html(data: ReportData, profile: Profile, as_of: dt.date, version: str,
                generated: dt.datetime) -> str:
    """The report as one HTML document."""
    p, a = data.patient, data.assessment
    e = escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>tacro report {e(p.patient_id)} as of {as_of.isoformat()}</title>",
           f"<style>{CSS}</style></head><body>"]
    out.append(f"<h1>Tacrolimus monitoring: {e(p.patient_id)}</h1>")
    out.append('<p class="meta">')
    if p.label:
        out.append(f"Label: {e(p.label)} · ")
    if p.prior_cyclosporine_nephrotoxicity:
        out.append("prior cyclosporine nephrotoxicity · ")
    out.append(f"as of {as_of.isoformat()} · profile {e(profile.name)} ({e(profile.title)}) · tacro {e(version)} · "
               f"generated {generated.strftime('%Y-%m-%d %H:%M')}</p>")
    out.append(f'<p class="stance">{e(STANCE)}</p>')

    opened = open_findings(data.events, a, profile, as_of)
    out.append(f"<h2>Open findings ({len(opened)})</h2>")
    out.append(_findings(opened, "No open finding."))

    out.append("<h2>Checks due</h2>")
    due = a.due if a else []
    if not due:
        out.append('<p class="dim">No check scheduled (no start recorded, or treatment stopped).</p>')
    else:
        out.append("<table><tr><th>Check</th><th>From</th><th>By</th><th>Status</th><th>Why</th></tr>")
        for d in sorted(due, key=lambda d: d.due_by):
            out.append(f"<tr><td>{e(d.title)}</td><td>{d.due_from.isoformat()}</td><td>{d.due_by.isoformat()}</td>"
                       f"<td>{'<span class=alert>OVERDUE</span>' if d.overdue else 'due'}</td><td>{e(d.reason)}</td></tr>")
        out.append("</table>")

    out.append("<h2>Regimen history</h2>")
    out.append(_regimens(a))

    out.append("<h2>Plots</h2>")
    for chart in patient_charts(data.events, a, profile, as_of):
        out.append(chart_svg(chart))

    out.append(f"<h2>Visits ({len(data.events)}), values as typed</h2>")
    out.append(_visits(data, a))

    out.append("<h2>All findings at each visit</h2>")
    findings = [f for f in (a.findings if a else [])]
    out.append(_findings(findings, "No findings."))
    out.append(f'<p class="stance">{e(STANCE)} Rules and thresholds: profile {e(profile.name)}; '
               "run <code>tacro profile</code> for every value with its source.</p>")
    out.append("</body></html>")
    return "\n".join(out)


def _findings(findings, empty: str) -> str:
    e = escape
    if not findings:
        return f'<p class="dim">{e(empty)}</p>'
    rows = ["<table><tr><th>Severity</th><th>Rule</th><th>Date</th><th>Finding</th><th>Value / threshold</th>"
            "<th>Basis</th><th>Source</th></tr>"]
    for f in findings:
        vt = f"{f.value} {f.comparison} {f.threshold}" if f.value is not None and f.threshold is not None else ""
        basis = "<br>".join(f"{e(k.replace('_', ' '))}: {e(str(v))}" for k, v in f.basis.items())
        rows.append(f"<tr><td class={f.severity}>{f.severity.upper()}</td><td>{e(f.rule)}</td>"
                    f"<td>{f.date.isoformat() if f.date else ''}</td><td>{e(f.message)}</td><td>{e(vt)}</td>"
                    f"<td>{basis}</td><td>{e(f.source)}</td></tr>")
    rows.append("</table>")
    return "".join(rows)


def _regimens(a: Assessment | None) -> str:
    if a is None:
        return '<p class="dim">No visits recorded.</p>'
    rows, last = [], None
    for s in a.per_event:
        d = s["dose"]
        key = None if d is None else (d.daily_dose, d.rate, d.product, d.since)
        if key == last:
            continue
        last = key
        if d is None:
            rows.append(f"<tr><td>{s['date'].isoformat()}</td><td colspan=3 class=dim>no dose in force</td></tr>")
        else:
            rows.append(f"<tr><td>{d.since.isoformat()}</td><td>{escape(str(d.daily_dose or ''))}</td>"
                        f"<td>{escape(str(d.rate or ''))}</td><td>{escape(d.product)}</td></tr>")
    return ("<table><tr><th>From</th><th>Daily dose</th><th>mg/kg/day</th><th>Product</th></tr>"
            + "".join(rows) + "</table>")


def _visits(data: ReportData, a: Assessment | None) -> str:
    e = escape
    head = "".join(f"<th>{t}</th>" for _, t in FIELDS)
    rows = [f"<table><tr><th>#</th><th>Date</th><th>Event</th>{head}<th>Product</th><th>Note</th>"
            "<th>Entered</th></tr>"]
    events = a.events if a else data.events
    for ev in events:
        versions = data.versions.get(ev.line, []) if ev.line is not None else []
        cells = "".join(f"<td>{e(_typed(ev, versions, f))}</td>" for f, _ in FIELDS)
        audit = "<br>".join(_version(v, len(versions) > 1) for v in versions)
        rows.append(f"<tr><td>{ev.line}</td><td>{ev.date.isoformat()}</td><td>{e(ev.event)}</td>{cells}"
                    f"<td>{e(ev.product or '')}</td><td>{e(ev.note)}</td><td class=dim>{audit}</td></tr>")
    rows.append("</table>")
    return "".join(rows)


def _version(v: dict, numbered: bool) -> str:
    """One stored version: when (UTC), by whom, why, and (when amended) its values as typed."""
    e = escape
    when = e(str(v.get("saved_at", ""))[:16].replace("T", " "))
    who = e(v.get("entered_by") or "not recorded") + (f" via {e(v['entered_host'])}" if v.get("entered_host") else "")
    text = f"{'v' + str(v['version']) + ' ' if numbered else ''}{when} UTC by {who}"
    if v.get("reason"):
        text += f"; reason: {e(v['reason'])}"
    if numbered:
        values = [f"{k} {t}" for k, t in (v.get("entered") or {}).items()]
        values += [f"{k} {units.format_number(x['value'], 4)} {x['unit']}" for k, x in (v.get("stored") or {}).items()
                   if k not in (v.get("entered") or {})]
        text += ": " + e(", ".join(values))
    return text
