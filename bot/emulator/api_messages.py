"""Bot API methods that send, edit, delete and answer: the bot's visible output."""

from __future__ import annotations

import time
from typing import Any

from .errors import BLOCKED, NOT_MODIFIED, bad_request, forbidden
from .formatting import format_text
from .markup import inline_part, validate_markup
from .objects import JSON, bot_user, chat_full_info
from .params import Params
from .registry import api_method
from .state import BotState, CallbackAnswer, ChatState, EditRecord, SentRecord, StoredMessage

MAX_TEXT = 4096
MAX_CAPTION = 1024
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# method -> (parameter, message field, extra object fields)
MEDIA_METHODS: dict[str, tuple[str, JSON]] = {
    "sendDocument": ("document", {}),
    "sendVideo": ("video", {"width": 640, "height": 360, "duration": 5}),
    "sendAnimation": ("animation", {"width": 320, "height": 240, "duration": 2}),
    "sendAudio": ("audio", {"duration": 60}),
    "sendVoice": ("voice", {"duration": 3}),
    "sendSticker": (
        "sticker",
        {"type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False},
    ),
}


def target_chat(bot: BotState, p: Params, name: str = "chat_id") -> ChatState:
    """Return the addressed chat, raising ``chat not found`` or ``blocked`` like Telegram."""
    chat = bot.resolve_chat(p.chat_id(name))
    if chat.blocked:
        raise forbidden(BLOCKED)
    return chat


def _caption(
    p: Params, *, source: str | None = None, mode: str | None = None, entities: Any = None
) -> JSON:
    text = p.opt_str("caption") if source is None else source
    if not text:
        return {}
    caption, found = format_text(
        text,
        mode if source is not None else p.opt_str("parse_mode"),
        entities if source is not None else p.json_value("caption_entities"),
    )
    if len(caption) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    out: JSON = {"caption": caption} if caption else {}
    if found:
        out["caption_entities"] = found
    return out


def _reply_to(bot: BotState, chat: ChatState, p: Params) -> JSON | None:
    params = p.json_value("reply_parameters") or {}
    message_id = params.get("message_id") or p.opt_int("reply_to_message_id")
    if not message_id:
        return None
    source = bot.resolve_chat(params["chat_id"]) if params.get("chat_id") else chat
    msg = source.find(int(message_id))
    if msg is None:
        if params.get("allow_sending_without_reply") or p.flag("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    snap = msg.snapshot()
    snap.pop("reply_to_message", None)
    return snap


def new_bot_message(
    bot: BotState, chat: ChatState, p: Params, content: JSON, *, markup_allowed: bool = True
) -> StoredMessage:
    """Validate the common send parameters and store the bot's new message."""
    markup = validate_markup(p.json_value("reply_markup")) if markup_allowed else None
    reply = _reply_to(bot, chat, p)
    data: JSON = {
        "message_id": chat.new_message_id(),
        "from": bot_user(),
        "chat": dict(chat.chat),
        "date": bot.now_ts(),
    }
    if reply is not None:
        data["reply_to_message"] = reply
    data.update(content)
    if p.flag("protect_content"):
        data["has_protected_content"] = True
    return bot.store(chat, data, from_bot=True, markup=markup)


def record(
    bot: BotState,
    method: str,
    chat_id: int,
    msg: StoredMessage | None,
    p: Params,
    photos: tuple[str, ...] = (),
) -> None:
    """Append a SentRecord for a successful call."""
    data = msg.data if msg is not None else {}
    bot.sent.append(
        SentRecord(
            method=method,
            chat_id=chat_id,
            message_id=msg.message_id if msg is not None else p.opt_int("message_id"),
            text=data.get("text"),
            caption=data.get("caption"),
            reply_markup=msg.markup if msg is not None else None,
            photos=photos,
            time=time.monotonic(),
            params=p.raw(),
        )
    )


def resolve_file(
    bot: BotState, p: Params, ref: str | None, field: str, kind: str, extra: JSON | None = None
) -> tuple[Any, str]:
    """Return ``(object, reference)`` for a file given by id, URL or upload."""
    upload = p.uploads.get(field)
    if ref and ref.startswith("attach://"):
        upload = p.uploads.get(ref.removeprefix("attach://"))
        if upload is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
    if upload is not None:
        if not upload.data:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            return bot.files.new_photo(upload.data), f"upload:{upload.filename}"
        obj = bot.files.new_file(
            kind, upload.data, file_name=upload.filename, mime_type=upload.content_type, extra=extra
        )
        return obj, f"upload:{upload.filename}"
    if not ref:
        raise bad_request(f"there is no {kind} in the request")
    if ref.startswith(("http://", "https://")):
        if kind == "photo":
            return bot.files.new_photo(ref.encode()), ref
        name = ref.rsplit("/", 1)[-1] or None
        return bot.files.new_file(kind, ref.encode(), file_name=name, extra=extra), ref
    if kind == "photo":
        sizes = bot.files.photo_sizes(ref)
        if sizes is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return sizes, ref
    stored = bot.files.get(ref)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return stored.obj, ref


@api_method("sendMessage")
async def send_message(bot: BotState, p: Params) -> JSON:
    """sendMessage."""
    chat = target_chat(bot, p)
    text, entities = format_text(
        p.opt_str("text") or "", p.opt_str("parse_mode"), p.json_value("entities")
    )
    if not text:
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    content: JSON = {"text": text}
    if entities:
        content["entities"] = entities
    if p.json_value("link_preview_options"):
        content["link_preview_options"] = p.json_value("link_preview_options")
    msg = new_bot_message(bot, chat, p, content)
    record(bot, "sendMessage", chat.id, msg, p)
    return msg.snapshot()


@api_method("sendPhoto")
async def send_photo(bot: BotState, p: Params) -> JSON:
    """sendPhoto (file id, URL or upload)."""
    chat = target_chat(bot, p)
    sizes, ref = resolve_file(bot, p, p.opt_str("photo"), "photo", "photo")
    content: JSON = {"photo": sizes, **_caption(p)}
    if p.flag("has_spoiler"):
        content["has_media_spoiler"] = True
    msg = new_bot_message(bot, chat, p, content)
    record(bot, "sendPhoto", chat.id, msg, p, photos=(ref,))
    return msg.snapshot()


def _media_handler(method: str, kind: str, extra: JSON) -> None:
    async def handler(bot: BotState, p: Params) -> JSON:
        chat = target_chat(bot, p)
        obj, ref = resolve_file(bot, p, p.opt_str(kind), kind, kind, extra)
        content: JSON = {kind: obj}
        if kind != "sticker":
            content.update(_caption(p))
        msg = new_bot_message(bot, chat, p, content)
        record(bot, method, chat.id, msg, p, photos=(ref,))
        return msg.snapshot()

    handler.__doc__ = f"{method}."
    api_method(method)(handler)


for _method, (_kind, _extra) in MEDIA_METHODS.items():
    _media_handler(_method, _kind, _extra)


@api_method("sendMediaGroup")
async def send_media_group(bot: BotState, p: Params) -> list[JSON]:
    """sendMediaGroup: 2-10 photos/videos/documents/audios, one message each."""
    chat = target_chat(bot, p)
    media = p.json_value("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad_request("wrong number of media in the album: must be 2-10")
    contents: list[tuple[JSON, str]] = []
    for item in media:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind not in ("photo", "video", "document", "audio"):
            raise bad_request("can't parse InputMedia: unsupported media type")
        obj, ref = resolve_file(
            bot,
            p,
            item.get("media"),
            kind,
            kind,
            MEDIA_METHODS.get(f"send{kind.capitalize()}", ("", {}))[1],
        )
        caption = _caption(
            p,
            source=item.get("caption") or "",
            mode=item.get("parse_mode"),
            entities=item.get("caption_entities"),
        )
        contents.append(({kind: obj, **caption}, ref))
    group_id = bot.new_media_group_id()
    out: list[JSON] = []
    for content, ref in contents:
        msg = new_bot_message(
            bot, chat, p, {"media_group_id": group_id, **content}, markup_allowed=False
        )
        record(bot, "sendMediaGroup", chat.id, msg, p, photos=(ref,))
        out.append(msg.snapshot())
    return out


@api_method("sendLocation")
async def send_location(bot: BotState, p: Params) -> JSON:
    """sendLocation."""
    chat = target_chat(bot, p)
    location = {"latitude": p.opt_float("latitude"), "longitude": p.opt_float("longitude")}
    msg = new_bot_message(bot, chat, p, {"location": location})
    record(bot, "sendLocation", chat.id, msg, p)
    return msg.snapshot()


@api_method("sendContact")
async def send_contact(bot: BotState, p: Params) -> JSON:
    """sendContact."""
    chat = target_chat(bot, p)
    contact = {"phone_number": p.req_str("phone_number"), "first_name": p.req_str("first_name")}
    msg = new_bot_message(bot, chat, p, {"contact": contact})
    record(bot, "sendContact", chat.id, msg, p)
    return msg.snapshot()


def _edit_target(bot: BotState, p: Params) -> tuple[ChatState, StoredMessage]:
    if "inline_message_id" in p:
        raise bad_request("message to edit not found")
    chat = target_chat(bot, p)
    msg = chat.find(p.req_int("message_id"))
    if msg is None:
        raise bad_request("message to edit not found")
    if not msg.from_bot:
        raise bad_request("message can't be edited")
    return chat, msg


def _edit_markup(p: Params) -> JSON | None:
    markup = validate_markup(p.json_value("reply_markup"))
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return inline_part(markup)


def _apply_edit(
    bot: BotState,
    chat: ChatState,
    msg: StoredMessage,
    method: str,
    p: Params,
    new: JSON | None,
    markup: JSON | None,
) -> JSON:
    """Apply an edit; ``new`` maps the text/caption fields to their new values (None: keep)."""
    old_text, old_markup = msg.text, inline_part(msg.markup)
    changed = markup != old_markup or (
        new is not None and any(msg.data.get(k) != v for k, v in new.items())
    )
    if not changed:
        raise bad_request(NOT_MODIFIED)
    for key, value in (new or {}).items():
        if value is None:
            msg.data.pop(key, None)
        else:
            msg.data[key] = value
    msg.markup = markup
    if markup is None:
        msg.data.pop("reply_markup", None)
    else:
        msg.data["reply_markup"] = markup
    msg.data["edit_date"] = bot.now_ts()
    msg.edits.append(EditRecord(method, time.monotonic(), old_text, msg.text, old_markup, markup))
    record(bot, method, chat.id, msg, p)
    bot.touch()
    return msg.snapshot()


@api_method("editMessageText")
async def edit_message_text(bot: BotState, p: Params) -> JSON:
    """editMessageText."""
    chat, msg = _edit_target(bot, p)
    if "text" not in msg.data:
        raise bad_request("there is no text in the message to edit")
    text, entities = format_text(
        p.opt_str("text") or "", p.opt_str("parse_mode"), p.json_value("entities")
    )
    if not text:
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("MESSAGE_TOO_LONG")
    new = {"text": text, "entities": entities or None}
    return _apply_edit(bot, chat, msg, "editMessageText", p, new, _edit_markup(p))


@api_method("editMessageCaption")
async def edit_message_caption(bot: BotState, p: Params) -> JSON:
    """editMessageCaption."""
    chat, msg = _edit_target(bot, p)
    if msg.kind in ("text", "sticker", "location", "contact", "other"):
        raise bad_request("there is no caption in the message to edit")
    caption = _caption(p)
    new = {"caption": caption.get("caption"), "caption_entities": caption.get("caption_entities")}
    return _apply_edit(bot, chat, msg, "editMessageCaption", p, new, _edit_markup(p))


@api_method("editMessageReplyMarkup")
async def edit_message_reply_markup(bot: BotState, p: Params) -> JSON:
    """editMessageReplyMarkup."""
    chat, msg = _edit_target(bot, p)
    return _apply_edit(bot, chat, msg, "editMessageReplyMarkup", p, None, _edit_markup(p))


@api_method("deleteMessage")
async def delete_message(bot: BotState, p: Params) -> bool:
    """deleteMessage."""
    chat = bot.resolve_chat(p.chat_id())
    msg = chat.find(p.req_int("message_id"))
    if msg is None:
        raise bad_request("message to delete not found")
    msg.deleted = True
    record(bot, "deleteMessage", chat.id, msg, p)
    bot.touch()
    return True


@api_method("deleteMessages")
async def delete_messages(bot: BotState, p: Params) -> bool:
    """deleteMessages (missing ones are skipped, as on Telegram)."""
    chat = bot.resolve_chat(p.chat_id())
    for message_id in p.json_value("message_ids") or []:
        msg = chat.find(int(message_id))
        if msg is not None:
            msg.deleted = True
            record(bot, "deleteMessages", chat.id, msg, p)
    bot.touch()
    return True


@api_method("answerCallbackQuery")
async def answer_callback_query(bot: BotState, p: Params) -> bool:
    """answerCallbackQuery; each query can be answered once."""
    query_id = p.req_str("callback_query_id")
    query = bot.open_queries.pop(query_id, None)
    if query is None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.opt_str("text")
    if text is not None and len(text) > 200:
        bot.open_queries[query_id] = query
        raise bad_request("MESSAGE_TOO_LONG")
    bot.callback_answers.append(
        CallbackAnswer(
            callback_query_id=query_id,
            text=text,
            show_alert=p.flag("show_alert"),
            url=p.opt_str("url"),
            user_id=query.get("from", {}).get("id"),
            data=query.get("data"),
            time=time.monotonic(),
        )
    )
    bot.touch()
    return True


def _source_message(bot: BotState, p: Params, what: str) -> StoredMessage:
    source = bot.resolve_chat(p.chat_id("from_chat_id"))
    msg = source.find(p.req_int("message_id"))
    if msg is None:
        raise bad_request(f"message to {what} not found")
    return msg


_CONTENT_KEYS = (
    "text",
    "entities",
    "photo",
    "document",
    "video",
    "animation",
    "audio",
    "voice",
    "sticker",
    "location",
    "contact",
    "caption",
    "caption_entities",
)


@api_method("forwardMessage")
async def forward_message(bot: BotState, p: Params) -> JSON:
    """forwardMessage: a copy with forward_origin."""
    chat = target_chat(bot, p)
    src = _source_message(bot, p, "forward")
    content = {k: v for k, v in src.snapshot().items() if k in _CONTENT_KEYS}
    sender = src.data.get("from") or bot_user()
    content["forward_origin"] = {"type": "user", "sender_user": sender, "date": src.data["date"]}
    msg = new_bot_message(bot, chat, p, content, markup_allowed=False)
    record(bot, "forwardMessage", chat.id, msg, p)
    return msg.snapshot()


@api_method("copyMessage")
async def copy_message(bot: BotState, p: Params) -> JSON:
    """copyMessage: returns only the new MessageId."""
    chat = target_chat(bot, p)
    src = _source_message(bot, p, "copy")
    content = {k: v for k, v in src.snapshot().items() if k in _CONTENT_KEYS}
    if "caption" in p and "text" not in content:
        content.pop("caption_entities", None)
        content.update(_caption(p))
    msg = new_bot_message(bot, chat, p, content)
    record(bot, "copyMessage", chat.id, msg, p)
    return {"message_id": msg.message_id}


@api_method("sendChatAction")
async def send_chat_action(bot: BotState, p: Params) -> bool:
    """sendChatAction."""
    chat = target_chat(bot, p)
    action = p.req_str("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    bot.chat_actions.append((chat.id, action))
    bot.touch()
    return True


@api_method("getChat")
async def get_chat(bot: BotState, p: Params) -> JSON:
    """getChat."""
    return chat_full_info(bot.resolve_chat(p.chat_id()).chat)


@api_method("getFile")
async def get_file(bot: BotState, p: Params) -> JSON:
    """getFile."""
    obj = bot.files.file_object(p.req_str("file_id"))
    if obj is None:
        raise bad_request("invalid file_id")
    return obj
