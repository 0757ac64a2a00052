"""Download the real COCO captioning features (about 1 GB) into coco_captioning/, once.

Nothing happens when the folder is already there. The archive is downloaded with a progress bar to
coco_captioning.zip.part, renamed to coco_captioning.zip when complete, unpacked into a temporary
folder that is renamed to coco_captioning/ at the end (an interrupted run leaves nothing
half-written), then deleted (unless --keep-zip). A complete coco_captioning.zip already in the
folder (downloaded earlier, or copied from another machine) is unpacked without downloading.

    python datasets/get_coco_captioning.py [--dest FOLDER] [--url URL] [--keep-zip]

Without a network, the kit still works: load_coco_data() uses the built-in offline dataset.
"""
import argparse
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

URL = "http://cs231n.stanford.edu/coco_captioning.zip"
FOLDER = "coco_captioning"
NEEDED = ("coco2014_captions.h5", "coco2014_vocab.json")


def default_dest() -> Path:
    """$CS231N_DATASETS when set, else the folder of this script."""
    env = os.environ.get("CS231N_DATASETS")
    return Path(env) if env else Path(__file__).resolve().parent


def is_complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in NEEDED)


def _progress(total):
    """A callable advancing a progress bar by n bytes, and a function closing it."""
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=FOLDER + ".zip")
        return bar.update, bar.close
    done = [0, -1]

    def update(n):
        done[0] += n
        percent = int(100 * done[0] / total) if total else -1
        if percent != done[1] and percent % 5 == 0:
            done[1] = percent
            print(f"\r{done[0] / 2**20:8.1f} MB ({percent}%)", end="", flush=True)
    return update, lambda: print()


def download(url: str, target: Path, timeout: float = 30) -> None:
    """Download url to target, through target.part renamed at the end."""
    part = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            update, close = _progress(total)
            try:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    update(len(chunk))
            finally:
                close()
        if total and part.stat().st_size != total:
            raise OSError(f"the download stopped after {part.stat().st_size} of {total} bytes")
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, target)


def unpack(archive: Path, dest: Path) -> Path:
    """Unzip archive and move its coco_captioning/ folder (or its files) to dest/coco_captioning."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{FOLDER}-", dir=dest))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)     # readable like any folder (the grading sandbox's kernels read it)
    try:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)
        inner = tmp / FOLDER if (tmp / FOLDER).is_dir() else tmp
        if not is_complete(inner):
            raise OSError(f"{archive} does not hold a {FOLDER} folder with {', '.join(NEEDED)}")
        os.replace(inner, dest / FOLDER)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return dest / FOLDER


def fetch(dest: Path, url: str = URL, keep_zip: bool = False) -> int:
    """Make sure dest/coco_captioning exists; 0 on success, 1 with a message on failure."""
    folder, archive = dest / FOLDER, dest / f"{FOLDER}.zip"
    if is_complete(folder):
        print(f"{folder} is already there: nothing to do.")
        return 0
    if folder.exists():
        print(f"{folder} exists but is incomplete (no {' or '.join(NEEDED)}). Delete it and run "
              f"this script again.", file=sys.stderr)
        return 1
    dest.mkdir(parents=True, exist_ok=True)
    if not (archive.is_file() and zipfile.is_zipfile(archive)):
        print(f"Downloading {url} (about 1 GB) to {archive}")
        try:
            download(url, archive)
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            print(f"\nCould not download {url}: {reason}.\n"
                  f"Check your network connection and run this script again, or copy "
                  f"coco_captioning.zip from another machine into {dest} and run it again. Without the real data, load_coco_data() uses the built-in offline "
                  f"dataset, on which the whole assignment runs.", file=sys.stderr)
            return 1
    print(f"Unpacking {archive} ...")
    try:
        unpack(archive, dest)
    except (zipfile.BadZipFile, OSError) as e:
        print(f"Could not unpack {archive}: {e}. Delete it and run this script again.", file=sys.stderr)
        return 1
    if not keep_zip:
        archive.unlink()
    print(f"The real COCO captioning data is in {folder}: load_coco_data() now reads it.")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Without a network the kit uses its built-in dataset.")
    parser.add_argument("--dest", type=Path, default=default_dest(),
                        help="folder that receives coco_captioning/ (default: $CS231N_DATASETS or "
                             "the folder of this script)")
    parser.add_argument("--url", default=URL, help=f"where the archive is (default {URL})")
    parser.add_argument("--keep-zip", action="store_true",
                        help="keep coco_captioning.zip after unpacking it")
    args = parser.parse_args(argv)
    return fetch(args.dest, args.url, args.keep_zip)


if __name__ == "__main__":
    sys.exit(main())
