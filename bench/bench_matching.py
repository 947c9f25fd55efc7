"""Matching throughput with the six default goals, on one core, no network.

Usage::

    .venv/bin/python bench/bench_matching.py [--runs 5] [--docs 5000] [--shared DIR]

Prints documents per second for 1 KB documents (1024 bytes of UTF-8) and MB/s (UTF-8 bytes)
for long full texts, each the median of ``--runs`` runs of process CPU time (one core; the
first, cold run builds the token memo and is shown separately). Corpora:

- ``ru-synthetic``: Russian legal-style text generated from a word list written for this
  benchmark (mixed with Kazakh and a few goal words, so some documents match);
- ``en-upr-report``: the text of Kazakhstan's UPR working-group reports, read in place from
  ``../shared/upr-samples/`` when present (never copied into the project).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tracker.matching import Matcher, MatchInput, load_goals  # noqa: E402

_RU = (
    "закон",
    "республики",
    "казахстан",
    "о",
    "внесении",
    "изменений",
    "и",
    "дополнений",
    "в",
    "некоторые",
    "законодательные",
    "акты",
    "по",
    "вопросам",
    "государственного",
    "управления",
    "налогообложения",
    "сельского",
    "хозяйства",
    "энергетики",
    "тарифов",
    "уполномоченный",
    "орган",
    "вправе",
    "осуществлять",
    "контроль",
    "за",
    "соблюдением",
    "требований",
    "настоящего",
    "закона",
    "порядок",
    "утверждается",
    "правительством",
    "в",
    "течение",
    "десяти",
    "рабочих",
    "дней",
    "со",
    "дня",
    "получения",
    "заявления",
    "физических",
    "и",
    "юридических",
    "лиц",
    "местные",
    "исполнительные",
    "органы",
    "обеспечивают",
    "реализацию",
    "государственной",
    "политики",
    "в",
    "области",
    "образования",
    "здравоохранения",
    "социальной",
    "защиты",
    "населения",
    "статья",
    "пункт",
    "подпункт",
    "часть",
    "глава",
    "кодекс",
    "об",
    "административных",
    "правонарушениях",
    "ответственность",
    "штраф",
    "в",
    "размере",
    "месячных",
    "расчетных",
    "показателей",
)
_KK = (
    "қазақстан",
    "республикасының",
    "заңы",
    "мемлекеттік",
    "басқару",
    "салық",
    "ауыл",
    "шаруашылығы",
    "уәкілетті",
    "орган",
    "өзгерістер",
    "мен",
    "толықтырулар",
    "енгізу",
    "туралы",
    "бойынша",
    "жеке",
    "және",
    "заңды",
    "тұлғалар",
)
_GOAL_WORDS = (
    "бытового насилия",
    "дискриминации",
    "гражданского общества",
    "тұрмыстық зорлық-зомбылыққа",
    "кемсітушілікке",
    "сексуальной ориентации",
)


def synthetic_russian(size: int, rng: random.Random) -> str:
    """``size`` bytes (UTF-8) of Russian/Kazakh legal-style text; ~1 in 200 words a goal word."""
    words: list[str] = []
    length = 0
    while length < size:
        roll = rng.random()
        if roll < 0.005:
            word = rng.choice(_GOAL_WORDS)
        elif roll < 0.1:
            word = rng.choice(_KK)
        else:
            word = rng.choice(_RU)
        if rng.random() < 0.08:
            word = word.capitalize() + ","
        words.append(word)
        length += len(word.encode()) + 1
    return _cut(" ".join(words), size)


def _cut(text: str, size: int) -> str:
    """At most ``size`` UTF-8 bytes of ``text``, on a character boundary."""
    return text.encode()[:size].decode(errors="ignore")


def upr_text(shared: Path) -> str | None:
    """Kazakhstan's UPR working-group reports (English), read in place, or None."""
    folder = shared / "upr-samples"
    files = sorted(folder.glob("upr-kazakhstan-A_HRC_*.txt")) if folder.is_dir() else []
    if not files:
        return None
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


def chunks(text: str, size: int, count: int) -> list[str]:
    """``count`` pieces of ``size`` UTF-8 bytes cut from ``text`` (wrapping around)."""
    data = text.encode()
    out = []
    start = 0
    for _ in range(count):
        if start + size > len(data):
            start = 0
        out.append(data[start : start + size].decode(errors="ignore"))
        start += size
    return out


def timed(matcher: Matcher, docs: Sequence[MatchInput]) -> float:
    """CPU seconds to match every document."""
    began = time.process_time()
    for doc in docs:
        matcher.match(doc)
    return time.process_time() - began


def bench(name: str, matcher: Matcher, docs: Sequence[MatchInput], runs: int) -> None:
    """Print docs/s and MB/s: the cold first run, then the median of ``runs`` warm runs."""
    size = sum(len(d.title.encode()) + len(d.text.encode()) for d in docs)
    cold = timed(matcher, docs)
    warm = statistics.median(timed(matcher, docs) for _ in range(runs))
    matched = sum(1 for d in docs if matcher.match(d))
    print(
        f"{name:<22} {len(docs):>6} docs {size / len(docs) / 1024:7.1f} KB/doc  "
        f"{len(docs) / warm:>9,.0f} docs/s  {size / warm / 1e6:6.2f} MB/s  "
        f"(cold {len(docs) / cold:,.0f} docs/s; {matched} docs match)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="matching throughput")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args(argv)
    rng = random.Random(5)
    matcher = Matcher(load_goals())
    print(
        f"{len(matcher.goals)} goals, {len(matcher.lexicon.ids)} distinct query words; "
        f"median of {args.runs} runs\n"
    )
    small_ru = [MatchInput("", synthetic_russian(1024, rng)) for _ in range(args.docs)]
    bench("1 KB, ru-synthetic", matcher, small_ru, args.runs)
    long_ru = [MatchInput("", synthetic_russian(1_000_000, rng)) for _ in range(4)]
    bench("1 MB, ru-synthetic", matcher, long_ru, args.runs)
    english = upr_text(args.shared)
    if english is None:
        print(f"(no UPR report texts under {args.shared}: English corpus skipped)")
        return 0
    small_en = [MatchInput("", piece) for piece in chunks(english, 1024, args.docs)]
    bench("1 KB, en-upr-report", matcher, small_en, args.runs)
    long_en = [MatchInput("", chunks(english * (1_000_000 // len(english) + 1), 1_000_000, 1)[0])]
    long_en = long_en * 4
    bench("1 MB, en-upr-report", matcher, long_en, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
