"""`[approval.groups]` and `[[approval.rules]]` of the policy file, parsed and checked.

Called by `billing_core.policy.parse_policy`; every refusal is a ConfigError naming the key
and the rule once (`approval.rules[1] 'large EUR'.max: ...`), every bad group and rule key
listed. Refused at start:

- a static group with no members, a group name that is not a plain word, `approvers` as a
  group (it is the built-in group of `[approval] approvers`, usable in `steps`);
- a step naming an unknown group, or a rule without steps;
- a rule that can never match: an empty range (min >= max), an empty `kinds`/`clients`/
  `owners` list, steps that need more distinct people than their groups hold, or a rule
  fully shadowed by ONE earlier rule (see `shadows`);
- `min`/`max` without `currency` (amounts in different currencies are not comparable).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from billing_core.approval_rules import (
    APPROVERS_GROUP,
    ApprovalGroup,
    ApprovalRule,
    client_key,
    first_unsignable_step,
)
from billing_core.config_values import Problems, decimal, whole_number
from billing_core.errors import BillingError, ConfigError
from billing_core.money import check_currency
from billing_core.records import KINDS

_GROUP_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
_MEMBER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_USERGROUP = re.compile(r"^S[A-Z0-9]{2,}$")
RULE_KEYS = frozenset(
    {"name", "currency", "min", "max", "kinds", "clients", "owners", "steps", "four_eyes",
     "escalate_after_hours"}
)  # fmt: skip


def parse_matrix(
    approval: Mapping[str, Any], approvers: tuple[str, ...]
) -> tuple[tuple[ApprovalGroup, ...], tuple[ApprovalRule, ...]]:
    """The groups and the ordered rules of the `[approval]` table (both may be absent).
    Raises one ConfigError naming every bad group and rule key."""
    found = Problems()
    groups = _groups(approval.get("groups", {}), found)
    known = {g.name: g for g in groups}
    known[APPROVERS_GROUP] = ApprovalGroup(APPROVERS_GROUP, approvers)
    raw_rules = approval.get("rules", [])
    if not isinstance(raw_rules, list):
        found.found.append("approval.rules: must be a list of tables ([[approval.rules]])")
        raw_rules = []
    rules: list[ApprovalRule] = []
    for n, raw in enumerate(raw_rules):
        with found.key():
            rule = _rule(n, raw, known)
            for m, earlier in enumerate(rules):
                if shadows(earlier, rule):
                    raise ConfigError(
                        f"{_label(n, rule.name)}: can never match: every invoice it covers is "
                        f"taken first by {_label(m, earlier.name)} (first match wins; move it "
                        "above or narrow it)"
                    )
            rules.append(rule)
    found.raise_any()
    return groups, tuple(rules)


def shadows(earlier: ApprovalRule, later: ApprovalRule) -> bool:
    """Whether every invoice `later` could match is matched by `earlier` first.

    Criterion by criterion, `earlier` must be unset, or `later` set and inside it: the same
    currency; [min, max) within (an unset min is 0, an unset max unbounded); `kinds`,
    `owners` and `clients` (compared as written, case and spacing aside) subsets. A rule
    covered only by several earlier rules together is not detected.
    """
    if earlier.currency is not None and earlier.currency != later.currency:
        return False
    low_e, low_l = earlier.min or Decimal(0), later.min or Decimal(0)
    if low_l < low_e:
        return False
    if earlier.max is not None and (later.max is None or later.max > earlier.max):
        return False
    for mine, theirs in (
        (earlier.kinds, later.kinds),
        (earlier.owners, later.owners),
        (_clients(earlier), _clients(later)),
    ):
        if mine is not None and (theirs is None or not theirs <= mine):
            return False
    return True


def _clients(rule: ApprovalRule) -> frozenset[str] | None:
    return None if rule.clients is None else frozenset(client_key(c) for c in rule.clients)


def _label(n: int, name: str) -> str:
    return f"approval.rules[{n}]" + (f" {name!r}" if name != f"rules[{n}]" else "")


def _groups(raw: Any, found: Problems) -> tuple[ApprovalGroup, ...]:
    if not isinstance(raw, Mapping):
        found.found.append("approval.groups: must be a table ([approval.groups])")
        return ()
    groups: list[ApprovalGroup] = []
    for name, value in raw.items():
        with found.key():
            groups.append(_group(name, value))
    return tuple(groups)


def _group(name: str, value: Any) -> ApprovalGroup:
    key = f"approval.groups.{name}"
    if not _GROUP_NAME.fullmatch(name):
        raise ConfigError(f"{key}: a group name is a word of letters, digits, _ and -")
    if name == APPROVERS_GROUP:
        raise ConfigError(
            f"{key}: 'approvers' is the built-in group ([approval] approvers); "
            "set the list there or choose another name"
        )
    if isinstance(value, str):
        if not _USERGROUP.fullmatch(value):
            raise ConfigError(
                f"{key}: {value!r} is not a user group ID (like S0123ABCD); "
                "give a list of member IDs or a user group ID"
            )
        return ApprovalGroup(name, (), usergroup=value)
    if not isinstance(value, list):
        raise ConfigError(f"{key}: must be a list of member IDs or a user group ID")
    if not value:
        raise ConfigError(f"{key}: the group is empty, so no one could sign its steps")
    members: list[str] = []
    bad = [f"{key}[{m}]: {member!r} is not a member ID (like U0123ABCD)"
           for m, member in enumerate(value)
           if not isinstance(member, str) or not _MEMBER.fullmatch(member)]  # fmt: skip
    if bad:
        raise ConfigError(*bad)
    for member in value:
        if member not in members:
            members.append(member)
    return ApprovalGroup(name, tuple(members))


def _rule(n: int, raw: Any, known: Mapping[str, ApprovalGroup]) -> ApprovalRule:
    """One `[[approval.rules]]` table; ConfigError naming every bad key of it."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"approval.rules[{n}]: must be a table ([[approval.rules]])")
    name = raw.get("name", f"rules[{n}]")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"approval.rules[{n}].name: must be a non-empty string")
    label = _label(n, name)
    found = Problems()
    unknown = sorted(set(raw) - RULE_KEYS)
    known_keys = ", ".join(sorted(RULE_KEYS))
    found.found += [f"{label}.{key}: unknown key (known keys: {known_keys})" for key in unknown]
    steps: list[ApprovalGroup] = []
    with found.key():
        steps = _steps(label, raw.get("steps"), known)
    currency = low = high = kinds = owners = clients = escalate = None
    four_eyes = True
    with found.key():
        currency = _currency(label, raw)
    with found.key():
        low = _amount(label, raw, "min")
    with found.key():
        high = _amount(label, raw, "max")
    with found.key():
        four_eyes = raw.get("four_eyes", True)
        if not isinstance(four_eyes, bool):
            raise ConfigError(f"{label}.four_eyes: must be true or false")
    with found.key():
        escalate = raw.get("escalate_after_hours")
        if escalate is not None:
            whole_number(f"{label}.escalate_after_hours", escalate, 1, 720)
    with found.key():
        kinds = _kinds(label, raw)
    with found.key():
        owners = _names(label, raw, "owners")
        bad = [f"{label}.owners: {owner!r} is not a member ID (like U0123ABCD)"
               for owner in sorted(owners or ()) if not _MEMBER.fullmatch(owner)]  # fmt: skip
        if bad:
            raise ConfigError(*bad)
    with found.key():
        clients = _names(label, raw, "clients")
    found.raise_any()
    if (low is not None or high is not None) and currency is None:
        raise ConfigError(
            f"{label}: min and max need a currency (amounts in different currencies "
            "are not comparable)"
        )
    if low is not None and high is not None and low >= high:
        raise ConfigError(
            f"{label}: can never match: the range [min, max) = [{low}, {high}) is empty"
        )
    rule = ApprovalRule(
        name=name, steps=tuple(steps), currency=currency, min=low, max=high, kinds=kinds,
        clients=clients, owners=owners, four_eyes=four_eyes, escalate_after_hours=escalate,
    )  # fmt: skip
    static = all(g.usergroup is None for g in rule.steps)
    if static and (step := first_unsignable_step(rule, None)) is not None:
        raise ConfigError(
            f"{label}.steps[{step}]: can never be signed: one person never signs two steps, "
            f"and groups {', '.join(repr(g.name) for g in rule.steps[: step + 1])} hold "
            f"fewer than {step + 1} different people"
        )
    return rule


def _currency(label: str, raw: Mapping[str, Any]) -> str | None:
    """An ISO 4217 code in any case ("eur" is EUR)."""
    if "currency" not in raw:
        return None
    try:
        return check_currency(raw["currency"])
    except BillingError as exc:
        raise ConfigError(f"{label}.currency: {exc}") from None


def _steps(label: str, raw: Any, known: Mapping[str, ApprovalGroup]) -> list[ApprovalGroup]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f'{label}.steps: required, a list of group names like ["lead"]')
    found = Problems()
    steps: list[ApprovalGroup] = []
    for s, step in enumerate(raw):
        with found.key():
            if not isinstance(step, str) or step not in known:
                names = ", ".join(sorted(known))
                raise ConfigError(f"{label}.steps[{s}]: unknown group {step!r} (groups: {names})")
            if not known[step].members and known[step].usergroup is None:
                raise ConfigError(f"{label}.steps[{s}]: group {step!r} is empty ([approval] "
                                  "approvers lists no one)")  # fmt: skip
            steps.append(known[step])
    found.raise_any()
    return steps


def _amount(label: str, raw: Mapping[str, Any], key: str) -> Decimal | None:
    if key not in raw:
        return None
    value = decimal(f"{label}.{key}", raw[key])
    if value < 0:
        raise ConfigError(f"{label}.{key}: must not be negative (credit notes match on their "
                          "absolute amount)")  # fmt: skip
    return value


def _kinds(label: str, raw: Mapping[str, Any]) -> frozenset[str] | None:
    """Record kinds, in any case ("Project" is a project)."""
    kinds = _names(label, raw, "kinds")
    if kinds is None:
        return None
    kinds = frozenset(kind.lower() for kind in kinds)
    bad = [f"{label}.kinds: {kind!r} is not a record kind ({', '.join(KINDS)})"
           for kind in sorted(kinds - set(KINDS))]  # fmt: skip
    if bad:
        raise ConfigError(*bad)
    return kinds


def _names(label: str, raw: Mapping[str, Any], key: str) -> frozenset[str] | None:
    if key not in raw:
        return None
    value = raw[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{label}.{key}: must be a list of non-empty strings")
    if not value:
        raise ConfigError(f"{label}.{key}: an empty list would never match (leave the key out)")
    return frozenset(v.strip() for v in value)
