"""`[approval.groups]` values: a list of member IDs, or a Slack user group ID (S + upper-case
letters and digits). Anything else is refused at start with the group named."""

from typing import Any

import pytest

from billing_core.errors import ConfigError
from billing_core.policy import ApprovalPolicy, parse_policy

FIN, CEO = "U0FIN", "U0CEO"


def approval(groups: dict[str, Any], steps: list[str] | None = None) -> ApprovalPolicy:
    rule = {"name": "two", "steps": steps or ["finance", "ceo"]}
    return parse_policy(
        {"approval": {"approvers": [FIN], "groups": groups, "rules": [rule]}}
    ).approval


def test_a_group_may_be_a_user_group_id_kept_for_the_adapter_to_read() -> None:
    policy = approval({"finance": "S0123ABCD", "ceo": [CEO]})
    finance, ceo = policy.rules[0].steps
    assert finance.name == "finance" and finance.usergroup == "S0123ABCD"
    assert finance.members == ()  # read at first use, not at start
    assert ceo.members == (CEO,) and ceo.usergroup is None


def test_a_user_group_step_is_not_judged_at_start_even_when_it_might_be_short() -> None:
    # Two steps of one user group need two different members; whether it has them is known
    # only once it is read, so the start-time check leaves it to the thread.
    policy = approval({"finance": "S0FIN", "ceo": [CEO]}, steps=["finance", "finance"])
    assert [g.usergroup for g in policy.rules[0].steps] == ["S0FIN", "S0FIN"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("s0123abcd", "approval.groups.finance: 's0123abcd' is not a user group ID (like S0"),
        ("U0123ABCD", "approval.groups.finance: 'U0123ABCD' is not a user group ID"),
        ("S", "approval.groups.finance: 'S' is not a user group ID"),
        ("S0123-ABC", "approval.groups.finance: 'S0123-ABC' is not a user group ID"),
        ("", "approval.groups.finance: '' is not a user group ID"),
        (42, "approval.groups.finance: must be a list of member IDs or a user group ID"),
        ({"id": "S0FIN"}, "approval.groups.finance: must be a list of member IDs or a user group"),
        (["S0FIN"], "approval.groups.finance[0]: 'S0FIN' is not a member ID"),
        ([FIN, 7], "approval.groups.finance[1]: 7 is not a member ID"),
        ([], "approval.groups.finance: the group is empty, so no one could sign its steps"),
    ],
)  # fmt: skip
def test_a_group_value_that_is_neither_is_refused_naming_the_group(
    value: Any, message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        approval({"finance": value, "ceo": [CEO]})
    assert str(refused.value).startswith(message)
