"""Sets of document numbers as Python integers (bit d set: document d).

An AND or OR of two 20,000-document sets is one C-level operation on 2.5 kB
of memory, which is what makes the per-character candidate sets of
search.index cheap to combine and to keep (see docs/SEARCH.md)."""

# The set bit positions of every byte value.
_BYTE_BITS = tuple(tuple(i for i in range(8) if b >> i & 1) for b in range(256))


def to_list(bits):
    """The document numbers in `bits`, ascending."""
    if not bits:
        return []
    out = []
    extend = out.extend
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    for i, byte in enumerate(data):
        if byte:
            base = i * 8
            extend([base + j for j in _BYTE_BITS[byte]])
    return out


def from_iter(docnums, size):
    """The set of the given document numbers (all below `size`)."""
    data = bytearray((size + 7) // 8)
    for d in docnums:
        data[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(data, "little")


def from_flags(flags):
    """The set of positions whose flag is true (an iterable of booleans)."""
    # One string and one C-level parse instead of an OR per document.
    text = "".join("1" if f else "0" for f in flags)
    return int(text[::-1], 2) if text else 0


def count(bits):
    """How many documents `bits` holds."""
    return bits.bit_count()
