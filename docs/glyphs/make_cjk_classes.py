#!/usr/bin/env python3
"""Writes the class list of `sparsenas dataset glyphs --classes cjk500` (one character per line).

Run once when the CJK font packages of scripts/setup.sh change; the output is committed as
src/sparsenas/glyphs/classes_cjk500.txt, so generating the data set needs no Python.

Candidates: the hanzi of GB2312 level 1 (the 3,755 most frequent characters of simplified Chinese,
in the standard's pinyin order) that are also in JIS X 0208 level 1 (the 2,965 most frequent kanji)
and in Big5's frequent set (5,401 characters of traditional Chinese), i.e. characters written
with the same code point in all three scripts. Kept: those that every CJK face of the data set
covers (fontconfig's charset of each font file given on the command line), then 500 of them spread
evenly over the GB2312 order.
Usage: make_cjk_classes.py FONT_FILE... > classes_cjk500.txt
"""
import subprocess
import sys


def decode_all(encoding, rows, first_byte_base):
    out = []
    for row in rows:
        for col in range(0xA1, 0xFF):
            try:
                out.append(bytes([first_byte_base + row, col]).decode(encoding))
            except UnicodeDecodeError:
                pass
    return out


def gb2312_level1():
    return decode_all("gb2312", range(16, 56), 0xA0)  # rows 16..55: 0xB0..0xD7


def jis_level1():
    return set(decode_all("euc_jp", range(16, 48), 0xA0))  # rows 16..47


def big5_frequent():
    out = set()
    for lead in range(0xA4, 0xC7):
        for trail in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            code = (lead << 8) | trail
            if code < 0xA440 or code > 0xC67E:
                continue
            try:
                out.add(bytes([lead, trail]).decode("big5"))
            except UnicodeDecodeError:
                pass
    return out


def charset(path):
    text = subprocess.run(["fc-query", "--format=%{charset}\n", path], check=True,
                          capture_output=True, text=True).stdout.split("\n")[0]
    covered = set()
    for part in text.split():
        lo, _, hi = part.partition("-")
        for cp in range(int(lo, 16), int(hi or lo, 16) + 1):
            covered.add(cp)
    return covered


def main():
    fonts = sys.argv[1:]
    jis, big5 = jis_level1(), big5_frequent()
    candidates = [c for c in gb2312_level1() if c in jis and c in big5]
    for path in fonts:
        covered = charset(path)
        candidates = [c for c in candidates if ord(c) in covered]
    n = 500
    if len(candidates) < n:
        sys.exit(f"only {len(candidates)} characters are common to all fonts, need {n}")
    step = len(candidates) / n
    chosen = [candidates[int(i * step)] for i in range(n)]
    sys.stderr.write(f"{len(candidates)} common candidates, {n} chosen\n")
    print("\n".join(chosen))


if __name__ == "__main__":
    main()
