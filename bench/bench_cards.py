"""Time to render a 1,000-card A4 sheet PDF, against a baseline measured in the same run.

Run: `python bench/bench_cards.py [--cards 1000] [--repeat 3]`. Absolute times depend on the
machine; the ratio is what to compare between commits. The baseline draws the same 1,000 QR codes
with reportlab's own QR widget (same URLs, level M, same grid and size) and nothing else, so the
ratio is the price of a whole card (text fitting, embedded fonts, badge, logo, our QR encoder)
over a bare QR code.

`--stored N` (default 100) also issues N badges into a throw-away SQLite database and prints
them with the command a trainer runs (`sky-badges cards SHORT_ID… --layout sheet`), beside
`sheet_pdf` of the same cards already in memory: the CPU the command adds (settings, database,
loading each credential) over drawing. `--json PATH` writes the rows for bench/run.py.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from issuer.rendering.cards import CARD_HEIGHT, CARD_WIDTH, CardData, sheet_pdf
from issuer.rendering.images import badge_png

sys.path.insert(0, str(Path(__file__).parent))
from report import Row, write_json  # noqa: E402

GRID = [(c * CARD_WIDTH, r * CARD_HEIGHT) for r in range(5) for c in range(2)]


def sample_cards(count: int) -> list[CardData]:
    """`count` cards of one training session: same badge and logo, a different learner each."""
    logo = Image.new("RGB", (240, 120), "white")
    ImageDraw.Draw(logo).ellipse((0, 0, 119, 119), fill="#C62828")
    logo_png = io.BytesIO()
    logo.save(logo_png, format="PNG")
    badge = badge_png("Tri sélectif des déchets", "green-jobs", size=256)
    return [
        CardData(
            learner_name=f"Łucja Żółkiewska-Nowak {n}",
            achievement_name="Tri sélectif des déchets sur un chantier",
            issuer_name="Fundacja BARKA",
            issuer_logo=logo_png.getvalue(),
            badge_image=badge,
            issued_on=date(2025, 3, 12),
            gestures=["Trier les déchets", "Réduire les volumes", "Étiqueter les bacs"],
            verify_url=f"https://badges.sky-project.eu/v/{n:08X}",
            language="fr",
        )
        for n in range(count)
    ]


def qr_only_pdf(urls: list[str]) -> bytes:
    """Baseline: the same QR codes, ten per A4 page, drawn by reportlab's QrCodeWidget."""
    out = io.BytesIO()
    pdf = Canvas(out, pagesize=A4, invariant=True)
    size = 24 * 72 / 25.4
    for start in range(0, len(urls), len(GRID)):
        for url, (x, y) in zip(urls[start:start + len(GRID)], GRID, strict=False):
            widget = QrCodeWidget(url, barLevel="M", barBorder=4, barWidth=size, barHeight=size)
            drawing = Drawing(size, size)
            drawing.add(widget)
            renderPDF.draw(drawing, pdf, x, y)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def best_of(repeat: int, work) -> tuple[float, int]:
    """Best wall time of `repeat` runs, and the size of the output."""
    times, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = len(work())
        times.append(time.perf_counter() - start)
    return min(times), size


def cpu_of(repeat: int, work) -> float:
    """Least CPU time of `repeat` runs (this process)."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return min(times)


def command_beside_sheet(stored: int, repeat: int) -> tuple[float, float]:
    """CPU seconds of `sky-badges cards` for `stored` issued badges (sheet layout), and of
    `sheet_pdf` of the same cards built beforehand."""
    from bench_backup import fill, settings_for
    from sqlalchemy import select

    from issuer.cli import main as cli
    from issuer.services.cards import card_for
    from issuer.store.db import make_engine, make_sessionmaker
    from issuer.store.models import Credential

    with tempfile.TemporaryDirectory(prefix="sky-cards-") as folder:
        settings = settings_for(f"sqlite:///{folder}/cards.db", Path(folder) / "instance")
        fill(settings, stored)
        os.environ.update({"DATABASE_URL": settings.database_url,
                           "SKY_INSTANCE_PATH": str(settings.instance_path),
                           "SKY_KEY_PASSPHRASE": "bench passphrase", "SECRET_KEY": "bench"})
        engine = make_engine(settings.database_url)
        with make_sessionmaker(engine, settings)() as db:
            credentials = db.scalars(select(Credential).order_by(Credential.id)).all()
            codes = [credential.short_id for credential in credentials]
            cards = [card_for(credential) for credential in credentials]
        engine.dispose()
        output = Path(folder) / "cards.pdf"
        command = cpu_of(repeat, lambda: cli(["cards", *codes, "--layout", "sheet",
                                              "-o", str(output)]))
        sheet = cpu_of(repeat, lambda: sheet_pdf(cards))
    return command, sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stored", type=int, default=100, help="cards printed by the "
                        "command from the database; 0: none")
    parser.add_argument("--json", type=Path, help="write the rows there (bench/run.py)")
    args = parser.parse_args()
    cards = sample_cards(args.cards)
    urls = [card.verify_url for card in cards]
    baseline, baseline_size = best_of(args.repeat, lambda: qr_only_pdf(urls))
    sheet, sheet_size = best_of(args.repeat, lambda: sheet_pdf(cards))
    pages = -(-args.cards // len(GRID))
    print(f"{'':30}{'seconds':>10}{'ms/card':>10}{'PDF KiB':>10}")
    for label, seconds, size in (("baseline: reportlab QR only", baseline, baseline_size),
                                 (f"sheet_pdf: {args.cards} cards", sheet, sheet_size)):
        print(f"{label:30}{seconds:>10.3f}{seconds / args.cards * 1000:>10.2f}{size / 1024:>10.0f}")
    print(f"ratio sheet / baseline: {sheet / baseline:.2f}x  ({pages} A4 pages)")
    rows = [Row("cards", f"sheet_pdf, {args.cards:,} cards", sheet / args.cards * 1000,
                "ms/card", "reportlab QR codes alone", baseline / args.cards * 1000,
                sheet / baseline)]
    if args.stored > 0:
        command, in_memory = command_beside_sheet(args.stored, args.repeat)
        print(f"sky-badges cards, {args.stored} stored: {command / args.stored * 1000:.2f} "
              f"CPU ms/card, sheet_pdf of the same cards {in_memory / args.stored * 1000:.2f}: "
              f"{command / in_memory:.2f}x")
        rows.append(Row("cards", f"sky-badges cards, {args.stored:,} stored (CPU)",
                        command / args.stored * 1000, "ms/card", "sheet_pdf of the same cards",
                        in_memory / args.stored * 1000, command / in_memory))
    if args.json:
        write_json(args.json, rows)


if __name__ == "__main__":
    main()
