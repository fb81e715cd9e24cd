"""Rule profiles: every clinical number tacro uses, each with its source and kind.

The default is the 1997 paper (`profiles/duddridge-powell-1997.toml`); a user TOML
file overrides any entry. Code asks the profile for values by name
(`profile.q("trough_high")`) and never writes a clinical number as a literal.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

import pint
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from dosing.core import units
from dosing.core.errors import InputError, ProfileError
from dosing.core.references import cite
from dosing.core.wording import DEFAULT_PRODUCT

DEFAULT_PROFILE_PATH = Path(__file__).parent / "profiles" / "duddridge-powell-1997.toml"

SourceKind = Literal["stated", "derived", "interpretation", "guideline", "local"]
Severity = Literal["info", "warn", "alert"]
SEVERITY_RANK = {"info": 0, "warn": 1, "alert": 2}

# What each profile value measures; an override in another dimension is refused.
VALUE_KINDS: dict[str, str] = {
    "start_rate": "dose_rate",
    "start_rate_prior_cyclosporine_nephrotoxicity": "dose_rate",
    "ceiling_rate": "dose_rate",
    "effective_floor_rate": "dose_rate",
    "max_plausible_rate": "dose_rate",
    "max_plausible_daily_dose": "daily_dose",
    "confirm_dose_ratio": "number",
    "trough_low": "trough",
    "trough_high": "trough",
    "trough_upper_band": "trough",
    "trough_interval": "duration",
    "trough_timing_tolerance": "duration",
    "max_plausible_trough": "trough",
    "creatinine_rise": "fraction",
    "min_plausible_creatinine": "creatinine",
    "max_plausible_creatinine": "creatinine",
    "bp_high_systolic": "pressure",
    "bp_high_diastolic": "pressure",
    "bp_severe_systolic": "pressure",
    "bp_severe_diastolic": "pressure",
    "min_plausible_systolic": "pressure",
    "max_plausible_systolic": "pressure",
    "min_plausible_diastolic": "pressure",
    "max_plausible_diastolic": "pressure",
    "weight_jump": "fraction",
    "min_plausible_weight": "weight",
    "max_plausible_weight": "weight",
    "max_plausible_hours_post_dose": "duration",
    "first_check_from": "duration",
    "first_check_by": "duration",
    "fortnightly_interval": "duration",
    "fortnightly_checks": "count",
    "fortnightly_tolerance": "duration",
    "monthly_interval": "duration",
    "monthly_tolerance": "duration",
    "late_phase_after": "duration",
    "late_level_interval": "duration",
    "late_level_tolerance": "duration",
    "creatinine_rise_recheck": "duration",
    "decrease_restarts_schedule": "bool",
    "adjust_large_change_ratio": "number",
    "adjust_min_improvement": "fraction",
    "min_reportable_trough": "trough",
    "larger_dose_in_morning": "bool",
    "ceiling_alert_rate": "dose_rate",
}

RULE_IDS = (
    "TROUGH_LOW", "TROUGH_HIGH", "TROUGH_UPPER_BAND", "TROUGH_TIMING", "CREATININE_RISE",
    "BP_HIGH", "BP_SEVERE", "DOSE_ABOVE_CEILING", "DOSE_BELOW_EFFECTIVE", "CHECK_OVERDUE",
    "WEIGHT_JUMP", "INPUT_INVALID", "DOSE_JUMP",
)


class ProfileValue(BaseModel):
    """One number (or switch) of the profile, with where it comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    text: str
    """The value as written in the profile, e.g. '0.15 mg/kg/day'."""
    kind: SourceKind
    """stated / derived / interpretation / guideline / local."""
    source: str
    """The paper's section, a guideline or label, or the user's profile file (citations resolved)."""


class RuleSetting(BaseModel):
    """Severity and source of one rule identifier (contract §3)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    severity: Severity
    source: str


class Product(BaseModel):
    """A formulation key (contract §5) and what it can make."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    title: str
    doses_per_day: int = Field(ge=1, le=4)
    strengths: tuple[str, ...]
    """Unit strengths as written, e.g. ('0.5 mg', '1 mg', '5 mg'); empty when brand-specific."""
    twelve_hourly: bool
    source: str

    def strength_quantities(self) -> list[pint.Quantity]:
        return [units.parse(s, "amount", f"products.{self.key}.strengths") for s in self.strengths]


class Profile(BaseModel):
    """The active rule profile: values, rule severities and products, each traceable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    title: str
    origin: str
    """Where it was loaded from: the built-in default, or the user file layered on it."""
    values: dict[str, ProfileValue]
    rules: dict[str, RuleSetting]
    products: dict[str, Product]
    _canonical: dict[str, float] = PrivateAttr(default_factory=dict)

    def q(self, name: str) -> pint.Quantity:
        """A profile value as a Quantity (in the unit the profile wrote it in)."""
        v = self._value(name)
        return units.parse(v.text, VALUE_KINDS[name], f"profile value {name}")

    def canonical(self, name: str) -> float:
        """A profile value in the core's canonical unit for its kind (for column-wise rules).

        Cached per profile: the profile is frozen, and the rules ask for the same values often.
        """
        cached = self._canonical.get(name)
        if cached is None:
            kind = VALUE_KINDS[name]
            cached = units.to_canonical(self.q(name), kind)
            if kind == "fraction":
                cached /= 100.0
            self._canonical[name] = cached
        return cached

    def number(self, name: str) -> float:
        """A dimensionless profile value (a count or a ratio)."""
        return float(self._value(name).text)

    def flag(self, name: str) -> bool:
        """A yes/no profile switch."""
        return self._value(name).text.strip().lower() == "true"

    def days(self, name: str) -> int:
        """A duration profile value in whole days (schedule windows)."""
        return int(round(units.convert(self.q(name), "day", "duration").magnitude))

    def basis(self, name: str) -> str:
        """'0.15 mg/kg/day (stated: Duddridge & Powell 1997 ...)' for showing with a result."""
        v = self._value(name)
        return f"{v.text} ({v.kind}: {v.source})"

    def severity(self, rule: str) -> Severity:
        return self.rules[rule].severity

    def source(self, rule: str) -> str:
        return self.rules[rule].source

    def product(self, key: str | None) -> Product:
        from dosing.core.errors import ProductError

        key = (key or DEFAULT_PRODUCT).strip().lower()
        if key not in self.products:
            raise ProductError("product", key, f"one of {', '.join(self.products)}")
        return self.products[key]

    def _value(self, name: str) -> ProfileValue:
        try:
            return self.values[name]
        except KeyError:
            raise ProfileError(f"profile {self.name}: no value named {name!r}") from None


def _check_value(name: str, text: str, where: str) -> None:
    kind = VALUE_KINDS.get(name)
    if kind is None:
        raise ProfileError(f"{where}: unknown profile value {name!r}; known values: {', '.join(VALUE_KINDS)}")
    try:
        if kind == "bool":
            if text.strip().lower() not in {"true", "false"}:
                raise ProfileError(f"{where}: {name} must be true or false, got {text!r}")
        elif kind in {"number", "count"}:
            x = float(text)
            if not x > 0 or (kind == "count" and x != int(x)):
                raise ProfileError(f"{where}: {name} must be a positive {'whole ' if kind == 'count' else ''}number")
        else:
            q = units.parse(text, kind, name)
            if q.magnitude < 0:
                raise ProfileError(f"{where}: {name} must not be negative, got {text!r}")
    except InputError as e:
        raise ProfileError(f"{where}: {e.message}") from None
    except ValueError:
        raise ProfileError(f"{where}: {name} must be a number, got {text!r}") from None


def _as_text(raw: object) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, (int, float)):
        return repr(raw)
    if isinstance(raw, str):
        return raw
    raise ProfileError(f"profile value must be text such as '0.15 mg/kg/day', got {raw!r}")


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ProfileError(f"profile file not found: {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(f"profile file {path} is not valid TOML: {e}") from None
    except OSError as e:
        raise ProfileError(f"profile file {path} could not be read: {e.strerror}") from None


def _build(data: dict, origin: str, base: Profile | None, local_source: str | None) -> Profile:
    unknown = set(data) - {"profile", "values", "rules", "products"}
    if unknown:
        raise ProfileError(f"{origin}: unknown section(s) {sorted(unknown)}; expected profile, values, rules, products")
    meta = data.get("profile", {})
    values = dict(base.values) if base else {}
    for name, entry in data.get("values", {}).items():
        if not isinstance(entry, dict) or "value" not in entry:
            raise ProfileError(f"{origin}: [values.{name}] needs a `value`")
        extra = set(entry) - {"value", "kind", "source"}
        if extra:
            raise ProfileError(f"{origin}: [values.{name}] has unknown key(s) {sorted(extra)}")
        text = _as_text(entry["value"])
        _check_value(name, text, origin)
        kind = entry.get("kind", "local" if base else None)
        source = entry.get("source", local_source)
        if kind is None or source is None:
            raise ProfileError(f"{origin}: [values.{name}] needs `kind` and `source`")
        source = cite(source, f"{origin}: [values.{name}] source")
        try:
            values[name] = ProfileValue(name=name, text=text, kind=kind, source=source)
        except ValidationError as e:
            raise ProfileError(f"{origin}: [values.{name}]: {e.errors()[0]['msg']}") from None
    rules = dict(base.rules) if base else {}
    for rule, entry in data.get("rules", {}).items():
        if rule not in RULE_IDS:
            raise ProfileError(f"{origin}: unknown rule {rule!r}; rules are {', '.join(RULE_IDS)}")
        old = rules.get(rule)
        merged = {"rule": rule, "severity": old.severity if old else None, "source": old.source if old else None}
        merged.update(entry)
        if base and "source" not in entry:
            merged["source"] = f"{merged['source']} (severity set by {local_source})"
        elif isinstance(merged["source"], str):
            merged["source"] = cite(merged["source"], f"{origin}: [rules.{rule}] source")
        try:
            rules[rule] = RuleSetting(**merged)
        except ValidationError as e:
            raise ProfileError(f"{origin}: [rules.{rule}]: {e.errors()[0]['msg']}") from None
    products = dict(base.products) if base else {}
    for key, entry in data.get("products", {}).items():
        merged = products[key].model_dump() if key in products else {}
        merged.update(entry, key=key)
        if base and "source" not in entry:
            merged["source"] = local_source
        elif isinstance(merged.get("source"), str):
            merged["source"] = cite(merged["source"], f"{origin}: [products.{key}] source")
        try:
            p = Product(**merged)
            p.strength_quantities()
        except InputError as e:
            raise ProfileError(f"{origin}: [products.{key}]: {e.message}") from None
        except ValueError as e:
            raise ProfileError(f"{origin}: [products.{key}]: {e}") from None
        products[key] = p
    missing = set(VALUE_KINDS) - set(values)
    if missing:
        raise ProfileError(f"{origin}: missing values {sorted(missing)}")
    missing_rules = set(RULE_IDS) - set(rules)
    if missing_rules:
        raise ProfileError(f"{origin}: missing rules {sorted(missing_rules)}")
    return Profile(
        name=meta.get("name", base.name if base else "unnamed"),
        title=meta.get("title", base.title if base else ""),
        origin=origin,
        values=values,
        rules=rules,
        products=products,
    )


@lru_cache(maxsize=1)
def default_profile() -> Profile:
    """The built-in 1997 profile."""
    return _build(_read_toml(DEFAULT_PROFILE_PATH), "built-in default (Duddridge & Powell 1997)", None, None)


def load_profile(path: str | Path | None = None) -> Profile:
    """The default profile, with a user TOML file's overrides layered on top if given."""
    base = default_profile()
    if path is None:
        return base
    path = Path(path)
    data = _read_toml(path)
    return _build(data, f"{path} over the built-in default", base, f"user profile {path.name}")
