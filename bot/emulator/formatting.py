"""Turning ``parse_mode`` text into plain text plus entities, with Telegram's parse errors."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from .errors import ApiError, bad_request
from .objects import JSON, utf16_len

HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*>")
_ATTR = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


def _parse_error(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


@dataclass
class _Builder:
    """Accumulates output text and entities with UTF-16 offsets."""

    parts: list[str] = field(default_factory=list)
    pos: int = 0
    entities: list[JSON] = field(default_factory=list)

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.pos += utf16_len(chunk)

    def entity(self, kind: str, start: int, **extra: str) -> None:
        if self.pos > start:
            self.entities.append(
                {"type": kind, "offset": start, "length": self.pos - start, **extra}
            )

    def result(self) -> tuple[str, list[JSON]]:
        return "".join(self.parts), sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))


def parse_html(source: str) -> tuple[str, list[JSON]]:
    """Parse Telegram-HTML into text and entities, raising Telegram's errors on bad markup."""
    out = _Builder()
    stack: list[tuple[str, int, dict[str, str]]] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "<":
            match = _TAG.match(source, i)
            if match is None:
                bad = re.match(r"</?([^\s>]*)", source[i:])
                tag = bad.group(1) if bad else ""
                raise _parse_error(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(source, i)}'
                )
            closing, name, attrs_src = match.group(1), match.group(2).lower(), match.group(3)
            if name not in HTML_TAGS:
                raise _parse_error(
                    f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, i)}'
                )
            if closing:
                if not stack or stack[-1][0] != name:
                    raise _parse_error(
                        f"Unexpected end tag at byte offset {_byte_offset(source, i)}"
                    )
                _close_tag(out, stack.pop())
            else:
                attrs = {
                    m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
                    for m in _ATTR.finditer(attrs_src)
                }
                stack.append((name, out.pos, attrs))
            i = match.end()
        elif ch == "&":
            match = _ENTITY.match(source, i)
            if match:
                out.add(html.unescape(match.group(0)))
                i = match.end()
            else:
                out.add("&")
                i += 1
        elif ch == ">":
            out.add(">")
            i += 1
        else:
            j = i
            while j < len(source) and source[j] not in "<&>":
                j += 1
            out.add(source[i:j])
            i = j
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _close_tag(out: _Builder, opened: tuple[str, int, dict[str, str]]) -> None:
    name, start, attrs = opened
    kind = HTML_TAGS[name]
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise _parse_error('Unsupported start tag "span"')
    if kind == "text_link":
        href = attrs.get("href", "")
        if not href:
            return
        out.entity(kind, start, url=href)
    elif kind == "code" and attrs.get("class", "").startswith("language-"):
        out.entity("pre", start, language=attrs["class"].removeprefix("language-"))
    elif kind == "custom_emoji":
        out.entity(kind, start, custom_emoji_id=attrs.get("emoji-id", ""))
    else:
        out.entity(kind, start)


_MDV2_MARKS = (
    ("||", "spoiler"),
    ("__", "underline"),
    ("*", "bold"),
    ("_", "italic"),
    ("~", "strikethrough"),
)


def parse_markdown_v2(source: str) -> tuple[str, list[JSON]]:
    """Parse MarkdownV2, enforcing that reserved characters are escaped."""
    out = _Builder()
    open_marks: list[tuple[str, str, int, int]] = []
    link_start: list[tuple[int, int]] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "\\" and i + 1 < len(source):
            out.add(source[i + 1])
            i += 2
            continue
        if source.startswith("```", i):
            end = source.find("```", i + 3)
            if end < 0:
                raise _parse_error(
                    f"Can't find end of Pre entity at byte offset {_byte_offset(source, i)}"
                )
            body = source[i + 3 : end]
            language, _, rest = body.partition("\n") if "\n" in body else ("", "", body)
            start = out.pos
            out.add(re.sub(r"\\(.)", r"\1", rest))
            if language:
                out.entity("pre", start, language=language)
            else:
                out.entity("pre", start)
            i = end + 3
            continue
        if ch == "`":
            end = source.find("`", i + 1)
            if end < 0:
                raise _parse_error(
                    f"Can't find end of Code entity at byte offset {_byte_offset(source, i)}"
                )
            start = out.pos
            out.add(re.sub(r"\\(.)", r"\1", source[i + 1 : end]))
            out.entity("code", start)
            i = end + 1
            continue
        mark = next(((m, k) for m, k in _MDV2_MARKS if source.startswith(m, i)), None)
        if mark is not None:
            token, kind = mark
            if open_marks and open_marks[-1][0] == token:
                _, _, start, _ = open_marks.pop()
                out.entity(kind, start)
            else:
                open_marks.append((token, kind, out.pos, i))
            i += len(token)
            continue
        if ch == "[":
            link_start.append((out.pos, i))
            i += 1
            continue
        if ch == "]" and link_start and source.startswith("(", i + 1):
            end = source.find(")", i + 2)
            if end < 0:
                raise _parse_error(
                    f"Can't find end of a url at byte offset {_byte_offset(source, i)}"
                )
            start, _ = link_start.pop()
            out.entity("text_link", start, url=source[i + 2 : end].replace("\\)", ")"))
            i = end + 1
            continue
        if ch == ">" and (i == 0 or source[i - 1] == "\n"):
            i += 1
            continue
        if ch in MDV2_RESERVED:
            raise _parse_error(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        out.add(ch)
        i += 1
    if open_marks:
        _, kind, _, index = open_marks[-1]
        name = kind.capitalize()
        raise _parse_error(
            f"Can't find end of {name} entity at byte offset {_byte_offset(source, index)}"
        )
    if link_start:
        raise _parse_error(
            "Can't find end of TextUrl entity at byte offset "
            f"{_byte_offset(source, link_start[-1][1])}"
        )
    return out.result()


def parse_markdown(source: str) -> tuple[str, list[JSON]]:
    """Parse legacy Markdown (``*bold*``, ``_italic_``, ``code``, ``[text](url)``)."""
    out = _Builder()
    i = 0
    marks = {"*": "bold", "_": "italic"}
    while i < len(source):
        ch = source[i]
        if ch == "\\" and i + 1 < len(source) and source[i + 1] in "_*`[":
            out.add(source[i + 1])
            i += 2
        elif ch in marks or ch == "`":
            end = source.find(ch, i + 1)
            if end < 0:
                raise _parse_error(
                    "Can't find end of the entity starting at byte offset "
                    f"{_byte_offset(source, i)}"
                )
            start = out.pos
            out.add(source[i + 1 : end])
            out.entity(marks.get(ch, "code"), start)
            i = end + 1
        elif ch == "[":
            match = re.compile(r"\[([^\]]*)\]\(([^)]*)\)").match(source, i)
            if match is None:
                out.add(ch)
                i += 1
                continue
            start = out.pos
            out.add(match.group(1))
            out.entity("text_link", start, url=match.group(2))
            i = match.end()
        else:
            out.add(ch)
            i += 1
    return out.result()


def format_text(
    source: str, parse_mode: str | None, entities: list[JSON] | None = None
) -> tuple[str, list[JSON]]:
    """Apply ``parse_mode`` (or explicit entities) and Telegram's whitespace trimming."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        text, found = parse_html(source)
    elif mode == "markdownv2":
        text, found = parse_markdown_v2(source)
    elif mode == "markdown":
        text, found = parse_markdown(source)
    elif mode:
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    else:
        text, found = source, list(entities or [])
    return _strip(text, found)


def _strip(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept: list[JSON] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            kept.append(dict(entity, offset=start, length=end - start))
    return stripped, kept
