"""files.*: the external upload flow (get an URL, POST the bytes, complete) and files.info.

Completing shares the file into the channel (and thread) as a message of its own, which
conversations.replies then returns with a ``files`` list, as Slack does.
"""

import time
from typing import Any

from .records import Message, Params, StandInError, UploadedFile
from .workspace import Workspace

__all__ = ["METHODS", "file_object"]


def get_upload_url(ws: Workspace, params: Params) -> Params:
    filename = params.get("filename")
    try:
        length = int(params.get("length", ""))
    except ValueError:
        raise StandInError("invalid_arguments") from None
    if not filename:
        raise StandInError("invalid_arguments")
    file_id = ws.next_file_id()
    upload_url = f"{ws.base_url}/upload/{file_id}"
    ws.files[file_id] = UploadedFile(
        file_id=file_id,
        filename=str(filename),
        length=length,
        upload_url=upload_url,
        alt_txt=params.get("alt_txt"),
        snippet_type=params.get("snippet_type"),
    )
    return {"upload_url": upload_url, "file_id": file_id}


def file_object(ws: Workspace, upload: UploadedFile) -> dict[str, Any]:
    """The file as Slack describes it (files.info, completeUploadExternal, messages)."""
    now = int(time.time())
    ext = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
    shares: dict[str, Any] = {}
    if upload.completed and upload.channel_id:
        share = {"ts": upload.share_ts, "thread_ts": upload.thread_ts}
        kind = "private" if upload.channel_id[0] in "DG" else "public"
        shares = {kind: {upload.channel_id: [share]}}
    return {
        "id": upload.file_id,
        "created": now,
        "timestamp": now,
        "name": upload.filename,
        "title": upload.title or upload.filename,
        "mimetype": upload.mimetype,
        "filetype": ext,
        "user": ws.bot_user_id,
        "size": len(upload.content or b""),
        "is_external": False,
        "url_private": f"{ws.base_url}/files/{upload.file_id}/{upload.filename}",
        "channels": [upload.channel_id] if upload.completed and upload.channel_id else [],
        "groups": [],
        "ims": [],
        "shares": shares,
    }


def complete_upload(ws: Workspace, params: Params) -> Params:
    files = params.get("files")
    if not isinstance(files, list) or not files:
        raise StandInError("invalid_arguments")
    channel_id = params.get("channel_id") or None
    channels = params.get("channels") or []
    if isinstance(channels, str):
        channels = [c for c in channels.split(",") if c]
    thread_ts = params.get("thread_ts") or None
    if thread_ts and not (channel_id or channels):
        raise StandInError("invalid_arguments")
    target = channel_id or (channels[0] if channels else None)
    if target:
        ws.writable({"channel": target})
    uploads: list[UploadedFile] = []
    for item in files:
        upload = ws.files.get(str(item.get("id"))) if isinstance(item, dict) else None
        if upload is None or upload.content is None or upload.completed:
            raise StandInError("file_not_found")
        uploads.append(upload)
    for item, upload in zip(files, uploads, strict=True):
        upload.title = item.get("title") or upload.filename
        upload.channel_id = channel_id or target
        upload.channels = list(channels)
        upload.thread_ts = thread_ts
        upload.initial_comment = params.get("initial_comment")
        upload.completed = True
        ws.completed.append(upload)
    if target:
        share = Message(
            channel=target,
            ts=ws.next_ts(),
            text=params.get("initial_comment") or "",
            blocks=None,
            attachments=None,
            thread_ts=thread_ts,
            metadata=None,
            user=ws.bot_user_id,
            bot_id=ws.bot_id,
            app_id=ws.app_id,
            team=ws.team_id,
            params=params,
        )
        ws.messages[(target, share.ts)] = share
        for upload in uploads:
            upload.share_ts = share.ts
        share.files = [file_object(ws, u) for u in uploads]
    return {"files": [file_object(ws, u) for u in uploads]}


def info(ws: Workspace, params: Params) -> Params:
    upload = ws.files.get(str(params.get("file") or ""))
    if upload is None:
        raise StandInError("file_not_found")
    return {"file": file_object(ws, upload)}


METHODS = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
    "files.info": info,
}
