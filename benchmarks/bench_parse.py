"""Benchmark ``evidence.pubmed.parser.parse_pubmed_xml`` against Biopython and pubmed_parser.

Builds a PubMed XML file of at least 50,000 records by repeating the real recorded articles in
``../shared/fixtures/eutils/`` (their PMIDs renumbered so every record is distinct), then parses
it with each parser in a fresh subprocess and prints records/s and peak RSS.

Biopython 1.88 cannot stream a ``PubmedArticleSet`` (``Entrez.parse`` refuses it), so it is
measured with ``Entrez.read``, which holds the whole file in memory. pubmed_parser is measured
with ``parse_medline_xml``.

Usage: python benchmarks/bench_parse.py [--records 50000] [--keep FILE]
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from lxml import etree

SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "eutils"
SOURCES = [
    "fatcat/pubmedsample_2019.xml",
    "biopython/pubmed1.xml",
    "biopython/pubmed2.xml",
    "biopython/pubmed4.xml",
    "biopython/pubmed5.xml",
    "biopython/pubmed6.xml",
    "biopython/pubmed7.xml",
    "metapub/38329942.xml",
]
DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)

# pubmed_parser 0.5.1 reads MEDLINE files gzipped only, so it gets a gzipped copy, and so does
# a second run of ours, to compare like with like.
PARSERS = {
    "evidence": "from evidence.pubmed.parser import parse_pubmed_xml\nn = sum(1 for _ in parse_pubmed_xml(PATH))",
    "evidence (gz)": "import gzip\nfrom evidence.pubmed.parser import parse_pubmed_xml\n"
    "n = sum(1 for _ in parse_pubmed_xml(gzip.open(PATH + '.gz')))",
    "biopython": "from Bio import Entrez\nwith open(PATH, 'rb') as h:\n    n = len(Entrez.read(h)['PubmedArticle'])",
    "pubmed_parser (gz)": "import pubmed_parser as pp\nn = sum(1 for _ in pp.parse_medline_xml(PATH + '.gz'))",
}


def build_file(path: Path, records: int) -> int:
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
    articles = []
    for name in SOURCES:
        root = etree.parse(str(SHARED / name), parser).getroot()
        articles += [etree.tostring(a) for a in root.iter("PubmedArticle")]
    written = 0
    with open(path, "wb") as out:
        out.write(b'<?xml version="1.0" ?>\n' + DOCTYPE.encode() + b"\n<PubmedArticleSet>\n")
        while written < records:
            for raw in articles:
                article = etree.fromstring(raw, parser)
                article.find("MedlineCitation/PMID").text = str(50_000_000 + written)
                out.write(etree.tostring(article) + b"\n")
                written += 1
                if written >= records:
                    break
        out.write(b"</PubmedArticleSet>\n")
    return written


def measure(name: str, path: Path) -> tuple[int, float, float]:
    code = (
        f"import resource, time\nPATH = {str(path)!r}\nt = time.perf_counter()\n{PARSERS[name]}\n"
        "print(n, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), float(out[1]), int(out[2]) / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--records", type=int, default=50_000)
    args.add_argument("--keep", type=Path, help="write the benchmark file here and keep it")
    opts = args.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = opts.keep or Path(tmp) / "bench.xml"
        n = build_file(path, opts.records)
        with open(path, "rb") as src, gzip.open(str(path) + ".gz", "wb", compresslevel=1) as dst:
            shutil.copyfileobj(src, dst)
        print(f"file: {n} records, {path.stat().st_size / 1e6:.1f} MB")
        results = {}
        for name in PARSERS:
            try:
                count, seconds, rss = measure(name, path)
            except subprocess.CalledProcessError as exc:
                print(f"{name:18s} failed: {exc.stderr.strip().splitlines()[-1]}")
                continue
            results[name] = count / seconds
            print(
                f"{name:18s} {count:7d} records  {seconds:7.2f} s  {count / seconds:9.0f} records/s  peak RSS {rss:7.1f} MB"
            )
        for ours, other in (("evidence", "biopython"), ("evidence (gz)", "pubmed_parser (gz)")):
            if ours in results and other in results:
                print(f"{ours} / {other}: {results[ours] / results[other]:.2f}x throughput")


if __name__ == "__main__":
    main()
