"""views.* (modals and the App Home tab), users.info and usergroups.users.list."""

from typing import Any

from .blockkit import check_view
from .records import Params, StandInError
from .workspace import TS_BASE, Workspace

__all__ = ["METHODS"]


def _full_view(
    ws: Workspace, view: Any, view_id: str, previous: dict[str, Any] | None
) -> dict[str, Any]:
    check_view(view)
    seq = ws.next_view_seq()
    return {
        "id": view_id,
        "team_id": ws.team_id,
        "state": {"values": {}},
        "hash": f"{TS_BASE + seq}.{seq:08d}",
        "clear_on_close": False,
        "notify_on_close": False,
        "close": None,
        "submit": None,
        "previous_view_id": None,
        "root_view_id": (previous or {}).get("root_view_id", view_id),
        "app_id": ws.app_id,
        "external_id": "",
        "app_installed_team_id": ws.team_id,
        "bot_id": ws.bot_id,
        "private_metadata": "",
        "callback_id": "",
        "blocks": [],
        **view,
    }


def views_open(ws: Workspace, params: Params) -> Params:
    if not params.get("trigger_id"):
        raise StandInError("invalid_arguments")
    view_id = f"V{ws.next_view_seq():010d}"
    full = _full_view(ws, params.get("view"), view_id, None)
    full["trigger_id"] = params["trigger_id"]
    ws.views[view_id] = full
    return {"view": full}


def views_update(ws: Workspace, params: Params) -> Params:
    view_id = params.get("view_id")
    if not view_id and params.get("external_id"):
        ext = params["external_id"]
        view_id = next((k for k, v in ws.views.items() if v.get("external_id") == ext), None)
    if not view_id or view_id not in ws.views:
        raise StandInError("not_found")
    old = ws.views[view_id]
    if params.get("hash") and params["hash"] != old.get("hash"):
        raise StandInError("hash_conflict")
    full = _full_view(ws, params.get("view"), view_id, old)
    ws.views[view_id] = full
    return {"view": full}


def views_publish(ws: Workspace, params: Params) -> Params:
    user_id = params.get("user_id")
    if not user_id:
        raise StandInError("invalid_arguments")
    full = _full_view(ws, params.get("view"), f"V{ws.next_view_seq():010d}", None)
    ws.home_views[str(user_id)] = full
    return {"view": full}


def users_info(ws: Workspace, params: Params) -> Params:
    user_id = params.get("user")
    if not user_id:
        raise StandInError("user_not_found")
    extra = dict(ws.users.get(user_id, {}))
    name = extra.pop("name", str(user_id).lower())
    real_name = extra.pop("real_name", f"User {user_id}")
    email = extra.pop("email", None)
    user: dict[str, Any] = {
        "id": user_id,
        "team_id": ws.team_id,
        "name": name,
        "deleted": False,
        "real_name": real_name,
        "tz": "Europe/Berlin",
        "tz_label": "Central European Time",
        "tz_offset": 3600,
        "is_admin": False,
        "is_bot": False,
        "profile": {"real_name": real_name, "display_name": name},
    }
    if email is not None:
        user["profile"]["email"] = email
    user.update(extra)
    return {"user": user}


def usergroup_users(ws: Workspace, params: Params) -> Params:
    """Members of a user group (Slack: a paid plan and the usergroups:read scope), seeded with
    `SlackStandIn.add_usergroup`; an unknown ID answers no_such_subteam. Failures are
    injected like any method's: ``fail_next("usergroups.users.list", error="missing_scope")``."""
    group = str(params.get("usergroup") or "")
    if group not in ws.usergroups:
        raise StandInError("no_such_subteam")
    return {"users": list(ws.usergroups[group])}


METHODS = {
    "views.open": views_open,
    "views.push": views_open,
    "views.update": views_update,
    "views.publish": views_publish,
    "users.info": users_info,
    "usergroups.users.list": usergroup_users,
}
