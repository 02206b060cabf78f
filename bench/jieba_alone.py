"""The yardstick of indexing: jieba alone segmenting the same text.

    python -m bench.jieba_alone TEXTS.jsonl      # one JSON list [title, paragraph, ...] per essay
    python -m bench.jieba_alone --project-load   # time search.analysis.load() in a fresh process

Prints one JSON object. The dictionary load (from jieba's cache, which the
caller has already written) is timed separately from the segmentation, and
reading the text file is timed by neither. Segmentation is `jieba.lcut(text,
HMM=True)` over every title and paragraph, as the project's indexer does.
"""
import argparse
import json
import logging
import sys
import time


def segment(path):
    import jieba

    jieba.setLogLevel(logging.WARNING)
    start = time.perf_counter()
    jieba.initialize()
    load_s = time.perf_counter() - start
    texts = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            texts.extend(json.loads(line))
    chars = sum(map(len, texts))
    lcut = jieba.lcut
    start, cpu = time.perf_counter(), time.process_time()
    words = 0
    for text in texts:
        words += len(lcut(text, HMM=True))
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    return {"dict_load_s": load_s, "seconds": seconds, "cpu_s": cpu, "texts": len(texts), "chars": chars,
            "words": words, "chars_per_s": chars / seconds if seconds else None,
            "jieba": getattr(jieba, "__version__", "?")}


def project_load():
    start = time.perf_counter()
    from search import analysis  # imports jieba, not Django

    imported = time.perf_counter()
    analysis.load()
    done = time.perf_counter()
    return {"import_s": imported - start, "load_s": done - imported}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.jieba_alone")
    ap.add_argument("texts", nargs="?")
    ap.add_argument("--project-load", action="store_true")
    args = ap.parse_args(argv)
    result = project_load() if args.project_load else segment(args.texts)
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
