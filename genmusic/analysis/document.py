"""The report's document: blocks (headings, paragraphs, tables, images, players) rendered to Markdown and
to a self-contained HTML page from the same list, so both always hold the same numbers; :func:`format_number`
writes every number.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence

import numpy as np

__all__ = ["Document", "Clip", "format_number", "HTML_TEMPLATE"]


def format_number(value, digits: int = 3) -> str:
    """How the report writes a number: ``None``/NaN -> ``n/a``, integers as they are, floats with
    ``digits`` decimals (one decimal from 1000 up)."""
    if value is None or isinstance(value, str):
        return "n/a" if value is None else value
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if not math.isfinite(value):
        return "n/a"
    return f"{value:.1f}" if abs(value) >= 1000 else f"{value:.{digits}f}"



class Document:
    """A document built once as a list of blocks and rendered twice, to Markdown and to HTML (so both
    always say the same)."""

    def __init__(self) -> None:
        self.blocks: List[tuple] = []

    def h(self, level: int, text: str) -> None:
        self.blocks.append(("h", level, text))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def ul(self, items: Sequence[str]) -> None:
        if items:
            self.blocks.append(("ul", list(items)))

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.blocks.append(("table", list(header), [list(r) for r in rows]))

    def img(self, path: Path, rel: str, alt: str, *, html: bool = True) -> None:
        """A PNG: linked from the Markdown, embedded in the HTML (left out of it when ``html`` is False)."""
        self.blocks.append(("img", Path(path), rel, alt, html))

    def raw(self, html_text: str, markdown: str) -> None:
        """HTML written as it is into the page, and its Markdown stand-in."""
        self.blocks.append(("raw", html_text, markdown))

    def clips(self, items: Sequence["Clip"]) -> None:
        """A row of players: a grid of captioned ``<audio>`` elements; links in the Markdown."""
        if items:
            self.blocks.append(("clips", list(items)))

    def markdown(self) -> str:
        out = []
        for block in self.blocks:
            kind = block[0]
            if kind == "h":
                out.append("#" * block[1] + " " + block[2])
            elif kind == "p":
                out.append(block[1])
            elif kind == "ul":
                out.append("\n".join(f"- {item}" for item in block[1]))
            elif kind == "table":
                header, rows = block[1], block[2]
                cell = lambda s: str(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
                lines = ["| " + " | ".join(cell(h) for h in header) + " |",
                         "|" + "|".join(" --- " for _ in header) + "|"]
                lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
                out.append("\n".join(lines))
            elif kind == "img":
                out.append(f"![{block[3]}]({block[2]})")
            elif kind == "raw":
                out.append(block[2])
            elif kind == "clips":
                out.append("\n".join(f"- {clip.markdown()}" for clip in block[1]))
        return "\n\n".join(out) + "\n"

    def html(self, title: str, *, css: str = "", script: str = "") -> str:
        """The page: every block, with ``css`` added to the style sheet and ``script`` run at the end."""
        e = html.escape
        body = []
        for block in self.blocks:
            kind = block[0]
            if kind == "h":
                body.append(f"<h{block[1]}>{e(block[2])}</h{block[1]}>")
            elif kind == "p":
                body.append(f"<p>{e(block[1])}</p>")
            elif kind == "ul":
                body.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in block[1]) + "</ul>")
            elif kind == "table":
                head = "".join(f"<th>{e(str(h))}</th>" for h in block[1])
                rows = "".join("<tr>" + "".join(f"<td>{_cell_html(c)}</td>" for c in row) + "</tr>" for row in block[2])
                body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
            elif kind == "img" and block[4]:
                data = base64.b64encode(block[1].read_bytes()).decode("ascii")
                body.append(f'<figure><img alt="{e(block[3])}" src="data:image/png;base64,{data}">'
                            f"<figcaption>{e(block[3])}</figcaption></figure>")
            elif kind == "raw":
                body.append(block[1])
            elif kind == "clips":
                body.append('<div class="clips">' + "".join(
                    f'<figure class="clip"><figcaption>{e(clip.caption)}</figcaption>{clip.html()}</figure>'
                    for clip in block[1]) + "</div>")
        return HTML_TEMPLATE.format(title=e(title), body="\n".join(body), css=css, script=script)


@dataclass(frozen=True)
class Clip:
    """A sound in the report: its path relative to the report, a caption, and a detail line (e.g. its mel
    distance). In a table cell or :meth:`Document.clips`, a player in the HTML and a link in the Markdown."""

    path: str
    caption: str
    detail: str = ""

    def html(self) -> str:
        e = html.escape
        detail = f'<span class="detail">{e(self.detail)}</span>' if self.detail else ""
        return f'<audio controls preload="metadata" src="{e(self.path, quote=True)}"></audio>{detail}'

    def markdown(self) -> str:
        return f"[{self.caption}]({self.path})" + (f" ({self.detail})" if self.detail else "")

    def __str__(self) -> str:  # Markdown table cells
        return self.markdown()


def _cell_html(cell) -> str:
    return cell.html() if isinstance(cell, Clip) else html.escape(str(cell))


#: The page around a document's blocks (``{title}``, ``{css}``, ``{body}``, ``{script}``).
HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }}
h1 {{ border-bottom: 2px solid #444; padding-bottom: .2em; }}
h2 {{ border-bottom: 1px solid #bbb; margin-top: 2em; }}
table {{ border-collapse: collapse; margin: .8em 0; font-size: .92em; }}
th, td {{ border: 1px solid #ccc; padding: .25em .6em; text-align: left; }}
th {{ background: #f0f0f0; }}
tbody tr:nth-child(even) {{ background: #fafafa; }}
figure {{ margin: 1em 0; }}
img {{ max-width: 100%; border: 1px solid #ddd; }}
figcaption {{ font-size: .85em; color: #666; }}
li {{ margin: .15em 0; }}
{css}
</style>
</head>
<body>
{body}
<script>
{script}
</script>
</body>
</html>
"""
