"""The approval matrix: which rule an invoice falls under, who may sign each step, and the
policies refused at start (each error naming the rule)."""

from decimal import Decimal
from typing import Any

import pytest

from billing_core.approval_rules import (
    AlreadySigned,
    ApprovalRule,
    InvoiceFacts,
    check_may_sign,
    eligible_signers,
    first_unsignable_step,
    next_step,
    rule_for,
    with_members,
)
from billing_core.errors import ConfigError, FourEyesRequired, NotAnApprover
from billing_core.policy import ApprovalPolicy, parse_policy

LEAD_A, LEAD_B, FIN_A, FIN_B, CEO, DRAFTER = (
    "U0LEADA", "U0LEADB", "U0FINA", "U0FINB", "U0CEO", "U0DRAFTER"
)  # fmt: skip

MATRIX: dict[str, Any] = {
    "approvers": [LEAD_A, FIN_A],
    "four_eyes_threshold": "5000.00",
    "groups": {"lead": [LEAD_A, LEAD_B], "finance": [FIN_A, FIN_B], "ceo": [CEO]},
    "rules": [
        {"name": "key client", "clients": ["Acme GmbH", "DE 123.456.789"], "steps": ["ceo"]},
        {"name": "small EUR", "currency": "EUR", "max": "1000", "steps": ["lead"],
         "four_eyes": False},
        {"name": "mid EUR", "currency": "EUR", "min": "1000", "max": "10000", "steps": ["lead"]},
        {"name": "large EUR", "currency": "EUR", "min": "10000", "steps": ["lead", "finance"]},
        {"name": "large GBP", "currency": "GBP", "min": "8000", "steps": ["lead", "finance"]},
        {"name": "leads", "kinds": ["lead"], "owners": [LEAD_B], "steps": ["finance"]},
    ],
}  # fmt: skip


def approval(**changes: Any) -> ApprovalPolicy:
    return parse_policy({"approval": {**MATRIX, **changes}}).approval


def facts(total: str, currency: str = "EUR", **more: Any) -> InvoiceFacts:
    values: dict[str, Any] = {
        "kind": "project", "client_name": "Beta Ltd", "client_tax_id": "", "owner": "U0OWNER",
        **more,
    }  # fmt: skip
    return InvoiceFacts(currency, Decimal(total), **values)


@pytest.mark.parametrize(
    ("total", "currency", "rule"),
    [
        ("0.01", "EUR", "small EUR"),
        ("999.99", "EUR", "small EUR"),
        ("1000.00", "EUR", "mid EUR"),  # min is included
        ("9999.99", "EUR", "mid EUR"),
        ("10000.00", "EUR", "large EUR"),  # max is excluded: the next rule takes it
        ("7999.99", "GBP", "approval"),  # no GBP rule below 8000: the [approval] keys apply
        ("8000.00", "GBP", "large GBP"),
        ("8000.00", "USD", "approval"),
        ("-12000.00", "EUR", "large EUR"),  # a credit note matches on its absolute amount
    ],
)
def test_ranges_are_half_open_and_per_currency(total: str, currency: str, rule: str) -> None:
    assert rule_for(facts(total, currency), approval()).name == rule


def test_first_matching_rule_wins_over_later_ones() -> None:
    by_name = facts("50000", client_name="  ACME   gmbh ")
    by_tax_id = facts("50000", client_tax_id="DE123456789")
    assert rule_for(by_name, approval()).name == "key client"
    assert rule_for(by_tax_id, approval()).name == "key client"


def test_kinds_and_owners_must_both_hold() -> None:
    assert rule_for(facts("50", "USD", kind="lead", owner=LEAD_B), approval()).name == "leads"
    assert rule_for(facts("50", "USD", kind="project", owner=LEAD_B), approval()).name == (
        "approval"
    )
    assert rule_for(facts("50", "USD", kind="lead", owner=LEAD_A), approval()).name == "approval"


def test_without_rules_the_old_keys_are_a_one_step_rule_with_the_threshold() -> None:
    old = parse_policy({"approval": {"approvers": [LEAD_A], "four_eyes_threshold": "5000"}})
    below, at = rule_for(facts("4999.99"), old.approval), rule_for(facts("5000"), old.approval)
    assert [g.members for g in below.steps] == [(LEAD_A,)] and not below.four_eyes
    assert at.four_eyes
    assert eligible_signers(below, 0, LEAD_A, ()) == (LEAD_A,)
    assert eligible_signers(at, 0, LEAD_A, ()) == ()
    with pytest.raises(NotAnApprover, match="Only approvers can approve"):
        check_may_sign(at, 0, FIN_A, LEAD_A, ())
    with pytest.raises(FourEyesRequired, match="Four-eyes"):
        check_may_sign(at, 0, LEAD_A, LEAD_A, ())


def test_steps_are_signed_in_sequence_by_their_groups() -> None:
    rule = rule_for(facts("20000"), approval())
    assert next_step(rule, ()) == 0
    assert eligible_signers(rule, 0, DRAFTER, ()) == (LEAD_A, LEAD_B)
    with pytest.raises(NotAnApprover, match=r"step 1 of 2 \(lead\).*not in group 'lead'"):
        check_may_sign(rule, 0, FIN_B, DRAFTER, ())
    check_may_sign(rule, 0, LEAD_B, DRAFTER, ())
    assert next_step(rule, (LEAD_B,)) == 1
    assert eligible_signers(rule, 1, DRAFTER, (LEAD_B,)) == (FIN_A, FIN_B)
    assert next_step(rule, (LEAD_B, FIN_A)) is None


def test_one_person_never_signs_two_steps() -> None:
    policy = approval(groups={"lead": [LEAD_A, FIN_A], "finance": [FIN_A, FIN_B], "ceo": [CEO]})
    rule = rule_for(facts("20000"), policy)
    assert eligible_signers(rule, 1, DRAFTER, (FIN_A,)) == (FIN_B,)
    with pytest.raises(AlreadySigned, match="already signed step 1"):
        check_may_sign(rule, 1, FIN_A, DRAFTER, (FIN_A,))


def test_the_drafter_never_signs_at_a_four_eyes_step_but_may_where_it_is_off() -> None:
    large, small = rule_for(facts("20000"), approval()), rule_for(facts("10"), approval())
    assert LEAD_A not in eligible_signers(large, 0, LEAD_A, ())
    with pytest.raises(FourEyesRequired, match="large EUR"):
        check_may_sign(large, 0, LEAD_A, LEAD_A, ())
    check_may_sign(small, 0, LEAD_A, LEAD_A, ())  # four_eyes = false


def test_a_step_no_distinct_person_can_sign_is_found_at_draft_time() -> None:
    rule = rule_for(facts("20", "USD", kind="lead", owner=LEAD_B), approval(
        groups={"lead": [LEAD_A, LEAD_B], "finance": [FIN_A], "ceo": [CEO]}
    ))  # fmt: skip
    assert first_unsignable_step(rule, DRAFTER) is None
    assert first_unsignable_step(rule, FIN_A) == 0  # the only finance member drafted it
    two = rule_for(facts("20000"), approval(
        groups={"lead": [LEAD_A, FIN_A], "finance": [FIN_A, LEAD_A], "ceo": [CEO]}
    ))  # fmt: skip
    assert first_unsignable_step(two, DRAFTER) is None
    assert first_unsignable_step(two, LEAD_A) == 1  # FIN_A can sign only one of the two


def test_a_usergroup_is_parsed_without_members_and_filled_in_as_read() -> None:
    policy = approval(groups={"lead": "S0LEADS", "finance": [FIN_A], "ceo": [CEO]})
    rule = rule_for(facts("20000"), policy)
    assert rule.steps[0].usergroup == "S0LEADS" and rule.steps[0].members == ()
    assert first_unsignable_step(rule, DRAFTER) == 0  # unread: nobody is let in
    read = with_members(rule, {"S0LEADS": (LEAD_A, LEAD_B)})
    assert read.steps[0].members == (LEAD_A, LEAD_B) and read.steps[1] == rule.steps[1]
    assert eligible_signers(read, 0, LEAD_A, ()) == (LEAD_B,)  # four eyes still applies
    assert first_unsignable_step(read, DRAFTER) is None
    assert with_members(rule, {}).steps[0].members == ()  # a group not read keeps none


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"groups": {"lead": [], "finance": [FIN_A], "ceo": [CEO]}},
         "approval.groups.lead: the group is empty"),
        ({"rules": [{"name": "x", "currency": "EUR", "min": "500", "max": "500",
                     "steps": ["lead"]}]},
         "approval.rules[0] 'x': can never match: the range [min, max) = [500, 500) is empty"),
        ({"rules": [{"name": "all EUR", "currency": "EUR", "steps": ["lead"]},
                    {"name": "big EUR", "currency": "EUR", "min": "9", "steps": ["finance"]}]},
         "approval.rules[1] 'big EUR': can never match: every invoice it covers is taken "
         "first by approval.rules[0] 'all EUR'"),
        ({"rules": [{"name": "a", "clients": ["Acme", "Beta"], "steps": ["lead"]},
                    {"name": "b", "clients": ["acme"], "kinds": ["lead"], "steps": ["ceo"]}]},
         "approval.rules[1] 'b': can never match"),
        ({"rules": [{"name": "x", "steps": ["lead", "treasury"]}]},
         "approval.rules[0] 'x'.steps[1]: unknown group 'treasury'"),
        ({"rules": [{"name": "x", "min": "10", "steps": ["lead"]}]},
         "approval.rules[0] 'x': min and max need a currency"),
        ({"rules": [{"name": "x", "steps": ["ceo", "ceo"]}]},
         "approval.rules[0] 'x'.steps[1]: can never be signed"),
        ({"rules": [{"steps": ["lead"], "kinds": []}]},
         "approval.rules[0].kinds: an empty list would never match"),
        ({"rules": [{"steps": ["lead"], "limit": "5"}]},
         "approval.rules[0].limit: unknown key"),
        ({"groups": {"approvers": [CEO]}}, "approval.groups.approvers: 'approvers' is the built"),
    ],
)  # fmt: skip
def test_policies_that_could_never_work_are_refused_at_start_naming_the_rule(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        approval(**change)
    assert str(refused.value).startswith(message)


def test_rules_that_only_overlap_are_kept() -> None:
    policy = approval(rules=[
        {"currency": "EUR", "min": "0", "max": "5000", "steps": ["lead"]},
        {"currency": "EUR", "min": "1000", "max": "9000", "steps": ["finance"]},  # 5000-9000
        {"clients": ["Acme"], "steps": ["ceo"]},
        {"clients": ["Acme", "Beta"], "steps": ["finance"]},  # Beta
        {"currency": "GBP", "steps": ["lead"]},
        {"steps": ["approvers"]},  # everything else
    ])  # fmt: skip
    assert len(policy.rules) == 6
    assert isinstance(policy.rules[0], ApprovalRule)


def test_group_members_may_reject_and_void_like_approvers() -> None:
    from billing_core.permissions import is_approver

    policy = approval()
    assert is_approver(FIN_B, policy) and is_approver(CEO, policy)
    assert not is_approver(DRAFTER, policy)


def readme_example() -> ApprovalPolicy:
    """The worked example of the README's "Approval rules" section, as printed there."""
    import tomllib
    from pathlib import Path

    text = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = text.split("## Approval rules", 1)[1]
    block = section.split("```toml\n", 1)[1].split("```", 1)[0]
    return parse_policy(tomllib.loads(block)).approval


@pytest.mark.parametrize(
    ("total", "currency", "more", "rule", "steps"),
    [
        ("30000", "EUR", {"client_name": "Müller & Søn GmbH"}, "key accounts",
         ["finance", "founders"]),
        ("1800", "EUR", {}, "small EUR", ["leads"]),
        ("2500.00", "EUR", {}, "medium EUR", ["leads", "finance"]),
        ("20000.00", "EUR", {}, "large EUR", ["leads", "finance", "founders"]),
        ("-4000", "EUR", {}, "medium EUR", ["leads", "finance"]),
        ("1500", "GBP", {}, "approval", ["approvers"]),
        ("99000", "USD", {}, "approval", ["approvers"]),
    ],
)  # fmt: skip
def test_the_readme_example_routes_as_its_table_says(
    total: str, currency: str, more: dict[str, str], rule: str, steps: list[str]
) -> None:
    chosen = rule_for(facts(total, currency, **more), readme_example())
    assert (chosen.name, [g.name for g in chosen.steps]) == (rule, steps)


def test_the_readme_example_lets_a_lead_sign_their_own_small_invoice() -> None:
    lead = "U0LEAD2"
    small = rule_for(facts("1800", owner=lead), readme_example())
    assert lead in eligible_signers(small, 0, lead, ())
