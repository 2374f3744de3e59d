"""The draft thread's decision message under an approval rule: its steps, who signed, who may
sign next, and a warning when the rules leave a step with no one to sign it.

A draft under the default rule (one step by `[approval] approvers`) looks as it always did.
"""

from __future__ import annotations

from billing_core.approval_rules import DEFAULT_RULE, step_label
from billing_core.state import InvoiceState
from billing_core.usecases.approvals import ApprovalProgress
from billing_core.usecases.groups import DEFAULT_TTL
from handlers import blocks
from handlers.blocks import Blocks, context, escape, section

_TTL_MINUTES = int(DEFAULT_TTL.total_seconds()) // 60  # the user-group cache serve runs with


def _people(ids: tuple[str, ...]) -> str:
    return ", ".join(f"<@{u}>" for u in ids)


def standing_in_text(progress: ApprovalProgress) -> str:
    """ "<@BEN> signs for <@ADA> until 2026-12-24", one per delegation in force for the waiting
    step; empty when there is none."""
    return "; ".join(
        f"<@{d.delegate}> signs for <@{d.delegator}> until {d.until.isoformat()}"
        for d in progress.standing_in.values()
    )


def steps_text(progress: ApprovalProgress) -> str:
    """One line per step: signed by whom, waiting for whom, or still to come."""
    rule = progress.rule
    count = "1 step" if len(rule.steps) == 1 else f"{len(rule.steps)} steps, in order"
    lines = [f"*Approval rule:* {escape(rule.name)} — {count}"]
    for n, group in enumerate(rule.steps):
        name = escape(group.name)
        if n < len(progress.signed) and n != progress.step:
            lines.append(f"{n + 1}. {name} — :white_check_mark: signed by <@{progress.signed[n]}>")
        elif n == progress.step and group.usergroup in progress.unread:
            line = f"{n + 1}. {name} — waiting for <!subteam^{group.usergroup}> (members not read)"
            lines.append(line)
        elif n == progress.step:
            line = f"{n + 1}. {name} — waiting for {_people(progress.eligible) or 'no one'}"
            if progress.standing_in:
                line += f" ({standing_in_text(progress)})"
            lines.append(line)
        else:
            lines.append(f"{n + 1}. {name} — after step {n}")
    return "\n".join(lines)


def unsignable_text(progress: ApprovalProgress, drafter: str) -> str | None:
    """Why no one can sign a step, or None when every remaining step can be signed."""
    step = progress.unsignable
    if step is None:
        return None
    rule = progress.rule
    group = rule.steps[step]
    if group.usergroup is not None and not group.members:
        why = (
            f"its group {escape(group.name)!r} is the Slack user group "
            f"<!subteam^{group.usergroup}>, which has no members"
        )
    else:
        four_eyes = "the drafter may not sign (four eyes) and " if rule.four_eyes else ""
        why = (
            f"its group {escape(group.name)!r} is {_people(group.members)}; {four_eyes}"
            "no one signs two steps"
        )
    fix = (
        f"add people to the user group (seen within {_TTL_MINUTES} minutes)"
        if group.usergroup is not None and not group.members
        else "change the approval rules and restart"
    )
    return (
        f":warning: No one can sign {step_label(rule, step)} of this draft by <@{drafter}>: "
        f"{why}. Reject it, or {fix}."
    )


def unread_text(progress: ApprovalProgress) -> str | None:
    """Which waiting or later steps' Slack user groups could not be read, and why (named by
    ID, not mentioned: a warning should not notify the whole group)."""
    if not progress.unread or progress.step is None:
        return None
    rule = progress.rule
    lines: list[str] = []
    seen: set[str] = set()
    for n in range(progress.step, len(rule.steps)):
        gid = rule.steps[n].usergroup
        if gid is not None and gid in progress.unread and gid not in seen:
            seen.add(gid)
            lines.append(
                f"{step_label(rule, n)}: the Slack user group {escape(gid)} could not be "
                f"read: {escape(progress.unread[gid])}"
            )
    return (
        ":warning: Who may sign is not known yet. "
        + "; ".join(lines)
        + ". Approve clicks on such a step are refused until it can be read."
    )


def decision_message(state: InvoiceState, progress: ApprovalProgress) -> tuple[str, Blocks]:
    """The thread message with Approve and Reject, showing the steps of a multi-step rule."""
    text, message = blocks.decision_request(state, progress.eligible)
    simple = progress.rule.name == DEFAULT_RULE and len(progress.rule.steps) == 1
    if not simple:
        message.insert(1, section(steps_text(progress)))
        if progress.step is not None:
            label = step_label(progress.rule, progress.step)
            message[0] = section(f"Each Approve signs the current step: now {escape(label)}.")
    elif progress.standing_in:
        message.insert(1, context(standing_in_text(progress)))
    for warning in (unsignable_text(progress, state.drafted_by), unread_text(progress)):
        if warning:
            message.insert(0, section(warning))
    return text, message


def signed_note(state: InvoiceState, progress: ApprovalProgress, signer: str) -> str:
    """The thread reply after a step is signed, mentioning who may sign the next one."""
    done = len(progress.signed)
    rule = progress.rule
    text = f"<@{signer}> signed {step_label(rule, done - 1)} for {escape(state.label)}."
    if progress.step is not None:
        waiting = _people(progress.eligible) or "no one (see above)"
        text += f" Next, {step_label(rule, progress.step)}: {waiting}."
    return text


def approved_message(state: InvoiceState, progress: ApprovalProgress) -> tuple[str, Blocks]:
    """After the last signature: today's approved message, plus who signed the earlier steps."""
    text, message = blocks.approved(state)
    if progress.signed:
        earlier = " · ".join(f"step {n + 1} <@{who}>" for n, who in enumerate(progress.signed))
        message.append(context(f"Signed before: {earlier}"))
    return text, message
