"""Time to render a 1,000-card A4 sheet PDF, against a baseline measured in the same run.

Run: `python bench/bench_cards.py [--cards 1000] [--repeat 3]`. Absolute times depend on the
machine; the ratio is what to compare between commits. The baseline draws the same 1,000 QR codes
with reportlab's own QR widget (same URLs, level M, same grid and size) and nothing else, so the
ratio is the price of a whole card (text fitting, embedded fonts, badge, logo, our QR encoder)
over a bare QR code.
"""

from __future__ import annotations

import argparse
import io
import time
from datetime import date

from PIL import Image, ImageDraw
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from issuer.rendering.cards import CARD_HEIGHT, CARD_WIDTH, CardData, sheet_pdf
from issuer.rendering.images import badge_png

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
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


if __name__ == "__main__":
    main()
