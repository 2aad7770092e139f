"""Finding exact and near-duplicate paragraphs, so that no paragraph is both learned and tested.

Two paragraphs are near-duplicates when their sets of word 5-grams overlap with a Jaccard
similarity of at least 0.5 (the same paragraph lightly edited); exact duplicates compare
equal after `normalise`.
"""

from collections import defaultdict

from training.data import normalise

SHINGLE_WORDS = 5
NEAR_DUPLICATE_JACCARD = 0.5


def shingles(text: str, n: int = SHINGLE_WORDS) -> set[str]:
    words = normalise(text).split()
    if len(words) <= n:
        return {" ".join(words)}
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def duplicate_pairs(texts: list[str], threshold: float = NEAR_DUPLICATE_JACCARD) -> list[tuple[int, int, float]]:
    """Pairs (i, j, similarity) with i < j whose shingle sets overlap at least `threshold`."""
    sets = [shingles(t) for t in texts]
    index: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for shingle in s:
            index[shingle].append(i)
    candidates = {(a, b) for ids in index.values() if len(ids) < 200 for a in ids for b in ids if a < b}
    pairs = []
    for a, b in sorted(candidates):
        similarity = len(sets[a] & sets[b]) / len(sets[a] | sets[b])
        if similarity >= threshold:
            pairs.append((a, b, similarity))
    return pairs
