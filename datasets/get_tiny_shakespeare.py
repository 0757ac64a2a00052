"""Download tiny Shakespeare (about 1 MB, the char-rnn corpus) into datasets/tiny_shakespeare.txt,
for the character-level language model: load_char_data("datasets/tiny_shakespeare.txt").

Needs a network connection; without one it says so and exits with status 1 (the built-in corpus
of standard-library modules needs none).

    python datasets/get_tiny_shakespeare.py [--out PATH]
"""
import argparse
import sys
import urllib.error
import urllib.request
from pathlib import Path

URL = ("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/"
       "input.txt")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent / "tiny_shakespeare.txt",
                        help="where to write the text (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.out.is_file():
        print(f"{args.out} is already there")
        return 0
    try:
        with urllib.request.urlopen(URL, timeout=20) as response:
            text = response.read()
    except (urllib.error.URLError, OSError) as error:
        print(f"No network: could not download {URL} ({error}). The notebook works offline on "
              "the built-in corpus (load_char_data() with no argument), or on any text file you "
              "have.", file=sys.stderr)
        return 1
    tmp = args.out.with_suffix(".tmp")
    tmp.write_bytes(text)
    tmp.replace(args.out)
    print(f"Wrote {args.out} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
