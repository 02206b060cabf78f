"""The Whoosh schema of an essay, and the fields one EssayDoc fills.

- `title` and `body` hold jieba words (with their dictionary sub-words) in
  Whoosh's Frequency format: enough for BM25F ranking, and much cheaper to
  build than positions.
- `ftitle` and `fbody` store the folded title and folded paragraphs (joined
  by a newline, which folding removes from any query, so no match can cross
  a paragraph). Matching is a substring scan over these folded texts, held
  in memory per process (search.backends.whoosh.view): exact by
  construction, and cheaper to build than a character n-gram field
  (docs/SEARCH.md has the measurements).
"""
import sys
import types
from collections import Counter

from whoosh.fields import ID, STORED, FieldType, Schema
from whoosh.formats import Frequency
from whoosh.system import pack_uint
from whoosh.util.text import utf8encode

from ... import analysis

INDEX_NAME = "essays"


class WordsField(FieldType):
    """A field whose value is an already segmented list of words.

    Segmenting once per essay ourselves, instead of through a Whoosh
    analyzer chain, keeps indexing close to the cost of jieba alone."""

    def __init__(self):
        self.format = Frequency()
        self.analyzer = None
        self.vector = None
        self.scorable = True
        self.stored = False
        self.unique = False
        self.column_type = None
        self.spelling = False
        self.multitoken_query = "and"

    def index(self, value, **kwargs):
        for word, freq in Counter(value).items():
            yield utf8encode(word)[0], freq, float(freq), pack_uint(freq)

    def self_parsing(self):
        return False


# Whoosh pickles the schema, field classes by module path, into every table
# of contents. Indexes written before the backend seam name this class
# search.index.WordsField: that name keeps resolving, so an archive's index
# opens after an upgrade instead of answering 503 until rebuild_index.
_OLD_PATH = types.ModuleType("search.index", "Where WordsField lived before search.backends.whoosh.")
_OLD_PATH.WordsField = WordsField
sys.modules.setdefault("search.index", _OLD_PATH)


def make_schema():
    return Schema(
        id=ID(stored=True, unique=True),
        title=WordsField(),
        body=WordsField(),
        number=STORED(),
        created=STORED(),
        digest=STORED(),
        ftitle=STORED(),
        fbody=STORED(),
    )


def ranking_words(text):
    """Words for BM25: jieba's words plus, for long words, the dictionary
    words inside them (as jieba's search mode does), so 抓落实 also scores
    an essay that jieba segmented as 狠抓落实."""
    out = analysis.words(text)
    freq = analysis.dictionary()
    extra = []
    for w in out:
        if len(w) > 2:
            for n in (2, 3):
                if len(w) > n:
                    extra.extend(w[i:i + n] for i in range(len(w) - n + 1) if freq.get(w[i:i + n]))
    return out + extra


# Characters of an essay's body segmented for ranking: jieba's cost is
# linear but not small, and an essay stored before the parser's limits made
# every `check_index --fix` and `rebuild_index` pay for all of it (the
# figures are in docs/SEARCH.md, "Bounded segmentation"). Real essays are
# far shorter.
RANKING_CHARS_MAX = 200_000


def whoosh_fields(doc):
    """The stored and indexed fields of one essay.

    Matching reads the folded title and paragraphs (`ftitle`, `fbody`), which
    hold the whole essay, so every essay matches exactly what it contains.
    The ranking words of the body come from its first RANKING_CHARS_MAX
    characters only, which bounds the cost of indexing one essay: in an
    essay longer than that (none that the parser accepts with its default
    limits and normal text) a word that first occurs later scores 0 and is
    ordered as the search contract orders unscored matches."""
    paragraphs = list(doc.paragraphs)
    body_words = []
    budget = RANKING_CHARS_MAX
    for p in paragraphs:
        if budget <= 0:
            break
        body_words.extend(ranking_words(p[:budget]))
        budget -= len(p)
    return {
        "id": str(doc.id),
        "title": ranking_words(doc.title),
        "body": body_words,
        "number": doc.number,
        "created": doc.created,
        "digest": doc.digest,
        "ftitle": analysis.fold(doc.title),
        "fbody": "\n".join(analysis.fold(p) for p in paragraphs),
    }
